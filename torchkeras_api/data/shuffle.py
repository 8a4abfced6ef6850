"""The shuffle node: a buffer of `buffer_size` elements, each output drawn uniformly from it and replaced by the next
input element."""
import random
from typing import Any, Iterator, Optional

import torch

from torchkeras_api.data import cardinality, elements
from torchkeras_api.data.errors import InvalidArgumentError
from torchkeras_api.data.node import Node, close, head

GATHER_ROWS = 8192


class ShuffleNode(Node):
    """Elements in random order within a sliding buffer. Each iteration gets a new order when
    `reshuffle_each_iteration`, else the same; a seed makes the orders reproducible (without one, it is drawn from
    torch's global generator when the dataset is made). A buffer holding a whole finite dataset that has blocks is
    one uniform permutation, gathered block-wise."""

    def __init__(self, source: Node, buffer_size: int, seed: Optional[int], reshuffle_each_iteration: bool):
        size = int(buffer_size)
        if size <= 0 and size != cardinality.UNKNOWN:
            raise InvalidArgumentError("buffer_size must be greater than zero or UNKNOWN_CARDINALITY")
        self._source = source
        self._size = size
        self._seed = int(seed) if seed is not None else int(torch.randint(2 ** 62, ()))
        self._reshuffle = bool(reshuffle_each_iteration)
        self._iteration = 0
        count = source.cardinality()
        self.has_blocks = source.has_blocks and count >= 0 and (size == cardinality.UNKNOWN or size >= count)

    def _random(self) -> random.Random:
        """The generator of the next iteration."""
        rng = random.Random(f"{self._seed}:{self._iteration}")
        if self._reshuffle:
            self._iteration += 1
        return rng

    def elements(self) -> Iterator[Any]:
        if self.has_blocks:
            return super().elements()
        return self._buffered(self._random())

    def _buffered(self, rng: random.Random) -> Iterator[Any]:
        source = self._source.elements()
        try:
            buffer = head(source, self._size) if self._size > 0 else list(source)
            end = object()
            while buffer:
                index = rng.randrange(len(buffer))
                item = buffer[index]
                following = next(source, end)
                if following is end:
                    buffer[index] = buffer[-1]
                    buffer.pop()
                else:
                    buffer[index] = following
                yield item
        finally:
            close(source)

    def blocks(self) -> Iterator[Any]:
        generator = torch.Generator().manual_seed(self._random().getrandbits(63))
        parts = list(self._source.blocks())
        if not parts:
            return
        flats = [elements.flatten(block) for block in parts]
        data = flats[0] if len(flats) == 1 else [elements.concat(column) for column in zip(*flats)]
        pack = elements.packer(parts[0])
        order = torch.randperm(elements.num_rows(data[0]), generator=generator)
        for start in range(0, len(order), GATHER_ROWS):
            index = order[start:start + GATHER_ROWS]
            yield pack([elements.take_rows(leaf, index) for leaf in data])

    def cardinality(self) -> int:
        return self._source.cardinality()

    def spec(self) -> Any:
        return self._source.spec()
