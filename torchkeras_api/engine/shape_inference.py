"""Output shapes and dtypes of a layer call, found by running `call` on meta tensors.

Unknown dimensions get two different placeholder sizes in two runs; an output dimension that
differs between the runs is unknown (None). Layers that cannot run on meta tensors (data-dependent
ops, numpy inside `call`) are run once more on small real zero tensors.
"""
from typing import Any, Callable, List, Tuple

import torch
from torch.overrides import TorchFunctionMode

from torchkeras_api.engine import call_context
from torchkeras_api.engine.device import default_device
from torchkeras_api.engine.keras_tensor import KerasTensor

_BATCH_SIZES = (2, 3)
_DIM_SIZES = (37, 41)


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


def _placeholder(kt: KerasTensor, run: int, device: Any) -> torch.Tensor:
    shape = [(_BATCH_SIZES[run] if i == 0 else _DIM_SIZES[run]) if d is None else d
             for i, d in enumerate(kt.shape)]
    if device == "meta":
        t = torch.empty(shape, dtype=kt.dtype, device="meta")
    else:
        t = torch.zeros(shape, dtype=kt.dtype, device=device)
    if kt._keras_mask is not None:
        t._keras_mask = _placeholder(kt._keras_mask, run, device)
    return t


def _substitute(structure: Any, run: int, device: Any) -> Any:
    if isinstance(structure, KerasTensor):
        return _placeholder(structure, run, device)
    if isinstance(structure, (list, tuple)) and not hasattr(structure, "_fields"):
        return type(structure)(_substitute(v, run, device) for v in structure)
    if isinstance(structure, dict):
        return {k: _substitute(v, run, device) for k, v in structure.items()}
    return structure


def _run(fn: Callable, args: tuple, kwargs: dict, run: int, device: Any) -> Any:
    args, kwargs = _substitute(args, run, device), _substitute(kwargs, run, device)
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


def _merge(a: Any, b: Any) -> Any:
    """Structure of KerasTensors from the two runs' outputs."""
    if isinstance(a, torch.Tensor):
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
    errors: List[Tuple[str, BaseException]] = []
    for device in ("meta", default_device()):
        try:
            first = _run(fn, args, kwargs, 0, device)
            second = _run(fn, args, kwargs, 1, device)
            return _merge(first, second)
        except Exception as e:  # noqa: BLE001 - retried on real tensors, re-raised below
            errors.append((str(device), e))
    raise errors[-1][1]
