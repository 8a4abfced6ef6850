"""Nodes that apply user functions to each element: map, filter, flat_map, interleave, enumerate."""
import itertools
import os
from typing import Any, Callable, Iterator, List, Optional

import numpy as np
import torch

from torchkeras_api.data import elements, spec
from torchkeras_api.data.node import Node, close

AUTOTUNE = -1
_END = object()


def check_callable(fn: Any, name: str) -> Callable:
    if not callable(fn):
        raise TypeError(f"Argument `{name}` must be a callable. Received {name}={fn!r} (of type {type(fn)})")
    return fn


def apply_map(fn: Callable, element: Any) -> Any:
    """`fn` on an element (unpacked as tf.data passes it), its result converted to an element."""
    return elements.to_element(elements.call_with_element(fn, element), lists_as_tensors=False)


def default_parallelism() -> int:
    """What `AUTOTUNE` means for a number of parallel calls or a cycle length: the CPU count."""
    return os.cpu_count() or 1


class MapNode(Node):
    """`map_func` applied to each element in turn."""

    def __init__(self, source: Node, map_func: Callable):
        self._source = source
        self._fn = map_func

    def elements(self) -> Iterator[Any]:
        fn = self._fn
        return (apply_map(fn, element) for element in self._source.elements())

    def cardinality(self) -> int:
        return self._source.cardinality()


def _as_bool(result: Any) -> bool:
    if isinstance(result, (bool, np.bool_)):
        return bool(result)
    if isinstance(result, (torch.Tensor, np.ndarray)) and result.dtype in (torch.bool, np.bool_) and result.ndim == 0:
        return bool(result)
    kind = spec.TensorSpec.from_tensor(elements.to_leaf(result)) if result is not None else None
    raise ValueError("Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but its return type "
                     f"is {kind}.")


class FilterNode(Node):
    """The elements for which `predicate` returns True."""

    def __init__(self, source: Node, predicate: Callable):
        self._source = source
        self._predicate = predicate

    def elements(self) -> Iterator[Any]:
        predicate = self._predicate
        return (element for element in self._source.elements()
                if _as_bool(elements.call_with_element(predicate, element)))

    def spec(self) -> Any:
        return self._source.spec()


class EnumerateNode(Node):
    """`(index, element)` pairs, the index an int64 tensor counting from `start`."""

    def __init__(self, source: Node, start: int):
        self._source = source
        self._start = int(start)

    def elements(self) -> Iterator[Any]:
        for index, element in enumerate(self._source.elements(), self._start):
            yield torch.tensor(index, dtype=torch.int64), element

    def cardinality(self) -> int:
        return self._source.cardinality()

    def spec(self) -> Any:
        return spec.TensorSpec((), torch.int64), self._source.spec()


def _dataset_of(map_func: Callable, element: Any) -> Iterator[Any]:
    """The elements of the dataset `map_func` returns for `element`."""
    result = elements.call_with_element(map_func, element)
    if not elements.is_dataset(result):
        raise TypeError(f"The `map_func` argument must return a `Dataset` object. Got {type(result)!r}.")
    return iter(result._node.elements())


class FlatMapNode(Node):
    """The elements of the dataset `map_func` returns for each element, one dataset after another."""

    def __init__(self, source: Node, map_func: Callable):
        self._source = source
        self._fn = map_func

    def elements(self) -> Iterator[Any]:
        for element in self._source.elements():
            yield from _dataset_of(self._fn, element)


class InterleaveNode(Node):
    """The datasets `map_func` returns, `cycle_length` open at a time, taking `block_length` elements from each in
    turn; an exhausted one gives its place to the next input element's dataset."""

    def __init__(self, source: Node, map_func: Callable, cycle_length: Optional[int], block_length: Optional[int]):
        self._source = source
        self._fn = map_func
        self._cycle = default_parallelism() if cycle_length in (None, AUTOTUNE) else int(cycle_length)
        self._block = 1 if block_length is None else int(block_length)
        for name, value in (("cycle_length", self._cycle), ("block_length", self._block)):
            if value <= 0:
                raise ValueError(f"`{name}` must be greater than zero. Received: {name}={value}.")

    def elements(self) -> Iterator[Any]:
        source = self._source.elements()
        slots: List[Optional[Iterator[Any]]] = [None] * self._cycle
        try:
            for index in range(self._cycle):
                element = next(source, _END)
                if element is _END:
                    break
                slots[index] = _dataset_of(self._fn, element)
            while any(slot is not None for slot in slots):
                for index, slot in enumerate(slots):
                    if slot is None:
                        continue
                    taken = 0
                    for item in itertools.islice(slot, self._block):
                        taken += 1
                        yield item
                    if taken < self._block:
                        element = next(source, _END)
                        slots[index] = None if element is _END else _dataset_of(self._fn, element)
        finally:
            close(source)

