"""Shared helpers of the tf facade: the 'not supported' error, graph nodes for KerasTensors, conversion."""
import importlib
from typing import Any, Callable, Mapping, Optional

import numpy as np
import torch

from torchkeras_api.backend import _to_tensor
from torchkeras_api.engine.base_layer import to_torch_dtype
from torchkeras_api.engine.keras_tensor import is_string_dtype, keras_op

HINT = 'not supported by torchkeras_api (see README, "The tf facade")'


def unsupported(module: str, name: str) -> AttributeError:
    """The error for a TF name the facade does not provide."""
    return AttributeError(f"module '{module}' (torchkeras_api facade) has no attribute '{name}': {HINT}")


def module_getattr(module: str, lazy: Optional[Mapping[str, str]] = None,
                   fallback: Optional[Callable[[str], Any]] = None) -> Callable[[str], Any]:
    """A module `__getattr__`: `lazy` names import their module on first use; other names fail clearly."""

    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(f"module '{module}' has no attribute '{name}'")
        if lazy and name in lazy:
            try:
                return importlib.import_module(lazy[name])
            except ModuleNotFoundError as error:
                if error.name != lazy[name]:
                    raise
                raise unsupported(module, name) from None
        if fallback is not None:
            try:
                return fallback(name)
            except AttributeError:
                pass
        raise unsupported(module, name)

    return __getattr__


def tf_op(tf_name: str) -> Callable[[Callable], Callable]:
    """Decorator: on KerasTensors the function becomes one graph node named `tf_name` (an implementation
    registered already, e.g. by the backend, is kept)."""
    return keras_op(tf_name, replace=False)


def torch_dtype(dtype: Any) -> Optional[torch.dtype]:
    """A TF/numpy/torch dtype or its name as a torch dtype; None stays None."""
    if dtype is None:
        return None
    if is_string_dtype(dtype):
        raise TypeError("String tensors are not supported by torchkeras_api: torch has no string dtype.")
    return to_torch_dtype(dtype)


def tensor(value: Any, dtype: Any = None) -> torch.Tensor:
    """`value` as a torch tensor with TF's dtype rules (python ints: int32, floats: float32, numpy kept)."""
    if isinstance(value, torch.Tensor):
        return value if dtype is None else value.to(torch_dtype(dtype))
    if isinstance(value, (str, bytes)) or (isinstance(value, (np.ndarray, np.generic))
                                           and value.dtype.kind in "USO"):
        raise TypeError(f"String tensors are not supported by torchkeras_api: torch has no string dtype. "
                        f"Received: {value!r}")
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor) for v in value):
        return torch.stack([tensor(v, dtype) for v in value])
    return _to_tensor(value, torch_dtype(dtype))


def axis_arg(axis: Any) -> Any:
    """An axis given as a 0-d or 1-d tensor as python ints; ints and lists pass through."""
    if isinstance(axis, torch.Tensor):
        values = axis.reshape(-1).tolist()
        return values[0] if axis.ndim == 0 else values
    return axis
