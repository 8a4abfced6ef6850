"""Epochs and steps over the data given to `fit`/`evaluate`/`predict`."""
import warnings
from typing import Any, Callable, Iterator, Optional, Tuple, Union

import torch

from torchkeras_api.engine.data_adapter import select_data_adapter
from torchkeras_api.engine.device import default_device

_NOTHING = object()


def _check_positive(name: str, value: int) -> int:
    if value <= 0:
        raise ValueError(f"Expected {name} to be positive. Received is {value}.")
    return value


def _check_non_negative(name: str, value: int) -> int:
    if value < 0:
        raise ValueError(f"Expected {name} to be non-negative. Received is {value}.")
    return value


def _resolve_device(device: Any) -> torch.device:
    """The device, with the current CUDA device's index when none is given."""
    device = torch.device(device) if device is not None else default_device()
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


class _Lookahead:
    """An iterator that can tell whether another item is coming."""

    def __init__(self, source: Iterator[Any]):
        self._source = source
        self._ahead: Any = _NOTHING

    def has_next(self) -> bool:
        if self._ahead is _NOTHING:
            try:
                self._ahead = next(self._source)
            except StopIteration:
                return False
        return True

    def __next__(self) -> Any:
        if self._ahead is _NOTHING:
            return next(self._source)
        item, self._ahead = self._ahead, _NOTHING
        return item


class EpochIterator:
    """One epoch's batches (`next(iterator)` or `iterator.next()`): `StopIteration` after the epoch's steps or
    when the data runs out."""

    def __init__(self, source: _Lookahead, limit: Optional[int]):
        self._source = source
        self._limit = limit
        self._taken = 0

    def __iter__(self) -> "EpochIterator":
        return self

    def has_next(self) -> bool:
        """Whether `next` will return a batch."""
        return (self._limit is None or self._taken < self._limit) and self._source.has_next()

    def __next__(self) -> Any:
        if self._limit is not None and self._taken >= self._limit:
            raise StopIteration
        batch = next(self._source)
        self._taken += 1
        return batch

    next = __next__


class DataHandler:
    """Runs epochs `initial_epoch..epochs-1` over the data; `steps()` counts one epoch's steps. Batches are `x`,
    `(x, y)` or `(x, y, sample_weight)` in the structure the user gave, of torch tensors on `device` (the default
    device when None); with `shard`, each batch is passed through it (a worker's slice of the global batch).
    `distribute` is accepted and ignored."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: Optional[int] = None,
                 steps_per_epoch: Optional[int] = None, initial_epoch: int = 0, epochs: int = 1,
                 shuffle: Union[bool, str] = False, class_weight: Optional[dict] = None, max_queue_size: int = 10,
                 workers: int = 1, use_multiprocessing: bool = False, steps_per_execution: Optional[int] = 1,
                 device: Any = None, distribute: bool = False, shard: Optional[Callable[[Any], Any]] = None):
        if batch_size is not None:
            _check_positive("batch_size", batch_size)
        if steps_per_epoch not in (None, -1) and steps_per_epoch <= 0:
            raise ValueError(f"steps_per_epoch must be positive, None or -1. Received {steps_per_epoch}. "
                             "See `Model.fit`.")
        self._initial_epoch = _check_non_negative("initial_epoch", initial_epoch)
        _check_positive("max_queue_size", max_queue_size)
        _check_positive("workers", workers)
        self._steps_per_execution = _check_positive("steps_per_execution", steps_per_execution or 1)
        self._epochs = _check_positive("epochs", epochs)
        self._steps_per_epoch = steps_per_epoch
        self._shard = shard
        adapter_cls = select_data_adapter(x, y, sample_weight)
        self._adapter = adapter_cls(
            x, y, sample_weight=sample_weight, batch_size=batch_size, steps=steps_per_epoch,
            epochs=epochs - initial_epoch, shuffle=shuffle, class_weight=class_weight, workers=workers,
            use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size,
            device=_resolve_device(device))
        self._inferred_steps = self._infer_steps()
        self._step_increment = self._steps_per_execution - 1
        self._initial_step = 0
        self._insufficient_data = False
        self._iterator: Optional[EpochIterator] = None
        if self._steps_per_execution > 1 and self._inferred_steps is None:
            raise ValueError("Could not infer the size of the data. With `steps_per_execution > 1`, you must "
                             "specify the number of steps to run.")
        if self._inferred_steps == 0:
            raise ValueError("Expected input data to be non-empty.")

    def _infer_steps(self) -> Optional[int]:
        if self._steps_per_epoch == -1:
            return None
        if self._steps_per_epoch is not None:
            return int(self._steps_per_epoch)
        return self._adapter.get_size()

    @property
    def inferred_steps(self) -> Optional[int]:
        """Steps per epoch; None while unknown (a generator not yet exhausted, `steps_per_epoch=-1`)."""
        return self._inferred_steps

    @property
    def step_increment(self) -> int:
        """Steps beyond the first that the step just yielded by `steps()` covers (`steps_per_execution - 1`,
        less at the end of an epoch)."""
        return self._step_increment

    def resume(self, epoch: int, step: int) -> None:
        """Starts at `epoch` and its step `step` (ignored when before the initial epoch)."""
        if epoch >= self._initial_epoch:
            self._initial_epoch, self._initial_step = epoch, step

    def enumerate_epochs(self) -> Iterator[Tuple[int, EpochIterator]]:
        """Yields `(epoch, iterator)` for each epoch; stops early when the data ran out."""
        self._insufficient_data = False
        source: Optional[_Lookahead] = None
        try:
            for epoch in range(self._initial_epoch, self._epochs):
                if self._insufficient_data:
                    break
                if source is None or self._adapter.should_recreate_iterator():
                    stream = self._adapter.stream()
                    source = _Lookahead(stream if self._shard is None else map(self._shard, stream))
                    size = self._adapter.get_size()
                    if self._steps_per_epoch is None and size is not None:
                        self._inferred_steps = size
                self._iterator = EpochIterator(source, self._inferred_steps)
                yield epoch, self._iterator
                self._adapter.on_epoch_end()
        finally:
            self._adapter.close()

    def steps(self) -> Iterator[int]:
        """Yields the index of each step (of each `steps_per_execution` steps) of the current epoch."""
        iterator = self._iterator
        step, self._initial_step = self._initial_step, 0
        while self._inferred_steps is None or step < self._inferred_steps:
            if not iterator.has_next():
                self._data_ran_out(step)
                return
            size = self._steps_per_execution
            if self._inferred_steps is not None:
                size = min(size, self._inferred_steps - step)
            self._step_increment = size - 1
            yield step
            step += size

    def _data_ran_out(self, step: int) -> None:
        if self._inferred_steps is None:
            self._inferred_steps = step
            return
        self._insufficient_data = True
        total = (self._epochs - self._initial_epoch) * self._inferred_steps
        warnings.warn("Your input ran out of data; interrupting training. Make sure that your dataset or generator "
                      "can generate at least `steps_per_epoch * epochs` batches (in this case, "
                      f"{total} batches). You may need to use the repeat() function when building your dataset.",
                      stacklevel=2)
