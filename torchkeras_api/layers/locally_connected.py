"""Locally-connected layers: LocallyConnected1D/2D, convolutions whose weights differ at each output position.

tf.keras's three `implementation`s keep their own kernel shapes in `get_weights`/`.h5`:
1: one (kernel taps * channels, filters) matrix per output position, (positions, taps * channels, filters);
2: a dense input-by-output kernel multiplied by a fixed connectivity mask;
3: the flat values of the sparse input-by-output matrix, in the order of its sorted (output, input) indices.
Implementations 1 and 3 are stored and run the same way in torch (3 through a `Layout` that gathers and
scatters the flat values): the input is cut into patches once per call and one batched matmul applies
the per-position kernels. Implementation 2 runs as tf.keras does: one matmul with the masked dense kernel.
"""
import functools
import math
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.engine.variables import Layout
from torchkeras_api.layers import conv_utils
from torchkeras_api.layers.core import kernel_bias_config, set_kernel_bias_arguments


def output_length(size: int, kernel: int, padding: str, stride: int) -> int:
    """Output length along one axis: ceil(size / stride) for 'same', ceil((size - kernel + 1) / stride) for
    'valid'."""
    length = size if padding == "same" else size - kernel + 1
    return (length + stride - 1) // stride


def window_offset(kernel: int, padding: str) -> int:
    """How far before `position * stride` an output's input window starts (tf.keras centres 'same' windows)."""
    return kernel // 2 if padding == "same" else 0


def connectivity_mask(inputs: Sequence[int], outputs: Sequence[int], kernel: Sequence[int],
                      strides: Sequence[int], padding: str) -> np.ndarray:
    """Boolean (*inputs, *outputs) array: True where an input position lies in an output position's window."""
    mask = np.ones(tuple(inputs) + tuple(outputs), dtype=bool)
    rank = len(inputs)
    for axis, (size, out, k, s) in enumerate(zip(inputs, outputs, kernel, strides)):
        start = np.arange(out) * s - window_offset(k, padding)
        position = np.arange(size)[:, None]
        connected = (position >= start) & (position < start + k)
        shape = [1] * (2 * rank)
        shape[axis], shape[rank + axis] = size, out
        mask &= connected.reshape(shape)
    return mask


def sparse_order(inputs: Sequence[int], outputs: Sequence[int], kernel: Sequence[int], strides: Sequence[int],
                 padding: str, channels: int, filters: int, channels_first: bool) -> np.ndarray:
    """Flat indices into the (positions, taps * channels, filters) kernel of implementation 3's values, in
    tf.keras's order: by output index, then input index, of the input-by-output matrix."""
    rank = len(inputs)
    taps_axes = tuple(range(rank, 2 * rank))
    if channels_first:
        shape = tuple(outputs) + (channels,) + tuple(kernel) + (filters,)
        taps_axes = tuple(a + 1 for a in taps_axes)
        channel_axis = rank
    else:
        shape = tuple(outputs) + tuple(kernel) + (channels, filters)
        channel_axis = 2 * rank
    grid = np.indices(shape, sparse=True)
    position = [grid[d] * strides[d] - window_offset(kernel[d], padding) + grid[taps_axes[d]] for d in range(rank)]
    valid = np.ones(shape, dtype=bool)
    for d in range(rank):
        valid &= (position[d] >= 0) & (position[d] < inputs[d])
    out_spatial = [grid[d] for d in range(rank)]
    channel, f = grid[channel_axis], grid[-1]
    if channels_first:
        out_index = np.ravel_multi_index([f] + out_spatial, (filters,) + tuple(outputs))
        in_index = np.ravel_multi_index([channel] + position, (channels,) + tuple(inputs), mode="clip")
    else:
        out_index = np.ravel_multi_index(out_spatial + [f], tuple(outputs) + (filters,))
        in_index = np.ravel_multi_index(position + [channel], tuple(inputs) + (channels,), mode="clip")
    flat = np.arange(math.prod(shape)).reshape(shape)[valid]
    out_index = np.broadcast_to(out_index, shape)[valid]
    in_index = np.broadcast_to(in_index, shape)[valid]
    return flat[np.lexsort((in_index, out_index))]


def _gather(kernel: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    return kernel.reshape(-1)[order.to(kernel.device)]


def _scatter(values: torch.Tensor, order: torch.Tensor, shape: Tuple[int, ...]) -> torch.Tensor:
    kernel = values.new_zeros(math.prod(shape))
    kernel[order.to(values.device)] = values
    return kernel.reshape(shape)


def _flat_shape(shape: tuple, size: int) -> tuple:
    return (size,)


def sparse_layout(order: np.ndarray, shape: Tuple[int, ...]) -> Layout:
    """Torch (positions, taps * channels, filters) <-> tf.keras implementation 3's flat values (`order`
    lists their places in the torch kernel; the other places, windows' padding, stay zero)."""
    index = torch.as_tensor(order, dtype=torch.long)
    return Layout(functools.partial(_gather, order=index), functools.partial(_scatter, order=index, shape=shape),
                  functools.partial(_flat_shape, size=len(order)))


class LocallyConnected(Layer):
    """Base of LocallyConnected1D/2D: arguments, weights per implementation, patches and the matmuls."""

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = None, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, implementation: int = 1,
                 **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = filters
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, rank, "strides", allow_zero=True)
        self.padding = conv_utils.normalize_padding(padding)
        if self.padding != "valid" and implementation == 1:
            raise ValueError(f"Invalid border mode for {type(self).__name__} (only \"valid\" is supported if "
                             f"implementation is 1): {padding}")
        self.data_format = conv_utils.normalize_data_format(data_format)
        set_kernel_bias_arguments(self, activation, use_bias, kernel_initializer, bias_initializer,
                                  kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint)
        self.implementation = implementation
        self.input_spec = InputSpec(ndim=rank + 2)
        self._channels_first = self.data_format == "channels_first"

    # ---- build -----------------------------------------------------------------------------
    def _split_shape(self, input_shape: Any) -> Tuple[Any, Tuple[Any, ...]]:
        """(channels, spatial sizes) of an input shape."""
        shape = tuple(input_shape)
        return (shape[1], shape[2:]) if self._channels_first else (shape[-1], shape[1:-1])

    def build(self, input_shape: Any) -> None:
        channels, spatial = self._split_shape(input_shape)
        if channels is None:
            raise ValueError(f"The channel dimension of the inputs to a {type(self).__name__} layer should be "
                             f"defined. Found shape: {tuple(input_shape)}")
        if any(size is None for size in spatial):
            raise ValueError(f"The spatial dimensions of the inputs to a {type(self).__name__} layer should be "
                             f"fully-defined, but layer received the inputs shape {tuple(input_shape)}")
        if self.implementation not in (1, 2, 3):
            raise ValueError(f"Unrecognized implementation mode: {self.implementation}.")
        if self.padding not in ("valid", "same"):
            raise NotImplementedError(f"Padding type {self.padding} not supported. "
                                      'Only "valid" and "same" are implemented.')
        channels, spatial = int(channels), tuple(int(size) for size in spatial)
        outputs = tuple(output_length(size, k, self.padding, s)
                        for size, k, s in zip(spatial, self.kernel_size, self.strides))
        if any(size <= 0 for size in outputs):
            raise ValueError(f"One of the dimensions in the output is <= 0 due to downsampling in {self.name}. "
                             f"Consider increasing the input size. Received input shape {tuple(input_shape)} "
                             "which would produce output shape with a zero or negative value in a dimension.")
        self._spatial, self._outputs = spatial, outputs
        self._add_kernel(channels)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight("bias", shape=outputs + (self.filters,), initializer=self.bias_initializer,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={1 if self._channels_first else -1: channels})
        self.built = True

    def _add_kernel(self, channels: int) -> None:
        positions, taps = math.prod(self._outputs), math.prod(self.kernel_size)
        shape = (positions, taps * channels, self.filters)
        layout = None
        if self.implementation == 2:
            shape = self._dense_shape(channels)
        elif self.implementation == 3:
            order = sparse_order(self._spatial, self._outputs, self.kernel_size, self.strides, self.padding,
                                 channels, self.filters, self._channels_first)
            layout, shape = sparse_layout(order, shape), (len(order),)
        self.kernel = self.add_weight("kernel", shape=shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      layout=layout)
        if self.implementation == 2:
            self.register_buffer("_kernel_mask", self._dense_mask().to(self.kernel.device, self.kernel.dtype),
                                 persistent=False)
        else:
            self._patch_order = self._patch_permutation()
            self._pads = self._patch_padding()

    def _dense_shape(self, channels: int) -> Tuple[int, ...]:
        """Implementation 2's kernel: input axes then output axes, each in the data format's order."""
        if self._channels_first:
            return (channels,) + self._spatial + (self.filters,) + self._outputs
        return self._spatial + (channels,) + self._outputs + (self.filters,)

    def _dense_mask(self) -> torch.Tensor:
        """The 0/1 connectivity mask, broadcastable against implementation 2's kernel."""
        mask = connectivity_mask(self._spatial, self._outputs, self.kernel_size, self.strides, self.padding)
        rank = self.rank
        axis_in, axis_out = (0, rank + 1) if self._channels_first else (rank, 2 * rank + 1)
        mask = np.expand_dims(np.expand_dims(mask, axis_in), axis_out)
        return torch.as_tensor(mask.astype(np.float32))

    def _patch_permutation(self) -> Tuple[int, ...]:
        """Axis order taking unfolded inputs to (*outputs, batch, <taps and channel in tf.keras's order>)."""
        rank = self.rank
        spatial = tuple(range(2, rank + 2)) if self._channels_first else tuple(range(1, rank + 1))
        taps = tuple(range(rank + 2, 2 * rank + 2))
        channel = 1 if self._channels_first else rank + 1
        features = (channel,) + taps if self._channels_first else taps + (channel,)
        return spatial + (0,) + features

    def _patch_padding(self) -> Tuple[int, ...]:
        """F.pad's (last axis first) zero padding that puts every output's window inside the input."""
        pads = []
        for size, out, k, s in zip(self._spatial, self._outputs, self.kernel_size, self.strides):
            before = window_offset(k, self.padding)
            pads.append((before, max((out - 1) * s - before + k - size, 0)))
        if not self._channels_first:
            pads.append((0, 0))
        return tuple(p for pair in reversed(pads) for p in pair)

    # ---- call ------------------------------------------------------------------------------
    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        _, spatial = self._split_shape(inputs.shape)
        if tuple(spatial) != self._spatial:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: it was built for "
                             f"spatial dimensions {self._spatial}, but received input with shape "
                             f"{tuple(inputs.shape)}.")
        if inputs.dtype != self.kernel.dtype:
            inputs = inputs.to(self.kernel.dtype)
        outputs = self._dense(inputs) if self.implementation == 2 else self._local(inputs)
        return self.activation(outputs) if self.activation is not None else outputs

    def _output_shape(self, batch: int) -> Tuple[int, ...]:
        if self._channels_first:
            return (batch, self.filters) + self._outputs
        return (batch,) + self._outputs + (self.filters,)

    def _dense(self, inputs: torch.Tensor) -> torch.Tensor:
        """Implementation 2: flat inputs times the masked dense kernel (the bias, as in tf.keras, is added
        in its own memory order, also for channels_first)."""
        batch = inputs.shape[0]
        flat = inputs.reshape(batch, -1)
        kernel = (self.kernel * self._kernel_mask).reshape(flat.shape[1], -1)
        outputs = flat @ kernel if self.bias is None else torch.addmm(self.bias.reshape(-1), flat, kernel)
        return outputs.reshape(self._output_shape(batch))

    def _local(self, inputs: torch.Tensor) -> torch.Tensor:
        """Implementations 1 and 3: (positions, batch, features) patches times the per-position kernels."""
        batch = inputs.shape[0]
        x = F.pad(inputs, self._pads) if any(self._pads) else inputs
        first_spatial = 2 if self._channels_first else 1
        for axis, (out, k, s) in enumerate(zip(self._outputs, self.kernel_size, self.strides)):
            x = x.unfold(first_spatial + axis, k, s).narrow(first_spatial + axis, 0, out)
        patches = x.permute(*self._patch_order).reshape(self.kernel.shape[0], batch, self.kernel.shape[1])
        if self.bias is None:
            outputs = torch.bmm(patches, self.kernel)
        else:
            outputs = torch.baddbmm(self._position_bias(), patches, self.kernel)
        if self._channels_first:
            return outputs.permute(1, 2, 0).reshape(self._output_shape(batch))
        return outputs.transpose(0, 1).reshape(self._output_shape(batch))

    def _position_bias(self) -> torch.Tensor:
        """The bias as a (positions, 1, filters) view; for channels_first tf.keras reads its memory as
        (filters, *outputs)."""
        if self._channels_first:
            return self.bias.reshape(self.filters, -1).t().unsqueeze(1)
        return self.bias.reshape(-1, 1, self.filters)

    # ---- config ----------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
        })
        config.update(kernel_bias_config(self))
        config["implementation"] = self.implementation
        return config


class LocallyConnected1D(LocallyConnected):
    """Locally-connected layer over (batch, steps, channels) inputs (unshared Conv1D weights)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, *args: Any, **kwargs: Any):
        super().__init__(1, filters, kernel_size, strides, *args, **kwargs)


class LocallyConnected2D(LocallyConnected):
    """Locally-connected layer over (batch, rows, cols, channels) inputs (unshared Conv2D weights)."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), *args: Any, **kwargs: Any):
        super().__init__(2, filters, kernel_size, strides, *args, **kwargs)
