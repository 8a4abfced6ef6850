"""tf.keras.datasets.cifar10: 60,000 32x32 colour images in 10 classes."""
import os
from typing import Optional, Tuple

import numpy as np

from torchkeras_api.datasets.cifar import load_batch, to_data_format
from torchkeras_api.datasets.remote import fetch

Split = Tuple[np.ndarray, np.ndarray]
_TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]


def load_data(cache_dir: Optional[str] = None) -> Tuple[Split, Split]:
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (50000, 32, 32, 3) / (10000, 32, 32, 3) (channels
    first under `image_data_format() == 'channels_first'`) and uint8 labels 0-9 of shape (N, 1)."""
    folder = fetch("cifar-10-python.tar.gz", "cifar-10-batches-py", cache_dir, untar=True)
    batches = [load_batch(os.path.join(folder, name)) for name in _TRAIN_BATCHES]
    x_train = np.concatenate([np.asarray(data, dtype="uint8") for data, _ in batches])
    y_train = np.concatenate([np.asarray(labels, dtype="uint8") for _, labels in batches])
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    x_test = np.asarray(x_test, dtype="uint8")
    y_test = np.asarray(y_test, dtype="uint8")
    return ((to_data_format(x_train), y_train.reshape(-1, 1)),
            (to_data_format(x_test), y_test.reshape(-1, 1)))
