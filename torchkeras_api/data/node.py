"""The stages a dataset is built from: each knows how to iterate its elements, its cardinality and element spec."""
import itertools
from typing import Any, Iterator

from torchkeras_api.data import cardinality, elements, spec


class Node:
    """One stage of a pipeline. Nodes with `has_blocks` can also yield blocks: elements stacked along a first axis
    (views of the source where possible) from which batches are cut without touching each element."""

    has_blocks = False

    def elements(self) -> Iterator[Any]:
        """A fresh iterator over the elements."""
        return (row for block in self.blocks() for row in elements.unbatch_element(block))

    def blocks(self) -> Iterator[Any]:
        """A fresh iterator over blocks of consecutive elements (only when `has_blocks`)."""
        raise NotImplementedError

    def cardinality(self) -> int:
        """The number of elements, `cardinality.INFINITE` or `cardinality.UNKNOWN`."""
        return cardinality.UNKNOWN

    def spec(self) -> Any:
        """The element spec; by default that of the first element (None for an empty dataset)."""
        iterator = self.elements()
        try:
            first = next(iterator, None)
        finally:
            close(iterator)
        return None if first is None else spec.spec_of(first)


def close(iterator: Any) -> None:
    """Stops a generator (running its `finally` blocks, which end background threads)."""
    closer = getattr(iterator, "close", None)
    if closer is not None:
        closer()


def head(iterator: Iterator[Any], count: int) -> list:
    """Up to `count` items from `iterator`."""
    return list(itertools.islice(iterator, count))
