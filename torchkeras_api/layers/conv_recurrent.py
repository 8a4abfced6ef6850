"""Convolutional LSTM layers: ConvLSTM1D, ConvLSTM2D, ConvLSTM3D and their cell.

Kernels are stored in torch's convolution layout; the input convolution runs once over all timesteps (time
folded into the batch) and each step adds one recurrent convolution.
"""
from typing import Any, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

from torchkeras_api import activations, constraints, initializers, regularizers
from torchkeras_api.engine import call_context, naming
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.layers import conv_utils
from torchkeras_api.layers.convolutional import _CONV, kernel_layout
from torchkeras_api.layers.recurrent import (States, _CellLayer, _dropout_mask, _ForgetBiasInitializer,
                                             _SequenceCell)

_GATES = 4


class ConvLSTMCell(_SequenceCell):
    """One step of a convolutional LSTM over `rank`-D feature maps (gates i, f, c, o); states [h, c]."""

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = 1, activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.rank = rank
        self.filters = filters
        self.kernel_size = conv_utils.normalize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.normalize_tuple(strides, rank, "strides")
        self.padding = conv_utils.normalize_padding(padding)
        if self.padding == "causal":
            raise ValueError(f"Layer {self.name}: convolutional LSTMs support `padding` 'valid' or 'same'. "
                             f"Received: padding={padding}")
        self.data_format = conv_utils.normalize_data_format(data_format)
        self.dilation_rate = conv_utils.normalize_tuple(dilation_rate, rank, "dilation_rate")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self._set_shared_arguments(use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                                   kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                                   recurrent_constraint, bias_constraint, dropout, recurrent_dropout)
        self.state_size = (filters, filters)
        self._channels_first = self.data_format == "channels_first"
        self._channel_axis = -1 - rank if self._channels_first else -1
        self._to_first = (0, rank + 1) + tuple(range(1, rank + 1))
        self._to_last = (0,) + tuple(range(2, rank + 2)) + (1,)
        self._named_by_layer = False

    def _weight_name(self, name: str) -> str:
        if not self._named_by_layer:
            return super()._weight_name(name)
        scopes = call_context.state.scopes
        scopes = scopes[:-1] if scopes and scopes[-1] == self.name else scopes
        return "/".join(scopes + [name]) + ":0"

    def build(self, input_shape: Any) -> None:
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"Layer {self.name}: the channel dimension of the inputs should be defined. Found "
                             f"None in input shape {tuple(input_shape)}.")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"Layer {self.name}: `strides > 1` not supported in conjunction with "
                             f"`dilation_rate > 1`. Received: strides={self.strides} and "
                             f"dilation_rate={self.dilation_rate}")
        width = _GATES * self.filters
        layout = kernel_layout(self.rank)
        self.kernel = self.add_weight("kernel", self.kernel_size + (int(channels), width),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, layout=layout)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", self.kernel_size + (self.filters, width), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint, layout=layout)
        self.bias = None
        if self.use_bias:
            initializer = self.bias_initializer
            if self.unit_forget_bias:
                initializer = _ForgetBiasInitializer(self.bias_initializer, self.filters)
            self.bias = self.add_weight("bias", (width,), initializer=initializer, regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self._recurrent_padding = self._same_padding(self.kernel_size, (1,) * self.rank, (1,) * self.rank)
        self.built = True

    def output_spatial_shape(self, spatial: Tuple[int, ...]) -> Tuple[int, ...]:
        """Feature-map size of the outputs and states for inputs of feature-map size `spatial`."""
        sizes = []
        for size, kernel, stride, dilation in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            if self.padding == "valid":
                size = size - (kernel - 1) * dilation
            sizes.append(-(-size // stride))
        return tuple(sizes)

    def _masked_copies(self, x: torch.Tensor, rate: float, mask: Optional[torch.Tensor],
                       training: Optional[bool]) -> Tuple[torch.Tensor, Optional[torch.Tensor], int]:
        """`x` or, in training with dropout, its four gate copies (each with its own mask) along the channels:
        (tensor, mask, convolution groups)."""
        if not training or not 0 < rate < 1:
            return x, mask, 1
        shape = (_GATES,) + tuple(x.shape[-self.rank - 2:])
        if mask is None or tuple(mask.shape) != shape:
            mask = _dropout_mask(shape, rate, x)
        return torch.cat([x * m for m in mask.unbind(0)], dim=self._channel_axis), mask, _GATES

    def _convolve(self, x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor], strides: Tuple[int, ...],
                  padding: Any, dilation: Tuple[int, ...], groups: int) -> torch.Tensor:
        """Convolution of (..., batch, *spatial, channels) or channels_first maps, leading axes kept."""
        lead = tuple(x.shape[:-self.rank - 2])
        x = x.reshape((-1,) + tuple(x.shape[-self.rank - 1:]))
        if not self._channels_first:
            x = x.permute(*self._to_first)
        if isinstance(padding, list):
            x, padding = F.pad(x, padding), 0
        out = _CONV[self.rank](x, weight, bias, strides, padding, dilation, groups)
        if not self._channels_first:
            out = out.permute(*self._to_last)
        return out.reshape(lead + (-1,) + tuple(out.shape[1:]))

    def _same_padding(self, spatial: Tuple[int, ...], strides: Tuple[int, ...], dilation: Tuple[int, ...]) -> Any:
        """TensorFlow's 'same' padding: per-axis ints for the convolution, or an F.pad list where uneven."""
        pads = [conv_utils.same_padding(size, k, s, d) for size, k, s, d in
                zip(spatial, self.kernel_size, strides, dilation)]
        if all(before == after for before, after in pads):
            return tuple(before for before, _ in pads)
        return [p for pair in reversed(pads) for p in pair]

    def _spatial(self, x: torch.Tensor) -> Tuple[int, ...]:
        return tuple(x.shape[-self.rank:] if self._channels_first else x.shape[-self.rank - 1:-1])

    def _project(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        padding = 0 if self.padding == "valid" else self._same_padding(self._spatial(inputs), self.strides,
                                                                       self.dilation_rate)
        x, self._input_mask, groups = self._masked_copies(inputs, self.dropout, self._input_mask, training)
        return self._convolve(x, self.kernel, self.bias, self.strides, padding, self.dilation_rate, groups)

    def _step(self, projected: torch.Tensor, states: States, training: Optional[bool]) -> Tuple[torch.Tensor, States]:
        h_prev, c_prev = states
        h, self._recurrent_mask, groups = self._masked_copies(h_prev, self.recurrent_dropout, self._recurrent_mask,
                                                              training)
        ones = (1,) * self.rank
        z = projected + self._convolve(h, self.recurrent_kernel, None, ones, self._recurrent_padding, ones, groups)
        z_i, z_f, z_c, z_o = z.chunk(_GATES, dim=self._channel_axis)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_prev + i * self.activation(z_c)
        h = self.recurrent_activation(z_o) * self.activation(c)
        return h, [h, c]

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        })
        return config


class ConvLSTM(_CellLayer):
    """Base of ConvLSTM1D/2D/3D: a ConvLSTMCell run over the time axis of (batch, time, *spatial, channels)
    (or channels_first (batch, time, channels, *spatial)) inputs."""

    _cell_class = ConvLSTMCell
    _cell_name = "conv_lstm_cell"
    _cell_attributes = _CellLayer._cell_attributes | {"filters", "kernel_size", "strides", "padding",
                                                      "data_format", "dilation_rate"}

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = 1, activation: Any = "tanh",
                 recurrent_activation: Any = "hard_sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 return_sequences: bool = False, return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, dropout: float = 0.0, recurrent_dropout: float = 0.0, **kwargs: Any):
        if kwargs.get("unroll"):
            raise TypeError(f"Unrolling is not possible with convolutional RNNs. Received: unroll={kwargs['unroll']}")
        cell_kwargs = dict(strides=strides, padding=padding, data_format=data_format, dilation_rate=dilation_rate,
                           activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                           kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                           bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                           kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                           dropout=dropout, recurrent_dropout=recurrent_dropout)
        rnn_kwargs = dict(return_sequences=return_sequences, return_state=return_state, go_backwards=go_backwards,
                          stateful=stateful, activity_regularizer=activity_regularizer)
        super().__init__((rank, filters, kernel_size), cell_kwargs, dict(kwargs, **rnn_kwargs))
        self.cell._named_by_layer = True
        self.input_spec = InputSpec(ndim=rank + 3)

    def _default_name(self) -> str:
        return naming.unique_object_name(naming.to_snake_case(type(self).__name__).replace("lst_m", "lstm"))

    def _default_states(self, inputs: torch.Tensor, batch: int) -> List[torch.Tensor]:
        cell = self.cell
        spatial = cell.output_spatial_shape(cell._spatial(inputs))
        shape = (batch, cell.filters) + spatial if cell._channels_first else (batch,) + spatial + (cell.filters,)
        return [inputs.new_zeros(shape) for _ in range(2)]


class ConvLSTM1D(ConvLSTM):
    """Convolutional LSTM over (batch, time, steps, channels) inputs."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = 1, *args: Any, **kwargs: Any):
        super().__init__(1, filters, kernel_size, strides, padding, data_format, dilation_rate, *args, **kwargs)


class ConvLSTM2D(ConvLSTM):
    """Convolutional LSTM over (batch, time, rows, cols, channels) inputs."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = (1, 1), *args: Any, **kwargs: Any):
        super().__init__(2, filters, kernel_size, strides, padding, data_format, dilation_rate, *args, **kwargs)


class ConvLSTM3D(ConvLSTM):
    """Convolutional LSTM over (batch, time, dim1, dim2, dim3, channels) inputs."""

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1), padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = (1, 1, 1), *args: Any, **kwargs: Any):
        super().__init__(3, filters, kernel_size, strides, padding, data_format, dilation_rate, *args, **kwargs)
