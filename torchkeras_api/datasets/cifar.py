"""Reading the python-pickle batch files of the CIFAR-10 and CIFAR-100 archives."""
import pickle
from typing import Tuple

import numpy as np

from torchkeras_api import backend_config


def load_batch(fpath: str, label_key: str = "labels") -> Tuple[np.ndarray, list]:
    """`(data, labels)` of one batch file: data (N, 3, 32, 32) as stored, labels the `label_key` list."""
    with open(fpath, "rb") as file:
        batch = pickle.load(file, encoding="bytes")
    batch = {key.decode("utf8") if isinstance(key, bytes) else key: value for key, value in batch.items()}
    data = batch["data"]
    return data.reshape(data.shape[0], 3, 32, 32), batch[label_key]


def to_data_format(images: np.ndarray) -> np.ndarray:
    """(N, 3, 32, 32) images in `image_data_format()` layout."""
    if backend_config.image_data_format() == "channels_last":
        return images.transpose(0, 2, 3, 1)
    return images
