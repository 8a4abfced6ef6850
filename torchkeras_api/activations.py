"""tf.keras.activations on torch tensors."""
import warnings
from typing import Any, Callable, Dict, Optional, Sequence, Union

import torch
import torch.nn.functional as F

from torchkeras_api.saving.object_registry import get_registered_name, get_registered_object
from torchkeras_api.saving.serialization import deserialize_keras_object, serialize_keras_object

__all__ = [
    "elu", "exponential", "gelu", "hard_sigmoid", "leaky_relu", "linear", "log_softmax", "mish", "relu",
    "relu6", "selu", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh",
    "get", "serialize", "deserialize",
]

Axis = Union[int, Sequence[int]]

# Layers from keras.layers that tf.keras also resolves as activations by class name.
_ACTIVATION_LAYER_NAMES = ("ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ThresholdedReLU")


def linear(x: torch.Tensor) -> torch.Tensor:
    """Identity: returns `x` unchanged."""
    return x


def relu(x: torch.Tensor, alpha: float = 0.0, max_value: Optional[float] = None,
         threshold: float = 0.0) -> torch.Tensor:
    """Rectified linear unit with optional leak `alpha`, cap `max_value` and cut-off `threshold`.

    Returns `x` where `x > threshold`, else `alpha * (x - threshold)`; the kept part is clipped to
    `[0, max_value]` when `max_value` is given.
    """
    if threshold == 0 and max_value is None:
        return torch.relu(x) if alpha == 0 else F.leaky_relu(x, alpha)
    if threshold == 0 and max_value == 6 and alpha == 0:
        return F.relu6(x)
    out = x * (x > threshold).to(x.dtype) if threshold != 0 else torch.relu(x)
    if max_value is not None:
        out = torch.clamp(out, 0.0, max_value)
    if alpha != 0:
        out = out - alpha * torch.relu(threshold - x)
    return out


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """Exponential linear unit: `x` if `x > 0` else `alpha * (exp(x) - 1)`."""
    return F.elu(x, alpha)


def selu(x: torch.Tensor) -> torch.Tensor:
    """Scaled exponential linear unit (Klambauer et al., 2017)."""
    return F.selu(x)


def gelu(x: torch.Tensor, approximate: bool = False) -> torch.Tensor:
    """Gaussian error linear unit; `approximate=True` uses the tanh approximation."""
    return F.gelu(x, approximate="tanh" if approximate else "none")


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Logistic sigmoid `1 / (1 + exp(-x))`; the result keeps `x` as `_keras_logits` for the crossentropies."""
    out = torch.sigmoid(x)
    out._keras_logits = x
    return out


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear sigmoid: `clip(0.2 * x + 0.5, 0, 1)`."""
    return torch.clamp(x * 0.2 + 0.5, 0.0, 1.0)


def exponential(x: torch.Tensor) -> torch.Tensor:
    """`exp(x)`."""
    return torch.exp(x)


def tanh(x: torch.Tensor) -> torch.Tensor:
    """Hyperbolic tangent."""
    return torch.tanh(x)


def softplus(x: torch.Tensor) -> torch.Tensor:
    """`log(exp(x) + 1)`."""
    return F.softplus(x)


def softsign(x: torch.Tensor) -> torch.Tensor:
    """`x / (abs(x) + 1)`."""
    return F.softsign(x)


def swish(x: torch.Tensor) -> torch.Tensor:
    """Swish / SiLU: `x * sigmoid(x)`."""
    return F.silu(x)


silu = swish


def mish(x: torch.Tensor) -> torch.Tensor:
    """`x * tanh(softplus(x))`."""
    return F.mish(x)


def relu6(x: torch.Tensor) -> torch.Tensor:
    """`min(max(x, 0), 6)`."""
    return F.relu6(x)


def leaky_relu(x: torch.Tensor, alpha: float = 0.2) -> torch.Tensor:
    """`x` if `x > 0` else `alpha * x`."""
    return F.leaky_relu(x, alpha)


def softmax(x: torch.Tensor, axis: Axis = -1) -> torch.Tensor:
    """Softmax over `axis` (an int or a sequence of ints); inputs must be at least 2-D.

    The result keeps `x` as `_keras_logits`, which the crossentropies use instead of the probabilities.
    """
    if x.dim() <= 1:
        raise ValueError(f"Cannot apply softmax to a tensor that is 1D. Received input: {x}")
    if isinstance(axis, int):
        out = torch.softmax(x, dim=axis)
    else:
        out = torch.exp(x - torch.logsumexp(x, dim=tuple(axis), keepdim=True))
    out._keras_logits = x
    return out


def log_softmax(x: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Logarithm of the softmax over `axis`."""
    return torch.log_softmax(x, dim=axis)


_ACTIVATIONS: Dict[str, Callable[..., torch.Tensor]] = {
    fn.__name__: fn for fn in (
        elu, exponential, gelu, hard_sigmoid, leaky_relu, linear, log_softmax, mish, relu, relu6, selu,
        sigmoid, softmax, softplus, softsign, swish, tanh)
}
_ACTIVATIONS["silu"] = swish


def _module_objects() -> Dict[str, Any]:
    """Built-in activation functions plus the activation layer classes, once keras.layers has them."""
    objects: Dict[str, Any] = dict(_ACTIVATIONS)
    try:
        from torchkeras_api import layers
    except ImportError:
        return objects
    for name in _ACTIVATION_LAYER_NAMES:
        if hasattr(layers, name):
            objects[name] = getattr(layers, name)
    return objects


def serialize(activation: Callable[..., Any]) -> Union[str, Dict[str, Any]]:
    """The name of a built-in activation; a config dict for a layer or a custom function."""
    name = getattr(activation, "__name__", None)
    registered = get_registered_name(activation) if callable(activation) else None
    if name in _ACTIVATIONS and registered == name:
        return name
    if hasattr(activation, "get_config"):
        return serialize_keras_object(activation)
    if callable(activation) and name is not None:
        if name == "<lambda>":
            warnings.warn("The activation being serialized is a `lambda`, which cannot be deserialized. "
                          "Use a named function registered with `register_keras_serializable` instead.")
        return {"module": "builtins", "class_name": "function", "config": registered,
                "registered_name": "function"}
    raise ValueError(f"Unknown activation function '{activation}' cannot be serialized. Use the name of a "
                     "built-in activation or register a custom one with `register_keras_serializable`.")


def deserialize(name: Union[str, Dict[str, Any]],
                custom_objects: Optional[Dict[str, Any]] = None) -> Callable[..., Any]:
    """The activation named by `name` (a string or a config dict); custom objects take precedence."""
    if isinstance(name, dict) and name.get("class_name") == "function" and isinstance(name.get("config"), str):
        return deserialize(name["config"], custom_objects)
    if isinstance(name, str):
        found = get_registered_object(name, custom_objects, _module_objects())
        if found is None:
            raise ValueError(f"Unknown activation function '{name}' cannot be deserialized.")
        return found
    if isinstance(name, dict):
        return deserialize_keras_object(name, _module_objects(), custom_objects, "activation function")
    raise ValueError(f"Unknown activation function '{name}' cannot be deserialized.")


def get(identifier: Any) -> Callable[..., Any]:
    """An activation callable from None (linear), a name, a config dict or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier}")
