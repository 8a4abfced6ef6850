"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax, ThresholdedReLU."""
from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras_api import backend_config, constraints, initializers, regularizers
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec


def _floatx_array(value: Any) -> np.ndarray:
    """`value` as a 0-d array of the global float type (tf.keras's `cast_to_floatx`)."""
    return np.asarray(value, dtype=backend_config.floatx())


def _floatx_float(value: Any) -> float:
    """`value` rounded to the global float type, as a Python float."""
    return float(_floatx_array(value))


class _ActivationLayer(Layer):
    """An element-wise activation: masks pass through."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True


class ReLU(_ActivationLayer):
    """`min(x, max_value)` where `x >= threshold`, else `negative_slope * (x - threshold)`."""

    def __init__(self, max_value: Optional[float] = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs: Any):
        super().__init__(**kwargs)
        for arg, value, allow_none in (("max_value", max_value, True), ("negative_slope", negative_slope, False),
                                       ("threshold", threshold, False)):
            if (value is None and not allow_none) or (value is not None and value < 0.0):
                raise ValueError(f"{arg} of a ReLU layer cannot be a negative value. Received: {value}")
        self.max_value = None if max_value is None else _floatx_array(max_value)
        self.negative_slope = _floatx_array(negative_slope)
        self.threshold = _floatx_array(threshold)
        self._max = None if max_value is None else float(self.max_value)
        self._slope = float(self.negative_slope)
        self._threshold = float(self.threshold)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        slope, max_value, threshold = self._slope, self._max, self._threshold
        if max_value is None and threshold == 0.0:
            return torch.relu(inputs) if slope == 0.0 else F.leaky_relu(inputs, slope)
        if threshold != 0.0:
            outputs = F.threshold(inputs, threshold, 0.0)
        elif max_value == 6.0:
            outputs, max_value = F.relu6(inputs), None
        else:
            outputs = torch.relu(inputs)
        if max_value is not None:
            outputs = torch.clamp(outputs, 0.0, max_value)
        if slope != 0.0:
            outputs = torch.add(outputs, torch.relu(threshold - inputs), alpha=-slope)
        return outputs

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"max_value": self.max_value, "negative_slope": self.negative_slope,
                       "threshold": self.threshold})
        return config


class LeakyReLU(_ActivationLayer):
    """`x` where `x >= 0`, else `alpha * x`."""

    def __init__(self, alpha: float = 0.3, **kwargs: Any):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError("The alpha value of a Leaky ReLU layer cannot be None, Expecting a float. "
                             f"Received: {alpha}")
        self.alpha = _floatx_float(alpha)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(inputs, self.alpha)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class ELU(_ActivationLayer):
    """`x` where `x > 0`, else `alpha * (exp(x) - 1)`."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        if alpha is None:
            raise ValueError(f"Alpha of an ELU layer cannot be None, expecting a float. Received: {alpha}")
        self.alpha = _floatx_float(alpha)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.elu(inputs, self.alpha)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class ThresholdedReLU(_ActivationLayer):
    """`x` where `x > theta`, else 0."""

    def __init__(self, theta: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        if theta is None:
            raise ValueError(f"Theta of a Thresholded ReLU layer cannot be None, expecting a float. Received: {theta}")
        if theta < 0:
            raise ValueError(f"The theta value of a Thresholded ReLU layer should be >=0. Received: {theta}")
        self.theta = _floatx_float(theta)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.threshold(inputs, self.theta, 0.0)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["theta"] = self.theta
        return config


class PReLU(_ActivationLayer):
    """`x` where `x >= 0`, else `alpha * x`, with a learned `alpha` of shape `input_shape[1:]`
    (size 1 along `shared_axes`)."""

    def __init__(self, alpha_initializer: Any = "zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes: Optional[List[int]] = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape: Any) -> None:
        input_shape = tuple(input_shape)
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            param_shape[axis - 1] = 1
        if any(dim is None for dim in param_shape):
            raise ValueError(f"Layer {self.name} (PReLU) needs a known size along every axis that is not shared, "
                             "since `alpha` has one value per position. Received: input_shape="
                             f"{input_shape}, shared_axes={self.shared_axes}. Put the axes of unknown size in "
                             "`shared_axes`.")
        self.alpha = self.add_weight("alpha", shape=param_shape, initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        shared = set(self.shared_axes or ())
        self.input_spec = InputSpec(ndim=len(input_shape),
                                    axes={i: input_shape[i] for i in range(1, len(input_shape)) if i not in shared})
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(torch.relu(inputs), self.alpha, torch.relu(-inputs), value=-1)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": None if self.shared_axes is None else list(self.shared_axes),
        })
        return config


def _large_negative(dtype: torch.dtype) -> float:
    """The value added to masked logits: -1e9, or the lowest float16 where -1e9 does not fit."""
    return torch.finfo(torch.float16).min if dtype == torch.float16 else -1e9


class Softmax(_ActivationLayer):
    """Softmax over `axis` (an int or a list of ints); over one axis, the output keeps its logits for the
    crossentropy losses, as tf.keras's does.

    A `mask` (True/1 = keep, broadcastable to the input) adds a large negative number to the masked
    logits, as tf.keras does; with `robust_masking=True` the masked logits are replaced by it instead, so
    even huge masked logits get zero probability.
    """

    def __init__(self, axis: Any = -1, robust_masking: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.robust_masking = robust_masking

    def call(self, inputs: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if inputs.dim() <= 1:
            raise ValueError(f"Cannot apply softmax to a tensor that is 1D. Received input shape: "
                             f"{tuple(inputs.shape)}")
        if mask is not None:
            inputs = self._apply_mask(inputs, mask)
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        if len(axes) > 1:
            return torch.exp(inputs - torch.logsumexp(inputs, dim=tuple(axes), keepdim=True))
        outputs = torch.softmax(inputs, dim=axes[0])
        outputs._keras_logits = inputs
        return outputs

    def _apply_mask(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        try:
            fits = torch.broadcast_shapes(inputs.shape, mask.shape) == inputs.shape
        except RuntimeError:
            fits = False
        if not fits:
            raise ValueError(f"The mask of Softmax layer {self.name} must broadcast to its input. Received: "
                             f"input shape {tuple(inputs.shape)}, mask shape {tuple(mask.shape)}")
        negative = _large_negative(inputs.dtype)
        if self.robust_masking:
            keep = mask if mask.dtype == torch.bool else mask > 0.5
            return inputs.masked_fill(~keep, negative)
        return torch.add(inputs, 1.0 - mask.to(inputs.dtype), alpha=negative)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["axis"] = list(self.axis) if isinstance(self.axis, list) else self.axis
        if self.robust_masking:
            config["robust_masking"] = True
        return config
