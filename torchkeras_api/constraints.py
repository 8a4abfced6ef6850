"""tf.keras.constraints on torch: callables `(weight) -> projected weight`, weights in Keras layout."""
from typing import Any, Dict, Optional, Sequence, Union

import torch

from torchkeras_api.backend_config import epsilon
from torchkeras_api.saving.serialization import deserialize_instance, get_object, serialize_keras_object

__all__ = [
    "Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "RadialConstraint", "max_norm", "non_neg",
    "unit_norm", "min_max_norm", "radial_constraint", "get", "serialize", "deserialize",
]

Axis = Union[int, Sequence[int], None]


def _norms(w: torch.Tensor, axis: Axis) -> torch.Tensor:
    dim = list(axis) if isinstance(axis, (list, tuple)) else axis
    return torch.sqrt(torch.sum(torch.square(w), dim=dim, keepdim=True))


class Constraint:
    """Base class: `constraint(w)` returns `w` projected onto the allowed set (the identity here)."""

    _keras_module = "keras.constraints"

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments that recreate this constraint."""
        return {}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Constraint":
        """A constraint from its `get_config()` dict."""
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales slices along `axis` whose L2 norm exceeds `max_value`."""

    def __init__(self, max_value: float = 2, axis: Axis = 0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _norms(w, self.axis)
        desired = torch.clamp(norms, 0, self.max_value)
        return w * (desired / (epsilon() + norms))

    def get_config(self) -> Dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Zeroes negative entries."""

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w * (w >= 0).to(w.dtype)


class UnitNorm(Constraint):
    """Rescales slices along `axis` to unit L2 norm."""

    def __init__(self, axis: Axis = 0):
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        return w / (epsilon() + _norms(w, self.axis))

    def get_config(self) -> Dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves slice norms along `axis` into `[min_value, max_value]`, a fraction `rate` of the way per call."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Axis = 0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        norms = _norms(w, self.axis)
        desired = self.rate * torch.clamp(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (epsilon() + norms))

    def get_config(self) -> Dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


class RadialConstraint(Constraint):
    """Makes each square `(height, width)` kernel slice of a Conv2D weight constant on concentric rings.

    As in tf.keras, ring `r` (0 = the centre) takes the value of diagonal element `k[s-1+r, s-1+r]` for odd
    sizes and `k[s-1, s-1]` (centre) / `k[s+r, s+r]` (other rings) for even sizes, with `s = size // 2`.
    """

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        if w.dim() != 4:
            raise ValueError(f"The weight tensor must have rank 4. Received weight tensor with shape: {tuple(w.shape)}")
        size = w.shape[0]
        if size < 2 or w.shape[1] != size:
            raise ValueError("RadialConstraint needs square kernels of size 2 or more. "
                             f"Received weight tensor with shape: {tuple(w.shape)}")
        offsets = torch.abs(torch.arange(size, device=w.device) - (size - 1) / 2.0).floor().long()
        ring = torch.maximum(offsets[:, None], offsets[None, :])
        start = size // 2
        source = torch.where(ring == 0, start - 1, start + ring - size % 2)
        return w[source, source]


max_norm = maxnorm = MaxNorm
non_neg = nonneg = NonNeg
unit_norm = unitnorm = UnitNorm
min_max_norm = MinMaxNorm
radial_constraint = RadialConstraint

_ALL_OBJECTS: Dict[str, type] = {
    name: obj for name, obj in globals().items()
    if isinstance(obj, type) and issubclass(obj, Constraint)
}


def serialize(constraint: Any) -> Optional[Dict[str, Any]]:
    """The tf.keras config dict `{'module', 'class_name', 'config', 'registered_name'}`."""
    return serialize_keras_object(constraint)


def deserialize(config: Union[str, Dict[str, Any]], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """A constraint from a config dict or a name ('max_norm', 'NonNeg', 'unitnorm', ...)."""
    return deserialize_instance(config, _ALL_OBJECTS, custom_objects, "constraint")


def get(identifier: Any) -> Any:
    """A constraint from None (None), a name, a config dict or a callable."""
    return get_object(identifier, deserialize, "constraint function")
