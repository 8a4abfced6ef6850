"""Sequential: a plain stack of layers, built from its first input shape."""
from typing import Any, List, Optional

from torchkeras_api.engine import call_context
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.functional import Functional
from torchkeras_api.engine.input_layer import Input, InputLayer
from torchkeras_api.engine.keras_tensor import KerasTensor
from torchkeras_api.engine.training import Model
from torchkeras_api.utils import nest


class Sequential(Functional):
    """tf.keras.Sequential: `Sequential([layers])`, `add`, `pop`, `build`, deferred build on first call."""

    def __init__(self, layers: Optional[List[Layer]] = None, name: Optional[str] = None, **kwargs: Any):
        Model.__init__(self, name=name, **kwargs)
        self._sequence: List[Layer] = []
        self._input_kt: Optional[KerasTensor] = None
        self._is_graph_network = False
        self._layers: List[Layer] = []
        self._symbolic_losses = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> List[Layer]:
        return list(self._sequence)

    def _tracked_layers(self) -> List[Layer]:
        return list(self._sequence)

    def add(self, layer: Any) -> None:
        """Appends a layer (or an `Input` tensor); builds the graph as soon as the input shape is known."""
        if isinstance(layer, KerasTensor) and isinstance(layer._keras_history.layer, InputLayer):
            layer = layer._keras_history.layer
        if not isinstance(layer, Layer):
            raise TypeError("The added layer must be an instance of class Layer. "
                            f"Received: layer={layer} of type {type(layer)}.")
        if isinstance(layer, InputLayer):
            if self._sequence or self._input_kt is not None:
                raise ValueError("An InputLayer can only be the first layer of a Sequential model.")
            self._input_kt = layer._inbound_nodes[0].outputs
            self._rebuild()
            return
        if any(layer.name == l.name for l in self._sequence):
            raise ValueError(f'All layers added to a Sequential model should have unique names. Name "{layer.name}" '
                             f"is already the name of a layer in this model. Update the `name` argument to pass a "
                             "unique name.")
        self._sequence.append(layer)
        self._modules[layer.name.replace(".", "_")] = layer
        if self._input_kt is None and len(self._sequence) == 1:
            if hasattr(layer, "_batch_input_shape"):
                self._input_kt = Input(batch_shape=layer._batch_input_shape, dtype=layer._batch_input_dtype,
                                       name=f"{layer.name}_input")
            elif isinstance(layer, Functional) and len(layer.inputs) == 1:
                self._input_kt = Input(batch_shape=layer.inputs[0].shape, dtype=layer.inputs[0].dtype,
                                       name=f"{layer.name}_input")
        self._rebuild()

    def pop(self) -> Layer:
        """Removes and returns the last layer."""
        if not self._sequence:
            raise TypeError("There are no layers in the model.")
        layer = self._sequence.pop()
        del self._modules[layer.name.replace(".", "_")]
        self._rebuild()
        return layer

    def _rebuild(self) -> None:
        if self._input_kt is None:
            self.built = False
            return
        x = self._input_kt
        with call_context.cleared_name_scope():
            for layer in self._sequence:
                x = layer(x)
                if len(nest.flatten(x)) != 1:
                    raise ValueError("All layers in a Sequential model should have a single output tensor. "
                                     "For multi-output layers, use the functional API.")
        self._init_graph_network(self._input_kt, x)
        self._layers = [self._input_kt._keras_history.layer] + list(self._sequence)

    def build(self, input_shape: Any = None) -> None:
        """Builds the model for inputs of `input_shape` (batch dimension included)."""
        if input_shape is None and self._input_kt is None:
            raise ValueError("You must provide an `input_shape` argument.")
        if input_shape is not None and self._input_kt is None:
            self._input_kt = Input(batch_shape=tuple(input_shape), name=f"{self._sequence[0].name}_input"
                                   if self._sequence else None)
            self._rebuild()
        self.built = True

    def _maybe_build(self, input_shapes: Any) -> None:
        if self._input_kt is None and self._sequence:
            self.build(input_shapes)
        self.built = True

    def call(self, inputs: Any, training: Optional[bool] = None, mask: Any = None) -> Any:
        x = inputs
        for layer in self._sequence:
            x = layer._eager_call((x,), {}, check_inputs=False)
        return x

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> dict:
        from torchkeras_api.saving.serialization import serialize_keras_object
        layers = []
        if self._input_kt is not None:
            layers.append(serialize_keras_object(self._input_kt._keras_history.layer))
        layers += [serialize_keras_object(layer) for layer in self._sequence]
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> "Sequential":
        from torchkeras_api.layers import deserialize
        model = cls(name=config.get("name"))
        for layer_config in config["layers"]:
            model.add(deserialize(layer_config, custom_objects=custom_objects))
        return model
