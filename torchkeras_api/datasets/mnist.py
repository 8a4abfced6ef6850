"""tf.keras.datasets.mnist: 70,000 28x28 grayscale handwritten digits."""
from typing import Optional, Tuple

import numpy as np

from torchkeras_api.datasets.remote import fetch

Split = Tuple[np.ndarray, np.ndarray]


def load_data(path: str = "mnist.npz", cache_dir: Optional[str] = None) -> Tuple[Split, Split]:
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (60000, 28, 28) / (10000, 28, 28) and uint8 labels
    0-9; `path` is the file name in the cache (`~/.keras/datasets` unless `cache_dir`)."""
    with np.load(fetch("mnist.npz", path, cache_dir), allow_pickle=True) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
