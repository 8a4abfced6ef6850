"""Normalization layers: BatchNormalization, LayerNormalization, UnitNormalization."""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from torchkeras_api import constraints, initializers, regularizers
from torchkeras_api.engine import call_context
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec


def _normalize_axes(axis: Any, ndim: int) -> List[int]:
    """`axis` (an int or ints, negative from the end) as sorted non-negative axes of a rank-`ndim` input."""
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    normalized = sorted(a + ndim if a < 0 else a for a in axes)
    if any(not 0 <= a < ndim for a in normalized) or len(set(normalized)) != len(normalized):
        raise ValueError(f"Invalid value for `axis` argument. Expected 0 <= axis < inputs.rank (with "
                         f"inputs.rank={ndim}). Received: axis={tuple(axes)}")
    return normalized


def _broadcast_shape(axes: Sequence[int], input_shape: Sequence[Optional[int]]) -> Tuple[int, ...]:
    """Shape that broadcasts a per-`axes` parameter against the input."""
    return tuple(input_shape[i] if i in axes else 1 for i in range(len(input_shape)))


def _affine(x: torch.Tensor, gamma: Optional[torch.Tensor], beta: Optional[torch.Tensor]) -> torch.Tensor:
    if gamma is not None:
        x = x * gamma
    return x + beta if beta is not None else x


class _AffineNormalization(Layer):
    """Shared `center`/`scale` arguments and the gamma/beta weights of batch and layer normalization."""

    def __init__(self, axis: Any, epsilon: float, center: bool, scale: bool, beta_initializer: Any,
                 gamma_initializer: Any, beta_regularizer: Any, gamma_regularizer: Any, beta_constraint: Any,
                 gamma_constraint: Any, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
        elif not isinstance(axis, int):
            raise TypeError(f"Expected an int or a list/tuple of ints for the argument 'axis', but received: {axis}")
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def _add_affine_weights(self, shape: Tuple[int, ...]) -> None:
        self.gamma = self.add_weight("gamma", shape=shape, initializer=self.gamma_initializer,
                                     regularizer=self.gamma_regularizer, constraint=self.gamma_constraint) \
            if self.scale else None
        self.beta = self.add_weight("beta", shape=shape, initializer=self.beta_initializer,
                                    regularizer=self.beta_regularizer, constraint=self.beta_constraint) \
            if self.center else None

    def _affine_config(self) -> Dict[str, Any]:
        return {
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
        }

    def _penalty_config(self) -> Dict[str, Any]:
        return {
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        }


class BatchNormalization(_AffineNormalization):
    """Normalizes with the batch's statistics when training (updating moving averages of them) and with
    the moving statistics otherwise; a layer with `trainable=False` always runs in inference mode.

    As in tf.keras, the moving variance takes the unbiased batch variance where TensorFlow uses its fused
    kernel (4D inputs normalized on axis 1 or 3, 5D on axis 1 or 4, not `synchronized`) and the biased
    variance elsewhere. `synchronized` (across replicas) changes nothing else on one device.
    """

    def __init__(self, axis: Any = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, synchronized: bool = False, renorm: bool = False,
                 renorm_clipping: Any = None, renorm_momentum: float = 0.99, fused: Optional[bool] = None,
                 trainable: bool = True, virtual_batch_size: Optional[int] = None, adjustment: Any = None,
                 name: Optional[str] = None, **kwargs: Any):
        for option, value in (("renorm", renorm), ("virtual_batch_size", virtual_batch_size),
                              ("adjustment", adjustment)):
            if value:
                raise NotImplementedError(f"BatchNormalization does not support `{option}` in torchkeras_api. "
                                          f"Received: {option}={value!r}")
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, trainable=trainable, name=name,
                         **kwargs)
        self.momentum = momentum
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.fused = fused
        self.synchronized = synchronized

    def build(self, input_shape: Any) -> None:
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        axes = _normalize_axes(self.axis, ndim)
        for a in axes:
            if input_shape[a] is None:
                raise ValueError(f"Input has undefined `axis` dimension. Received input with shape "
                                 f"{input_shape} and axis={axes}")
        self.axis = axes
        self._axes = axes
        fusable = not self.synchronized and len(axes) == 1 and ndim in (4, 5) and axes[0] in (1, ndim - 1)
        if self.fused and not fusable:
            raise ValueError(f"Layer {self.name}: `fused=True` needs a 4D or 5D input normalized on its first "
                             f"or last axis, without `synchronized`. Received: input_shape={input_shape}, "
                             f"axis={axes}, synchronized={self.synchronized}")
        self.fused = fusable if self.fused is None else bool(self.fused)
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in axes})
        shape = (input_shape[axes[0]],) if len(axes) == 1 else (1,) + _broadcast_shape(axes, input_shape)[1:]
        self._add_affine_weights(shape)
        self.moving_mean = self.add_weight("moving_mean", shape=shape, initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape=shape,
                                               initializer=self.moving_variance_initializer, trainable=False)
        self._param_shape = _broadcast_shape(axes, input_shape)
        self._reduction_axes = [i for i in range(ndim) if i not in axes]
        self.built = True

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        training = bool(training) and self.trainable
        if len(self._axes) == 1 and (self.fused or not training):
            return self._torch_batch_norm(inputs, training)
        if training:
            return self._batch_statistics_norm(inputs)
        return self._normalize(inputs, self.moving_mean, self.moving_variance)

    def _torch_batch_norm(self, inputs: torch.Tensor, training: bool) -> torch.Tensor:
        """F.batch_norm on a channels-first view: inference, or training with the unbiased moving variance."""
        updating = training and not call_context.state.inferring
        axis = self._axes[0]
        outputs = F.batch_norm(inputs.movedim(axis, 1),
                               self.moving_mean if updating or not training else None,
                               self.moving_variance if updating or not training else None,
                               self.gamma, self.beta, training, 1.0 - self.momentum, self.epsilon)
        return outputs.movedim(1, axis)

    def _batch_statistics_norm(self, inputs: torch.Tensor) -> torch.Tensor:
        """Normalizes with the batch's statistics; the moving variance takes the biased batch variance."""
        variance, mean = torch.var_mean(inputs, dim=self._reduction_axes, correction=0, keepdim=True)
        if not call_context.state.inferring:
            with torch.no_grad():
                weight = 1.0 - self.momentum
                self.moving_mean.lerp_(mean.detach().view(self.moving_mean.shape), weight)
                self.moving_variance.lerp_(variance.detach().view(self.moving_variance.shape), weight)
        return self._normalize(inputs, mean, variance)

    def _normalize(self, inputs: torch.Tensor, mean: torch.Tensor, variance: torch.Tensor) -> torch.Tensor:
        shape = self._param_shape
        x = (inputs - mean.view(shape)) * torch.rsqrt(variance.view(shape) + self.epsilon)
        return _affine(x, None if self.gamma is None else self.gamma.view(shape),
                       None if self.beta is None else self.beta.view(shape))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                       "center": self.center, "scale": self.scale})
        config.update(self._affine_config())
        config.update({
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
        })
        config.update(self._penalty_config())
        return config


class LayerNormalization(_AffineNormalization):
    """Normalizes each example over `axis` (the last axis by default), then scales by gamma and adds beta."""

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer: Any = "zeros", gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None, gamma_constraint: Any = None,
                 **kwargs: Any):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)

    def build(self, input_shape: Any) -> None:
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        axes = _normalize_axes(self.axis, ndim)
        self.axis = axes
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ValueError(f"Layer {self.name}: the normalized axes {axes} must have known sizes. "
                             f"Received: input_shape={input_shape}")
        self._add_affine_weights(shape)
        self._axes = axes
        self._normalized_shape = shape if axes == list(range(ndim - len(axes), ndim)) else None
        self._param_shape = _broadcast_shape(axes, input_shape)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if self._normalized_shape is not None:
            return F.layer_norm(inputs, self._normalized_shape, self.gamma, self.beta, self.epsilon)
        variance, mean = torch.var_mean(inputs, dim=self._axes, correction=0, keepdim=True)
        x = (inputs - mean) * torch.rsqrt(variance + self.epsilon)
        shape = self._param_shape
        return _affine(x, None if self.gamma is None else self.gamma.view(shape),
                       None if self.beta is None else self.beta.view(shape))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale})
        config.update(self._affine_config())
        config.update(self._penalty_config())
        return config


class GroupNormalization(_AffineNormalization):
    """Splits the channels (`axis`) into `groups` and normalizes each example over each group's channels
    and all other non-batch axes, then scales by gamma and adds beta (per channel)."""

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        self.groups = groups

    def build(self, input_shape: Any) -> None:
        input_shape = tuple(input_shape)
        axis = self.axis if self.axis >= 0 else self.axis + len(input_shape)
        if not 0 < axis < len(input_shape):
            raise ValueError(f"Layer {self.name}: `axis` {self.axis} is out of range for inputs of shape "
                             f"{input_shape} (the batch axis cannot be normalized over).")
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {input_shape}.")
        if channels < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of channels "
                             f"({channels}).")
        if channels % self.groups:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the number of channels "
                             f"({channels}).")
        self._channel_axis = axis
        self._add_affine_weights((channels,))
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        channels_first = inputs.movedim(self._channel_axis, 1)
        outputs = F.group_norm(channels_first, self.groups, self.gamma, self.beta, self.epsilon)
        return outputs.movedim(1, self._channel_axis)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"groups": self.groups, "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                       "scale": self.scale})
        config.update(self._affine_config())
        config.update(self._penalty_config())
        return config


class UnitNormalization(Layer):
    """Scales each example to unit L2 norm over `axis`."""

    def __init__(self, axis: Any = -1, **kwargs: Any):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            axis = list(axis)
        elif not isinstance(axis, int):
            raise TypeError(f"Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                            f"Received: axis={axis}")
        self.axis = axis
        self.supports_masking = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        squares = torch.sum(inputs * inputs, dim=self.axis, keepdim=True)
        return inputs * torch.rsqrt(torch.clamp_min(squares, 1e-12))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["axis"] = self.axis
        return config
