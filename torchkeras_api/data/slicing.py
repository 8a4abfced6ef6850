"""Nodes that select, repeat or join whole elements: repeat, take, skip, shard, concatenate, zip."""
import itertools
from typing import Any, Iterator, Sequence

from torchkeras_api.data import cardinality, elements
from torchkeras_api.data.node import Node, close


class RepeatNode(Node):
    """The input `count` times (forever when negative); stops when a pass yields nothing."""

    def __init__(self, source: Node, count: int):
        self._source = source
        self._count = count
        self.has_blocks = source.has_blocks

    def elements(self) -> Iterator[Any]:
        return self._repeat(self._source.elements)

    def blocks(self) -> Iterator[Any]:
        return self._repeat(self._source.blocks)

    def _repeat(self, make: Any) -> Iterator[Any]:
        passes = itertools.count() if self._count < 0 else range(self._count)
        for _ in passes:
            produced = False
            for item in make():
                produced = True
                yield item
            if not produced:
                return

    def cardinality(self) -> int:
        return cardinality.repeated(self._source.cardinality(), self._count)

    def spec(self) -> Any:
        return self._source.spec()


class TakeNode(Node):
    """The first `count` elements (all when negative)."""

    def __init__(self, source: Node, count: int):
        self._source = source
        self._count = count
        self.has_blocks = source.has_blocks

    def elements(self) -> Iterator[Any]:
        source = self._source.elements()
        if self._count < 0:
            yield from source
            return
        try:
            yield from itertools.islice(source, self._count)
        finally:
            close(source)

    def blocks(self) -> Iterator[Any]:
        if self._count == 0:
            return
        left = self._count
        source = self._source.blocks()
        try:
            for block in source:
                size = elements.block_size(block)
                if 0 < left <= size:
                    yield elements.slice_block(block, 0, left) if left < size else block
                    return
                left -= size if left > 0 else 0
                yield block
        finally:
            close(source)

    def cardinality(self) -> int:
        return cardinality.taken(self._source.cardinality(), self._count)

    def spec(self) -> Any:
        return self._source.spec()


class SkipNode(Node):
    """All but the first `count` elements (none when negative)."""

    def __init__(self, source: Node, count: int):
        self._source = source
        self._count = count
        self.has_blocks = source.has_blocks

    def elements(self) -> Iterator[Any]:
        if self._count < 0:
            return iter(())
        return itertools.islice(self._source.elements(), self._count, None)

    def blocks(self) -> Iterator[Any]:
        if self._count < 0:
            return
        left = self._count
        for block in self._source.blocks():
            size = elements.block_size(block)
            if left >= size:
                left -= size
                continue
            yield elements.slice_block(block, left, size) if left else block
            left = 0

    def cardinality(self) -> int:
        return cardinality.skipped(self._source.cardinality(), self._count)

    def spec(self) -> Any:
        return self._source.spec()


class ShardNode(Node):
    """Every `num_shards`-th element, starting at `index`."""

    def __init__(self, source: Node, num_shards: int, index: int):
        self._source = source
        self._num_shards = num_shards
        self._index = index

    def elements(self) -> Iterator[Any]:
        return itertools.islice(self._source.elements(), self._index, None, self._num_shards)

    def cardinality(self) -> int:
        return cardinality.sharded(self._source.cardinality(), self._num_shards, self._index)

    def spec(self) -> Any:
        return self._source.spec()


class ConcatenateNode(Node):
    """The elements of the first input, then those of the second."""

    def __init__(self, first: Node, second: Node):
        self._inputs = (first, second)
        self.has_blocks = first.has_blocks and second.has_blocks

    def elements(self) -> Iterator[Any]:
        for source in self._inputs:
            yield from source.elements()

    def blocks(self) -> Iterator[Any]:
        for source in self._inputs:
            yield from source.blocks()

    def cardinality(self) -> int:
        return cardinality.summed([source.cardinality() for source in self._inputs])

    def spec(self) -> Any:
        return self._inputs[0].spec()


class ZipNode(Node):
    """Elements of several inputs side by side, in the structure the inputs were given in; ends with the shortest."""

    def __init__(self, structure: Any, sources: Sequence[Node]):
        self._structure = structure
        self._sources = list(sources)
        self._pack = elements.packer(structure)

    def elements(self) -> Iterator[Any]:
        iterators = [source.elements() for source in self._sources]
        try:
            for items in zip(*iterators):
                yield self._pack(items)
        finally:
            for iterator in iterators:
                close(iterator)

    def cardinality(self) -> int:
        return cardinality.zipped([source.cardinality() for source in self._sources])

    def spec(self) -> Any:
        return self._pack([source.spec() for source in self._sources])
