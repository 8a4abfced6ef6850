"""Convolution layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions.

Kernels are stored in torch's layout and read/written in tf.keras's through a `Layout`; channels_last
inputs reach torch's convolutions as permuted views (channels_last memory format), not copies.
"""
import functools
from typing import Any, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from torchkeras_api import constraints, initializers, regularizers
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.engine.variables import Layout
from torchkeras_api.layers import conv_utils
from torchkeras_api.layers.core import kernel_bias_config, set_kernel_bias_arguments


def _conv1d(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: Sequence[int],
            padding: Any, dilation: Sequence[int], groups: int) -> torch.Tensor:
    """conv1d as a conv2d over a unit height axis: (batch, steps, channels) data permuted to channels-first
    is then in channels_last memory format, which torch's fast (oneDNN) kernels take without a copy."""
    padding = (0, padding) if isinstance(padding, int) else (0,) + tuple(padding)
    return F.conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1,) + tuple(stride), padding,
                    (1,) + tuple(dilation), groups).squeeze(2)


def _conv_transpose1d(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], stride: Sequence[int],
                      padding: Sequence[int], output_padding: Sequence[int], groups: int,
                      dilation: Sequence[int]) -> torch.Tensor:
    """conv_transpose1d as a conv_transpose2d over a unit height axis (see `_conv1d`)."""
    return F.conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1,) + tuple(stride),
                              (0,) + tuple(padding), (0,) + tuple(output_padding), groups,
                              (1,) + tuple(dilation)).squeeze(2)


_CONV = {1: _conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_TRANSPOSE = {1: _conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _permute(tensor: torch.Tensor, order: Sequence[int]) -> torch.Tensor:
    return tensor.permute(*order)


def _permuted_shape(shape: tuple, order: Sequence[int]) -> tuple:
    return tuple(shape[i] for i in order)


def _layout(rank: int, lead: Tuple[int, int]) -> Layout:
    """Torch storage (a, b, *kernel) <-> tf.keras (*kernel, ...): the torch axes `lead` go last, in that order."""
    to_keras = tuple(range(2, rank + 2)) + lead
    from_keras = tuple(to_keras.index(i) for i in range(rank + 2))
    return Layout(functools.partial(_permute, order=to_keras), functools.partial(_permute, order=from_keras),
                  functools.partial(_permuted_shape, order=to_keras))


def kernel_layout(rank: int) -> Layout:
    """Torch (out, in, *k) <-> tf.keras (*k, in, out); also (in, out, *k) <-> (*k, out, in) for transposes."""
    return _layout(rank, (1, 0))


def depthwise_layout(rank: int) -> Layout:
    """Torch (in, multiplier, *k) <-> tf.keras (*k, in, multiplier)."""
    return _layout(rank, (0, 1))


def _positive_filters(filters: Any) -> int:
    if int(filters) <= 0:
        raise ValueError("Invalid value for argument `filters`. Expected a strictly positive value. "
                         f"Received filters={filters}.")
    return int(filters)


class Conv(Layer):
    """Base of the N-D convolutions: arguments, weights, TensorFlow padding and the data-format plumbing."""

    def __init__(self, rank: int, filters: Optional[int], kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: Optional[str] = None, dilation_rate: Any = 1,
                 groups: int = 1, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = None if filters is None else _positive_filters(filters)
        self.groups = groups or 1
        if filters is not None and filters % self.groups != 0:
            raise ValueError("The number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={self.groups}, filters={filters}.")
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, rank, "strides")
        self.padding = conv_utils.normalize_padding(padding)
        if self.padding == "causal" and rank != 1:
            raise ValueError("Causal padding is only supported for `Conv1D` and `SeparableConv1D`. "
                             f"Received: padding={padding} for layer {self.name}")
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.dilation_rate = conv_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
        set_kernel_bias_arguments(self, activation, use_bias, kernel_initializer, bias_initializer,
                                  kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)
        self._channels_first = self.data_format == "channels_first"
        self._channel_axis = -1 - rank if self._channels_first else -1
        self._to_first = (0, rank + 1) + tuple(range(1, rank + 1))
        self._to_last = (0,) + tuple(range(2, rank + 2)) + (1,)

    # ---- build -----------------------------------------------------------------------------
    def _input_channels(self, input_shape: Any) -> int:
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError("The channel dimension of the inputs should be defined. The input_shape received "
                             f"is {tuple(input_shape)}, where axis {self._channel_axis} (0-based) is the channel "
                             "dimension, which found to be `None`.")
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={self._channel_axis: channels})
        return int(channels)

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        if channels % self.groups != 0:
            raise ValueError("The number of input channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {channels} channels "
                             f"(full input shape is {tuple(input_shape)}).")
        self.kernel = self.add_weight("kernel", shape=self.kernel_size + (channels // self.groups, self.filters),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, layout=kernel_layout(self.rank))
        self.bias = self._add_bias(self.filters)
        self.built = True

    def _add_bias(self, size: int) -> Any:
        if not self.use_bias:
            return None
        return self.add_weight("bias", shape=(size,), initializer=self.bias_initializer,
                               regularizer=self.bias_regularizer, constraint=self.bias_constraint)

    # ---- call ------------------------------------------------------------------------------
    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        weight = self._first_weight()
        if inputs.dtype != weight.dtype:
            inputs = inputs.to(weight.dtype)
        batch_shape = None
        if inputs.ndim > self.rank + 2:
            batch_shape = inputs.shape[:-self.rank - 1]
            inputs = inputs.reshape((-1,) + tuple(inputs.shape[-self.rank - 1:]))
        x = inputs if self._channels_first else inputs.permute(*self._to_first)
        outputs = self._convolve(x)
        if not self._channels_first:
            outputs = outputs.permute(*self._to_last)
        if batch_shape is not None:
            outputs = outputs.reshape(tuple(batch_shape) + tuple(outputs.shape[1:]))
        return self.activation(outputs) if self.activation is not None else outputs

    def _first_weight(self) -> torch.Tensor:
        return self.kernel

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        """The convolution of channels-first `x` (bias included)."""
        x, padding = self._pad(x)
        return _CONV[self.rank](x, self.kernel, self.bias, self.strides, padding, self.dilation_rate, self.groups)

    def _pad(self, x: torch.Tensor) -> Tuple[torch.Tensor, Any]:
        """`x` and the convolution's symmetric padding that give TensorFlow's 'valid'/'same'/'causal'."""
        if self.padding == "valid":
            return x, 0
        if self.padding == "causal":
            return F.pad(x, ((self.kernel_size[0] - 1) * self.dilation_rate[0], 0)), 0
        pads = [conv_utils.same_padding(size, k, s, d) for size, k, s, d in
                zip(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)]
        if all(before == after for before, after in pads):
            return x, tuple(before for before, _ in pads)
        return F.pad(x, [p for pair in reversed(pads) for p in pair]), 0

    # ---- config ----------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
        })
        config.update(kernel_bias_config(self))
        return config


class Conv1D(Conv):
    """1D convolution over (batch, steps, channels) inputs; `padding='causal'` pads only the start."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str = "channels_last", *args: Any, **kwargs: Any):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, *args, **kwargs)


class Conv2D(Conv):
    """2D convolution; kernel of shape (kh, kw, in // groups, filters) as in tf.keras."""

    def __init__(self, filters: int, kernel_size: Any, *args: Any, **kwargs: Any):
        super().__init__(2, filters, kernel_size, *args, **kwargs)


class Conv3D(Conv):
    """3D convolution; kernel of shape (kd, kh, kw, in // groups, filters) as in tf.keras."""

    def __init__(self, filters: int, kernel_size: Any, *args: Any, **kwargs: Any):
        super().__init__(3, filters, kernel_size, *args, **kwargs)


class ConvTranspose(Conv):
    """Base of the transposed convolutions, with tf.keras's output sizes and `output_padding`.

    As in tf.keras, `groups` is validated and kept in the config but the kernel is not grouped.
    """

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: Optional[str] = None, dilation_rate: Any = 1,
                 *args: Any, groups: int = 1, **kwargs: Any):
        super().__init__(rank, filters, kernel_size, strides, padding, data_format, dilation_rate, groups,
                         *args, **kwargs)
        self._dilation = self.dilation_rate
        if self.padding == "causal":
            raise ValueError(f"`padding` of {type(self).__name__} must be 'valid' or 'same'. "
                             f"Received: padding={padding}")
        self.output_padding = output_padding
        if output_padding is not None:
            self.output_padding = conv_utils.normalize_tuple(output_padding, rank, "output_padding",
                                                             allow_zero=True)
            for stride, pad in zip(self.strides, self.output_padding):
                if pad >= stride:
                    raise ValueError(f"Strides must be greater than output padding (layer {self.name}). "
                                     f"Received strides={self.strides}, output_padding={self.output_padding}.")

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight("kernel", shape=self.kernel_size + (self.filters, channels),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, layout=kernel_layout(self.rank))
        self.bias = self._add_bias(self.filters)
        self.built = True

    def _output_size(self, size: int, axis: int) -> int:
        pad = None if self.output_padding is None else self.output_padding[axis]
        return conv_utils.deconv_output_length(size, self.kernel_size[axis], self.padding, pad,
                                               self.strides[axis], self._dilation[axis])

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        padding, output_padding, crop = [], [], []
        for axis, size in enumerate(x.shape[2:]):
            stride, dilation = self.strides[axis], self._dilation[axis]
            full = (size - 1) * stride + (self.kernel_size[axis] - 1) * dilation + 1
            target = self._output_size(size, axis)
            before = max(full - target, 0) // 2 if self.padding == "same" else 0
            extra = full - 2 * before - target
            padding.append(before)
            output_padding.append(max(-extra, 0))
            crop.append(max(extra, 0))
        outputs = _CONV_TRANSPOSE[self.rank](x, self.kernel, self.bias, self.strides, padding, output_padding,
                                             1, self._dilation)
        if any(crop):
            outputs = outputs[(slice(None), slice(None)) + tuple(slice(0, n - c) for n, c in
                                                                 zip(outputs.shape[2:], crop))]
        return outputs

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["output_padding"] = self.output_padding
        return config


class Conv1DTranspose(ConvTranspose):
    """Transposed 1D convolution; kernel of shape (k, filters, in) as in tf.keras."""

    def __init__(self, filters: int, kernel_size: Any, *args: Any, **kwargs: Any):
        super().__init__(1, filters, kernel_size, *args, **kwargs)


class Conv2DTranspose(ConvTranspose):
    """Transposed 2D convolution; kernel of shape (kh, kw, filters, in) as in tf.keras."""

    def __init__(self, filters: int, kernel_size: Any, *args: Any, **kwargs: Any):
        super().__init__(2, filters, kernel_size, *args, **kwargs)


class Conv3DTranspose(ConvTranspose):
    """Transposed 3D convolution; kernel of shape (kd, kh, kw, filters, in) as in tf.keras, which also ignores
    `dilation_rate` here (and leaves it out of the config)."""

    def __init__(self, filters: int, kernel_size: Any, *args: Any, **kwargs: Any):
        super().__init__(3, filters, kernel_size, *args, **kwargs)
        self._dilation = (1, 1, 1)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        del config["dilation_rate"]
        return config


class DepthwiseConv(Conv):
    """Base of the depthwise convolutions: `depth_multiplier` filters per input channel (`groups`, as in
    tf.keras, only appears in the config)."""

    def __init__(self, rank: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: Optional[str] = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, bias_constraint: Any = None,
                 groups: int = 1, **kwargs: Any):
        super().__init__(rank, None, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, bias_constraint=bias_constraint, **kwargs)
        self.depth_multiplier = int(depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def _add_depthwise_kernel(self, channels: int) -> None:
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint, layout=depthwise_layout(self.rank))

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        self._add_depthwise_kernel(channels)
        self.bias = self._add_bias(channels * self.depth_multiplier)
        self.built = True

    def _first_weight(self) -> torch.Tensor:
        return self.depthwise_kernel

    def _depthwise(self, x: torch.Tensor, bias: Optional[torch.Tensor]) -> torch.Tensor:
        kernel = self.depthwise_kernel
        x, padding = self._pad(x)
        weight = kernel.reshape((kernel.shape[0] * kernel.shape[1], 1) + tuple(kernel.shape[2:]))
        return _CONV[self.rank](x, weight, bias, self.strides, padding, self.dilation_rate, kernel.shape[0])

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        return self._depthwise(x, self.bias)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        for key in ("filters", "kernel_initializer", "kernel_regularizer", "kernel_constraint"):
            del config[key]
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
        })
        return config


class DepthwiseConv1D(DepthwiseConv):
    """Depthwise 1D convolution; kernel of shape (k, in, depth_multiplier) as in tf.keras."""

    def __init__(self, kernel_size: Any, *args: Any, **kwargs: Any):
        super().__init__(1, kernel_size, *args, **kwargs)


class DepthwiseConv2D(DepthwiseConv):
    """Depthwise 2D convolution; kernel of shape (kh, kw, in, depth_multiplier) as in tf.keras."""

    def __init__(self, kernel_size: Any, *args: Any, **kwargs: Any):
        super().__init__(2, kernel_size, *args, **kwargs)


class SeparableConv(DepthwiseConv):
    """Base of the separable convolutions: a depthwise convolution then a pointwise (1x1) one."""

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = 1, depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any):
        super().__init__(rank, kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate,
                         activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
                         bias_regularizer, activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)
        self.filters = _positive_filters(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape: Any) -> None:
        channels = self._input_channels(input_shape)
        self._add_depthwise_kernel(channels)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, layout=kernel_layout(self.rank))
        self.bias = self._add_bias(self.filters)
        self.built = True

    def _convolve(self, x: torch.Tensor) -> torch.Tensor:
        return _CONV[self.rank](self._depthwise(x, None), self.pointwise_kernel, self.bias, (1,) * self.rank, 0,
                                (1,) * self.rank, 1)

    def get_config(self) -> Dict[str, Any]:
        config = Conv.get_config(self)
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        })
        return config


class SeparableConv1D(SeparableConv):
    """Separable 1D convolution (supports `padding='causal'`)."""

    def __init__(self, filters: int, kernel_size: Any, *args: Any, **kwargs: Any):
        super().__init__(1, filters, kernel_size, *args, **kwargs)


class SeparableConv2D(SeparableConv):
    """Separable 2D convolution: depthwise (kh, kw, in, multiplier), pointwise (1, 1, in * multiplier, filters)."""

    def __init__(self, filters: int, kernel_size: Any, *args: Any, **kwargs: Any):
        super().__init__(2, filters, kernel_size, *args, **kwargs)


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
