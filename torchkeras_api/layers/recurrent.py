"""Recurrent layers: the cells (SimpleRNNCell, GRUCell, LSTMCell, StackedRNNCells), RNN, SimpleRNN, GRU, LSTM."""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras_api import activations, constraints, initializers, regularizers
from torchkeras_api.engine import call_context
from torchkeras_api.engine.base_layer import Layer, _call_spec
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.layers import rnn_fused
from torchkeras_api.layers.serialization import deserialize, serialize
from torchkeras_api.saving import cudnn_weights
from torchkeras_api.utils import nest

States = List[torch.Tensor]


class _SequenceCell(Layer):
    """A built-in cell whose step is split in two: `_project` (the input transform, applied to a whole sequence
    at once by RNN) and `_step` (the recurrence on a projected input and the flat list of states)."""

    def _set_shared_arguments(self, use_bias: bool, kernel_initializer: Any, recurrent_initializer: Any,
                              bias_initializer: Any, kernel_regularizer: Any, recurrent_regularizer: Any,
                              bias_regularizer: Any, kernel_constraint: Any, recurrent_constraint: Any,
                              bias_constraint: Any, dropout: float, recurrent_dropout: float) -> None:
        """The arguments every built-in cell takes: bias use, the kernel/recurrent/bias initializers, regularizers
        and constraints, and the two dropout rates (clipped to [0, 1])."""
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = min(1.0, max(0.0, dropout))
        self.recurrent_dropout = min(1.0, max(0.0, recurrent_dropout))
        self._input_mask: Optional[torch.Tensor] = None
        self._recurrent_mask: Optional[torch.Tensor] = None

    def reset_dropout_mask(self) -> None:
        """The next training step draws a new input dropout mask."""
        self._input_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        """The next training step draws a new recurrent dropout mask."""
        self._recurrent_mask = None

    def _project(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        """Input transform of one step or of a (time, batch, ...) sequence."""
        raise NotImplementedError

    def _step(self, projected: torch.Tensor, states: States, training: Optional[bool]) -> Tuple[torch.Tensor, States]:
        raise NotImplementedError

    def call(self, inputs: torch.Tensor, states: Any, training: Optional[bool] = None) -> Tuple[torch.Tensor, Any]:
        flat = nest.flatten(states)
        output, new_states = self._step(self._project(inputs, training), flat, training)
        return output, (new_states if nest.is_nested(states) else new_states[0])


class _Cell(_SequenceCell):
    """Shared arguments, dropout masks and config of the built-in dense cells."""

    _gates = 1
    _gate_order: Optional[Tuple[int, ...]] = None

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, "
                             f"got {units}.")
        self.units = units
        self.activation = activations.get(activation)
        self._set_shared_arguments(use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                                   kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                                   recurrent_constraint, bias_constraint, dropout, recurrent_dropout)

    @property
    def state_size(self) -> Any:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def _add_kernels(self, input_dim: int) -> None:
        layout = None if self._gate_order is None else rnn_fused.kernel_layout(self._gate_order)
        width = self._gates * self.units
        self.kernel = self.add_weight("kernel", (input_dim, width), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
                                      layout=layout)
        self.recurrent_kernel = self.add_weight(
            "recurrent_kernel", (self.units, width), initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint, layout=layout)

    def _add_bias(self, shape: Tuple[int, ...], initializer: Any) -> None:
        layout = None if self._gate_order is None else rnn_fused.bias_layout(self._gate_order)
        self.bias = self.add_weight("bias", shape, initializer=initializer, regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint, layout=layout) if self.use_bias else None

    def _dropped_inputs(self, inputs: torch.Tensor, training: Optional[bool]) -> torch.Tensor:
        """Inputs times this sequence's input dropout mask (one mask for all timesteps)."""
        if not training or not 0 < self.dropout < 1:
            return inputs
        shape = (inputs.shape[-2], inputs.shape[-1])
        if self._input_mask is None or tuple(self._input_mask.shape) != shape:
            self._input_mask = _dropout_mask(shape, self.dropout, inputs)
        return inputs * self._input_mask

    def _dropped_state(self, h: torch.Tensor, training: Optional[bool]) -> torch.Tensor:
        if not training or not 0 < self.recurrent_dropout < 1:
            return h
        if self._recurrent_mask is None or self._recurrent_mask.shape != h.shape:
            self._recurrent_mask = _dropout_mask(tuple(h.shape), self.recurrent_dropout, h)
        return h * self._recurrent_mask

    def _project(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        """Input transform of a step or a (time, batch, features) sequence, bias included where it goes there."""
        bias = self._input_bias()
        return F.linear(self._dropped_inputs(inputs, training), self._torch_kernel(), bias)

    def _torch_kernel(self) -> torch.Tensor:
        return self.kernel

    def _input_bias(self) -> Optional[torch.Tensor]:
        return self.bias

    def get_initial_state(self, inputs: Any = None, batch_size: Optional[int] = None, dtype: Any = None) -> Any:
        return _zero_states(self.state_size, batch_size, dtype, inputs)

    def _base_config(self) -> Dict[str, Any]:
        return {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
        }

    def _config(self, gates: Dict[str, Any], tail: Dict[str, Any]) -> Dict[str, Any]:
        """Base layer config + cell arguments, `gates` inserted after `activation` and `tail` at the end."""
        config = _insert_after(super().get_config() | self._base_config(), "activation", gates)
        return config | tail


def _dropout_mask(shape: Tuple[int, ...], rate: float, like: torch.Tensor) -> torch.Tensor:
    return F.dropout(torch.ones(shape, dtype=like.dtype, device=like.device), rate, training=True)


def _zero_states(state_size: Any, batch_size: Optional[int], dtype: Any, inputs: Any = None) -> Any:
    """Zero states shaped like `state_size` (an int, a shape, or a nested list of them)."""
    device = inputs.device if isinstance(inputs, torch.Tensor) else None
    if isinstance(dtype, str) or dtype is None:
        dtype = inputs.dtype if isinstance(inputs, torch.Tensor) else torch.float32
    if isinstance(batch_size, torch.Tensor):
        batch_size = int(batch_size)

    def zeros(size: Any) -> torch.Tensor:
        dims = tuple(size) if isinstance(size, (tuple, list)) else (int(size),)
        return torch.zeros((batch_size,) + dims, dtype=dtype, device=device)

    if _is_state_list(state_size):
        return [zeros(s) if not _is_state_list(s) else _zero_states(s, batch_size, dtype, inputs)
                for s in state_size]
    return zeros(state_size)


def _is_state_list(state_size: Any) -> bool:
    """A list of states (not a single state's shape such as TensorShape)."""
    return nest.is_nested(state_size)


class SimpleRNNCell(_Cell):
    """`output = activation(x @ kernel + h @ recurrent_kernel + bias)`; the state is the output."""

    def build(self, input_shape: Any) -> None:
        self._add_kernels(input_shape[-1])
        self._add_bias((self.units,), self.bias_initializer)
        self.built = True

    def _project(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        projected = torch.matmul(self._dropped_inputs(inputs, training), self.kernel)
        return projected + self.bias if self.bias is not None else projected

    def _step(self, projected: torch.Tensor, states: States, training: Optional[bool]) -> Tuple[torch.Tensor, States]:
        h = projected + torch.matmul(self._dropped_state(states[0], training), self.recurrent_kernel)
        if self.activation is not None:
            h = self.activation(h)
        return h, [h]

    def get_config(self) -> Dict[str, Any]:
        return self._config({}, {})


class GRUCell(_Cell):
    """Gated recurrent unit (gates z, r, h); `reset_after=True` applies the reset gate after the recurrent
    matmul (bias of shape (2, 3 * units)), as cuDNN does."""

    _gates = 3
    _gate_order = rnn_fused.GRU_GATES

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True, **kwargs: Any):
        self.implementation = _implementation(kwargs.pop("implementation", 2), recurrent_dropout)
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = reset_after

    def build(self, input_shape: Any) -> None:
        self._add_kernels(input_shape[-1])
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self._add_bias(shape, self.bias_initializer)
        self.built = True

    def _input_bias(self) -> Optional[torch.Tensor]:
        if self.bias is None:
            return None
        return self.bias[0] if self.reset_after else self.bias

    def _step(self, projected: torch.Tensor, states: States, training: Optional[bool]) -> Tuple[torch.Tensor, States]:
        h_prev = states[0]
        h_rec = self._dropped_state(h_prev, training)
        u = self.units
        x_r, x_z, x_n = projected.split(u, dim=-1)
        if self.reset_after:
            rec_bias = self.bias[1] if self.bias is not None else None
            h_r, h_z, h_n = F.linear(h_rec, self.recurrent_kernel, rec_bias).split(u, dim=-1)
            r = self.recurrent_activation(x_r + h_r)
            z = self.recurrent_activation(x_z + h_z)
            candidate = x_n + r * h_n
        else:
            h_r, h_z = F.linear(h_rec, self.recurrent_kernel[:2 * u]).split(u, dim=-1)
            r = self.recurrent_activation(x_r + h_r)
            z = self.recurrent_activation(x_z + h_z)
            candidate = x_n + F.linear(r * h_rec, self.recurrent_kernel[2 * u:])
        if self.activation is not None:
            candidate = self.activation(candidate)
        h = z * h_prev + (1 - z) * candidate
        return h, [h]

    def get_config(self) -> Dict[str, Any]:
        return self._config({"recurrent_activation": activations.serialize(self.recurrent_activation)},
                            {"implementation": self.implementation, "reset_after": self.reset_after})


class LSTMCell(_Cell):
    """Long short-term memory cell (gates i, f, c, o); states [h, c]."""

    _gates = 4
    _gate_order = rnn_fused.LSTM_GATES

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0, **kwargs: Any):
        self.implementation = _implementation(kwargs.pop("implementation", 2), recurrent_dropout)
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias

    @property
    def state_size(self) -> List[int]:
        return [self.units, self.units]

    def build(self, input_shape: Any) -> None:
        self._add_kernels(input_shape[-1])
        initializer = self.bias_initializer
        if self.unit_forget_bias:
            initializer = _ForgetBiasInitializer(self.bias_initializer, self.units)
        self._add_bias((4 * self.units,), initializer)
        self.built = True

    def _step(self, projected: torch.Tensor, states: States, training: Optional[bool]) -> Tuple[torch.Tensor, States]:
        h_prev, c_prev = states
        z = projected + F.linear(self._dropped_state(h_prev, training), self.recurrent_kernel)
        z_i, z_f, z_c, z_o = z.split(self.units, dim=-1)
        act = self.activation if self.activation is not None else _identity
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c_prev + i * act(z_c)
        h = self.recurrent_activation(z_o) * act(c)
        return h, [h, c]

    def get_config(self) -> Dict[str, Any]:
        config = self._config({"recurrent_activation": activations.serialize(self.recurrent_activation)},
                              {"implementation": self.implementation})
        return _insert_after(config, "bias_initializer", {"unit_forget_bias": self.unit_forget_bias})


def _implementation(implementation: int, recurrent_dropout: float) -> int:
    """tf.keras switches to implementation 1 when recurrent dropout is used."""
    return 1 if recurrent_dropout else implementation


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _insert_after(config: Dict[str, Any], after: str, extra: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in config.items():
        out[key] = value
        if key == after:
            out.update(extra)
    return out


class _ForgetBiasInitializer:
    """`initializer` for the i, c, o blocks and ones for the forget gate (unit_forget_bias)."""

    def __init__(self, initializer: Callable, units: int):
        self.initializer = initializer
        self.units = units

    def __call__(self, shape: Any, dtype: Any = None, **kwargs: Any) -> torch.Tensor:
        first = torch.as_tensor(self.initializer((self.units,), dtype=dtype))
        rest = torch.as_tensor(self.initializer((2 * self.units,), dtype=dtype))
        return torch.cat([first, torch.ones_like(first), rest])


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds one cell's output to the next; states nest per cell."""

    def __init__(self, cells: Sequence[Any], **kwargs: Any):
        for cell in cells:
            _check_cell(cell)
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self) -> tuple:
        return tuple(cell.state_size for cell in self.cells)

    @property
    def output_size(self) -> Any:
        return getattr(self.cells[-1], "output_size", self.cells[-1].state_size)

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build(shape)
            size = getattr(cell, "output_size", None)
            if size is None:
                size = nest.flatten(cell.state_size)[0]
            shape = shape[:-1] + (int(size),)
        self.built = True

    def call(self, inputs: torch.Tensor, states: Any, training: Optional[bool] = None) -> Tuple[torch.Tensor, tuple]:
        flat = nest.flatten(states)
        new_states = []
        for cell in self.cells:
            count = len(nest.flatten(cell.state_size))
            inputs, cell_states = _call_cell(cell, inputs, _pack_states(cell.state_size, flat[:count]), training)
            flat = flat[count:]
            new_flat = nest.flatten(cell_states)
            new_states.append(_pack_states(cell.state_size, new_flat) if _is_state_list(cell.state_size)
                              else new_flat[0])
        return inputs, tuple(new_states)

    def get_initial_state(self, inputs: Any = None, batch_size: Optional[int] = None, dtype: Any = None) -> Any:
        return [_initial_state(cell, inputs, batch_size, dtype) for cell in self.cells]

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["cells"] = [serialize(cell) for cell in self.cells]
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> "StackedRNNCells":
        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        return cls(cells, **config)


class AbstractRNNCell(Layer):
    """Base class for custom RNN cells: subclasses define `state_size`, `output_size` and
    `call(inputs, states) -> (output, new_states)`."""

    @property
    def state_size(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define `state_size`.")

    @property
    def output_size(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define `output_size`.")

    def call(self, inputs: Any, states: Any) -> Tuple[Any, Any]:
        raise NotImplementedError(f"{type(self).__name__} must define `call(inputs, states)`.")

    def get_initial_state(self, inputs: Any = None, batch_size: Optional[int] = None, dtype: Any = None) -> Any:
        """Zero states of `state_size`."""
        return _zero_states(self.state_size, batch_size, dtype, inputs)


def _check_cell(cell: Any) -> None:
    if not hasattr(cell, "call"):
        raise ValueError(f"All RNN cells must have a `call` method. Received cell without a `call` method: {cell}")
    if not hasattr(cell, "state_size"):
        raise ValueError("All RNN cells must have a `state_size` attribute. Received cell without a "
                         f"`state_size`: {cell}")


def _pack_states(state_size: Any, flat: States) -> Any:
    """The states a cell's `call` receives: a nested list like `state_size`, or a one-element list."""
    if _is_state_list(state_size):
        return nest.pack_sequence_as(list(state_size), flat)
    return [flat[0]]


def _call_cell(cell: Any, inputs: torch.Tensor, states: Any, training: Optional[bool]) -> Tuple[torch.Tensor, Any]:
    kwargs = {"training": training} if _call_spec(type(cell).call)["training"] else {}
    return cell.call(inputs, states, **kwargs)


def _initial_state(cell: Any, inputs: Any, batch_size: int, dtype: Any) -> Any:
    """A custom cell's `get_initial_state`, or zero states on the inputs' device."""
    make = getattr(cell, "get_initial_state", None)
    if make is not None and not isinstance(cell, (_SequenceCell, StackedRNNCells)):
        return make(inputs=None, batch_size=batch_size, dtype=dtype)
    return _zero_states(cell.state_size, batch_size, dtype, inputs)


class RNN(Layer):
    """Runs a cell over the time axis of `(batch, time, features)` inputs.

    Masked timesteps keep the previous output and states. `initial_state` (a list of tensors, or extra
    entries of a list input) replaces the zero initial states. A `stateful` layer starts each call from the
    final states of the previous one, until `reset_states()`.
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False, time_major: bool = False,
                 **kwargs: Any):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        _check_cell(cell)
        super().__init__(**kwargs)
        self._stateful = stateful
        self._state_values: Optional[States] = None
        self.cell = cell
        self.return_sequences = return_sequences
        self.return_state = return_state
        self.go_backwards = go_backwards
        self.unroll = unroll
        self.time_major = time_major
        self.supports_masking = True
        self.input_spec = InputSpec(ndim=3)

    @property
    def stateful(self) -> bool:
        return self._stateful

    @property
    def states(self) -> List[Optional[torch.Tensor]]:
        """The states a stateful layer carries to its next call (None before the first call)."""
        return list(self._state_values or [None] * len(nest.flatten(self.cell.state_size)))

    def reset_states(self, states: Any = None) -> None:
        """Zero states for the next call of a stateful layer, or the given (numpy or tensor) values."""
        if not self._stateful:
            raise AttributeError(f"Layer {self.name}: `reset_states` requires a stateful RNN layer "
                                 "(stateful=True).")
        if states is None:
            self._state_values = None
            return
        values = nest.flatten(states)
        expected = len(nest.flatten(self.cell.state_size))
        if len(values) != expected:
            raise ValueError(f"Layer {self.name} expects {expected} states, but it received {len(values)} state "
                             f"values. Received: states={states}")
        self._state_values = [torch.as_tensor(v, dtype=self._compute_dtype, device=self._device()) for v in values]

    def __call__(self, inputs: Any = None, initial_state: Any = None, **kwargs: Any) -> Any:
        if isinstance(inputs, (list, tuple)) and initial_state is None:
            inputs, initial_state = inputs[0], (list(inputs[1:]) or None)
        if initial_state is not None:
            kwargs["initial_state"] = nest.flatten(initial_state)
        return super().__call__(inputs, **kwargs)

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        if self._stateful and shape[1 if self.time_major else 0] is None:
            raise ValueError(f"Layer {self.name}: a stateful RNN needs to know its batch size. Specify the batch "
                             "size of the inputs (`batch_input_shape` / `batch_size` of the first layer, or "
                             f"`batch_shape` of an Input). Received input_shape={shape}.")
        if self.unroll and shape[0 if self.time_major else 1] is None:
            raise ValueError(f"Layer {self.name}: unrolling requires a fixed number of timesteps; received "
                             f"input_shape={shape}.")
        step_shape = (shape[1] if self.time_major else shape[0],) + shape[2:]
        if isinstance(self.cell, Layer):
            self.cell._maybe_build(step_shape)
        self.built = True

    def call(self, inputs: torch.Tensor, mask: Optional[torch.Tensor] = None, training: Optional[bool] = None,
             initial_state: Optional[States] = None) -> Any:
        batch = inputs.shape[1] if self.time_major else inputs.shape[0]
        if initial_state is None and self._stateful and not call_context.state.inferring:
            initial_state = self._state_values
        states = self._initial_states(inputs, batch, initial_state)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        fused = self._fused(inputs, states, mask, training)
        if fused is not None:
            sequence, last, states = fused
            return self._outputs(sequence if self.return_sequences else last, states)
        steps = inputs if self.time_major else inputs.transpose(0, 1)
        if mask is not None:
            mask = mask.transpose(0, 1) if not self.time_major else mask
            mask = mask.flip(0) if self.go_backwards else mask
        if self.go_backwards:
            steps = steps.flip(0)
        outputs, last, states = self._loop(steps, states, mask, training)
        if self.return_sequences:
            sequence = torch.stack(outputs)
            return self._outputs(sequence if self.time_major else sequence.transpose(0, 1), states)
        return self._outputs(last, states)

    def _initial_states(self, inputs: torch.Tensor, batch: int, initial_state: Optional[States]) -> States:
        expected = len(nest.flatten(self.cell.state_size))
        if initial_state is None:
            return self._default_states(inputs, batch)
        if len(initial_state) != expected:
            raise ValueError(f"Layer {self.name} expects {expected} initial state tensor(s) (cell.state_size="
                             f"{self.cell.state_size}), but it received {len(initial_state)} initial state "
                             f"tensor(s).")
        return [s.to(inputs.dtype) for s in initial_state]

    def _default_states(self, inputs: torch.Tensor, batch: int) -> States:
        """The flat initial states of a call without `initial_state`."""
        return nest.flatten(_initial_state(self.cell, inputs, batch, inputs.dtype))

    def _fused(self, inputs: torch.Tensor, states: States, mask: Optional[torch.Tensor],
               training: Optional[bool]) -> Optional[Tuple[Optional[torch.Tensor], torch.Tensor, States]]:
        """(sequence, last output, states) from a whole-sequence kernel, or None where none applies."""
        return None

    def _loop(self, steps: torch.Tensor, states: States, mask: Optional[torch.Tensor],
              training: Optional[bool]) -> Tuple[List[torch.Tensor], torch.Tensor, States]:
        cell = self.cell
        for sub in cell._flatten_layers() if isinstance(cell, Layer) else ():
            if isinstance(sub, _SequenceCell):
                sub.reset_dropout_mask()
                sub.reset_recurrent_dropout_mask()
        if isinstance(cell, _SequenceCell):
            projected = cell._project(steps, training)

            def step(t: int, flat: States) -> Tuple[torch.Tensor, States]:
                return cell._step(projected[t], flat, training)
        else:
            def step(t: int, flat: States) -> Tuple[torch.Tensor, States]:
                output, new = _call_cell(cell, steps[t], _pack_states(cell.state_size, flat), training)
                return output, nest.flatten(new)
        outputs: List[torch.Tensor] = []
        last: Optional[torch.Tensor] = None
        for t in range(steps.shape[0]):
            output, new_states = step(t, states)
            if mask is not None:
                keep = mask[t]
                previous = torch.zeros_like(output) if last is None else last
                output = torch.where(_broadcast(keep, output), output, previous)
                new_states = [torch.where(_broadcast(keep, n), n, s) for n, s in zip(new_states, states)]
            states, last = new_states, output
            if self.return_sequences:
                outputs.append(output)
        return outputs, last, states

    def _outputs(self, output: torch.Tensor, states: States) -> Any:
        """The call's outputs; a stateful layer also keeps the final states for its next call."""
        if self._stateful and not call_context.state.inferring:
            self._state_values = [s.detach() for s in states]
        if not self.return_state:
            return output
        state_size = self.cell.state_size
        if _is_state_list(state_size):
            return [output] + list(nest.pack_sequence_as(list(state_size), states))
        return [output, states[0]]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(nest.flatten(self.cell.state_size))
        return output_mask

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"return_sequences": self.return_sequences, "return_state": self.return_state,
                       "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                       "time_major": self.time_major})
        if type(self) is RNN:
            config["cell"] = serialize(self.cell)
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> "RNN":
        config = dict(config)
        cell = deserialize(config.pop("cell"), custom_objects=custom_objects)
        return cls(cell, **config)


def _broadcast(keep: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return keep.reshape(keep.shape + (1,) * (like.ndim - keep.ndim))


_RNN_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major")


class _CellLayer(RNN):
    """An RNN layer that makes its own cell from its arguments (SimpleRNN, GRU, LSTM)."""

    _cell_class: type = _Cell
    _cell_name = ""
    _cell_attributes = frozenset({
        "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
        "bias_initializer", "unit_forget_bias", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
        "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
        "implementation", "reset_after"})
    """Cell attributes readable on the layer."""

    def __init__(self, cell_args: Tuple[Any, ...], cell_kwargs: Dict[str, Any], kwargs: Dict[str, Any]):
        rnn_kwargs = {k: kwargs.pop(k) for k in _RNN_ARGS if k in kwargs}
        activity_regularizer = kwargs.pop("activity_regularizer", None)
        cell = self._cell_class(*cell_args, name=self._cell_name, dtype=kwargs.get("dtype"),
                                trainable=kwargs.get("trainable", True), **cell_kwargs)
        super().__init__(cell, activity_regularizer=activity_regularizer, **rnn_kwargs, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name in self._cell_attributes:
                return getattr(self._modules["cell"], name)
            raise

    def get_config(self) -> Dict[str, Any]:
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key)
        cell_config = _insert_after(cell_config, "bias_regularizer",
                                    {"activity_regularizer": regularizers.serialize(self.activity_regularizer)})
        return super().get_config() | cell_config

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> "RNN":
        return cls(**config)


class SimpleRNN(_CellLayer):
    """Fully-connected RNN whose output is fed back as the next input state."""

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, **kwargs: Any):
        cell_kwargs = dict(activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                           recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                           kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                           dropout=dropout, recurrent_dropout=recurrent_dropout)
        super().__init__((units,), cell_kwargs, dict(kwargs, activity_regularizer=activity_regularizer))


class GRU(_CellLayer):
    """Gated recurrent unit layer; on torch's fused GRU kernel when the configuration allows it (no mask or a
    right-padded one)."""

    _cell_class = GRUCell
    _cell_name = "gru_cell"

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 reset_after: bool = True, **kwargs: Any):
        cell_kwargs = dict(activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                           kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                           bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                           recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                           kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                           bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                           reset_after=reset_after, implementation=kwargs.pop("implementation", 2))
        super().__init__((units,), cell_kwargs, dict(kwargs, activity_regularizer=activity_regularizer))

    def _convert_hdf5_weights(self, weights: List[np.ndarray], original_keras_version: Optional[str] = None,
                              original_backend: Optional[str] = None) -> List[np.ndarray]:
        """Saved CuDNNGRU weights in this layer's layout (reset_after=True only, as in tf.keras)."""
        if not cudnn_weights.is_cudnn_gru(weights):
            return weights
        if not self.reset_after:
            raise ValueError(f"the saved weights are CuDNNGRU weights (a bias of shape {weights[2].shape}), which "
                             f"only GRU(reset_after=True) can use; layer '{self.name}' has reset_after=False")
        return cudnn_weights.gru_from_cudnn(weights)

    def _fused(self, inputs: torch.Tensor, states: States, mask: Optional[torch.Tensor],
               training: Optional[bool]) -> Optional[Tuple[Optional[torch.Tensor], torch.Tensor, States]]:
        cell = self.cell
        if not (_fusable(self) and cell.reset_after):
            return None

        def kernel(x: torch.Tensor, initial: States, lengths: Optional[torch.Tensor]) -> Tuple[torch.Tensor, States]:
            sequence, h = rnn_fused.gru(x, initial[0], cell.kernel, cell.recurrent_kernel, cell.bias,
                                        batch_first=True, lengths=lengths)
            return sequence, [h]

        return _run_fused(self, kernel, inputs, states, mask, training)


class LSTM(_CellLayer):
    """Long short-term memory layer; on torch's fused LSTM kernel when the configuration allows it (no mask or a
    right-padded one)."""

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, **kwargs: Any):
        cell_kwargs = dict(activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                           kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                           bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                           kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                           bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                           recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                           dropout=dropout, recurrent_dropout=recurrent_dropout,
                           implementation=kwargs.pop("implementation", 2))
        super().__init__((units,), cell_kwargs, dict(kwargs, activity_regularizer=activity_regularizer))

    def _convert_hdf5_weights(self, weights: List[np.ndarray], original_keras_version: Optional[str] = None,
                              original_backend: Optional[str] = None) -> List[np.ndarray]:
        """Saved CuDNNLSTM weights in this layer's layout."""
        if cudnn_weights.is_cudnn_lstm(weights):
            return cudnn_weights.lstm_from_cudnn(weights)
        return weights

    def _fused(self, inputs: torch.Tensor, states: States, mask: Optional[torch.Tensor],
               training: Optional[bool]) -> Optional[Tuple[Optional[torch.Tensor], torch.Tensor, States]]:
        cell = self.cell
        if not _fusable(self):
            return None

        def kernel(x: torch.Tensor, initial: States, lengths: Optional[torch.Tensor]) -> Tuple[torch.Tensor, States]:
            sequence, h, c = rnn_fused.lstm(x, initial[0], initial[1], cell.kernel, cell.recurrent_kernel, cell.bias,
                                            batch_first=True, lengths=lengths)
            return sequence, [h, c]

        return _run_fused(self, kernel, inputs, states, mask, training)


def _fusable(layer: RNN) -> bool:
    """tanh/sigmoid activations, a bias, no recurrent dropout, not unrolled: torch's fused kernels apply."""
    cell = layer.cell
    return (not layer.unroll and cell.activation is activations.tanh
            and cell.recurrent_activation is activations.sigmoid
            and cell.use_bias and cell.recurrent_dropout == 0)


def _run_fused(layer: RNN, kernel: rnn_fused.Kernel, inputs: torch.Tensor, states: States,
               mask: Optional[torch.Tensor],
               training: Optional[bool]) -> Optional[Tuple[Optional[torch.Tensor], torch.Tensor, States]]:
    """(sequence, last output, states) on a fused kernel; None for a mask that is not right-padded.

    A mask costs one host read of its lengths.
    """
    lengths = None
    if mask is not None and not call_context.state.inferring:
        lengths = rnn_fused.right_padded_lengths(mask.transpose(0, 1) if layer.time_major else mask)
        if lengths is None:
            return None
    layer.cell.reset_dropout_mask()
    steps = inputs if layer.time_major else inputs.transpose(0, 1)
    x = layer.cell._dropped_inputs(steps, training).transpose(0, 1)
    if lengths is None:
        sequence, finals = kernel(x.flip(1) if layer.go_backwards else x, states, None)
        last = finals[0]
    else:
        sequence, last, finals = rnn_fused.right_padded(kernel, x, states, lengths, layer.go_backwards,
                                                        layer.return_sequences)
    if sequence is not None and layer.time_major:
        sequence = sequence.transpose(0, 1)
    return sequence, last, finals
