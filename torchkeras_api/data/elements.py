"""Dataset elements: nested tuples, namedtuples and dicts whose leaves are torch tensors (strings, which torch lacks,
are `bytes` scalars and numpy object arrays of `bytes`), converted from user values as tf.data converts them."""
from typing import Any, Callable, Iterator, List, Optional, Sequence

import numpy as np
import torch

from torchkeras_api.engine.base_layer import to_torch_dtype
from torchkeras_api.engine.keras_tensor import STRING, is_string_dtype

_INT32 = np.iinfo(np.int32)


def is_string(leaf: Any) -> bool:
    """Whether a leaf holds strings."""
    return isinstance(leaf, bytes) or (isinstance(leaf, np.ndarray) and leaf.dtype.kind in "USO")


def _strings(array: np.ndarray) -> Any:
    """`bytes` for a 0-d string array, else an object array of `bytes`, as tf.data's numpy outputs."""
    encoded = [s.encode() if isinstance(s, str) else bytes(s) for s in array.ravel().tolist()]
    if array.ndim == 0:
        return encoded[0]
    out = np.empty(len(encoded), dtype=object)
    out[:] = encoded
    return out.reshape(array.shape)


def _python_array(value: Any) -> np.ndarray:
    """A numpy array of Python numbers with tf's dtypes: float32, and int32 unless the values need int64."""
    array = np.asarray(value)
    if array.dtype == np.float64:
        return array.astype(np.float32)
    if array.dtype == np.int64 and (array.size == 0 or (array.min() >= _INT32.min and array.max() <= _INT32.max)):
        return array.astype(np.int32)
    if array.dtype == object:
        raise ValueError(f"Can't convert non-rectangular Python sequence to Tensor: {value!r}")
    return array


def to_leaf(value: Any, dtype: Any = None) -> Any:
    """A tensor leaf for a tensor, array, Python number, string or (nested) list; `dtype` casts it."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
    else:
        if isinstance(value, str):
            value = value.encode()
        if isinstance(value, bytes):
            array = np.array(value, dtype=object)
        elif isinstance(value, (np.ndarray, np.generic)):
            array = np.asarray(value)
        else:
            array = _python_array(value)
        if array.dtype.kind in "USO":
            if dtype is not None and not is_string_dtype(dtype):
                raise TypeError(f"Cannot convert {value!r} to a tensor of dtype {dtype}.")
            return _strings(array)
        if dtype is not None and is_string_dtype(dtype):
            raise TypeError(f"Cannot convert {value!r} to a tensor of dtype string.")
        tensor = torch.from_numpy(np.array(array, copy=True, order="C"))
    if dtype is None:
        return tensor
    target = to_torch_dtype(dtype)
    if tensor.is_floating_point() and not target.is_floating_point:
        if not torch.equal(tensor, tensor.trunc()):
            raise TypeError(f"Cannot convert {value!r} to a tensor of dtype {target}.")
    return tensor.to(target)


def is_dataset(value: Any) -> bool:
    """Whether `value` is a `Dataset` (a leaf of elements that hold datasets, such as windows)."""
    return getattr(type(value), "_is_dataset", False)


def to_element(value: Any, lists_as_tensors: bool) -> Any:
    """An element from a user value: dicts, tuples and namedtuples are structures; lists become one tensor when
    `lists_as_tensors` (as `from_tensor_slices` reads them), else tuples (as values returned by `map` functions)."""
    if isinstance(value, dict):
        return {k: to_element(v, lists_as_tensors) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(to_element(v, lists_as_tensors) for v in value))
    if isinstance(value, tuple) or (isinstance(value, list) and not lists_as_tensors):
        return tuple(to_element(v, lists_as_tensors) for v in value)
    if is_dataset(value):
        return value
    if value is None:
        raise TypeError("Dataset elements cannot be None.")
    return to_leaf(value)


def call_with_element(fn: Callable, element: Any) -> Any:
    """`fn(*element)` for a plain tuple, else `fn(element)`, as tf.data calls user functions."""
    if type(element) is tuple:
        return fn(*element)
    return fn(element)


def flatten(element: Any) -> List[Any]:
    """The leaves of an element: dict entries by sorted key, as tf.nest orders them."""
    if isinstance(element, dict):
        return [leaf for k in sorted(element) for leaf in flatten(element[k])]
    if isinstance(element, tuple):
        return [leaf for v in element for leaf in flatten(v)]
    return [element]


def packer(template: Any) -> Callable[[Sequence[Any]], Any]:
    """A function rebuilding `template`'s structure from its leaves in `flatten` order."""
    build = _builder(template)
    return lambda flat: build(iter(flat))


def _builder(template: Any) -> Callable[[Iterator[Any]], Any]:
    if not isinstance(template, (dict, tuple)):
        return next
    if isinstance(template, dict):
        keys = sorted(template)
        subs = [_builder(template[k]) for k in keys]
        return lambda it: {k: sub(it) for k, sub in zip(keys, subs)}
    subs = [_builder(v) for v in template]
    if hasattr(template, "_fields"):
        cls = type(template)
        return lambda it: cls(*(sub(it) for sub in subs))
    return lambda it: tuple(sub(it) for sub in subs)


def flatten_up_to(template: Any, value: Any) -> List[Any]:
    """`value`'s parts at the positions of `template`'s leaves (`value` mirrors `template` down to its leaves)."""
    if not isinstance(template, (dict, tuple)):
        return [value]
    if isinstance(template, dict):
        if not isinstance(value, dict) or set(value) != set(template):
            raise ValueError(f"The structure of {value!r} does not match the element structure {template!r}.")
        return [part for k in sorted(template) for part in flatten_up_to(template[k], value[k])]
    if not isinstance(value, (list, tuple)) or len(value) != len(template):
        raise ValueError(f"The structure of {value!r} does not match the element structure {template!r}.")
    return [part for t, v in zip(template, value) for part in flatten_up_to(t, v)]


# ---- leaves ------------------------------------------------------------------------------------------------------
def shape_of(leaf: Any) -> tuple:
    if isinstance(leaf, bytes):
        return ()
    return tuple(leaf.shape)


def dtype_of(leaf: Any) -> Any:
    return STRING if is_string(leaf) else leaf.dtype


def num_rows(leaf: Any) -> int:
    return int(leaf.shape[0])


def rows(leaf: Any) -> Sequence[Any]:
    """The leaf's slices along its first axis."""
    return leaf.unbind(0) if isinstance(leaf, torch.Tensor) else list(leaf)


def stack(leaves: Sequence[Any]) -> Any:
    """Leaves of one shape stacked along a new first axis."""
    if isinstance(leaves[0], torch.Tensor):
        return torch.stack(list(leaves))
    if isinstance(leaves[0], bytes):
        out = np.empty(len(leaves), dtype=object)
        out[:] = list(leaves)
        return out
    return np.stack(leaves)


def concat(leaves: Sequence[Any]) -> Any:
    """Leaves joined along their first axis."""
    if isinstance(leaves[0], torch.Tensor):
        return torch.cat(list(leaves))
    return np.concatenate(leaves)


def take_rows(leaf: Any, index: torch.Tensor) -> Any:
    """The rows at `index` (an int64 tensor)."""
    if isinstance(leaf, torch.Tensor):
        return leaf.index_select(0, index)
    return leaf[index.numpy()]


def to_numpy(leaf: Any) -> Any:
    """numpy for a tensor leaf (a numpy scalar when 0-d, as `as_numpy_iterator` gives); strings as they are."""
    if isinstance(leaf, torch.Tensor):
        array = leaf.detach().cpu().numpy()
        return array[()] if array.ndim == 0 else array
    return leaf


def unbatch_element(element: Any, pack: Optional[Callable] = None) -> Iterator[Any]:
    """The rows of an element whose leaves share a first axis, one element each."""
    flat = flatten(element)
    pack = pack or packer(element)
    return (pack(row) for row in zip(*(rows(leaf) for leaf in flat)))


def block_size(block: Any) -> int:
    """The number of elements stacked in a block."""
    return num_rows(flatten(block)[0])


def slice_block(block: Any, start: int, stop: int) -> Any:
    """Elements `start..stop-1` of a block."""
    return packer(block)([leaf[start:stop] for leaf in flatten(block)])
