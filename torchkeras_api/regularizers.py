"""tf.keras.regularizers on torch: callables `(weight) -> scalar penalty tensor`."""
import math
import numbers
from typing import Any, Dict, Optional, Union

import torch

from torchkeras_api.backend_config import floatx
from torchkeras_api.saving.serialization import deserialize_keras_object, get_object, serialize_keras_object

__all__ = [
    "Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2", "orthogonal_regularizer",
    "get", "serialize", "deserialize",
]


def _penalty(value: Any) -> float:
    """A finite number, rounded to floatx as tf.keras stores penalties."""
    if not isinstance(value, numbers.Real):
        raise ValueError(f"Value {value} is not a valid regularization penalty number, "
                         "expected an int or float value.")
    if math.isinf(value) or math.isnan(value):
        raise ValueError(f"Value {value} is not a valid regularization penalty number, "
                         "an infinite number or NaN are not valid values.")
    return float(torch.tensor(float(value), dtype=getattr(torch, floatx())))


class Regularizer:
    """Base class: `regularizer(weight)` returns a scalar penalty added to the loss."""

    _keras_module = "keras.regularizers"

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros((), dtype=x.dtype, device=x.device)

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments that recreate this regularizer."""
        raise NotImplementedError(f"{self} does not implement get_config()")

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Regularizer":
        """A regularizer from its `get_config()` dict."""
        return cls(**config)


def _legacy_l(value: Optional[float], kwargs: Dict[str, Any]) -> Optional[float]:
    """tf.keras's L1/L2 also take the penalty as keyword `l`."""
    value = kwargs.pop("l", value)
    if kwargs:
        raise TypeError(f"Argument(s) not recognized: {kwargs}")
    return value


class L1(Regularizer):
    """`l1 * sum(abs(x))`."""

    def __init__(self, l1: Optional[float] = 0.01, **kwargs: Any):
        l1 = _legacy_l(l1, kwargs)
        self.l1 = _penalty(0.01 if l1 is None else l1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l1 * torch.sum(torch.abs(x))

    def get_config(self) -> Dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(square(x))`."""

    def __init__(self, l2: Optional[float] = 0.01, **kwargs: Any):
        l2 = _legacy_l(l2, kwargs)
        self.l2 = _penalty(0.01 if l2 is None else l2)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2 * torch.sum(torch.square(x))

    def get_config(self) -> Dict[str, Any]:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """`l1 * sum(abs(x)) + l2 * sum(square(x))`; a zero factor drops its term."""

    def __init__(self, l1: Optional[float] = 0.0, l2: Optional[float] = 0.0):
        self.l1 = _penalty(0.0 if l1 is None else l1)
        self.l2 = _penalty(0.0 if l2 is None else l2)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        penalty = torch.zeros((), dtype=x.dtype, device=x.device)
        if self.l1:
            penalty = penalty + self.l1 * torch.sum(torch.abs(x))
        if self.l2:
            penalty = penalty + self.l2 * torch.sum(torch.square(x))
        return penalty

    def get_config(self) -> Dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Penalises non-orthogonality of the rows (or columns) of a 2-D weight.

    The penalty is `factor` times the mean absolute cosine similarity over distinct pairs of rows
    (`mode='rows'`) or columns (`mode='columns'`), halved.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        if mode not in {"rows", "columns"}:
            raise ValueError('Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                             f"Received: mode={mode}")
        self.factor = _penalty(factor)
        self.mode = mode

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape == "
                             f"{tuple(x.shape)}")
        vectors = x if self.mode == "rows" else x.T
        norms = torch.sqrt(torch.clamp(torch.sum(torch.square(vectors), dim=1, keepdim=True), min=1e-12))
        unit = vectors / norms
        size = unit.shape[0]
        off_diagonal = (unit @ unit.T) * (1.0 - torch.eye(size, dtype=x.dtype, device=x.device))
        num_pairs = size * (size - 1) / 2.0
        return self.factor * 0.5 * torch.sum(torch.abs(off_diagonal)) / num_pairs

    def get_config(self) -> Dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """An L1L2 regularizer with both penalties defaulting to 0.01."""
    return L1L2(l1=l1, l2=l2)


l1 = L1
l2 = L2
orthogonal_regularizer = OrthogonalRegularizer

_ALL_OBJECTS: Dict[str, Any] = {
    "Regularizer": Regularizer, "L1": L1, "L2": L2, "L1L2": L1L2, "OrthogonalRegularizer": OrthogonalRegularizer,
    "l1": L1, "l2": L2, "l1_l2": l1_l2, "orthogonal_regularizer": OrthogonalRegularizer,
}


def serialize(regularizer: Any) -> Optional[Dict[str, Any]]:
    """The tf.keras config dict `{'module', 'class_name', 'config', 'registered_name'}`."""
    return serialize_keras_object(regularizer)


def deserialize(config: Union[str, Dict[str, Any]], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """A regularizer from a config dict or a name ('l1', 'l2', 'l1_l2', 'L1L2', ...)."""
    obj = deserialize_keras_object(config, _ALL_OBJECTS, custom_objects, "regularizer")
    return obj() if isinstance(obj, type) or obj is l1_l2 else obj


def get(identifier: Any) -> Any:
    """A regularizer from None (None), a name, a config dict or a callable."""
    return get_object(identifier, deserialize, "regularizer")
