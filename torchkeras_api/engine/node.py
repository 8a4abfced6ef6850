"""Node: one call of a layer on KerasTensors, linking the layers of a graph."""
from typing import Any, Dict, List, Tuple

from torchkeras_api.engine.keras_tensor import KerasHistory, KerasTensor
from torchkeras_api.utils import nest


class Node:
    """Records `layer(*call_args, **call_kwargs) -> outputs` on KerasTensors."""

    def __init__(self, layer: Any, call_args: tuple, call_kwargs: dict, outputs: Any):
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.keras_inputs: List[KerasTensor] = [t for t in nest.flatten((call_args, call_kwargs))
                                                if isinstance(t, KerasTensor)]
        for kt in self.keras_inputs:
            if kt._keras_history is None:
                raise ValueError(f"{kt!r} was not created by a Keras layer or `keras.Input`; "
                                 f"it cannot be an input of layer {layer.name}.")
        self.is_input = not self.keras_inputs
        self.flat_outputs: List[KerasTensor] = nest.flatten(outputs)
        layer._inbound_nodes.append(self)
        for kt in self.keras_inputs:
            kt._keras_history.layer._outbound_nodes.append(self)
        node_index = len(layer._inbound_nodes) - 1
        for i, kt in enumerate(self.flat_outputs):
            kt._keras_history = KerasHistory(layer, node_index, i)
        self._single_input = (len(call_args) == 1 and not call_kwargs and isinstance(call_args[0], KerasTensor))

    @property
    def input_tensors(self) -> Any:
        if self.is_input:
            return self.outputs
        return self.call_args[0] if self.call_args else self.call_kwargs.get("inputs")

    @property
    def output_tensors(self) -> Any:
        return self.outputs

    @property
    def parent_nodes(self) -> List["Node"]:
        return [kt.node for kt in self.keras_inputs]

    def iterate_inbound(self) -> List[Tuple[Any, int, int, KerasTensor]]:
        return [(kt._keras_history.layer, kt._keras_history.node_index, kt._keras_history.tensor_index, kt)
                for kt in self.keras_inputs]

    def map_arguments(self, tensors: Dict[int, Any]) -> Tuple[tuple, dict]:
        """call_args and call_kwargs with each KerasTensor replaced by tensors[id(kt)]."""
        if self._single_input:
            return (tensors[id(self.call_args[0])],), {}

        def replace(x: Any) -> Any:
            return tensors[id(x)] if isinstance(x, KerasTensor) else x

        return nest.map_structure(replace, self.call_args), nest.map_structure(replace, self.call_kwargs)
