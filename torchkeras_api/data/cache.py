"""The cache node: the first complete pass over the input is kept (in memory, or in a file that later runs load) and
replayed by every later pass."""
import os
import pickle
from typing import Any, Callable, Iterator, List, Optional

from torchkeras_api.data.node import Node

CACHE_SUFFIX = ".cache"


class CacheNode(Node):
    """The input's elements (its blocks, when it has them), computed once."""

    def __init__(self, source: Node, filename: str):
        self._source = source
        self._path = os.fspath(filename) + CACHE_SUFFIX if filename else None
        self._items: Optional[List[Any]] = None
        self.has_blocks = source.has_blocks

    def elements(self) -> Iterator[Any]:
        if self.has_blocks:
            return super().elements()
        return self._cached(self._source.elements)

    def blocks(self) -> Iterator[Any]:
        return self._cached(self._source.blocks)

    def _cached(self, make: Callable[[], Iterator[Any]]) -> Iterator[Any]:
        if self._items is None and self._path and os.path.exists(self._path):
            with open(self._path, "rb") as file:
                self._items = pickle.load(file)
        if self._items is not None:
            yield from self._items
            return
        items = []
        for item in make():
            items.append(item)
            yield item
        self._items = items
        if self._path:
            with open(self._path, "wb") as file:
                pickle.dump(items, file)

    def cardinality(self) -> int:
        return self._source.cardinality()

    def spec(self) -> Any:
        return self._source.spec()
