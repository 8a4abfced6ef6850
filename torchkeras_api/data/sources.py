"""The nodes that produce elements: slices of tensors, a single element, a range of numbers, a Python generator,
a list of elements."""
from typing import Any, Callable, Iterator, Sequence

import torch

from torchkeras_api.data import elements, spec
from torchkeras_api.data.errors import InvalidArgumentError
from torchkeras_api.data.node import Node

RANGE_BLOCK = 1 << 16


class TensorSlicesNode(Node):
    """The rows of an element whose leaves share their first dimension."""

    has_blocks = True

    def __init__(self, data: Any):
        flat = elements.flatten(data)
        if any(len(elements.shape_of(leaf)) == 0 for leaf in flat):
            raise ValueError("Unbatching a tensor is only supported for rank >= 1")
        sizes = [elements.num_rows(leaf) for leaf in flat]
        for size in sizes[1:]:
            if size != sizes[0]:
                raise ValueError(f"Dimensions {sizes[0]} and {size} are not compatible")
        self._data = data
        self._size = sizes[0]

    def blocks(self) -> Iterator[Any]:
        if self._size:
            yield self._data

    def cardinality(self) -> int:
        return self._size

    def spec(self) -> Any:
        return spec.unbatched(spec.spec_of(self._data))


class TensorsNode(Node):
    """One element."""

    def __init__(self, data: Any):
        self._data = data

    def elements(self) -> Iterator[Any]:
        yield self._data

    def cardinality(self) -> int:
        return 1

    def spec(self) -> Any:
        return spec.spec_of(self._data)


class RangeNode(Node):
    """The numbers `start, start + step, ...` before `stop`, as 0-d tensors of `dtype`."""

    has_blocks = True

    def __init__(self, start: int, stop: int, step: int, dtype: torch.dtype):
        if step == 0:
            raise InvalidArgumentError("step must be a non-zero integer.")
        self._range = range(start, stop, step)
        self._dtype = dtype

    def blocks(self) -> Iterator[Any]:
        values, step = self._range, self._range.step
        for first in range(0, len(values), RANGE_BLOCK):
            chunk = values[first:first + RANGE_BLOCK]
            yield torch.arange(chunk.start, chunk.stop, step, dtype=torch.int64).to(self._dtype)

    def cardinality(self) -> int:
        return len(self._range)

    def spec(self) -> Any:
        return spec.TensorSpec((), self._dtype)


class GeneratorNode(Node):
    """What `generator(*args)` yields, converted to the dtypes of `signature` and checked against its shapes."""

    def __init__(self, generator: Callable, args: Sequence[Any], signature: Any):
        self._generator = generator
        self._args = tuple(args)
        self._signature = signature
        self._specs = elements.flatten(signature)
        self._pack = elements.packer(signature)

    def elements(self) -> Iterator[Any]:
        for value in self._generator(*self._args):
            yield self._convert(value)

    def _convert(self, value: Any) -> Any:
        try:
            parts = elements.flatten_up_to(self._signature, value)
            leaves = [elements.to_leaf(part, s.dtype) for part, s in zip(parts, self._specs)]
        except (TypeError, ValueError):
            raise InvalidArgumentError(
                "`generator` yielded an element that did not match the expected structure. The expected structure "
                f"was {self._signature}, but the yielded element was {value!r}.") from None
        for leaf, s in zip(leaves, self._specs):
            if not s.is_compatible_with(spec.TensorSpec(elements.shape_of(leaf), s.dtype)):
                raise InvalidArgumentError(f"`generator` yielded an element of shape {elements.shape_of(leaf)} "
                                           f"where an element of shape {s.shape} was expected.")
        return self._pack(leaves)

    def spec(self) -> Any:
        return self._signature


class ListNode(Node):
    """Elements already computed (the windows of `window`)."""

    def __init__(self, items: Sequence[Any], element_spec: Any):
        self._items = items
        self._spec = element_spec

    def elements(self) -> Iterator[Any]:
        return iter(self._items)

    def cardinality(self) -> int:
        return len(self._items)

    def spec(self) -> Any:
        return self._spec
