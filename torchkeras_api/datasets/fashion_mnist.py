"""tf.keras.datasets.fashion_mnist: 70,000 28x28 grayscale images of 10 kinds of clothing."""
import gzip
import os
from typing import Optional, Tuple

import numpy as np

from torchkeras_api.datasets.remote import fetch

Split = Tuple[np.ndarray, np.ndarray]
_LABEL_HEADER, _IMAGE_HEADER = 8, 16


def _read_idx(path: str, header: int) -> np.ndarray:
    """The uint8 payload of a gzipped IDX file after its `header` bytes."""
    with gzip.open(path, "rb") as file:
        return np.frombuffer(file.read(), np.uint8, offset=header)


def _split(prefix: str, cache_dir: Optional[str]) -> Split:
    subdir = os.path.join("datasets", "fashion-mnist")
    labels_file = f"{prefix}-labels-idx1-ubyte.gz"
    images_file = f"{prefix}-images-idx3-ubyte.gz"
    labels = _read_idx(fetch(labels_file, labels_file, cache_dir, subdir), _LABEL_HEADER)
    images = _read_idx(fetch(images_file, images_file, cache_dir, subdir), _IMAGE_HEADER)
    return images.reshape(len(labels), 28, 28), labels


def load_data(cache_dir: Optional[str] = None) -> Tuple[Split, Split]:
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (60000, 28, 28) / (10000, 28, 28) and uint8 labels
    0-9, cached in `~/.keras/datasets/fashion-mnist` (or `cache_dir`)."""
    return _split("train", cache_dir), _split("t10k", cache_dir)
