"""Tensor creation and inspection: constant, convert_to_tensor, Variable, zeros, fill, range, shape, ..."""
import builtins
from typing import Any, Optional, Sequence

import numpy as np
import torch

from torchkeras_api import backend as K
from torchkeras_api.data.spec import TensorSpec
from torchkeras_api.engine.device import default_device
from torchkeras_api.engine.keras_tensor import KerasTensor, TensorShape
from torchkeras_api.engine.variables import Variable as _EngineVariable
from torchkeras_api.tf._support import tensor, tf_op, torch_dtype

Tensor = torch.Tensor
"""tf.Tensor: values are torch tensors."""

__all__ = ["Tensor", "TensorShape", "TensorSpec", "Variable", "cast", "constant", "convert_to_tensor", "eye", "fill",
           "identity", "is_tensor", "linspace", "ones", "ones_like", "range", "rank", "shape", "size",
           "stop_gradient", "zeros", "zeros_like"]


def constant(value: Any, dtype: Any = None, shape: Optional[Sequence[int]] = None,
             name: Optional[str] = None) -> torch.Tensor:
    """A tensor of `value`; the dtype is inferred as TF does unless given; a scalar or one value fills `shape`."""
    result = tensor(value, dtype)
    if isinstance(value, torch.Tensor):
        result = result.detach()
    if shape is None:
        return result
    shape = tuple(int(d) for d in shape)
    count = int(np.prod(shape))
    if result.numel() == 1:
        return result.reshape(()).expand(shape).clone()
    if result.numel() != count:
        raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor {value} has "
                        f"{result.numel()} elements, but got `shape` {shape} with {count} elements).")
    return result.reshape(shape)


def convert_to_tensor(value: Any, dtype: Any = None, dtype_hint: Any = None, name: Optional[str] = None) -> Any:
    """`value` as a tensor (tensors pass through); `dtype_hint` is used when the value has no dtype of its own."""
    if isinstance(value, KerasTensor):
        return value
    if dtype is None and dtype_hint is not None and not hasattr(value, "dtype"):
        try:
            return tensor(value, dtype_hint)
        except (TypeError, ValueError, RuntimeError):
            pass
    return tensor(value, dtype)


class _VariableType(type):
    """`tf.Variable(...)` builds an engine Variable; `isinstance(w, tf.Variable)` holds for all of them."""

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, _EngineVariable)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _EngineVariable)

    def __call__(cls, initial_value: Any = None, trainable: Optional[bool] = True, validate_shape: bool = True,
                 caching_device: Any = None, name: Optional[str] = None, variable_def: Any = None,
                 dtype: Any = None, import_scope: Any = None, constraint: Any = None, **kwargs: Any) -> Any:
        if initial_value is None:
            raise ValueError("The `initial_value` argument of tf.Variable must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        value = tensor(initial_value, dtype)
        data = value.detach().to(default_device()).clone()
        variable = _EngineVariable(data, trainable=builtins.bool(trainable is None or trainable),
                                   name=f"{name or 'Variable'}:0")
        variable.constraint = constraint
        return variable


class Variable(metaclass=_VariableType):
    """tf.Variable: a `torchkeras_api` Variable (an nn.Parameter with `assign`, `assign_add`, `numpy`, `name`)."""


@tf_op("tf.zeros")
def zeros(shape: Any, dtype: Any = torch.float32, name: Optional[str] = None) -> torch.Tensor:
    """Zeros of `shape` (float32 unless given)."""
    return torch.zeros(K._shape_tuple(shape), dtype=torch_dtype(dtype), device=default_device())


@tf_op("tf.ones")
def ones(shape: Any, dtype: Any = torch.float32, name: Optional[str] = None) -> torch.Tensor:
    """Ones of `shape` (float32 unless given)."""
    return torch.ones(K._shape_tuple(shape), dtype=torch_dtype(dtype), device=default_device())


@tf_op("tf.zeros_like")
def zeros_like(input: Any, dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:
    """Zeros with input's shape and (unless given) dtype."""
    return torch.zeros_like(tensor(input), dtype=torch_dtype(dtype))


@tf_op("tf.ones_like")
def ones_like(input: Any, dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:
    """Ones with input's shape and (unless given) dtype."""
    return torch.ones_like(tensor(input), dtype=torch_dtype(dtype))


@tf_op("tf.fill")
def fill(dims: Any, value: Any, name: Optional[str] = None) -> torch.Tensor:
    """A tensor of shape `dims` filled with `value` (its dtype as `tf.constant(value)`)."""
    value = tensor(value)
    return torch.full(K._shape_tuple(dims), value.item(), dtype=value.dtype, device=value.device)


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None, name: str = "range") -> torch.Tensor:
    """start, start + delta, ... below limit (`range(n)` counts from 0); int32 for ints, float32 for floats."""
    if limit is None:
        start, limit = 0, start
    bounds = [b.item() if isinstance(b, torch.Tensor) else b for b in (start, limit, delta)]
    if dtype is None:
        dtype = torch.int32 if builtins.all(isinstance(b, (int, np.integer)) for b in bounds) else torch.float32
    return torch.arange(*bounds, dtype=torch_dtype(dtype), device=default_device())


def linspace(start: Any, stop: Any, num: int, name: Optional[str] = None, axis: int = 0) -> torch.Tensor:
    """`num` evenly spaced values from start to stop inclusive (float32 for python numbers)."""
    start, stop = tensor(start), tensor(stop)
    dtype = start.dtype if start.dtype.is_floating_point else torch.float64
    steps = torch.linspace(0, 1, int(num), dtype=dtype, device=start.device)
    out = start.to(dtype).unsqueeze(-1) + (stop.to(dtype) - start.to(dtype)).unsqueeze(-1) * steps
    return torch.movedim(out, -1, axis) if out.ndim > 1 else out


def eye(num_rows: int, num_columns: Optional[int] = None, batch_shape: Optional[Sequence[int]] = None,
        dtype: Any = torch.float32, name: Optional[str] = None) -> torch.Tensor:
    """An identity matrix (float32 unless given), repeated over `batch_shape`."""
    out = torch.eye(int(num_rows), int(num_rows if num_columns is None else num_columns),
                    dtype=torch_dtype(dtype), device=default_device())
    if batch_shape:
        out = out.expand(tuple(int(d) for d in batch_shape) + tuple(out.shape)).clone()
    return out


@tf_op("tf.shape")
def shape(input: Any, out_type: Any = torch.int32, name: Optional[str] = None) -> torch.Tensor:
    """The shape of `input` as a 1-D int32 tensor."""
    return torch.tensor(tuple(tensor(input).shape), dtype=torch_dtype(out_type))


def rank(input: Any, name: Optional[str] = None) -> torch.Tensor:
    """The number of axes of `input` as an int32 scalar."""
    return torch.tensor(tensor(input).ndim, dtype=torch.int32)


def size(input: Any, out_type: Any = torch.int32, name: Optional[str] = None) -> torch.Tensor:
    """The number of elements of `input` as a scalar (int32 unless given)."""
    return torch.tensor(tensor(input).numel(), dtype=torch_dtype(out_type))


@tf_op("tf.identity")
def identity(input: Any, name: Optional[str] = None) -> torch.Tensor:
    """A tensor with the value of `input` (a Variable gives a plain tensor)."""
    value = tensor(input)
    return value.clone() if isinstance(value, _EngineVariable) else value


@tf_op("tf.cast")
def cast(x: Any, dtype: Any, name: Optional[str] = None) -> torch.Tensor:
    """x converted to `dtype` (float to int truncates toward zero, as TF)."""
    return tensor(x).to(torch_dtype(dtype))


@tf_op("tf.stop_gradient")
def stop_gradient(input: Any, name: Optional[str] = None) -> torch.Tensor:
    """`input` cut off from gradient computation."""
    return tensor(input).detach()


def is_tensor(x: Any) -> bool:
    """Whether x is a tensor (a torch tensor, Variable or KerasTensor)."""
    return isinstance(x, (torch.Tensor, KerasTensor))
