"""`tf.data.Dataset` on torch: a lazy pipeline of elements (nested tuples, dicts and namedtuples of torch tensors),
computed only when iterated; each iteration starts afresh."""
import glob
import operator
import os
from typing import Any, Callable, Optional

import numpy as np
import torch

from torchkeras_api.data import batching, cardinality, elements, slicing, sources, threads, transforms
from torchkeras_api.data.cache import CacheNode
from torchkeras_api.data.errors import InvalidArgumentError
from torchkeras_api.data.iterator import Iterator, NumpyIterator
from torchkeras_api.data.node import Node
from torchkeras_api.data.options import Options
from torchkeras_api.data.shuffle import ShuffleNode
from torchkeras_api.data.spec import TensorSpec, as_dtype, map_specs

_NO_SPEC = object()


def _integer(value: Any, name: str) -> int:
    """`value` as a Python int; tf's errors for None and non-integers."""
    if value is None:
        raise ValueError(f"Attempt to convert a value (None) with an unsupported type (<class 'NoneType'>) to a "
                         f"Tensor (argument `{name}`).")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype int64 (argument `{name}`).") from None


def _as_tuples(structure: Any) -> Any:
    """`structure` with its lists as tuples."""
    if isinstance(structure, dict):
        return {k: _as_tuples(v) for k, v in structure.items()}
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*(_as_tuples(v) for v in structure))
    if isinstance(structure, (list, tuple)):
        return tuple(_as_tuples(v) for v in structure)
    return structure


def _signature(output_types: Any, output_shapes: Any, output_signature: Any) -> Any:
    """The element spec `from_generator` promises, from `output_signature` or `output_types`/`output_shapes`."""
    if output_signature is not None:
        for name, value in (("output_types", output_types), ("output_shapes", output_shapes)):
            if value is not None:
                raise TypeError(f"The `{name}` argument can not be used together with the `output_signature` "
                                "argument.")
        return map_specs(lambda s: TensorSpec(s.shape, s.dtype), _as_tuples(output_signature))
    if output_types is None:
        if output_shapes is not None:
            raise TypeError("The `output_shapes` argument must not be specified without the `output_types` "
                            "argument.")
        raise TypeError("To specify the output signature you need to provide either the `output_signature` argument "
                        "or the `output_types` argument.")
    types = _as_tuples(output_types)
    flat_types = elements.flatten(types)
    shapes = ([None] * len(flat_types) if output_shapes is None
              else elements.flatten_up_to(types, _as_tuples(output_shapes)))
    return elements.packer(types)([TensorSpec(shape, dtype) for dtype, shape in zip(flat_types, shapes)])


class Dataset:
    """A potentially large set of elements, read lazily through a pipeline of transformations."""

    _is_dataset = True

    def __init__(self, node: Node, options: Optional[Options] = None):
        self._node = node
        self._options = options
        self._spec: Any = _NO_SPEC

    def _then(self, node: Node) -> "Dataset":
        return Dataset(node, self._options)

    # ---- sources -------------------------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any, name: Optional[str] = None) -> "Dataset":
        """The slices of `tensors` along their first dimension: one element per row, in the structure given (lists
        are read as tensors)."""
        return Dataset(sources.TensorSlicesNode(elements.to_element(tensors, lists_as_tensors=True)))

    @staticmethod
    def from_tensors(tensors: Any, name: Optional[str] = None) -> "Dataset":
        """A dataset of one element, `tensors` (lists are read as tensors)."""
        return Dataset(sources.TensorsNode(elements.to_element(tensors, lists_as_tensors=True)))

    @staticmethod
    def from_generator(generator: Callable, output_types: Any = None, output_shapes: Any = None, args: Any = None,
                       output_signature: Any = None, name: Optional[str] = None) -> "Dataset":
        """The values `generator(*args)` yields (a new call each iteration), converted to the promised dtypes and
        checked against the promised shapes. `args` reach the generator as numpy values (strings as bytes)."""
        if not callable(generator):
            raise TypeError("`generator` must be a Python callable.")
        signature = _signature(output_types, output_shapes, output_signature)
        call_args = [elements.to_numpy(elements.to_leaf(arg)) for arg in (args or ())]
        return Dataset(sources.GeneratorNode(generator, call_args, signature))

    @staticmethod
    def range(*args: Any, output_type: Any = torch.int64, name: Optional[str] = None) -> "Dataset":
        """`range(stop)`, `range(start, stop)` or `range(start, stop, step)` as 0-d tensors of `output_type`."""
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Invalid `args`. The length of `args` should be between 1 and 3 but was {len(args)}.")
        bounds = [_integer(arg, "args") for arg in args]
        start, stop, step = (0, bounds[0], 1) if len(bounds) == 1 else (bounds + [1])[:3]
        return Dataset(sources.RangeNode(start, stop, step, as_dtype(output_type)))

    @staticmethod
    def zip(*args: Any, datasets: Any = None, name: Optional[str] = None) -> "Dataset":
        """Elements of several datasets side by side, in the structure they are given in (`zip(a, b)` or
        `zip((a, b))` gives tuples, `zip({'x': a})` dicts); as long as the shortest."""
        if datasets is not None and args:
            raise TypeError("Both `*args` and `datasets` cannot be set.")
        if datasets is None:
            if not args:
                raise TypeError("Must pass at least one dataset to `zip`.")
            datasets = args[0] if len(args) == 1 else args
        structure = _as_tuples(datasets)
        flat = elements.flatten(structure)
        for value in flat:
            if not isinstance(value, Dataset):
                raise TypeError("Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                                f"`tf.data.Dataset` objects but encountered object of type {type(value)}.")
        return Dataset(slicing.ZipNode(structure, [d._node for d in flat]))

    @staticmethod
    def list_files(file_pattern: Any, shuffle: Optional[bool] = None, seed: Optional[int] = None,
                   name: Optional[str] = None) -> "Dataset":
        """The paths (bytes) matching the glob pattern(s), sorted, then shuffled unless `shuffle=False`."""
        patterns = [file_pattern] if isinstance(file_pattern, (str, bytes, os.PathLike)) else list(file_pattern)
        patterns = [os.fsdecode(p) for p in patterns]
        paths = sorted({path for pattern in patterns for path in glob.glob(pattern)})
        if not paths:
            raise InvalidArgumentError(f"No files matched pattern: {', '.join(patterns)}")
        dataset = Dataset.from_tensor_slices(np.array([os.fsencode(p) for p in paths], dtype=object))
        return dataset.shuffle(len(paths), seed=seed) if shuffle is not False else dataset

    # ---- iteration and properties ---------------------------------------------------------------------------------
    def __iter__(self) -> Iterator:
        return Iterator(self)

    def as_numpy_iterator(self) -> NumpyIterator:
        """An iterator over the elements as numpy arrays (numpy scalars for 0-d tensors, bytes for strings)."""
        return NumpyIterator(iter(self))

    def __bool__(self) -> bool:
        return True

    def __len__(self) -> int:
        size = self._node.cardinality()
        if size == cardinality.INFINITE:
            raise TypeError("The dataset is infinite.")
        if size == cardinality.UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return size

    def cardinality(self) -> torch.Tensor:
        """The number of elements as an int64 tensor: `INFINITE_CARDINALITY` (-1) or `UNKNOWN_CARDINALITY` (-2)
        when not known without iterating."""
        return torch.tensor(self._node.cardinality(), dtype=torch.int64)

    @property
    def element_spec(self) -> Any:
        """The structure of `TensorSpec`s of the elements (for elements made by user functions, read from the first
        element)."""
        if self._spec is _NO_SPEC:
            self._spec = self._node.spec()
        return self._spec

    def __repr__(self) -> str:
        return f"<{type(self._node).__name__[:-4]}Dataset element_spec={self.element_spec}>"

    def options(self) -> Options:
        """The options set with `with_options`."""
        return self._options if self._options is not None else Options()

    def with_options(self, options: Options, name: Optional[str] = None) -> "Dataset":
        """This dataset with `options` merged into its options."""
        if not isinstance(options, Options):
            raise TypeError(f"`options` must be a `tf.data.Options`, got {type(options)}.")
        return Dataset(self._node, self.options().merge(options))

    def reduce(self, initial_state: Any, reduce_func: Callable) -> Any:
        """`reduce_func(state, element)` folded over the elements, starting from `initial_state`."""
        transforms.check_callable(reduce_func, "reduce_func")
        state = elements.to_element(initial_state, lists_as_tensors=True)
        for element in self._node.elements():
            state = elements.to_element(reduce_func(state, element), lists_as_tensors=False)
        return state

    def get_single_element(self, name: Optional[str] = None) -> Any:
        """The only element; InvalidArgumentError when there are none or several."""
        iterator = iter(self)
        end = object()
        first = next(iterator, end)
        if first is end:
            raise InvalidArgumentError("Dataset was empty.")
        if next(iterator, end) is not end:
            raise InvalidArgumentError("Dataset had more than one element.")
        return first

    # ---- transformations ------------------------------------------------------------------------------------------
    def map(self, map_func: Callable, num_parallel_calls: Optional[int] = None, deterministic: Optional[bool] = None,
            synchronous: Optional[bool] = None, use_unbounded_threadpool: bool = False,
            name: Optional[str] = None) -> "Dataset":
        """`map_func` applied to each element (a tuple element is passed as positional arguments); with
        `num_parallel_calls`, in a pool of that many threads (`AUTOTUNE`: one per CPU), keeping the input order
        unless `deterministic=False`."""
        map_func = transforms.check_callable(map_func, "map_func")
        if num_parallel_calls is None or synchronous:
            return self._then(transforms.MapNode(self._node, map_func))
        return self._then(threads.ParallelMapNode(self._node, map_func, _integer(num_parallel_calls,
                                                                                   "num_parallel_calls"),
                                                  deterministic))

    def filter(self, predicate: Callable, name: Optional[str] = None) -> "Dataset":
        """The elements for which `predicate` returns True (a bool scalar)."""
        return self._then(transforms.FilterNode(self._node, transforms.check_callable(predicate, "predicate")))

    def flat_map(self, map_func: Callable, name: Optional[str] = None) -> "Dataset":
        """The elements of the datasets `map_func` returns, one after another."""
        return self._then(transforms.FlatMapNode(self._node, transforms.check_callable(map_func, "map_func")))

    def interleave(self, map_func: Callable, cycle_length: Optional[int] = None, block_length: Optional[int] = None,
                   num_parallel_calls: Optional[int] = None, deterministic: Optional[bool] = None,
                   name: Optional[str] = None) -> "Dataset":
        """The datasets `map_func` returns, `cycle_length` at a time (default: one per CPU), `block_length`
        elements from each in turn. Runs sequentially whatever `num_parallel_calls` says."""
        return self._then(transforms.InterleaveNode(self._node, transforms.check_callable(map_func, "map_func"),
                                                    cycle_length, block_length))

    def enumerate(self, start: int = 0, name: Optional[str] = None) -> "Dataset":
        """`(index, element)` pairs, the index an int64 scalar counting from `start`."""
        return self._then(transforms.EnumerateNode(self._node, _integer(start, "start")))

    def apply(self, transformation_func: Callable[["Dataset"], "Dataset"]) -> "Dataset":
        """`transformation_func(self)`, which must return a dataset."""
        dataset = transformation_func(self)
        if not isinstance(dataset, Dataset):
            raise TypeError(f"`transformation_func` must return a `tf.data.Dataset` object. Got {type(dataset)}.")
        return dataset

    def batch(self, batch_size: int, drop_remainder: bool = False, num_parallel_calls: Optional[int] = None,
              deterministic: Optional[bool] = None, name: Optional[str] = None) -> "Dataset":
        """Consecutive elements stacked into batches of `batch_size` (the last one smaller unless
        `drop_remainder`)."""
        return self._then(batching.BatchNode(self._node, _integer(batch_size, "batch_size"), drop_remainder))

    def padded_batch(self, batch_size: int, padded_shapes: Any = None, padding_values: Any = None,
                     drop_remainder: bool = False, name: Optional[str] = None) -> "Dataset":
        """Batches whose components are padded to `padded_shapes` (None or -1 dimensions: to the largest in the
        batch; default all) with `padding_values` (default 0, or b'' for strings)."""
        return self._then(batching.PaddedBatchNode(self._node, _integer(batch_size, "batch_size"), padded_shapes,
                                                   padding_values, drop_remainder))

    def unbatch(self, name: Optional[str] = None) -> "Dataset":
        """The rows of each element, one element each."""
        return self._then(batching.UnbatchNode(self._node))

    def window(self, size: int, shift: Optional[int] = None, stride: int = 1, drop_remainder: bool = False,
               name: Optional[str] = None) -> "Dataset":
        """Windows of `size` elements (every `stride`-th), a new one every `shift` (default `size`) elements; each
        window is a structure of datasets mirroring the element structure."""
        return self._then(batching.WindowNode(
            self._node, _integer(size, "size"), None if shift is None else _integer(shift, "shift"),
            _integer(stride, "stride"), drop_remainder, Dataset))

    def shuffle(self, buffer_size: int, seed: Optional[int] = None, reshuffle_each_iteration: bool = True,
                name: Optional[str] = None) -> "Dataset":
        """Elements in random order, each drawn from a buffer of the next `buffer_size` elements."""
        return self._then(ShuffleNode(self._node, _integer(buffer_size, "buffer_size"), seed,
                                      reshuffle_each_iteration))

    def repeat(self, count: Optional[int] = None, name: Optional[str] = None) -> "Dataset":
        """The elements `count` times (forever when None or -1)."""
        return self._then(slicing.RepeatNode(self._node, -1 if count is None else _integer(count, "count")))

    def take(self, count: int, name: Optional[str] = None) -> "Dataset":
        """The first `count` elements (all when -1)."""
        return self._then(slicing.TakeNode(self._node, _integer(count, "count")))

    def skip(self, count: int, name: Optional[str] = None) -> "Dataset":
        """All but the first `count` elements (none when -1)."""
        return self._then(slicing.SkipNode(self._node, _integer(count, "count")))

    def shard(self, num_shards: int, index: int, name: Optional[str] = None) -> "Dataset":
        """Every `num_shards`-th element, starting at `index`."""
        num_shards, index = _integer(num_shards, "num_shards"), _integer(index, "index")
        if num_shards <= 0:
            raise InvalidArgumentError(f"Number of shards must be greater than zero (currently num_shards = "
                                       f"{num_shards}).")
        if not 0 <= index < num_shards:
            raise InvalidArgumentError(f"Index must be between 0 and {num_shards - 1} (currently index = {index}).")
        return self._then(slicing.ShardNode(self._node, num_shards, index))

    def concatenate(self, dataset: "Dataset", name: Optional[str] = None) -> "Dataset":
        """The elements of this dataset, then those of `dataset`."""
        if not isinstance(dataset, Dataset):
            raise TypeError(f"`dataset` must be a `tf.data.Dataset`, got {type(dataset)}.")
        return self._then(slicing.ConcatenateNode(self._node, dataset._node))

    def prefetch(self, buffer_size: int, name: Optional[str] = None) -> "Dataset":
        """The elements, produced up to `buffer_size` ahead by a background thread (`AUTOTUNE`: a few)."""
        return self._then(threads.PrefetchNode(self._node, _integer(buffer_size, "buffer_size")))

    def cache(self, filename: Any = "", name: Optional[str] = None) -> "Dataset":
        """The elements of the first complete iteration, replayed afterwards; kept in memory, or with `filename`
        in the file `filename + '.cache'`, which later datasets with that filename read instead of their input."""
        return self._then(CacheNode(self._node, filename))

