"""tf.keras.datasets.boston_housing: 506 Boston suburbs, 13 attributes each, and their median house price."""
from typing import Optional, Tuple

import numpy as np

from torchkeras_api.datasets.remote import fetch

Split = Tuple[np.ndarray, np.ndarray]


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113,
              cache_dir: Optional[str] = None) -> Tuple[Split, Split]:
    """`(x_train, y_train), (x_test, y_test)`: x (N, 13) attributes, y (N,) prices in k$, shuffled with `seed`,
    the last `test_split` of the samples for testing."""
    if not 0 <= test_split < 1:
        raise ValueError(f"`test_split` must be in [0, 1). Received: test_split={test_split}")
    with np.load(fetch("boston_housing.npz", path, cache_dir), allow_pickle=True) as data:
        x, y = data["x"], data["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])
