"""Runtime context: executing_eagerly, device scopes, tf.print, the TF logger."""
import contextlib
import logging
import sys
from typing import Any, Iterator

import numpy as np
import torch


def executing_eagerly() -> bool:
    """Always True: torchkeras_api runs every op eagerly."""
    return True


@contextlib.contextmanager
def device(device_name: str) -> Iterator[None]:
    """Accepted for compatibility: tensors stay where torchkeras_api puts them (its default device)."""
    yield


def get_logger() -> logging.Logger:
    """The 'tensorflow' Python logger."""
    return logging.getLogger("tensorflow")


def _printable(value: Any, summarize: int) -> str:
    if isinstance(value, torch.Tensor):
        array = value.detach().cpu().numpy()
        edge = 3 if summarize is None else (sys.maxsize if summarize < 0 else summarize)
        return np.array2string(array, separator=" ", threshold=max(2 * edge, 1), edgeitems=min(edge, 1000))
    return str(value)


def print_(*inputs: Any, output_stream: Any = sys.stderr, summarize: int = 3, sep: str = " ", end: str = "\n",
           name: Any = None) -> None:
    """Prints the values of tensors (and other objects) to `output_stream` (stderr by default), as tf.print."""
    stream = sys.stdout if output_stream in ("stdout", sys.stdout) else output_stream
    if stream is sys.stderr or output_stream == "stderr":
        stream = sys.stderr
    print(sep.join(_printable(v, summarize) for v in inputs), end=end, file=stream)
