"""Runs a layer's `call` under its mixed precision policy: floating inputs cast to the compute dtype, the
layer's ops under `torch.autocast` (float16/bfloat16 compute) or with autocast off (float32 layers such as
output heads, whose inputs are cast back to float32)."""
from typing import Any

import torch

from torchkeras_api.utils import nest

_LOW_PRECISION = (torch.float16, torch.bfloat16)
_AUTOCAST_DEVICES = ("cpu", "cuda")


def _cast(inputs: Any, dtype: torch.dtype) -> Any:
    def cast(x: Any) -> Any:
        if isinstance(x, torch.Tensor) and x.is_floating_point() and x.dtype != dtype:
            mask = getattr(x, "_keras_mask", None)
            x = x.to(dtype)
            if mask is not None:
                x._keras_mask = mask
        return x
    return cast(inputs) if isinstance(inputs, torch.Tensor) else nest.map_structure(cast, inputs)


def _device_type(inputs: Any, layer: Any) -> str:
    for x in nest.flatten(inputs):
        if isinstance(x, torch.Tensor):
            return x.device.type
    return layer._device().type


def call_with_policy(layer: Any, args: tuple, kwargs: dict) -> Any:
    """`layer.call(*args, **kwargs)` computed in the layer's compute dtype (`layer._policy_cast`)."""
    dtype = layer._policy_cast
    inputs = args[0]
    if layer._autocast:
        inputs = _cast(inputs, dtype)
        args = (inputs,) + tuple(args[1:])
    device_type = _device_type(inputs, layer)
    if device_type not in _AUTOCAST_DEVICES:
        return layer.call(*args, **kwargs)
    if dtype in _LOW_PRECISION:
        with torch.autocast(device_type, dtype=dtype):
            return layer.call(*args, **kwargs)
    with torch.autocast(device_type, enabled=False):
        return layer.call(*args, **kwargs)
