"""PreprocessingLayer: a layer whose state is computed from data with `adapt`."""
from typing import Any, Iterable, Optional

import numpy as np
import torch

from torchkeras_api.engine.base_layer import Layer


class PreprocessingLayer(Layer):
    """Base of the adaptable preprocessing layers: `adapt` feeds batches to `update_state`, then
    `finalize_state` computes the layer's state."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._is_adapted = False

    @property
    def is_adapted(self) -> bool:
        """Whether `adapt` has run (or the state was given directly)."""
        return self._is_adapted

    def update_state(self, data: Any) -> None:
        """Accumulates statistics from one batch."""
        raise NotImplementedError(f"{type(self).__name__} does not support `adapt`.")

    def reset_state(self) -> None:
        """Forgets the statistics accumulated so far."""
        raise NotImplementedError(f"{type(self).__name__} does not support `adapt`.")

    def finalize_state(self) -> None:
        """Turns the accumulated statistics into the layer's state."""

    def adapt(self, data: Any, batch_size: Optional[int] = None, steps: Optional[int] = None) -> None:
        """Computes the layer's state from `data`: an array, tensor or list (split into batches of
        `batch_size`, default 32), or an iterable of batches (at most `steps` of them)."""
        self.reset_state()
        for batch in _batches(data, batch_size, steps):
            self.update_state(batch)
        self.finalize_state()
        self._is_adapted = True


def _batches(data: Any, batch_size: Optional[int], steps: Optional[int]) -> Iterable[Any]:
    if isinstance(data, (np.ndarray, torch.Tensor, list, tuple, str)):
        if isinstance(data, str):
            data = [data]
        size = batch_size or 32
        count = len(data)
        starts = range(0, count, size)
        if steps is not None:
            starts = list(starts)[:steps]
        for start in starts:
            yield data[start:start + size]
        return
    if batch_size is not None:
        raise ValueError("`batch_size` must not be set when `data` is a dataset, generator or iterable "
                         f"of batches. Received: batch_size={batch_size}")
    for step, batch in enumerate(data):
        if steps is not None and step >= steps:
            break
        if isinstance(batch, tuple) and len(batch) in (2, 3):
            batch = batch[0]
        yield batch
