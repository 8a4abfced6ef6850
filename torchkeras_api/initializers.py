"""tf.keras.initializers on torch: callables `(shape, dtype=None) -> torch.Tensor`."""
import math
import warnings
from typing import Any, Dict, Iterable, Optional, Tuple, Union

import numpy as np
import torch

from torchkeras_api.backend_config import floatx
from torchkeras_api.engine.device import default_device
from torchkeras_api.saving.serialization import deserialize_instance, get_object, serialize_keras_object

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
    "Orthogonal", "Identity", "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "identity", "get", "serialize", "deserialize",
]

Shape = Union[int, Iterable[int]]
DType = Union[str, torch.dtype, np.dtype, None]

_CALL_KWARGS = ("partition_shape", "partition_offset", "layout")
# Standard deviation of a unit normal truncated to [-2, 2].
_TRUNCATED_STDDEV = 0.87962566103423978
# P(|z| < 2) for a unit normal z: unit normals cut at +-2 are erfinv(U(-_ERF_2, _ERF_2)) * sqrt(2).
_ERF_2 = math.erf(math.sqrt(2.0))


def _to_shape(shape: Shape) -> Tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _to_dtype(dtype: DType) -> torch.dtype:
    if dtype is None:
        dtype = floatx()
    if isinstance(dtype, torch.dtype):
        return dtype
    if isinstance(dtype, str):
        name = dtype
    elif isinstance(getattr(dtype, "name", None), str):
        name = dtype.name
    else:
        name = np.dtype(dtype).name
    resolved = getattr(torch, name, None)
    if not isinstance(resolved, torch.dtype):
        raise ValueError(f"Expected numeric or boolean dtype, got {dtype}.")
    return resolved


def _float_dtype(dtype: DType) -> torch.dtype:
    resolved = _to_dtype(dtype)
    if not resolved.is_floating_point:
        raise ValueError(f"Expected floating point type, got {resolved}.")
    return resolved


def _check_call_kwargs(kwargs: Dict[str, Any]) -> None:
    unknown = [key for key in kwargs if key not in _CALL_KWARGS]
    if unknown:
        raise TypeError(f"Unknown keyword arguments: {unknown}. Allowed keyword arguments: {list(_CALL_KWARGS)}.")


def _compute_fans(shape: Tuple[int, ...]) -> Tuple[float, float]:
    """(fan_in, fan_out) of a weight in Keras layout: kernels are `(*receptive_field, in, out)`."""
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive_field = math.prod(shape[:-2])
    return float(shape[-2] * receptive_field), float(shape[-1] * receptive_field)


class Initializer:
    """Base class: `initializer(shape, dtype=None)` returns a new tensor on the default device."""

    _keras_module = "keras.initializers"

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments that recreate this initializer."""
        return {}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Initializer":
        """An initializer from its `get_config()` dict (a stray `dtype` key is ignored)."""
        config = {key: value for key, value in config.items() if key != "dtype"}
        return cls(**config)


class _RandomInitializer(Initializer):
    """Seeded initializers repeat their values on every call; unseeded ones draw a seed once, on first call."""

    def __init__(self, seed: Optional[int] = None):
        self.seed = seed
        self._drawn_seed: Optional[int] = None

    def _generator(self) -> torch.Generator:
        if self.seed is not None:
            seed = int(self.seed)
        elif self._drawn_seed is None:
            seed = self._drawn_seed = int(torch.randint(0, 2 ** 62, ()).item())
        else:
            warnings.warn(f"The initializer {type(self).__name__} is unseeded and being called multiple times, "
                          "which will return identical values each time (even if the initializer is unseeded). "
                          "Please update your code to provide a seed to the initializer, or avoid using the same "
                          "initializer instance more than once.")
            seed = self._drawn_seed
        return torch.Generator(device=default_device()).manual_seed(seed)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed}


def _work_dtype(dtype: torch.dtype) -> torch.dtype:
    """Random values are drawn in float64 for float64 weights and in float32 otherwise."""
    return torch.float64 if dtype == torch.float64 else torch.float32


def _normal(shape: Tuple[int, ...], dtype: torch.dtype, mean: float, stddev: float,
            generator: torch.Generator) -> torch.Tensor:
    values = torch.randn(shape, generator=generator, device=default_device(), dtype=_work_dtype(dtype))
    return (values * stddev + mean).to(dtype)


def _truncated_normal(shape: Tuple[int, ...], dtype: torch.dtype, mean: float, stddev: float,
                      generator: torch.Generator) -> torch.Tensor:
    uniform = torch.rand(shape, generator=generator, device=default_device(), dtype=_work_dtype(dtype))
    values = torch.clamp(torch.erfinv((2.0 * uniform - 1.0) * _ERF_2) * math.sqrt(2.0), -2.0, 2.0)
    return (values * stddev + mean).to(dtype)


def _uniform(shape: Tuple[int, ...], dtype: torch.dtype, minval: float, maxval: float,
             generator: torch.Generator) -> torch.Tensor:
    values = torch.rand(shape, generator=generator, device=default_device(), dtype=_work_dtype(dtype))
    return (values * (maxval - minval) + minval).to(dtype)


class Zeros(Initializer):
    """All zeros."""

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        _check_call_kwargs(kwargs)
        return torch.zeros(_to_shape(shape), dtype=_to_dtype(dtype), device=default_device())


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        _check_call_kwargs(kwargs)
        return torch.ones(_to_shape(shape), dtype=_to_dtype(dtype), device=default_device())


class Constant(Initializer):
    """A scalar `value` everywhere, or an array-like `value` with as many elements as the shape."""

    def __init__(self, value: Any = 0):
        self.value = value

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        _check_call_kwargs(kwargs)
        shape, dtype = _to_shape(shape), _to_dtype(dtype)
        source = np.asarray(self.value.detach().cpu() if isinstance(self.value, torch.Tensor) else self.value)
        integral = not (dtype.is_floating_point or dtype.is_complex or dtype == torch.bool)
        if integral and np.any(source != np.round(source)):
            raise TypeError(f"Cannot convert {self.value} to a tensor of dtype {dtype}.")
        values = torch.as_tensor(source, device=default_device()).to(dtype)
        if values.numel() == 1:
            return values.reshape(()).expand(shape).clone()
        if values.numel() != math.prod(shape):
            raise TypeError(f"Constant value has {values.numel()} elements, but the requested shape {shape} "
                            f"has {math.prod(shape)} elements.")
        return values.reshape(shape)

    def get_config(self) -> Dict[str, Any]:
        return {"value": self.value}


class RandomNormal(_RandomInitializer):
    """Normal distribution with `mean` and `stddev`."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Optional[int] = None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        _check_call_kwargs(kwargs)
        return _normal(_to_shape(shape), _float_dtype(dtype), self.mean, self.stddev, self._generator())

    def get_config(self) -> Dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(_RandomInitializer):
    """Normal distribution with `mean` and `stddev`, redrawn beyond two standard deviations."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Optional[int] = None):
        super().__init__(seed)
        self.mean = mean
        self.stddev = stddev

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        _check_call_kwargs(kwargs)
        return _truncated_normal(_to_shape(shape), _float_dtype(dtype), self.mean, self.stddev, self._generator())

    def get_config(self) -> Dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(_RandomInitializer):
    """Uniform distribution on `[minval, maxval)`; integer dtypes need integer bounds."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Optional[int] = None):
        super().__init__(seed)
        self.minval = minval
        self.maxval = maxval

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        _check_call_kwargs(kwargs)
        shape, resolved = _to_shape(shape), _to_dtype(dtype)
        if resolved.is_floating_point:
            return _uniform(shape, resolved, self.minval, self.maxval, self._generator())
        if resolved == torch.bool or resolved.is_complex:
            raise ValueError(f"Expected float or integer dtype, got {resolved}.")
        for bound in (self.minval, self.maxval):
            if float(bound) != int(bound):
                raise TypeError(f"Cannot convert {bound} to a tensor of dtype {resolved}.")
        return torch.randint(int(self.minval), int(self.maxval), shape, generator=self._generator(),
                             device=default_device(), dtype=resolved)

    def get_config(self) -> Dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(_RandomInitializer):
    """Samples with variance `scale / n`, `n` being fan_in, fan_out or their mean (`mode`).

    `distribution` is 'truncated_normal' (alias 'normal'), 'untruncated_normal' or 'uniform'.
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: Optional[int] = None):
        if scale <= 0.0:
            raise ValueError(f"`scale` must be positive float. Received: scale={scale}.")
        if mode not in {"fan_in", "fan_out", "fan_avg"}:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of the "
                             "{'fan_in', 'fan_out', 'fan_avg'}.")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in {"uniform", "truncated_normal", "untruncated_normal"}:
            raise ValueError(f"Invalid `distribution` argument: {distribution}. Allowed distributions: "
                             "{'uniform', 'truncated_normal', 'untruncated_normal'}.")
        super().__init__(seed)
        self.scale = scale
        self.mode = mode
        self.distribution = distribution

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        _check_call_kwargs(kwargs)
        shape, resolved = _to_shape(shape), _float_dtype(dtype)
        fan_in, fan_out = _compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        generator = self._generator()
        if self.distribution == "truncated_normal":
            return _truncated_normal(shape, resolved, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV, generator)
        if self.distribution == "untruncated_normal":
            return _normal(shape, resolved, 0.0, math.sqrt(variance), generator)
        limit = math.sqrt(3.0 * variance)
        return _uniform(shape, resolved, -limit, limit, generator)

    def get_config(self) -> Dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset whose config is only its seed."""

    _preset: Tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: Optional[int] = None):
        scale, mode, distribution = self._preset
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform on `[-limit, limit]`, `limit = sqrt(6 / (fan_in + fan_out))`."""

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with `stddev = sqrt(2 / (fan_in + fan_out))`."""

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform on `[-limit, limit]`, `limit = sqrt(6 / fan_in)`."""

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with `stddev = sqrt(2 / fan_in)`."""

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform on `[-limit, limit]`, `limit = sqrt(3 / fan_in)`."""

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with `stddev = sqrt(1 / fan_in)`."""

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`; shapes above 2-D are flattened to `(prod(shape[:-1]), shape[-1])`."""

    def __init__(self, gain: float = 1.0, seed: Optional[int] = None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        _check_call_kwargs(kwargs)
        shape, resolved = _to_shape(shape), _float_dtype(dtype)
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        if rows * cols == 0:
            return torch.zeros(shape, dtype=resolved, device=default_device())
        flat = torch.randn((max(rows, cols), min(rows, cols)), generator=self._generator(),
                           device=default_device(), dtype=_work_dtype(resolved))
        q, r = torch.linalg.qr(flat)
        q = q * torch.sign(torch.diagonal(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).to(resolved)

    def get_config(self) -> Dict[str, Any]:
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """`gain` times the (possibly rectangular) identity matrix; 2-D shapes only."""

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape: Shape, dtype: DType = None, **kwargs: Any) -> torch.Tensor:
        _check_call_kwargs(kwargs)
        shape, resolved = _to_shape(shape), _float_dtype(dtype)
        if len(shape) != 2:
            raise ValueError("Identity matrix initializer can only be used for 2D matrices. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        return self.gain * torch.eye(*shape, device=default_device(), dtype=resolved)

    def get_config(self) -> Dict[str, Any]:
        return {"gain": self.gain}


zeros = zero = Zeros
ones = one = Ones
constant = Constant
random_normal = normal = RandomNormal
random_uniform = uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal
identity = Identity
initializer = Initializer

_ALL_OBJECTS: Dict[str, type] = {
    name: obj for name, obj in globals().items()
    if isinstance(obj, type) and issubclass(obj, Initializer) and not name.startswith("_")
}


def serialize(initializer: Any) -> Optional[Dict[str, Any]]:
    """The tf.keras config dict `{'module', 'class_name', 'config', 'registered_name'}`."""
    return serialize_keras_object(initializer)


def deserialize(config: Union[str, Dict[str, Any]], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """An initializer instance from a config dict or a name ('glorot_uniform', 'HeNormal', ...)."""
    return deserialize_instance(config, _ALL_OBJECTS, custom_objects, "initializer")


def get(identifier: Any) -> Any:
    """An initializer from None (None), a name, a config dict, a class (instantiated) or a callable."""
    return get_object(identifier, deserialize, "initializer", instantiate_classes=True)
