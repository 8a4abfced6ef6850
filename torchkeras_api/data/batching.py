"""Nodes that group elements or split them: batch, padded_batch, unbatch, window."""
import collections
from typing import Any, Callable, Iterator, List, Optional, Sequence

import numpy as np
import torch

from torchkeras_api.data import cardinality, elements, spec
from torchkeras_api.data.errors import InvalidArgumentError
from torchkeras_api.data.node import Node, close
from torchkeras_api.data.sources import ListNode

_END = object()


def _groups(source: Iterator[Any], size: int, drop_remainder: bool) -> Iterator[List[Any]]:
    """Consecutive lists of `size` elements (and a shorter last one unless `drop_remainder`)."""
    group: List[Any] = []
    for element in source:
        group.append(element)
        if len(group) == size:
            yield group
            group = []
    if group and not drop_remainder:
        yield group


def _stack(group: List[Any]) -> Any:
    flats = [elements.flatten(element) for element in group]
    out = []
    for component, column in enumerate(zip(*flats)):
        try:
            out.append(elements.stack(column))
        except (RuntimeError, ValueError):
            first = elements.shape_of(column[0])
            other = next(j for j, leaf in enumerate(column) if elements.shape_of(leaf) != first)
            raise InvalidArgumentError(
                f"Cannot batch tensors with different shapes in component {component}. First element had shape "
                f"{list(first)} and element {other} had shape {list(elements.shape_of(column[other]))}.") from None
    return elements.packer(group[0])(out)


def _batches_from_blocks(blocks: Iterator[Any], size: int, drop_remainder: bool) -> Iterator[Any]:
    """Batches cut from blocks: views of a block where a batch lies inside one, else joined pieces."""
    pending: List[List[Any]] = []
    have = 0
    pack: Optional[Callable] = None
    for block in blocks:
        flat = elements.flatten(block)
        pack = pack or elements.packer(block)
        rows, start = elements.num_rows(flat[0]), 0
        while start < rows:
            count = min(size - have, rows - start)
            piece = [leaf[start:start + count] for leaf in flat]
            start += count
            if not pending and count == size:
                yield pack(piece)
                continue
            pending.append(piece)
            have += count
            if have == size:
                yield pack([elements.concat(column) for column in zip(*pending)])
                pending, have = [], 0
    if pending and not drop_remainder:
        yield pack([elements.concat(column) for column in zip(*pending)])


def check_batch_size(batch_size: Any) -> int:
    if int(batch_size) <= 0:
        raise InvalidArgumentError("Batch size must be greater than zero.")
    return int(batch_size)


class BatchNode(Node):
    """Consecutive elements stacked along a new first axis."""

    def __init__(self, source: Node, batch_size: int, drop_remainder: bool):
        self._source = source
        self._size = check_batch_size(batch_size)
        self._drop = bool(drop_remainder)

    def elements(self) -> Iterator[Any]:
        if self._source.has_blocks:
            return _batches_from_blocks(self._source.blocks(), self._size, self._drop)
        return (_stack(group) for group in _groups(self._source.elements(), self._size, self._drop))

    def cardinality(self) -> int:
        return cardinality.batched(self._source.cardinality(), self._size, self._drop)

    def spec(self) -> Any:
        return spec.batched(self._source.spec(), self._size if self._drop else None)


class UnbatchNode(Node):
    """The rows of each element: its leaves, which share a first dimension, split along it."""

    has_blocks = True

    def __init__(self, source: Node):
        self._source = source

    def blocks(self) -> Iterator[Any]:
        for element in self._source.elements():
            shapes = [elements.shape_of(leaf) for leaf in elements.flatten(element)]
            if any(len(shape) == 0 for shape in shapes):
                raise ValueError("Cannot unbatch an input with scalar components.")
            if len({shape[0] for shape in shapes}) > 1:
                raise InvalidArgumentError(f"Input element must have the same batch size in each component. "
                                           f"Component shapes: {[list(s) for s in shapes]}.")
            yield element

    def spec(self) -> Any:
        return spec.unbatched(self._source.spec())


def _padded(column: Sequence[Any], target: Optional[Sequence[Optional[int]]], value: Any, component: int) -> Any:
    shapes = [elements.shape_of(leaf) for leaf in column]
    rank = len(shapes[0])
    if target is not None and len(target) != rank:
        raise ValueError(f"The padded shape {list(target)} is not compatible with the shape {list(shapes[0])} of "
                         f"component {component} of the input elements.")
    target = target if target is not None else [None] * rank
    full = tuple(max(s[d] for s in shapes) if target[d] is None or target[d] < 0 else int(target[d])
                 for d in range(rank))
    if any(s[d] > full[d] for s in shapes for d in range(rank)):
        raise InvalidArgumentError("Attempted to pad to a smaller size than the input element.")
    if elements.is_string(column[0]):
        out: Any = np.full((len(column),) + full, b"" if value is None else value, dtype=object)
    else:
        fill = 0 if value is None else (value.item() if hasattr(value, "item") else value)
        out = torch.full((len(column),) + full, fill, dtype=column[0].dtype)
    for j, leaf in enumerate(column):
        out[(j,) + tuple(slice(0, n) for n in elements.shape_of(leaf))] = leaf
    return out


class PaddedBatchNode(Node):
    """Consecutive elements padded to common shapes (`padded_shapes`; None dimensions to the largest in the batch)
    with `padding_values`, then stacked."""

    def __init__(self, source: Node, batch_size: int, padded_shapes: Any, padding_values: Any,
                 drop_remainder: bool):
        self._source = source
        self._size = check_batch_size(batch_size)
        self._shapes = padded_shapes
        self._values = padding_values
        self._drop = bool(drop_remainder)

    def elements(self) -> Iterator[Any]:
        for group in _groups(self._source.elements(), self._size, self._drop):
            template = group[0]
            count = len(elements.flatten(template))
            shapes = ([None] * count if self._shapes is None
                      else [spec.as_shape(s) for s in elements.flatten_up_to(template, self._shapes)])
            values = (elements.flatten_up_to(template, self._values) if isinstance(self._values, (tuple, dict))
                      else [self._values] * count)
            columns = zip(*(elements.flatten(element) for element in group))
            yield elements.packer(template)([_padded(column, shape, value, i) for i, (column, shape, value)
                                             in enumerate(zip(columns, shapes, values))])

    def cardinality(self) -> int:
        return cardinality.batched(self._source.cardinality(), self._size, self._drop)

    def spec(self) -> Any:
        source_spec = self._source.spec()
        batch_dim = self._size if self._drop else None
        shapes = ([spec.as_shape(s) for s in elements.flatten_up_to(source_spec, self._shapes)]
                  if self._shapes is not None
                  else [s.shape for s in elements.flatten(source_spec)])
        flat = [spec.TensorSpec(None if shape is None else (batch_dim,) + tuple(
            shape), s.dtype)
            for s, shape in zip(elements.flatten(source_spec), shapes)]
        return elements.packer(source_spec)(flat)


class WindowNode(Node):
    """Windows of `size` elements (every `stride`-th, starting every `shift` elements), each a structure of
    datasets (made by `wrap`) mirroring the element structure."""

    def __init__(self, source: Node, size: int, shift: Optional[int], stride: int, drop_remainder: bool,
                 wrap: Callable[[Node], Any]):
        for name, value in (("size", size), ("shift", shift if shift is not None else size), ("stride", stride)):
            if int(value) <= 0:
                raise InvalidArgumentError(f"Window {name} must be greater than zero, but got {value}.")
        self._source = source
        self._size, self._shift, self._stride = int(size), int(shift if shift is not None else size), int(stride)
        self._drop = bool(drop_remainder)
        self._wrap = wrap

    def elements(self) -> Iterator[Any]:
        span = (self._size - 1) * self._stride + 1
        source = self._source.elements()
        buffer: collections.deque = collections.deque()
        exhausted = False
        try:
            while True:
                while not exhausted and len(buffer) < span:
                    item = next(source, _END)
                    exhausted = item is _END
                    if not exhausted:
                        buffer.append(item)
                if not buffer or (self._drop and len(buffer) < span):
                    return
                yield self._window(list(buffer)[:span:self._stride])
                for _ in range(self._shift):
                    if buffer:
                        buffer.popleft()
                    elif exhausted or next(source, _END) is _END:
                        exhausted = True
                        break
        finally:
            close(source)

    def _window(self, items: List[Any]) -> Any:
        template = items[0]
        columns = zip(*(elements.flatten(item) for item in items))
        return elements.packer(template)([self._wrap(ListNode(list(column), spec.TensorSpec.from_tensor(column[0])))
                                          for column in columns])

    def cardinality(self) -> int:
        return cardinality.windowed(self._source.cardinality(), self._size, self._shift, self._stride, self._drop)

    def spec(self) -> Any:
        return spec.map_specs(spec.DatasetSpec, self._source.spec())

