"""Iterators over a dataset: of torch tensors (`iter(dataset)`) and of numpy values (`as_numpy_iterator`)."""
from typing import Any

from torchkeras_api.data import elements
from torchkeras_api.data.node import close
from torchkeras_api.data.spec import map_specs


class Iterator:
    """One pass over a dataset's elements; `next(iterator)` or `iterator.get_next()`. Background threads it
    started stop when it is closed or garbage collected."""

    def __init__(self, dataset: Any):
        self._dataset = dataset
        self._elements = dataset._node.elements()

    @property
    def element_spec(self) -> Any:
        return self._dataset.element_spec

    def __iter__(self) -> "Iterator":
        return self

    def __next__(self) -> Any:
        return next(self._elements)

    def get_next(self) -> Any:
        """The next element; StopIteration at the end."""
        return next(self._elements)

    def close(self) -> None:
        """Ends the pass now, stopping its background threads."""
        close(self._elements)


class NumpyIterator:
    """One pass over a dataset's elements as numpy arrays (numpy scalars for 0-d tensors, `bytes` for strings)."""

    def __init__(self, iterator: Iterator):
        self._iterator = iterator

    def __iter__(self) -> "NumpyIterator":
        return self

    def __next__(self) -> Any:
        return map_specs(elements.to_numpy, next(self._iterator))

    next = __next__

    def close(self) -> None:
        self._iterator.close()

