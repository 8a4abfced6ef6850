"""Shape and indexing ops: reshape, transpose, concat, stack, split, gather, pad, where, one_hot, ..."""
import builtins
import collections
from typing import Any, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras_api import backend as K
from torchkeras_api.tf._support import HINT, axis_arg, tf_op, torch_dtype
from torchkeras_api.tf._support import tensor as as_tensor

UniqueOutput = collections.namedtuple("UniqueOutput", ["y", "idx"])

__all__ = ["boolean_mask", "broadcast_to", "concat", "expand_dims", "gather", "gather_nd", "meshgrid", "one_hot",
           "pad", "repeat", "reshape", "reverse", "sequence_mask", "slice", "sort", "argsort", "split", "squeeze",
           "stack", "tile", "transpose", "unique", "unstack", "where", "UniqueOutput"]


@tf_op("tf.reshape")
def reshape(tensor: Any, shape: Any, name: Optional[str] = None) -> torch.Tensor:
    """The tensor with a new shape (one entry may be -1)."""
    value = as_tensor(tensor)
    return torch.reshape(value, K._shape_tuple(shape))


@tf_op("tf.compat.v1.transpose")
def transpose(a: Any, perm: Optional[Sequence[int]] = None, conjugate: bool = False,
              name: Optional[str] = None) -> torch.Tensor:
    """a with its axes permuted by `perm` (reversed when None)."""
    a = as_tensor(a)
    perm = tuple(reversed(range(a.ndim))) if perm is None else tuple(axis_arg(perm))
    out = a.permute(perm)
    return out.conj() if conjugate else out


@tf_op("tf.concat")
def concat(values: Sequence[Any], axis: int, name: Optional[str] = None) -> torch.Tensor:
    """The tensors joined along `axis`."""
    return torch.cat([as_tensor(v) for v in values], dim=axis_arg(axis))


@tf_op("tf.stack")
def stack(values: Sequence[Any], axis: int = 0, name: Optional[str] = None) -> torch.Tensor:
    """The tensors stacked along a new axis."""
    return torch.stack([as_tensor(v) for v in values], dim=axis)


def unstack(value: Any, num: Optional[int] = None, axis: int = 0, name: Optional[str] = None) -> List[torch.Tensor]:
    """The slices of `value` along `axis`, as a list."""
    return list(torch.unbind(as_tensor(value), dim=axis))


def split(value: Any, num_or_size_splits: Any, axis: int = 0, num: Optional[int] = None,
          name: Optional[str] = None) -> List[torch.Tensor]:
    """`value` cut along `axis` into equal parts (an int) or parts of the given sizes (one may be -1)."""
    value = as_tensor(value)
    axis = axis_arg(axis)
    length = value.shape[axis]
    sizes = axis_arg(num_or_size_splits)
    if isinstance(sizes, (int, np.integer)):
        if length % int(sizes):
            raise ValueError(f"Dimension {axis} has size {length}, which is not evenly divisible by "
                             f"num_or_size_splits={int(sizes)}.")
        return list(torch.split(value, length // int(sizes), dim=axis))
    sizes = [int(s) for s in sizes]
    if -1 in sizes:
        sizes[sizes.index(-1)] = length - (sum(sizes) + 1)
    if sum(sizes) != length:
        raise ValueError(f"Sizes {sizes} of num_or_size_splits do not add up to dimension {axis} of size {length}.")
    return list(torch.split(value, sizes, dim=axis))


@tf_op("tf.expand_dims")
def expand_dims(input: Any, axis: int, name: Optional[str] = None) -> torch.Tensor:
    """input with a new size-1 axis at `axis`."""
    return torch.unsqueeze(as_tensor(input), axis_arg(axis))


@tf_op("tf.compat.v1.squeeze")
def squeeze(input: Any, axis: Any = None, name: Optional[str] = None) -> torch.Tensor:
    """input without size-1 axes (all of them, or those in `axis`)."""
    x = as_tensor(input)
    if axis is None:
        return torch.squeeze(x)
    axes = axis_arg(axis)
    axes = [axes] if isinstance(axes, int) else list(axes)
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"Can not squeeze dim[{a % x.ndim}], expected a dimension of 1, got {x.shape[a]} "
                             f"for input with shape {tuple(x.shape)}")
    return torch.squeeze(x, tuple(axes))


@tf_op("tf.compat.v1.gather")
def gather(params: Any, indices: Any, validate_indices: Any = None, axis: Any = None, batch_dims: int = 0,
           name: Optional[str] = None) -> torch.Tensor:
    """Slices of `params` along `axis` (0 by default) at `indices`: shape params[:axis] + indices + params[axis+1:]."""
    params = as_tensor(params)
    indices = as_tensor(indices).to(device=params.device, dtype=torch.long)
    axis = 0 if axis is None else axis_arg(axis) % params.ndim
    if batch_dims:
        raise NotImplementedError(f"tf.gather with batch_dims={batch_dims} is {HINT}")
    picked = params.index_select(axis, indices.reshape(-1))
    return picked.reshape(tuple(params.shape[:axis]) + tuple(indices.shape) + tuple(params.shape[axis + 1:]))


@tf_op("tf.compat.v1.gather_nd")
def gather_nd(params: Any, indices: Any, batch_dims: int = 0, name: Optional[str] = None) -> torch.Tensor:
    """params at the index vectors on the last axis of `indices`."""
    if batch_dims:
        raise NotImplementedError(f"tf.gather_nd with batch_dims={batch_dims} is {HINT}")
    params = as_tensor(params)
    indices = as_tensor(indices).to(device=params.device, dtype=torch.long)
    return params[tuple(indices[..., i] for i in range(indices.shape[-1]))]


@tf_op("tf.tile")
def tile(input: Any, multiples: Any, name: Optional[str] = None) -> torch.Tensor:
    """input repeated multiples[i] times along axis i."""
    return torch.tile(as_tensor(input), K._shape_tuple(multiples))


def _mirror_indices(length: int, before: int, after: int, symmetric: bool) -> torch.Tensor:
    """Source positions for REFLECT (edge not repeated) or SYMMETRIC (edge repeated) padding."""
    positions = np.arange(-before, length + after)
    shift = 1 if symmetric else 0
    positions = np.where(positions < 0, -positions - shift, positions)
    positions = np.where(positions >= length, 2 * length - 2 + shift - positions, positions)
    return torch.as_tensor(positions)


@tf_op("tf.compat.v1.pad")
def pad(tensor: Any, paddings: Any, mode: str = "CONSTANT", constant_values: Any = 0,
        name: Optional[str] = None) -> torch.Tensor:
    """`tensor` padded by paddings[i] = (before, after) on axis i: CONSTANT, REFLECT or SYMMETRIC."""
    x = as_tensor(tensor)
    pairs = [(int(b), int(a)) for b, a in (paddings.tolist() if isinstance(paddings, torch.Tensor) else paddings)]
    mode = mode.upper()
    if mode == "CONSTANT":
        flat = [p for pair in reversed(pairs) for p in pair]
        value = constant_values.item() if isinstance(constant_values, torch.Tensor) else constant_values
        return F.pad(x, flat, value=value)
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"Unknown padding mode: {mode}. Expected 'CONSTANT', 'REFLECT' or 'SYMMETRIC'.")
    for axis, (before, after) in enumerate(pairs):
        if before or after:
            index = _mirror_indices(x.shape[axis], before, after, mode == "SYMMETRIC").to(x.device)
            x = x.index_select(axis, index)
    return x


@tf_op("tf.compat.v1.boolean_mask")
def boolean_mask(tensor: Any, mask: Any, axis: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """The entries of `tensor` where `mask` (covering axes axis..axis+mask.ndim-1) is true, flattened there."""
    x = as_tensor(tensor)
    mask = as_tensor(mask).to(device=x.device, dtype=torch.bool)
    axis = 0 if axis is None else axis % x.ndim
    flat = x.flatten(axis, axis + mask.ndim - 1) if mask.ndim > 1 else x
    return flat.index_select(axis, torch.nonzero(mask.reshape(-1)).reshape(-1))


@tf_op("tf.where")
def where(condition: Any, x: Any = None, y: Any = None, name: Optional[str] = None) -> torch.Tensor:
    """x where condition else y (broadcast); with condition only, the int64 coordinates of true entries."""
    condition = as_tensor(condition).bool()
    if x is None and y is None:
        return torch.nonzero(condition)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    if isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
        x = as_tensor(x)
        y = as_tensor(y, x.dtype if isinstance(y, (int, float)) else None)
    else:
        y = as_tensor(y)
        x = as_tensor(x, y.dtype if isinstance(x, (int, float)) else None)
    return torch.where(condition, x, y)


@tf_op("tf.one_hot")
def one_hot(indices: Any, depth: int, on_value: Any = None, off_value: Any = None, axis: Optional[int] = None,
            dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:
    """One-hot vectors of length `depth` on a new axis (last by default); out-of-range indices give off_value."""
    indices = as_tensor(indices)
    if dtype is None:
        given = on_value if on_value is not None else off_value
        dtype = as_tensor(given).dtype if given is not None else torch.float32
    dtype = torch_dtype(dtype)
    hot = indices.unsqueeze(-1) == torch.arange(int(depth), device=indices.device)
    on = torch.tensor(1 if on_value is None else on_value, dtype=dtype)
    off = torch.tensor(0 if off_value is None else off_value, dtype=dtype)
    out = torch.where(hot, on.to(hot.device), off.to(hot.device))
    return out if axis is None or axis == -1 else torch.movedim(out, -1, axis)


@tf_op("tf.reverse")
def reverse(tensor: Any, axis: Any, name: Optional[str] = None) -> torch.Tensor:
    """`tensor` reversed along the axes in `axis`."""
    x = as_tensor(tensor)
    return torch.flip(x, K._shape_tuple(axis))


@tf_op("tf.slice")
def slice(input_: Any, begin: Any, size: Any, name: Optional[str] = None) -> torch.Tensor:
    """The block starting at `begin` with `size` (-1: to the end) on each axis."""
    x = as_tensor(input_)
    index = tuple(builtins.slice(int(b), None if int(s) == -1 else int(b) + int(s))
                  for b, s in zip(K._shape_tuple(begin), K._shape_tuple(size)))
    return x[index]



@tf_op("tf.broadcast_to")
def broadcast_to(input: Any, shape: Any, name: Optional[str] = None) -> torch.Tensor:
    """input broadcast to `shape`."""
    return torch.broadcast_to(as_tensor(input), K._shape_tuple(shape)).clone()


@tf_op("tf.repeat")
def repeat(input: Any, repeats: Any, axis: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """Each element repeated `repeats` times along `axis` (the flattened input when None)."""
    x = as_tensor(input)
    repeats = repeats if isinstance(repeats, int) else as_tensor(repeats).to(device=x.device, dtype=torch.long)
    return torch.repeat_interleave(x, repeats, dim=axis)


def sort(values: Any, axis: int = -1, direction: str = "ASCENDING", name: Optional[str] = None) -> torch.Tensor:
    """values sorted along `axis` ('ASCENDING' or 'DESCENDING')."""
    return torch.sort(as_tensor(values), dim=axis, descending=_descending(direction), stable=True).values


def argsort(values: Any, axis: int = -1, direction: str = "ASCENDING", stable: bool = False,
            name: Optional[str] = None) -> torch.Tensor:
    """The int32 indices that sort values along `axis`."""
    order = torch.sort(as_tensor(values), dim=axis, descending=_descending(direction), stable=True).indices
    return order.to(torch.int32)


def _descending(direction: str) -> bool:
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"`direction` should be 'ASCENDING' or 'DESCENDING'. Received: direction={direction!r}")
    return direction == "DESCENDING"


def unique(x: Any, out_idx: Any = torch.int32, name: Optional[str] = None) -> UniqueOutput:
    """The distinct values of a 1-D x in order of first appearance, and each entry's index into them."""
    x = as_tensor(x)
    values, inverse = torch.unique(x, sorted=True, return_inverse=True)
    first = torch.full((values.numel(),), x.numel(), dtype=torch.long, device=x.device)
    first.scatter_reduce_(0, inverse, torch.arange(x.numel(), device=x.device), reduce="amin")
    order = torch.argsort(first)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=x.device)
    return UniqueOutput(values[order], rank[inverse].to(torch_dtype(out_idx)))


@tf_op("tf.sequence_mask")
def sequence_mask(lengths: Any, maxlen: Any = None, dtype: Any = torch.bool, name: Optional[str] = None) -> Any:
    """mask[..., j] = j < lengths[...]; `maxlen` defaults to the largest length."""
    lengths = as_tensor(lengths)
    maxlen = int(lengths.max()) if maxlen is None else int(maxlen)
    return (torch.arange(maxlen, device=lengths.device) < lengths.unsqueeze(-1)).to(torch_dtype(dtype))


def meshgrid(*args: Any, indexing: str = "xy", name: Optional[str] = None) -> List[torch.Tensor]:
    """Coordinate grids from 1-D tensors ('xy': Cartesian, 'ij': matrix indexing)."""
    return list(torch.meshgrid(*[as_tensor(a) for a in args], indexing=indexing))

