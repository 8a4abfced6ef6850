"""Wrapper layers: Wrapper (the base), Bidirectional (an RNN run both ways) and TimeDistributed (a layer
applied to every timestep)."""
import copy
import inspect
from typing import Any, Dict, List, Optional, Sequence

import torch

from torchkeras_api.engine import call_context
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.engine.keras_tensor import TensorShape, as_shapes
from torchkeras_api.layers.recurrent import RNN
from torchkeras_api.layers.serialization import deserialize, serialize
from torchkeras_api.utils import nest

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Wrapper(Layer):
    """Base class of layers that augment another layer, `self.layer`.

    The wrapped layer is built in the wrapper's name scope: its own weights are named `<wrapper>/<weight>:0`,
    as tf.keras names them.
    """

    _tracks_wrapped_layer = True

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to wrapper is not a supported layer type. Please ensure "
                             "wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        if self._tracks_wrapped_layer:
            self.layer = layer
        else:
            self.__dict__["layer"] = layer
        self._wrapped_build_shape: Any = None

    def build(self, input_shape: Any) -> None:
        self._build_wrapped(input_shape)
        self.built = True

    def _build_wrapped(self, input_shape: Any) -> None:
        """Builds `self.layer` for `input_shape`, naming its own weights in this wrapper's scope."""
        layer = self.layer
        if layer.built:
            return
        layer._maybe_build(input_shape)
        self._wrapped_build_shape = nest.map_structure(tuple, input_shape)
        scopes = call_context.state.scopes
        if scopes and scopes[-1] == self.name:
            inner = "/".join(scopes + [layer.name]) + "/"
            outer = "/".join(scopes) + "/"
            for weight in layer.weights:
                if weight.name.startswith(inner):
                    weight._keras_name = outer + weight.name[len(inner):]

    @property
    def activity_regularizer(self) -> Any:
        return getattr(self.layer, "activity_regularizer", None)

    @activity_regularizer.setter
    def activity_regularizer(self, regularizer: Any) -> None:
        Layer.activity_regularizer.fset(self, regularizer)

    def get_config(self) -> Dict[str, Any]:
        layer_config = serialize(self.layer)
        if self._wrapped_build_shape is not None:
            layer_config["build_config"] = {"input_shape": self._wrapped_build_shape}
        return super().get_config() | {"layer": layer_config}

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> "Wrapper":
        config = copy.deepcopy(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


def _check_layer(layer: Any, wrapper: str) -> None:
    if not isinstance(layer, Layer):
        raise ValueError(f"Please initialize `{wrapper}` layer with a `tf.keras.layers.Layer` instance. "
                         f"Received: {layer}")


def _accepts(layer: Layer, argument: str) -> bool:
    parameters = inspect.signature(type(layer).call).parameters
    return argument in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy of it backwards over the inputs, and merges the two outputs
    (`merge_mode` 'concat', 'sum', 'mul', 'ave', or None for the list [forward, backward]).

    The backward output of `return_sequences` layers is reversed back to the forward time order. With
    `return_state`, the outputs are followed by the forward states, then the backward states; an
    `initial_state` list gives its first half to the forward layer and its second half to the backward one.
    """

    _tracks_wrapped_layer = False

    def __init__(self, layer: Layer, merge_mode: Optional[str] = "concat", weights: Optional[Sequence[Any]] = None,
                 backward_layer: Optional[Layer] = None, **kwargs: Any):
        _check_layer(layer, "Bidirectional")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError("`backward_layer` need to be a `tf.keras.layers.Layer` instance. "
                             f"Received: {backward_layer}")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode. Received: {merge_mode}. Merge mode should be one of "
                             '{"sum", "mul", "ave", "concat", None}')
        trainable = kwargs.pop("trainable", layer.trainable)
        super().__init__(layer, **kwargs)
        self.forward_layer = _recreate(layer, flip_direction=False)
        self._backward_layer_config = None
        if backward_layer is None:
            self.backward_layer = _recreate(layer, flip_direction=True)
        else:
            self._backward_layer_config = serialize(backward_layer)
            self.backward_layer = backward_layer
        self.forward_layer._name = "forward_" + self.forward_layer.name
        self.backward_layer._name = "backward_" + self.backward_layer.name
        _verify_pair(self.forward_layer, self.backward_layer)
        self.merge_mode = merge_mode
        if weights:
            half = len(weights) // 2
            self.forward_layer._initial_weights = list(weights[:half])
            self.backward_layer._initial_weights = list(weights[half:])
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec
        self._pass_initial_state = _accepts(self.forward_layer, "initial_state")
        self.trainable = trainable

    @property
    def stateful(self) -> bool:
        return bool(self.layer.stateful)

    def __call__(self, inputs: Any = None, initial_state: Any = None, **kwargs: Any) -> Any:
        if isinstance(inputs, (list, tuple)):
            if len(inputs) > 1:
                initial_state = list(inputs[1:])
            inputs = inputs[0]
        if initial_state is not None:
            initial_state = nest.flatten(initial_state)
            if len(initial_state) % 2:
                raise ValueError("When passing `initial_state` to a Bidirectional RNN, the state should be a list "
                                 f"containing the states of the underlying RNNs. Received: {initial_state}")
            kwargs["initial_state"] = initial_state
        return super().__call__(inputs, **kwargs)

    def build(self, input_shape: Any) -> None:
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)
        self.built = True

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None, mask: Optional[torch.Tensor] = None,
             initial_state: Optional[List[torch.Tensor]] = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        kwargs: Dict[str, Any] = {"training": training, "mask": mask}
        forward_kwargs, backward_kwargs = dict(kwargs), dict(kwargs)
        if self._pass_initial_state and initial_state is not None:
            half = len(initial_state) // 2
            forward_kwargs["initial_state"] = list(initial_state[:half])
            backward_kwargs["initial_state"] = list(initial_state[half:])
        y = self.forward_layer(inputs, **forward_kwargs)
        y_rev = self.backward_layer(inputs, **backward_kwargs)
        states: List[torch.Tensor] = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            time_axis = 0 if getattr(self.forward_layer, "time_major", False) else 1
            if mask is not None:
                y = _zero_masked_steps(y, mask, self.forward_layer, time_axis)
                y_rev = _zero_masked_steps(y_rev, mask, self.backward_layer, time_axis)
            y_rev = y_rev.flip(time_axis)
        output = self._merge(y, y_rev)
        if not self.return_state:
            return output
        return (output if self.merge_mode is None else [output]) + states

    def _merge(self, y: torch.Tensor, y_rev: torch.Tensor) -> Any:
        if self.merge_mode == "concat":
            return torch.cat([y, y_rev], dim=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = [mask, mask] if not self.merge_mode else mask
        else:
            output_mask = [None, None] if not self.merge_mode else None
        if not self.return_state:
            return output_mask
        state_masks = [None] * (2 * len(self.forward_layer.states))
        return (output_mask if isinstance(output_mask, list) else [output_mask]) + state_masks

    def reset_states(self, states: Any = None) -> None:
        """Zero states for both directions, or `states`: the forward states, then the backward ones."""
        if not self.stateful:
            raise AttributeError("Layer must be stateful.")
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        if not isinstance(states, (list, tuple)):
            raise ValueError("Unrecognized value for `states`. Expected `states` to be list or tuple. "
                             f"Received: {states}")
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config() | {"merge_mode": self.merge_mode}
        if self._backward_layer_config is not None:
            config["backward_layer"] = copy.deepcopy(self._backward_layer_config)
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any],
                    custom_objects: Optional[Dict[str, Any]] = None) -> "Bidirectional":
        config = copy.deepcopy(config)
        config["layer"] = deserialize(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize(backward, custom_objects=custom_objects)
        return cls(**config)


def _zero_masked_steps(sequence: torch.Tensor, mask: torch.Tensor, layer: Layer, time_axis: int) -> torch.Tensor:
    """A recurrent layer's output sequence with zeros at masked timesteps (tf.keras sets
    `zero_output_for_mask` on the layers it wraps); a `go_backwards` layer's sequence is in reversed time."""
    if not isinstance(layer, RNN):
        return sequence
    keep = mask.to(torch.bool)
    if layer.go_backwards:
        keep = keep.flip(time_axis)
    return torch.where(keep.reshape(keep.shape + (1,) * (sequence.ndim - keep.ndim)), sequence, 0.0)


def _recreate(layer: Layer, flip_direction: bool) -> Layer:
    """A new, unbuilt layer with `layer`'s config (`go_backwards` flipped if asked); a deep copy for layers
    whose config cannot be made (an RNN over a custom cell without `get_config`)."""
    try:
        config = layer.get_config()
    except NotImplementedError:
        clone = copy.deepcopy(layer)
        if flip_direction:
            clone.go_backwards = not clone.go_backwards
        return clone
    if flip_direction:
        config["go_backwards"] = not config["go_backwards"]
    if "custom_objects" not in inspect.signature(type(layer).from_config).parameters:
        return type(layer).from_config(config)
    cell = getattr(layer, "cell", None)
    cells = [cell] + list(getattr(cell, "cells", [])) if cell is not None else []
    return type(layer).from_config(config, custom_objects={type(c).__name__: type(c) for c in cells})


def _verify_pair(forward: Layer, backward: Layer) -> None:
    if forward.go_backwards == backward.go_backwards:
        raise ValueError("Forward layer and backward layer should have different `go_backwards` value. "
                         f"forward_layer.go_backwards = {forward.go_backwards}, backward_layer.go_backwards = "
                         f"{backward.go_backwards}")
    for attribute in ("stateful", "return_sequences", "return_state"):
        forward_value, backward_value = getattr(forward, attribute), getattr(backward, attribute)
        if forward_value != backward_value:
            raise ValueError(f'Forward layer and backward layer are expected to have the same value for attribute '
                             f'"{attribute}", got "{forward_value}" for forward layer and "{backward_value}" for '
                             "backward layer")


class TimeDistributed(Wrapper):
    """Applies `layer` to every temporal slice `inputs[:, t]` of inputs of shape (batch, time, ...).

    The time axis is folded into the batch: the layer runs once on (batch * time, ...) and its outputs are
    unfolded. A mask of shape (batch, time, ...) is folded the same way for layers whose `call` takes one.
    """

    def __init__(self, layer: Layer, **kwargs: Any):
        _check_layer(layer, "TimeDistributed")
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        input_shape = as_shapes(input_shape)
        if any(len(shape) < 3 for shape in nest.flatten(input_shape)):
            raise ValueError(f"`TimeDistributed` Layer should be passed an `input_shape ` with at least 3 "
                             f"dimensions, received: {_plain(input_shape)} (layer {self.name})")
        self.input_spec = nest.map_structure(lambda s: InputSpec(shape=(None, None) + tuple(s[2:])), input_shape)
        keep_batch = not _is_model(self.layer)
        self._build_wrapped(nest.map_structure(
            lambda s: TensorShape((s[0] if keep_batch else None,) + tuple(s[2:])), input_shape))
        self.built = True

    def call(self, inputs: Any, training: Optional[bool] = None, mask: Optional[torch.Tensor] = None) -> Any:
        first = nest.flatten(inputs)[0]
        batch, steps = first.shape[0], first.shape[1]
        kwargs: Dict[str, Any] = {"training": training}
        if mask is not None:
            kwargs["mask"] = _fold(mask)
        outputs = self.layer(nest.map_structure(_fold, inputs), **kwargs)
        return nest.map_structure(lambda y: y.reshape((batch, steps) + tuple(y.shape[1:])), outputs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        inner_mask = _fold(mask) if mask is not None else None
        output_mask = self.layer.compute_mask(nest.map_structure(_fold, inputs), inner_mask)
        if output_mask is None:
            if mask is None:
                return None
            return mask.any(dim=tuple(range(2, mask.ndim))) if mask.ndim > 2 else mask
        first = nest.flatten(inputs)[0]
        return output_mask.reshape((first.shape[0], first.shape[1]) + tuple(output_mask.shape[1:]))


def _fold(x: torch.Tensor) -> torch.Tensor:
    """(batch, time, ...) -> (batch * time, ...)."""
    return x.reshape((-1,) + tuple(x.shape[2:]))


def _is_model(layer: Layer) -> bool:
    from torchkeras_api.engine.training import Model
    return isinstance(layer, Model)


def _plain(shapes: Any) -> Any:
    return nest.map_structure(tuple, shapes)
