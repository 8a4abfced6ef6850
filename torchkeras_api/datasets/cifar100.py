"""tf.keras.datasets.cifar100: 60,000 32x32 colour images in 100 fine / 20 coarse classes."""
import os
from typing import Optional, Tuple

import numpy as np

from torchkeras_api.datasets.cifar import load_batch, to_data_format
from torchkeras_api.datasets.remote import fetch

Split = Tuple[np.ndarray, np.ndarray]


def load_data(label_mode: str = "fine", cache_dir: Optional[str] = None) -> Tuple[Split, Split]:
    """`(x_train, y_train), (x_test, y_test)`: uint8 images (50000, 32, 32, 3) / (10000, 32, 32, 3) and int64
    labels of shape (N, 1), the 100 'fine' classes or the 20 'coarse' superclasses (`label_mode`)."""
    if label_mode not in ["fine", "coarse"]:
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    folder = fetch("cifar-100-python.tar.gz", "cifar-100-python", cache_dir, untar=True)
    splits = []
    for name in ("train", "test"):
        images, labels = load_batch(os.path.join(folder, name), label_key=label_mode + "_labels")
        splits.append((to_data_format(images), np.reshape(labels, (len(labels), 1))))
    return splits[0], splits[1]
