"""Output shapes and dtypes of a layer call, found by running `call` on meta tensors.

Unknown dimensions get different placeholder sizes in two runs; an output dimension that differs
between the runs is unknown (None). The first run gives unknown non-batch dimensions size 1, so
slices like `x[:, :2]` of an unknown dimension stay unknown; layers that need larger sizes (valid
convolutions) or that change rank on size-1 axes get a second pair of sizes. Layers that cannot run
on meta tensors (data-dependent ops, numpy inside `call`) are run on small real zero tensors.
"""
from typing import Any, Callable, List, Tuple

import torch
from torch.overrides import TorchFunctionMode

from torchkeras_api.engine import call_context
from torchkeras_api.engine.device import default_device
from torchkeras_api.engine.keras_tensor import KerasTensor

_SIZE_PAIRS = (((2, 1), (3, 41)), ((2, 37), (3, 41)))
"""(batch size, size of other unknown dims) for the two runs; the second pair is tried if the first fails."""


def _to_meta(x: Any) -> Any:
    if isinstance(x, torch.Tensor) and x.device.type != "meta":
        return torch.empty_like(x, device="meta")
    if type(x) in (list, tuple):
        return type(x)(_to_meta(v) for v in x)
    if type(x) is dict:
        return {k: _to_meta(v) for k, v in x.items()}
    return x


class _MetaMode(TorchFunctionMode):
    """Moves every real tensor an op touches (weights, constants) to the meta device."""

    def __torch_function__(self, func: Callable, types: Any, args: tuple = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if call_context.state.building:
            return func(*args, **kwargs)
        return func(*_to_meta(args), **_to_meta(kwargs))


def _placeholder(kt: KerasTensor, sizes: Tuple[int, int], device: Any) -> torch.Tensor:
    shape = [(sizes[0] if i == 0 else sizes[1]) if d is None else d for i, d in enumerate(kt.shape)]
    if device == "meta":
        t = torch.empty(shape, dtype=kt.dtype, device="meta")
    else:
        t = torch.zeros(shape, dtype=kt.dtype, device=device)
    if kt._keras_mask is not None:
        t._keras_mask = _placeholder(kt._keras_mask, sizes, device)
    return t


def _substitute(structure: Any, sizes: Tuple[int, int], device: Any) -> Any:
    if isinstance(structure, KerasTensor):
        return _placeholder(structure, sizes, device)
    if isinstance(structure, (list, tuple)) and not hasattr(structure, "_fields"):
        return type(structure)(_substitute(v, sizes, device) for v in structure)
    if isinstance(structure, dict):
        return {k: _substitute(v, sizes, device) for k, v in structure.items()}
    return structure


def _run(fn: Callable, args: tuple, kwargs: dict, sizes: Tuple[int, int], device: Any) -> Any:
    args, kwargs = _substitute(args, sizes, device), _substitute(kwargs, sizes, device)
    state = call_context.state
    saved = state.inferring
    state.inferring = True
    try:
        with torch.no_grad():
            if device == "meta":
                with _MetaMode():
                    return fn(args, kwargs)
            return fn(args, kwargs)
    finally:
        state.inferring = saved


class _RankMismatch(Exception):
    """The two runs gave outputs of different ranks."""


def _merge(a: Any, b: Any) -> Any:
    """Structure of KerasTensors from the two runs' outputs."""
    if isinstance(a, torch.Tensor):
        if a.ndim != b.ndim:
            raise _RankMismatch(f"output rank {a.ndim} vs {b.ndim}")
        shape = [da if da == db else None for da, db in zip(a.shape, b.shape)]
        kt = KerasTensor(shape, a.dtype)
        mask_a, mask_b = getattr(a, "_keras_mask", None), getattr(b, "_keras_mask", None)
        if mask_a is not None and mask_b is not None:
            kt._keras_mask = _merge(mask_a, mask_b)
        return kt
    if isinstance(a, (list, tuple)) and not hasattr(a, "_fields"):
        return type(a)(_merge(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _merge(a[k], b[k]) for k in a}
    return a


def infer_outputs(fn: Callable, args: tuple, kwargs: dict) -> Any:
    """Runs fn(args, kwargs) on placeholders for the KerasTensors in them; returns output KerasTensors."""
    errors: List[BaseException] = []
    for device in ("meta", default_device()):
        for first_sizes, second_sizes in _SIZE_PAIRS:
            try:
                first = _run(fn, args, kwargs, first_sizes, device)
                second = _run(fn, args, kwargs, second_sizes, device)
                return _merge(first, second)
            except Exception as e:  # noqa: BLE001 - retried with other sizes and real tensors, re-raised below
                errors.append(e)
    raise errors[-1]
