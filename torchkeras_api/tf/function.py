"""tf.function (runs the Python function eagerly), tf.py_function and tf.numpy_function."""
import functools
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch

from torchkeras_api.tf._support import tensor
from torchkeras_api.utils import nest


def function(func: Optional[Callable] = None, input_signature: Optional[Sequence[Any]] = None,
             autograph: bool = True, jit_compile: Optional[bool] = None, reduce_retracing: bool = False,
             experimental_compile: Optional[bool] = None, **kwargs: Any) -> Any:
    """Decorator: the function runs eagerly, unchanged; every argument is accepted for compatibility."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def eager(*args: Any, **call_kwargs: Any) -> Any:
            return fn(*args, **call_kwargs)

        eager.python_function = fn
        eager.input_signature = input_signature
        return eager

    return decorate if func is None else decorate(func)


def _outputs(result: Any, Tout: Any) -> Any:
    """The function's result as tensors (of the `Tout` dtypes when given)."""
    if result is None:
        return None
    if isinstance(result, (list, tuple)) and isinstance(Tout, (list, tuple)):
        return [tensor(np.asarray(r) if not isinstance(r, torch.Tensor) else r, t) for r, t in zip(result, Tout)]
    return tensor(np.asarray(result) if not isinstance(result, torch.Tensor) else result,
                  None if isinstance(Tout, (list, tuple)) else Tout)


def py_function(func: Callable, inp: Sequence[Any], Tout: Any, name: Optional[str] = None) -> Any:
    """func called on the inputs as tensors; its result as tensors of the `Tout` dtypes."""
    return _outputs(func(*[tensor(x) for x in inp]), Tout)


def numpy_function(func: Callable, inp: Sequence[Any], Tout: Any, stateful: bool = True,
                   name: Optional[str] = None) -> Any:
    """func called on the inputs as numpy arrays; its result as tensors of the `Tout` dtypes."""
    arrays = nest.map_structure(lambda x: x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x),
                                list(inp))
    return _outputs(func(*arrays), Tout)
