"""tf.keras.backend (K) on torch tensors.

Tensor functions take torch tensors (numpy arrays and python numbers where tf.keras takes them) and return
torch tensors. Given KerasTensors they add one graph node, named as tf.keras names it.
"""
import builtins
import contextlib
import functools
import inspect
import warnings
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras_api.backend_ctc import ctc_batch_cost, ctc_decode  # noqa: F401
from torchkeras_api.backend_config import (epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                                           set_image_data_format)
from torchkeras_api.engine import call_context, naming
from torchkeras_api.engine.base_layer import to_torch_dtype
from torchkeras_api.engine.device import default_device
from torchkeras_api.engine.keras_tensor import KerasTensor, dtype_name, has_keras_tensor, keras_op, op_node
from torchkeras_api.engine.variables import Variable
from torchkeras_api.utils import nest

Axis = Optional[Union[int, Sequence[int]]]
ShapeLike = Union[int, Sequence[Any], torch.Tensor]

_LEARNING_PHASE = 0
_SESSION: Optional[Any] = None


# ---- helpers ---------------------------------------------------------------------------------


def _symbolic(tf_name: Callable[..., str]) -> Callable[[Callable], Callable]:
    """Like `keras_op`, for functions whose tf.keras op name depends on the arguments.

    `tf_name` gets the bound arguments as keywords; the node receives them positionally.
    """

    def decorator(fn: Callable) -> Callable:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if has_keras_tensor(args, kwargs):
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                return op_node(fn, tf_name(**bound.arguments), bound.args, bound.kwargs)
            return fn(*args, **kwargs)

        return wrapper

    return decorator


def _python_dtype(value: Any) -> torch.dtype:
    """The dtype tf gives a python number: bool, int32 or floatx."""
    if isinstance(value, bool):
        return torch.bool
    return torch.int32 if isinstance(value, int) else to_torch_dtype(floatx())


def _to_tensor(x: Any, dtype: Optional[torch.dtype] = None, device: Any = None) -> torch.Tensor:
    """x as a tensor: tensors pass through (cast to dtype if given); python data as tf converts it."""
    if isinstance(x, torch.Tensor):
        return x if dtype is None or x.dtype == dtype else x.to(dtype)
    device = default_device() if device is None else device
    if isinstance(x, (bool, int, float)):
        return torch.full((), x, dtype=dtype or _python_dtype(x), device=device)
    array = np.asarray(x)
    if dtype is None and not isinstance(x, (np.ndarray, np.generic)):
        if array.dtype == np.float64:
            dtype = to_torch_dtype(floatx())
        elif array.dtype == np.int64:
            dtype = torch.int32
    return torch.as_tensor(array, dtype=dtype, device=device)


def _beside(value: Any, other: torch.Tensor) -> torch.Tensor:
    """`value` as an operand for `other`: python numbers become CPU scalars (no copy to the device)."""
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (bool, int, float)):
        return torch.tensor(value)
    return _to_tensor(value, device=other.device)


def _operands(x: Any, y: Any) -> Tuple[torch.Tensor, torch.Tensor]:
    """Both operands of a binary op as tensors."""
    if not isinstance(x, torch.Tensor) and not isinstance(y, torch.Tensor):
        x = _to_tensor(x)
    if isinstance(x, torch.Tensor):
        return x, _beside(y, x)
    return _beside(x, y), y


def _shape_tuple(shape: ShapeLike) -> Tuple[int, ...]:
    """A shape given as ints, 0-d tensors or a 1-D int tensor (as `shape` returns) as a tuple of ints."""
    if isinstance(shape, torch.Tensor):
        return tuple(int(d) for d in shape.reshape(-1).tolist())
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _is_static_shape(shape: ShapeLike) -> bool:
    """Whether the shape is made of python ints only (no tensors)."""
    if isinstance(shape, torch.Tensor):
        return False
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    return not builtins.any(isinstance(d, torch.Tensor) for d in dims)


def _dims(axis: Axis, rank: int) -> Tuple[int, ...]:
    """Reduction axes as sorted non-negative ints (axis None: all axes)."""
    if axis is None:
        return tuple(range(rank))
    if isinstance(axis, (int, np.integer)):
        axis = (axis,)
    return tuple(sorted(int(a) % rank for a in axis)) if rank else ()


def _integer_dtype(x: torch.Tensor) -> Optional[torch.dtype]:
    """x's dtype when it is a (non-bool) integer type, so that sums keep it as tf does."""
    return x.dtype if not x.dtype.is_floating_point and not x.dtype.is_complex and x.dtype != torch.bool else None


def _torch_mean(x: torch.Tensor, dim: Tuple[int, ...], keepdim: bool) -> torch.Tensor:
    if x.dtype == torch.bool:
        x = x.to(to_torch_dtype(floatx()))
    if x.dtype.is_floating_point or x.dtype.is_complex:
        return torch.mean(x, dim=dim, keepdim=keepdim)
    count = int(np.prod([x.shape[d] for d in dim]))
    total = torch.sum(x, dim=dim, keepdim=keepdim)
    return torch.div(total, count, rounding_mode="trunc").to(x.dtype)


def _torch_prod(x: torch.Tensor, dim: Tuple[int, ...], keepdim: bool) -> torch.Tensor:
    flat = x.movedim(dim, tuple(range(x.ndim - len(dim), x.ndim))).flatten(x.ndim - len(dim))
    out = torch.prod(flat, dim=-1, dtype=_integer_dtype(x))
    return out.reshape([1 if i in dim else s for i, s in enumerate(x.shape)]) if keepdim else out


def _reduction(name: str, tf_name: str, torch_fn: Callable, doc: str) -> Callable:
    """A K reduction `name(x, axis=None, keepdims=False)` computed by `torch_fn(x, dim, keepdim)`."""

    def reduce(x: Any, axis: Axis = None, keepdims: bool = False) -> torch.Tensor:
        x = _to_tensor(x)
        dim = _dims(axis, x.ndim)
        if not dim and x.ndim:
            return x
        return torch_fn(x, dim, keepdims)

    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = doc
    return keras_op(tf_name)(reduce)


def _unary(name: str, tf_name: str, torch_fn: Callable, doc: str) -> Callable:
    """A K element-wise function `name(x)` computed by `torch_fn`."""

    def op(x: Any) -> torch.Tensor:
        return torch_fn(_to_tensor(x))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return keras_op(tf_name)(op)


def _binary(name: str, tf_name: str, torch_fn: Callable, doc: str) -> Callable:
    """A K element-wise function `name(x, y)` computed by `torch_fn` (with broadcasting)."""

    def op(x: Any, y: Any) -> torch.Tensor:
        return torch_fn(*_operands(x, y))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    return keras_op(tf_name)(op)


def _current(x: Any) -> torch.Tensor:
    """x's value in tf.keras layout, for reads and read-modify-write updates."""
    return x.keras_value() if isinstance(x, Variable) else x


def _generator(seed: Optional[int], device: torch.device) -> Optional[torch.Generator]:
    """A generator seeded with `seed` (same seed, same numbers); None uses torch's global RNG."""
    if seed is None:
        return None
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


def _expand_to(t: torch.Tensor, rank: int) -> torch.Tensor:
    """t with trailing size-1 axes up to `rank` (aligns a condition or mask with leading axes)."""
    return t.reshape(tuple(t.shape) + (1,) * (rank - t.ndim))


def _pad(x: torch.Tensor, pattern: Sequence[Sequence[int]]) -> torch.Tensor:
    """Zero padding with one (before, after) pair per axis of x, as tf.pad takes it."""
    flat = [int(p) for pair in reversed(pattern) for p in pair]
    return F.pad(x, flat)


# ---- configuration, session, learning phase ----------------------------------------------------------


def backend() -> str:
    """The name of the backend tf.keras scripts check for: 'tensorflow'."""
    return "tensorflow"


def clear_session() -> None:
    """Resets the default layer names (`dense`, `dense_1`, ...) and other global state."""
    global _LEARNING_PHASE, _SESSION
    naming.reset_uids()
    _LEARNING_PHASE = 0
    _SESSION = None


def get_uid(prefix: str = "") -> int:
    """1 on the first call for a prefix, then 2, 3, ... (shared with default layer names)."""
    return naming.get_uid(prefix)


def reset_uids() -> None:
    """Restarts the counters of `get_uid` and of default layer names."""
    naming.reset_uids()


def learning_phase() -> int:
    """The global learning phase: 0 (test, the default) or 1 (train)."""
    return _LEARNING_PHASE


def _checked_phase(value: Any) -> int:
    if value not in {0, 1}:
        raise ValueError("Expected learning phase to be 0 or 1.")
    return int(value)


def set_learning_phase(value: int) -> None:
    """Sets the global learning phase to 0 (test) or 1 (train). Deprecated in tf.keras."""
    global _LEARNING_PHASE
    warnings.warn("`tf.keras.backend.set_learning_phase` is deprecated and will be removed after 2020-10-11. "
                  "To update it, simply pass a True/False value to the `training` argument of the `__call__` "
                  "method of your layer or model.", stacklevel=2)
    _LEARNING_PHASE = _checked_phase(value)


@contextlib.contextmanager
def learning_phase_scope(value: int) -> Iterator[None]:
    """Sets the learning phase to `value` (0 or 1) inside the block."""
    global _LEARNING_PHASE
    saved = _LEARNING_PHASE
    _LEARNING_PHASE = _checked_phase(value)
    try:
        yield
    finally:
        _LEARNING_PHASE = saved


class Session:
    """Stands in for a TF1 `tf.Session`: `run` evaluates tensors to numpy; fetches that are symbolic
    tensors of a Keras graph run that graph on the values `feed_dict` gives its `Input`s."""

    graph = None

    def run(self, fetches: Any, feed_dict: Optional[dict] = None) -> Any:
        if fetches is None:
            return None
        if builtins.any(isinstance(f, KerasTensor) for f in nest.flatten(fetches)):
            return _run_keras_graph(fetches, feed_dict or {})
        return nest.map_structure(get_value, fetches)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _run_keras_graph(fetches: Any, feed_dict: dict) -> Any:
    """The symbolic `fetches` computed from the Keras `Input` tensors that key `feed_dict`, as numpy."""
    from torchkeras_api.engine.functional import Functional
    inputs = list(feed_dict)
    if not builtins.all(isinstance(k, KerasTensor) for k in inputs):
        raise TypeError("Session.run: the keys of `feed_dict` must be `keras.Input` tensors (there are no graph "
                        f"placeholders under torchkeras_api). Received keys: {inputs}")
    flat = nest.flatten(fetches)
    wanted = [f for f in flat if isinstance(f, KerasTensor) and not builtins.any(f is k for k in inputs)]
    if not wanted:
        computed = []
    else:
        model = Functional(inputs, wanted)
        with torch.no_grad():
            fed = [np.asarray(feed_dict[k]) for k in inputs]
            computed = nest.flatten(model(fed if len(fed) > 1 else fed[0]))
    results = iter(computed)

    def value(fetch: Any) -> Any:
        fed = next((feed_dict[k] for k in inputs if k is fetch), None)
        if fed is not None:
            return np.asarray(fed)
        return get_value(next(results) if isinstance(fetch, KerasTensor) else fetch)

    return nest.pack_sequence_as(fetches, [value(f) for f in flat])


def get_session(op_input_list: Sequence[Any] = ()) -> Any:
    """The session set with `set_session`, else a `Session` (there is no TF1 session under torch)."""
    global _SESSION
    if _SESSION is None:
        _SESSION = Session()
    return _SESSION


def set_session(session: Any) -> None:
    """Accepts a tf.Session-like object for compatibility; `get_session` returns it."""
    global _SESSION
    _SESSION = session


# ---- static information ----------------------------------------------------------------------------


def is_keras_tensor(x: Any) -> bool:
    """Whether x is a symbolic tensor of the functional API; raises for non-tensors, as tf.keras does."""
    if isinstance(x, KerasTensor):
        return True
    if isinstance(x, torch.Tensor):
        return False
    raise ValueError(f"Unexpectedly found an instance of type `{type(x)}`. Expected a symbolic tensor instance.")


def is_tensor(x: Any) -> bool:
    """Whether x is a tensor (torch or symbolic)."""
    return isinstance(x, (torch.Tensor, KerasTensor))


def is_sparse(tensor: Any) -> bool:
    """Whether tensor is a torch sparse tensor."""
    return isinstance(tensor, torch.Tensor) and tensor.is_sparse


def to_dense(tensor: Any) -> Any:
    """A dense version of a sparse tensor; other values unchanged."""
    return tensor.to_dense() if is_sparse(tensor) else tensor


def int_shape(x: Any) -> Optional[Tuple[Optional[int], ...]]:
    """The shape as a tuple of ints (None for unknown dimensions of KerasTensors)."""
    shape = getattr(x, "shape", None)
    if shape is None:
        return None
    return x.keras_shape if isinstance(x, Variable) else tuple(shape)


def ndim(x: Any) -> int:
    """The number of axes."""
    return len(int_shape(x))


def dtype(x: Any) -> str:
    """The dtype name, e.g. 'float32'."""
    if isinstance(x.dtype, torch.dtype):
        return dtype_name(x.dtype)
    return np.dtype(x.dtype).name


def count_params(x: Any) -> int:
    """The number of scalars in x."""
    return int(np.prod(int_shape(x)))


# ---- variables and values ----------------------------------------------------------------------------


def variable(value: Any, dtype: Any = None, name: Optional[str] = None, constraint: Any = None) -> Variable:
    """A new Variable holding a copy of `value` (dtype defaults to floatx), named `<name or Variable>:0`."""
    torch_dtype = to_torch_dtype(dtype)
    if isinstance(value, torch.Tensor):
        data = _current(value).detach().to(device=default_device(), dtype=torch_dtype).clone()
    else:
        data = torch.as_tensor(np.asarray(value), dtype=torch_dtype).to(default_device())
    var = Variable(data, name=f"{name or 'Variable'}:0")
    var.constraint = constraint
    return var


def constant(value: Any, dtype: Any = None, shape: Optional[Sequence[int]] = None,
             name: Optional[str] = None) -> torch.Tensor:
    """A tensor of `value` (dtype defaults to floatx); a scalar fills `shape`, other values are reshaped."""
    torch_dtype = to_torch_dtype(dtype)
    if shape is None:
        return _to_tensor(value, torch_dtype)
    shape = _shape_tuple(shape)
    if isinstance(value, (bool, int, float)):
        return torch.full(shape, value, dtype=torch_dtype, device=default_device())
    tensor = _to_tensor(value, torch_dtype)
    if tensor.numel() == 1:
        return tensor.reshape(()).expand(shape).clone()
    if tensor.numel() != int(np.prod(shape)):
        raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor {tensor} (converted from "
                        f"{value}) has {tensor.numel()} elements, but got `shape` {shape} with "
                        f"{int(np.prod(shape))} elements).")
    return tensor.reshape(shape)


def cast_to_floatx(x: Any) -> Any:
    """x cast to floatx: numpy in, numpy out; tensors stay tensors."""
    if isinstance(x, torch.Tensor):
        return x.to(to_torch_dtype(floatx()))
    return np.asarray(x, dtype=floatx())


def get_value(x: Any) -> Any:
    """The value of a Variable or tensor as numpy (a numpy scalar for 0-d values); other values unchanged."""
    if isinstance(x, Variable):
        value = x.numpy()
    elif isinstance(x, torch.Tensor):
        value = x.detach().cpu().numpy()
    elif hasattr(x, "numpy"):
        value = x.numpy()
    else:
        return x
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def eval(x: Any) -> Any:
    """The value of x as numpy (same as `get_value`)."""
    return get_value(to_dense(x))


def batch_get_value(tensors: Sequence[Any]) -> List[Any]:
    """`get_value` of each tensor."""
    return [get_value(x) for x in tensors]


def _assign(x: Any, value: Any) -> Any:
    """Sets x's value in place: Variables and objects with `assign` through it, tensors by a copy."""
    if hasattr(x, "assign"):
        x.assign(value)
        return x
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"Cannot set the value of {x!r}: expected a Variable or a tensor.")
    new = value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
    if tuple(new.shape) != tuple(x.shape):
        raise ValueError(f"Cannot assign value of shape {tuple(new.shape)} to a tensor of shape {tuple(x.shape)}.")
    with torch.no_grad():
        x.copy_(new)
    return x


def set_value(x: Any, value: Any) -> None:
    """Assigns `value` (numpy, number or tensor of x's shape) to the Variable or tensor x, in place."""
    _assign(x, value)


def batch_set_value(tuples: Sequence[Tuple[Any, Any]]) -> None:
    """`set_value` for each (x, value) pair."""
    for x, value in tuples:
        _assign(x, value)


def update(x: Any, new_x: Any) -> Any:
    """Sets x to new_x in place; returns x."""
    return _assign(x, new_x)


@torch.no_grad()
def update_add(x: Any, increment: Any) -> Any:
    """Adds increment to x in place; returns x."""
    return _assign(x, _current(x) + _beside(increment, x))


@torch.no_grad()
def update_sub(x: Any, decrement: Any) -> Any:
    """Subtracts decrement from x in place; returns x."""
    return _assign(x, _current(x) - _beside(decrement, x))


@torch.no_grad()
def moving_average_update(x: Any, value: Any, momentum: float) -> Any:
    """x = x * momentum + value * (1 - momentum), in place; returns x."""
    current = _current(x)
    return _assign(x, current - (current - _beside(value, x)) * (1 - momentum))


# ---- creation ----------------------------------------------------------------------------------


def _filled(shape: ShapeLike, fill: float, dtype: Any, name: Optional[str]) -> Any:
    """A Variable filled with `fill` for a static shape; a plain tensor when the shape holds tensors."""
    value = torch.full(_shape_tuple(shape), fill, dtype=to_torch_dtype(dtype), device=default_device())
    if _is_static_shape(shape):
        return variable(value, value.dtype, name)
    return value


@keras_op("tf.zeros")
def zeros(shape: ShapeLike, dtype: Any = None, name: Optional[str] = None) -> Any:
    """Zeros of `shape` (dtype defaults to floatx): a Variable when the shape is static."""
    return _filled(shape, 0, dtype, name)


@keras_op("tf.ones")
def ones(shape: ShapeLike, dtype: Any = None, name: Optional[str] = None) -> Any:
    """Ones of `shape` (dtype defaults to floatx): a Variable when the shape is static."""
    return _filled(shape, 1, dtype, name)


def eye(size: Union[int, Sequence[int]], dtype: Any = None, name: Optional[str] = None) -> Variable:
    """An identity matrix Variable; `size` is n or (rows, columns)."""
    rows, columns = (size, size) if isinstance(size, (int, np.integer)) else size
    value = torch.eye(int(rows), int(columns), dtype=to_torch_dtype(dtype), device=default_device())
    return variable(value, value.dtype, name)


@keras_op("tf.zeros_like")
def zeros_like(x: Any, dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:
    """Zeros with x's shape and (unless given) dtype."""
    x = _to_tensor(x)
    return torch.zeros_like(x, dtype=None if dtype is None else to_torch_dtype(dtype))


@keras_op("tf.ones_like")
def ones_like(x: Any, dtype: Any = None, name: Optional[str] = None) -> torch.Tensor:
    """Ones with x's shape and (unless given) dtype."""
    x = _to_tensor(x)
    return torch.ones_like(x, dtype=None if dtype is None else to_torch_dtype(dtype))


@keras_op("tf.range")
def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = "int32") -> torch.Tensor:
    """Values from start (or 0 when only one bound is given) up to stop, as int32 by default."""
    if stop is None:
        start, stop = 0, builtins.max(start, 0)
    return torch.arange(start, stop, step, device=default_device()).to(to_torch_dtype(dtype))


def _random(shape: ShapeLike, dtype: Any, seed: Optional[int]) -> Tuple[torch.Tensor, Optional[torch.Generator]]:
    """An empty tensor to fill with random numbers, and the generator for `seed`."""
    device = default_device()
    return (torch.empty(_shape_tuple(shape), dtype=to_torch_dtype(dtype), device=device),
            _generator(seed, device))


@keras_op("tf.random.normal")
def random_normal(shape: ShapeLike, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                  seed: Optional[int] = None) -> torch.Tensor:
    """Normal random numbers; a given seed makes them repeatable."""
    out, generator = _random(shape, dtype, seed)
    return out.normal_(generator=generator) * stddev + mean


@keras_op("tf.random.uniform")
def random_uniform(shape: ShapeLike, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None,
                   seed: Optional[int] = None) -> torch.Tensor:
    """Uniform random numbers in [minval, maxval); integer dtypes draw integers."""
    out, generator = _random(shape, dtype, seed)
    if not out.dtype.is_floating_point:
        return out.random_(int(minval), int(maxval), generator=generator)
    return out.uniform_(generator=generator) * (maxval - minval) + minval


@keras_op("tf.random.truncated_normal")
def truncated_normal(shape: ShapeLike, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Optional[int] = None) -> torch.Tensor:
    """Normal random numbers redrawn beyond two standard deviations from the mean."""
    out, generator = _random(shape, dtype, seed)
    return torch.nn.init.trunc_normal_(out, generator=generator) * stddev + mean


@keras_op("tf.where")
def random_bernoulli(shape: ShapeLike, p: float = 0.0, dtype: Any = None, seed: Optional[int] = None) -> torch.Tensor:
    """1 with probability p, else 0 (dtype defaults to floatx)."""
    draws, generator = _random(shape, "float32", seed)
    return (draws.uniform_(generator=generator) < p).to(to_torch_dtype(dtype))


random_binomial = random_bernoulli


def random_normal_variable(shape: ShapeLike, mean: float, scale: float, dtype: Any = None,
                           name: Optional[str] = None, seed: Optional[int] = None) -> Variable:
    """A Variable of normal random numbers."""
    return variable(random_normal(shape, mean, scale, dtype, seed), dtype, name)


def random_uniform_variable(shape: ShapeLike, low: float, high: float, dtype: Any = None,
                            name: Optional[str] = None, seed: Optional[int] = None) -> Variable:
    """A Variable of uniform random numbers in [low, high)."""
    return variable(random_uniform(shape, low, high, dtype, seed), dtype, name)


# ---- reductions ------------------------------------------------------------------------------


mean = _reduction("mean", "tf.math.reduce_mean", _torch_mean,
                  "Mean over `axis` (all axes when None); bool counts as floatx, integers give the truncated mean.")
sum = _reduction("sum", "tf.math.reduce_sum",
                 lambda x, dim, keepdim: torch.sum(x, dim=dim, keepdim=keepdim, dtype=_integer_dtype(x)),
                 "Sum over `axis` (all axes when None).")
prod = _reduction("prod", "tf.math.reduce_prod", _torch_prod, "Product over `axis` (all axes when None).")
max = _reduction("max", "tf.math.reduce_max", torch.amax, "Maximum over `axis` (all axes when None).")
min = _reduction("min", "tf.math.reduce_min", torch.amin, "Minimum over `axis` (all axes when None).")
var = _reduction("var", "tf.math.reduce_variance",
                 lambda x, dim, keepdim: torch.var(x, dim=dim, keepdim=keepdim, correction=0),
                 "Population variance over `axis` (all axes when None).")
std = _reduction("std", "tf.math.reduce_std",
                 lambda x, dim, keepdim: torch.std(x, dim=dim, keepdim=keepdim, correction=0),
                 "Population standard deviation over `axis` (all axes when None).")
any = _reduction("any", "tf.math.reduce_any",
                 lambda x, dim, keepdim: torch.any(x.bool(), dim=dim, keepdim=keepdim),
                 "Logical or over `axis` (all axes when None), as bool.")
all = _reduction("all", "tf.math.reduce_all",
                 lambda x, dim, keepdim: torch.all(x.bool(), dim=dim, keepdim=keepdim),
                 "Logical and over `axis` (all axes when None), as bool.")


@keras_op("tf.math.argmax")
def argmax(x: Any, axis: int = -1) -> torch.Tensor:
    """Index of the maximum along `axis` (int64)."""
    return torch.argmax(_to_tensor(x), dim=axis)


@keras_op("tf.math.argmin")
def argmin(x: Any, axis: int = -1) -> torch.Tensor:
    """Index of the minimum along `axis` (int64)."""
    return torch.argmin(_to_tensor(x), dim=axis)


@keras_op("tf.math.cumsum")
def cumsum(x: Any, axis: int = 0) -> torch.Tensor:
    """Cumulative sum along `axis`."""
    x = _to_tensor(x)
    return torch.cumsum(x, dim=axis, dtype=_integer_dtype(x))


@keras_op("tf.math.cumprod")
def cumprod(x: Any, axis: int = 0) -> torch.Tensor:
    """Cumulative product along `axis`."""
    x = _to_tensor(x)
    return torch.cumprod(x, dim=axis, dtype=_integer_dtype(x))


# ---- element-wise -----------------------------------------------------------------------------


square = _unary("square", "tf.math.square", torch.square, "Element-wise square.")
abs = _unary("abs", "tf.math.abs", torch.abs, "Element-wise absolute value.")
sqrt = _unary("sqrt", "tf.math.sqrt", lambda x: torch.sqrt(torch.clamp_min(x, 0)),
              "Element-wise square root, with negative values clipped to 0 first.")
exp = _unary("exp", "tf.math.exp", torch.exp, "Element-wise exponential.")
log = _unary("log", "tf.math.log", torch.log, "Element-wise natural logarithm.")
sign = _unary("sign", "tf.math.sign", torch.sign, "Element-wise sign (-1, 0 or 1).")
round = _unary("round", "tf.math.round", torch.round, "Element-wise rounding, ties to even.")
sin = _unary("sin", "tf.math.sin", torch.sin, "Element-wise sine.")
cos = _unary("cos", "tf.math.cos", torch.cos, "Element-wise cosine.")
tanh = _unary("tanh", "tf.math.tanh", torch.tanh, "Element-wise tanh.")
softplus = _unary("softplus", "tf.math.softplus", F.softplus, "Element-wise log(exp(x) + 1).")
softsign = _unary("softsign", "tf.nn.softsign", F.softsign, "Element-wise x / (|x| + 1).")
hard_sigmoid = _unary("hard_sigmoid", "tf.clip_by_value", lambda x: torch.clamp(x * 0.2 + 0.5, 0.0, 1.0),
                      "Element-wise clip(0.2 * x + 0.5, 0, 1).")

equal = _binary("equal", "tf.math.equal", torch.eq, "Element-wise x == y (bool).")
not_equal = _binary("not_equal", "tf.math.not_equal", torch.ne, "Element-wise x != y (bool).")
greater = _binary("greater", "tf.math.greater", torch.gt, "Element-wise x > y (bool).")
greater_equal = _binary("greater_equal", "tf.math.greater_equal", torch.ge, "Element-wise x >= y (bool).")
less = _binary("less", "tf.math.less", torch.lt, "Element-wise x < y (bool).")
less_equal = _binary("less_equal", "tf.math.less_equal", torch.le, "Element-wise x <= y (bool).")
maximum = _binary("maximum", "tf.math.maximum", torch.maximum, "Element-wise maximum.")
minimum = _binary("minimum", "tf.math.minimum", torch.minimum, "Element-wise minimum.")
pow = _binary("pow", "tf.math.pow", torch.pow, "Element-wise x ** a.")


@keras_op("tf.clip_by_value")
def clip(x: Any, min_value: Any, max_value: Any) -> torch.Tensor:
    """Element-wise clip to [min_value, max_value]; None leaves that side open, max < min becomes min."""
    x = _to_tensor(x)
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)) and max_value < min_value:
        max_value = min_value
    if min_value is None and max_value is None:
        return x.clone()
    return torch.clamp(x, min=min_value, max=max_value)


@keras_op("tf.cast")
def cast(x: Any, dtype: Any) -> torch.Tensor:
    """x converted to `dtype` (e.g. 'float32', 'int32', 'bool'); float to int truncates."""
    return _to_tensor(x).to(to_torch_dtype(dtype))


@keras_op("tf.stop_gradient")
def stop_gradient(variables: Any) -> Any:
    """x without gradient; a list of tensors gives a list."""
    if isinstance(variables, (list, tuple)):
        return [_to_tensor(v).detach() for v in variables]
    return _to_tensor(variables).detach()


# ---- activations -------------------------------------------------------------------------------


def _relu_name(x: Any, alpha: float, max_value: Optional[float], threshold: float) -> str:
    if alpha != 0:
        return "tf.nn.leaky_relu" if max_value is None and threshold == 0 else "tf.math.subtract"
    if max_value is not None and (threshold != 0 or max_value != 6):
        return "tf.clip_by_value"
    if threshold != 0:
        return "tf.math.multiply"
    return "tf.nn.relu6" if max_value == 6 else "tf.nn.relu"


@_symbolic(_relu_name)
def relu(x: Any, alpha: float = 0.0, max_value: Optional[float] = None, threshold: float = 0.0) -> torch.Tensor:
    """max(x, 0) by default; else max_value above it, x in [threshold, max_value), alpha * (x - threshold) below."""
    x = _to_tensor(x)
    if alpha != 0 and max_value is None and threshold == 0:
        return F.leaky_relu(x, alpha)
    out = torch.where(x > threshold, x, 0) if threshold != 0 else F.relu(x)
    if max_value is not None:
        out = torch.clamp(out, 0, max_value)
    if alpha != 0:
        out = out - alpha * F.relu(threshold - x)
    return out


@_symbolic(lambda x, alpha: "tf.nn.elu" if alpha == 1 else "tf.where")
def elu(x: Any, alpha: float = 1.0) -> torch.Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return F.elu(_to_tensor(x), alpha)


@keras_op("tf.math.sigmoid")
def sigmoid(x: Any) -> torch.Tensor:
    """Element-wise sigmoid; the result remembers its logits for the cross-entropies."""
    x = _to_tensor(x)
    out = torch.sigmoid(x)
    out._keras_logits = x
    return out


@_symbolic(lambda x, axis: "tf.nn.softmax" if isinstance(axis, int) else "tf.math.truediv")
def softmax(x: Any, axis: Union[int, Sequence[int]] = -1) -> torch.Tensor:
    """Softmax over `axis` (an int or a tuple of axes); the result remembers its logits."""
    x = _to_tensor(x)
    if x.ndim <= 1:
        raise ValueError(f"Cannot apply softmax to a tensor that is 1D. Received input: {x}")
    if isinstance(axis, int):
        out = torch.softmax(x, dim=axis)
    else:
        dims = tuple(axis)
        numerator = torch.exp(x - torch.amax(x, dim=dims, keepdim=True))
        out = numerator / torch.sum(numerator, dim=dims, keepdim=True)
    out._keras_logits = x
    return out


@keras_op("tf.nn.dropout")
def dropout(x: Any, level: float, noise_shape: Optional[Sequence[int]] = None,
            seed: Optional[int] = None) -> torch.Tensor:
    """Zeroes entries with probability `level` and scales the rest by 1 / (1 - level)."""
    x = _to_tensor(x)
    keep = torch.empty(_shape_tuple(noise_shape) if noise_shape is not None else x.shape, dtype=x.dtype,
                       device=x.device).uniform_(generator=_generator(seed, x.device)) >= level
    return x * keep / (1 - level)


@keras_op("tf.math.l2_normalize")
def l2_normalize(x: Any, axis: Axis = None) -> torch.Tensor:
    """x / sqrt(max(sum(x ** 2, axis), 1e-12))."""
    x = _to_tensor(x)
    squares = torch.sum(torch.square(x), dim=_dims(axis, x.ndim), keepdim=True)
    return x * torch.rsqrt(torch.clamp_min(squares, 1e-12))


@keras_op("tf.nn.bias_add")
def bias_add(x: Any, bias: Any, data_format: Optional[str] = None) -> torch.Tensor:
    """x + bias, with the bias on the channels axis of `data_format`."""
    data_format = data_format or image_data_format()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Unknown data_format: " + str(data_format))
    x = _to_tensor(x)
    bias = _beside(bias, x)
    if bias.ndim != 1 and bias.ndim != x.ndim - 1:
        raise ValueError(f"Unexpected bias dimensions {bias.ndim}, expect to be 1 or {x.ndim - 1} dimensions")
    if data_format == "channels_last":
        return x + bias
    if bias.ndim == 1:
        return x + _expand_to(bias, x.ndim - 1)
    return x + bias.reshape((1, bias.shape[-1]) + tuple(bias.shape[:-1]))


@keras_op("tf.compat.v1.math.in_top_k")
def in_top_k(predictions: Any, targets: Any, k: int) -> torch.Tensor:
    """Whether each target's prediction is among the top k of its row (ties count as in)."""
    predictions = _to_tensor(predictions)
    targets = _to_tensor(targets, device=predictions.device).long()
    target_values = torch.gather(predictions, 1, targets.unsqueeze(1))
    above = torch.sum(predictions > target_values, dim=1)
    return (above < k) & torch.isfinite(target_values.squeeze(1))


# ---- losses ------------------------------------------------------------------------------------


def _logits_of(output: torch.Tensor, from_logits: bool, op_type: str, fn_name: str) -> Tuple[torch.Tensor, bool]:
    """The logits an activation output remembers (as tf.keras uses them), else output unchanged."""
    logits = getattr(output, "_keras_logits", None)
    if logits is None:
        return output, from_logits
    if from_logits:
        warnings.warn(f'"`{fn_name}` received `from_logits=True`, but the `output` argument was produced by a '
                      f"{op_type} activation and thus does not represent logits. Was this intended?", stacklevel=3)
    return logits, True


def _loss_operands(target: Any, output: Any) -> Tuple[torch.Tensor, torch.Tensor]:
    output = _to_tensor(output)
    return _to_tensor(target, device=output.device).to(output.dtype), output


@keras_op("tf.keras.backend.binary_crossentropy")
def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> torch.Tensor:
    """Element-wise binary cross-entropy; probabilities are clipped to [epsilon, 1 - epsilon]."""
    target, output = _loss_operands(target, output)
    output, from_logits = _logits_of(output, from_logits, "Sigmoid", "binary_crossentropy")
    if from_logits:
        return F.binary_cross_entropy_with_logits(output, target, reduction="none")
    eps = epsilon()
    output = torch.clamp(output, eps, 1.0 - eps)
    return -(target * torch.log(output + eps) + (1 - target) * torch.log(1 - output + eps))


@keras_op("tf.keras.backend.categorical_crossentropy")
def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> torch.Tensor:
    """Cross-entropy over `axis` with one-hot targets; probabilities are renormalized and clipped."""
    target, output = _loss_operands(target, output)
    if target.shape != output.shape:
        raise ValueError(f"Shapes {tuple(target.shape)} and {tuple(output.shape)} are incompatible")
    output, from_logits = _logits_of(output, from_logits, "Softmax", "categorical_crossentropy")
    if from_logits:
        return -torch.sum(target * torch.log_softmax(output, dim=axis), dim=axis)
    eps = epsilon()
    output = torch.clamp(output / torch.sum(output, dim=axis, keepdim=True), eps, 1.0 - eps)
    return -torch.sum(target * torch.log(output), dim=axis)


@keras_op("tf.keras.backend.sparse_categorical_crossentropy")
def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1,
                                    ignore_class: Optional[int] = None) -> torch.Tensor:
    """Cross-entropy with integer targets, classes on `axis`; the result has output's shape without it.

    With `ignore_class`, those targets give 0 and the result carries a `_keras_mask` of the others.
    """
    output = _to_tensor(output)
    target = _to_tensor(target, device=output.device).long()
    output, from_logits = _logits_of(output, from_logits, "Softmax", "sparse_categorical_crossentropy")
    if not from_logits:
        eps = epsilon()
        output = torch.log(torch.clamp(output, eps, 1 - eps))
    output = output.movedim(axis, -1)
    result_shape = output.shape[:-1]
    loss = F.cross_entropy(output.reshape(-1, output.shape[-1]), target.reshape(-1), reduction="none",
                           ignore_index=-100 if ignore_class is None else int(ignore_class)).reshape(result_shape)
    if ignore_class is not None:
        loss._keras_mask = (target != ignore_class).reshape(result_shape)
    return loss


# ---- shapes and indexing ------------------------------------------------------------------------


@keras_op("tf.compat.v1.shape")
def shape(x: Any) -> torch.Tensor:
    """The dynamic shape as a 1-D int32 tensor (on the CPU, so reading it needs no device sync)."""
    return torch.tensor(tuple(_to_tensor(x).shape), dtype=torch.int32)


@keras_op("tf.concat")
def concatenate(tensors: Sequence[Any], axis: int = -1) -> torch.Tensor:
    """The tensors joined along `axis`."""
    return torch.cat([_to_tensor(t) for t in tensors], dim=axis)


@keras_op("tf.stack")
def stack(x: Sequence[Any], axis: int = 0) -> torch.Tensor:
    """The tensors stacked along a new axis."""
    return torch.stack([_to_tensor(t) for t in x], dim=axis)


@keras_op("tf.reshape")
def reshape(x: Any, shape: ShapeLike) -> torch.Tensor:
    """x with a new shape (one entry may be -1)."""
    return torch.reshape(_to_tensor(x), _shape_tuple(shape))


@keras_op("tf.reshape")
def flatten(x: Any) -> torch.Tensor:
    """x as a 1-D tensor."""
    return torch.reshape(_to_tensor(x), (-1,))


@keras_op("tf.keras.backend.batch_flatten")
def batch_flatten(x: Any) -> torch.Tensor:
    """x as (batch, everything else)."""
    x = _to_tensor(x)
    return x.flatten(1) if x.ndim > 1 else x.reshape(-1, 1)


@keras_op("tf.expand_dims")
def expand_dims(x: Any, axis: int = -1) -> torch.Tensor:
    """x with a new size-1 axis at `axis`."""
    return torch.unsqueeze(_to_tensor(x), axis)


@keras_op("tf.compat.v1.squeeze")
def squeeze(x: Any, axis: int) -> torch.Tensor:
    """x without the size-1 axis `axis`."""
    x = _to_tensor(x)
    if x.shape[axis] != 1:
        raise ValueError(f"Can not squeeze dim[{axis % x.ndim}], expected a dimension of 1, got "
                         f"{x.shape[axis]} for input with shape {tuple(x.shape)}")
    return torch.squeeze(x, axis)


@keras_op("tf.compat.v1.transpose")
def permute_dimensions(x: Any, pattern: Sequence[int]) -> torch.Tensor:
    """x with its axes reordered as `pattern`."""
    return _to_tensor(x).permute(tuple(pattern))


@keras_op("tf.compat.v1.transpose")
def transpose(x: Any) -> torch.Tensor:
    """x with all its axes reversed."""
    x = _to_tensor(x)
    return x.permute(tuple(reversed(range(x.ndim))))


@keras_op("tf.tile")
def repeat(x: Any, n: int) -> torch.Tensor:
    """A 2-D x (samples, dim) repeated n times as (samples, n, dim)."""
    x = _to_tensor(x)
    if x.ndim != 2:
        raise ValueError(f"`repeat` expects a 2D tensor, got shape {tuple(x.shape)}.")
    return x.unsqueeze(1).repeat(1, int(n), 1)


@_symbolic(lambda x, rep, axis: "tf.reshape" if int_shape(x)[axis] is None else "tf.concat")
def repeat_elements(x: Any, rep: int, axis: int) -> torch.Tensor:
    """Each element along `axis` repeated `rep` times (like np.repeat)."""
    return torch.repeat_interleave(_to_tensor(x), int(rep), dim=axis)


@keras_op("tf.tile")
def tile(x: Any, n: Union[int, Sequence[int]]) -> torch.Tensor:
    """x repeated n[i] times along axis i."""
    return torch.tile(_to_tensor(x), _shape_tuple(n))


@keras_op("tf.reverse")
def reverse(x: Any, axes: Union[int, Sequence[int]]) -> torch.Tensor:
    """x reversed along `axes`."""
    return torch.flip(_to_tensor(x), _shape_tuple(axes))


@keras_op("tf.compat.v1.gather")
def gather(reference: Any, indices: Any) -> torch.Tensor:
    """Rows of `reference` at `indices`: shape indices.shape + reference.shape[1:]."""
    reference = _to_tensor(reference)
    if isinstance(indices, (int, np.integer)):
        return reference[int(indices)]
    return reference[_to_tensor(indices, device=reference.device).long()]


@keras_op("tf.one_hot")
def one_hot(indices: Any, num_classes: int) -> torch.Tensor:
    """float32 one-hot vectors on a new last axis; out-of-range indices give all zeros."""
    indices = _to_tensor(indices)
    classes = torch.arange(int(num_classes), device=indices.device)
    return (indices.unsqueeze(-1) == classes).to(torch.float32)


def _data_format(data_format: Optional[str]) -> str:
    data_format = data_format or image_data_format()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError("Unknown data_format: " + str(data_format))
    return data_format


def _spatial_pad(x: Any, padding: Sequence[Sequence[int]], data_format: Optional[str]) -> torch.Tensor:
    """Pads the spatial axes of a channels-first or channels-last tensor."""
    spatial = [tuple(p) for p in padding]
    pattern = [(0, 0), (0, 0)] + spatial if _data_format(data_format) == "channels_first" else \
        [(0, 0)] + spatial + [(0, 0)]
    return _pad(_to_tensor(x), pattern)


@keras_op("tf.compat.v1.pad")
def temporal_padding(x: Any, padding: Tuple[int, int] = (1, 1)) -> torch.Tensor:
    """Zero-pads axis 1 of a 3-D tensor by (before, after)."""
    return _pad(_to_tensor(x), [(0, 0), tuple(padding), (0, 0)])


@keras_op("tf.compat.v1.pad")
def spatial_2d_padding(x: Any, padding: Sequence[Sequence[int]] = ((1, 1), (1, 1)),
                       data_format: Optional[str] = None) -> torch.Tensor:
    """Zero-pads the two spatial axes of a 4-D tensor."""
    return _spatial_pad(x, padding, data_format)


@keras_op("tf.compat.v1.pad")
def spatial_3d_padding(x: Any, padding: Sequence[Sequence[int]] = ((1, 1), (1, 1), (1, 1)),
                       data_format: Optional[str] = None) -> torch.Tensor:
    """Zero-pads the three spatial axes of a 5-D tensor."""
    return _spatial_pad(x, padding, data_format)


# ---- linear algebra ---------------------------------------------------------------------------


@_symbolic(lambda x, y: "tf.reshape" if ndim(x) > 2 or ndim(y) > 2 else "tf.linalg.matmul")
def dot(x: Any, y: Any) -> torch.Tensor:
    """Like numpy.dot: sums over the last axis of x and the second-to-last of y."""
    x, y = _operands(x, y)
    if x.ndim > 2 or y.ndim > 2:
        return torch.tensordot(x, y, dims=([x.ndim - 1], [y.ndim - 2]))
    return torch.matmul(x, y)


def _batch_dot_name(x: Any, y: Any, axes: Any) -> str:
    x_rank, y_rank = ndim(x), ndim(y)
    if x_rank == 2 or y_rank == 2:
        return "tf.compat.v1.squeeze"
    return "tf.reshape" if x_rank > 3 or y_rank > 3 else "tf.linalg.matmul"


def _batch_dot_axes(x_shape: tuple, y_shape: tuple, axes: Any) -> Tuple[int, int]:
    """Validated, non-negative (x axis, y axis) to contract, tf.keras's defaults for None."""
    x_rank, y_rank = len(x_shape), len(y_shape)
    if x_rank < 2 or y_rank < 2:
        raise ValueError(f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes {x_shape} "
                         f"and {y_shape}.")
    if x_shape[0] is not None and y_shape[0] is not None and x_shape[0] != y_shape[0]:
        raise ValueError(f"Cannot do batch_dot on inputs with different batch sizes. Received inputs with shapes "
                         f"{x_shape} and {y_shape}.")
    if isinstance(axes, int):
        axes = [axes, axes]
    elif axes is None:
        axes = [x_rank - 1, y_rank - 1 if y_rank == 2 else y_rank - 2]
    if builtins.any(isinstance(a, (list, tuple)) for a in axes):
        raise ValueError(f"Multiple target dimensions are not supported. Expected: None, int, (int, int), "
                         f"Provided: {axes}")
    a0 = axes[0] + x_rank if axes[0] < 0 else axes[0]
    a1 = axes[1] + y_rank if axes[1] < 0 else axes[1]
    if a0 == 0 or a1 == 0:
        raise ValueError("Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy batch "
                         "dimension to your inputs using K.expand_dims(x, 0)")
    d1, d2 = x_shape[a0], y_shape[a1]
    if d1 is not None and d2 is not None and d1 != d2:
        raise ValueError(f"Cannot do batch_dot on inputs with shapes {x_shape} and {y_shape} with axes={[a0, a1]}. "
                         f"x.shape[{a0}] != y.shape[{a1}] ({d1} != {d2}).")
    return a0, a1


@_symbolic(_batch_dot_name)
def batch_dot(x: Any, y: Any, axes: Optional[Union[int, Sequence[int]]] = None) -> torch.Tensor:
    """Per-sample dot product over axes (x axis, y axis); the result is x's other axes then y's.

    A rank-1 result per sample is kept as (batch, 1).
    """
    x, y = _operands(x, y)
    a0, a1 = _batch_dot_axes(tuple(x.shape), tuple(y.shape), axes)
    x_rank, y_rank = x.ndim, y.ndim
    x = x.movedim(a0, -1)
    y = y.movedim(a1, 1)
    if x_rank == 2:
        x = x.unsqueeze(1)
    if y_rank == 2:
        y = y.unsqueeze(2)
    x_rest, y_rest = tuple(x.shape[1:-1]), tuple(y.shape[2:])
    out = torch.bmm(x.reshape(x.shape[0], -1, x.shape[-1]), y.reshape(y.shape[0], y.shape[1], -1))
    out = out.reshape((out.shape[0],) + x_rest + y_rest)
    if x_rank == 2:
        return out.squeeze(1)
    return out.squeeze(-1) if y_rank == 2 else out


# ---- control flow -----------------------------------------------------------------------------


def _call(value: Any) -> Any:
    return value() if callable(value) else value


@_symbolic(lambda condition, then_expression, else_expression:
           "tf.keras.backend.switch" if ndim(condition) == 0 else "tf.where")
def _switch(condition: Any, then_expression: Any, else_expression: Any) -> torch.Tensor:
    condition = _to_tensor(condition).bool()
    then_value, else_value = _to_tensor(_call(then_expression)), _to_tensor(_call(else_expression))
    if condition.ndim > then_value.ndim:
        raise ValueError(f"Rank of `condition` should be less than or equal to rank of `then_expression` and "
                         f"`else_expression`. ndim(condition)={condition.ndim}, "
                         f"ndim(then_expression)={then_value.ndim}")
    if condition.ndim > 1:
        condition = _expand_to(condition, then_value.ndim)
    return torch.where(condition, then_value, _beside(else_value, then_value))


def switch(condition: Any, then_expression: Any, else_expression: Any) -> Any:
    """then_expression where condition is true, else else_expression (callables are called).

    A condition of rank > 1 is aligned with the leading axes of the expressions; a python bool picks a branch.
    """
    if isinstance(condition, (bool, int)):
        return _call(then_expression if condition else else_expression)
    return _switch(condition, then_expression, else_expression)


def in_train_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """x in the training phase, alt otherwise; `training` defaults to the layer call's flag, then learning_phase()."""
    if training is None:
        training = call_context.state.training
    if training is None:
        training = learning_phase()
    return switch(training, x, alt)


def in_test_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """x in the test phase, alt otherwise."""
    return in_train_phase(alt, x, training=training)


@keras_op("tf.map_fn")
def map_fn(fn: Callable, elems: Any, name: Optional[str] = None, dtype: Any = None) -> torch.Tensor:
    """fn applied to each slice of elems along axis 0, stacked."""
    out = torch.stack([fn(e) for e in _to_tensor(elems).unbind(0)])
    return out if dtype is None else out.to(to_torch_dtype(dtype))


def _fold(fn: Callable, elems: Any, initializer: Any, reverse_order: bool) -> Any:
    items = list(_to_tensor(elems).unbind(0))
    if reverse_order:
        items.reverse()
    accumulator = items.pop(0) if initializer is None else initializer
    for item in items:
        accumulator = fn(accumulator, item)
    return accumulator


@keras_op("tf.compat.v1.foldl")
def foldl(fn: Callable, elems: Any, initializer: Any = None, name: Optional[str] = None) -> Any:
    """fn(accumulator, item) over elems along axis 0, left to right (starting from elems[0] by default)."""
    return _fold(fn, elems, initializer, reverse_order=False)


@keras_op("tf.compat.v1.foldr")
def foldr(fn: Callable, elems: Any, initializer: Any = None, name: Optional[str] = None) -> Any:
    """fn(accumulator, item) over elems along axis 0, right to left (starting from elems[-1] by default)."""
    return _fold(fn, elems, initializer, reverse_order=True)


@_symbolic(lambda **_: "tf.keras.backend.rnn")
def rnn(step_function: Callable, inputs: Any, initial_states: Sequence[Any], go_backwards: bool = False,
        mask: Any = None, constants: Optional[Sequence[Any]] = None, unroll: bool = False,
        input_length: Optional[int] = None, time_major: bool = False, zero_output_for_mask: bool = False,
        return_all_outputs: bool = True) -> Tuple[torch.Tensor, torch.Tensor, List[torch.Tensor]]:
    """Runs `step_function(input_t, states + constants) -> (output_t, new_states)` over the time axis.

    Returns (last output, outputs stacked over time (only the last when not return_all_outputs), final
    states). Where `mask` (batch, time) is false, states keep their values and the output repeats the
    previous one (or is zero with zero_output_for_mask).
    """
    time_axis = 0 if time_major else 1
    flat_inputs = [_to_tensor(t).movedim(time_axis, 0) for t in nest.flatten(inputs)]
    if mask is not None:
        mask = _to_tensor(mask).bool().movedim(time_axis, 0)
    states = list(initial_states)
    constants = tuple(constants or ())
    steps = range(flat_inputs[0].shape[0])
    outputs: List[torch.Tensor] = []
    previous: Optional[torch.Tensor] = None
    for t in (reversed(steps) if go_backwards else steps):
        step_input = nest.pack_sequence_as(inputs, [x[t] for x in flat_inputs])
        output, new_states = step_function(step_input, tuple(states) + constants)
        new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
        if mask is not None:
            keep = mask[t]
            if previous is None or zero_output_for_mask:
                previous = torch.zeros_like(output)
            output = torch.where(_expand_to(keep, output.ndim), output, previous)
            new_states = [torch.where(_expand_to(keep, s.ndim), s, old) for s, old in zip(new_states, states)]
        previous = output
        states = new_states
        outputs.append(output)
    last_output = outputs[-1]
    stacked = torch.stack(outputs if return_all_outputs else outputs[-1:], dim=time_axis)
    return last_output, stacked, states


# ---- debugging ----------------------------------------------------------------------------------


def print_tensor(x: Any, message: str = "", summarize: int = 3) -> Any:
    """Prints message and x's value (a host sync: for debugging); returns x."""
    print(message, get_value(x))
    return x

