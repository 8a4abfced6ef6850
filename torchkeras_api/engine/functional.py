"""Functional models: a graph of layer calls from `Input`s to outputs, run in topological order."""
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from torchkeras_api.engine import naming
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec, assert_input_compatibility
from torchkeras_api.engine.keras_tensor import STRING, KerasTensor
from torchkeras_api.engine.node import Node
from torchkeras_api.engine.training import Model
from torchkeras_api.utils import nest


class Functional(Model):
    """A model defined by `Model(inputs, outputs)`."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: Optional[str] = None,
                 trainable: bool = True, **kwargs: Any):
        inputs = kwargs.pop("input", inputs)
        outputs = kwargs.pop("output", outputs)
        if type(self) is Functional and name is None:
            name = naming.unique_object_name("model")
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self._build_input_shape = None
        self._init_graph_network(inputs, outputs)

    def _init_graph_network(self, inputs: Any, outputs: Any) -> None:
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and not isinstance(inputs, dict):
            inputs = inputs[0] if isinstance(inputs[0], KerasTensor) else inputs
        self._nested_inputs = inputs
        self._nested_outputs = outputs
        self.inputs: List[KerasTensor] = nest.flatten(inputs)
        self.outputs: List[KerasTensor] = nest.flatten(outputs)
        for kind, tensors in (("inputs", self.inputs), ("outputs", self.outputs)):
            for t in tensors:
                if not isinstance(t, KerasTensor) or t._keras_history is None:
                    raise ValueError(f"All `{kind}` of a functional Model must be symbolic tensors from "
                                     f"`keras.Input` and layer calls. Received: {t!r}")
        self._symbolic_losses: List[KerasTensor] = getattr(self, "_symbolic_losses", [])
        self._map_graph()
        self._input_layers = [t._keras_history.layer for t in self.inputs]
        self._output_layers = [t._keras_history.layer for t in self.outputs]
        self._input_specs = [InputSpec(shape=(None,) + tuple(t.shape[1:]), allow_last_axis_squeeze=True)
                             for t in self.inputs]
        self._is_graph_network = True
        self.built = True

    def _map_graph(self) -> None:
        nodes, layers, execution = map_graph_network(self.inputs, self.outputs + self._symbolic_losses)
        self._network_nodes = nodes
        self._layers = layers
        self._execution_plan = execution
        names = [layer.name for layer in layers]
        for layer_name in set(names):
            if names.count(layer_name) > 1:
                raise ValueError(f'The name "{layer_name}" is used {names.count(layer_name)} times in the model. '
                                 "All layer names should be unique.")
        for key in [k for k, m in self._modules.items() if isinstance(m, Layer)]:
            del self._modules[key]
        for layer in layers:
            key = layer.name.replace(".", "_")
            while key in self._modules or key in self._parameters:
                key += "_"
            self._modules[key] = layer

    def _tracked_layers(self) -> List[Layer]:
        return list(self._layers)

    @property
    def input_names(self) -> List[str]:
        return [layer.name for layer in self._input_layers]

    @property
    def output_names(self) -> List[str]:
        return [layer.name for layer in self._output_layers]

    @property
    def input(self) -> Any:
        return self._nested_inputs

    @property
    def output(self) -> Any:
        return self._nested_outputs

    @property
    def input_shape(self) -> Any:
        return nest.map_structure(lambda t: tuple(t.shape), self._nested_inputs)

    @property
    def output_shape(self) -> Any:
        return nest.map_structure(lambda t: tuple(t.shape), self._nested_outputs)

    def _flatten_call_inputs(self, inputs: Any) -> List[Any]:
        if isinstance(inputs, torch.Tensor) and len(self.inputs) == 1:
            return [inputs]
        if isinstance(inputs, dict) and not isinstance(self._nested_inputs, dict):
            missing = [n for n in self.input_names if n not in inputs]
            if missing:
                raise ValueError(f'Missing data for input {missing[0]!r}. You passed a data dictionary with keys '
                                 f"{sorted(inputs)}. Expected the following keys: {self.input_names}")
            return [inputs[n] for n in self.input_names]
        if isinstance(inputs, (list, tuple)) and len(self.inputs) == 1 and len(inputs) == 1:
            return [inputs[0]]
        flat = nest.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self.inputs)} input(s), but it received '
                             f"{len(flat)} input tensors. Inputs received: {flat}")
        return flat

    def call(self, inputs: Any, training: Optional[bool] = None, mask: Any = None) -> Any:
        flat = self._flatten_call_inputs(inputs)
        masks = nest.flatten(mask) if mask is not None else [None] * len(flat)
        tensors: Dict[int, Any] = {}
        for kt, x, m in zip(self.inputs, flat, masks):
            x = _conform(x, kt)
            if m is not None:
                x._keras_mask = m
            tensors[id(kt)] = x
        for kt in self.inputs:
            x = tensors[id(kt)]
            if not isinstance(x, torch.Tensor) or x.shape[1:] != kt.shape[1:]:
                assert_input_compatibility(self._input_specs, [tensors[id(t)] for t in self.inputs], self.name)
                break
        for node in self._execution_plan:
            args, kwargs = node.map_arguments(tensors)
            outputs = node.layer._eager_call(args, kwargs, check_inputs=False)
            if len(node.flat_outputs) == 1:
                tensors[id(node.flat_outputs[0])] = outputs if isinstance(outputs, torch.Tensor) else \
                    nest.flatten(outputs)[0]
            else:
                for kt, value in zip(node.flat_outputs, nest.flatten(outputs)):
                    tensors[id(kt)] = value
        for kt in self._symbolic_losses:
            self._record_loss(tensors[id(kt)])
        if isinstance(self._nested_outputs, KerasTensor):
            return tensors[id(self._nested_outputs)]
        return nest.pack_sequence_as(self._nested_outputs, [tensors[id(kt)] for kt in self.outputs])

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def get_config(self) -> Dict[str, Any]:
        from torchkeras_api.engine.functional_config import get_functional_config
        return get_functional_config(self)

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> "Functional":
        from torchkeras_api.engine.functional_config import from_functional_config
        return from_functional_config(cls, config, custom_objects)

    def _add_symbolic_loss(self, loss: KerasTensor) -> None:
        self._symbolic_losses.append(loss)
        self._map_graph()


def inject_functional(model: Model) -> None:
    """Makes an instance of a Model subclass built with inputs/outputs a Functional one."""
    cls = type(model)
    if not issubclass(cls, Functional):
        model.__class__ = type(cls.__name__, (cls, Functional), {"__module__": cls.__module__})


def _conform(x: Any, kt: KerasTensor) -> Any:
    """Casts to the Input's dtype and adds/drops a trailing axis of size 1, as tf.keras does (numpy arrays of
    strings, for string Inputs, only get the axis fix)."""
    if kt.dtype == STRING:
        if isinstance(x, np.ndarray) and x.ndim == kt.ndim - 1 and kt.shape[-1] == 1:
            return x[..., None]
        if isinstance(x, np.ndarray) and x.ndim == kt.ndim + 1 and x.shape[-1] == 1:
            return x[..., 0]
        return x
    if not isinstance(x, torch.Tensor):
        return x
    if x.dtype != kt.dtype and (x.is_floating_point() or kt.dtype.is_floating_point):
        x = x.to(kt.dtype)
    if x.ndim == kt.ndim - 1 and kt.shape[-1] == 1:
        x = x.unsqueeze(-1)
    elif x.ndim == kt.ndim + 1 and x.shape[-1] == 1:
        x = x.squeeze(-1)
    return x


def map_graph_network(inputs: List[KerasTensor], outputs: List[KerasTensor]
                      ) -> Tuple[set, List[Layer], List[Node]]:
    """(nodes in the network, layers ordered as tf.keras orders them, non-input nodes in run order)."""
    finished: set = set()
    in_progress: set = set()
    ordered: List[Node] = []
    layer_indices: Dict[Layer, int] = {}

    def visit(tensor: KerasTensor) -> None:
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if node in in_progress:
            raise ValueError(f"Tensor {tensor!r} from layer {layer.name} is part of a cycle.")
        if node in finished:
            return
        if layer not in layer_indices:
            layer_indices[layer] = len(layer_indices)
        in_progress.add(node)
        if not any(tensor is t for t in inputs):
            for kt in node.keras_inputs:
                visit(kt)
        finished.add(node)
        in_progress.discard(node)
        ordered.append(node)

    for out in outputs:
        visit(out)

    node_depth: Dict[Node, int] = {}
    layer_depth: Dict[Layer, int] = {}
    for node in reversed(ordered):
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = depth
        node_depth[node] = depth
        if any(kt is t for kt in node.flat_outputs for t in inputs):
            continue
        for parent in node.parent_nodes:
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for t in inputs:
        layer = t._keras_history.layer
        if layer not in layer_depth:
            layer_depth[layer] = 0
            layer_indices[layer] = -1
            node_depth[t.node] = 0

    nodes_by_depth: Dict[int, List[Node]] = {}
    for node, depth in node_depth.items():
        nodes_by_depth.setdefault(depth, []).append(node)
    layers_by_depth: Dict[int, List[Layer]] = {}
    for layer, depth in layer_depth.items():
        layers_by_depth.setdefault(depth, []).append(layer)
    layers: List[Layer] = []
    for depth in sorted(layers_by_depth, reverse=True):
        layers.extend(sorted(layers_by_depth[depth], key=lambda l: layer_indices[l]))

    available = {id(t) for t in inputs}
    done_layers: List[str] = []
    execution: List[Node] = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if any(kt is t for kt in node.flat_outputs for t in inputs):
                done_layers.append(node.layer.name)
                continue
            if node.is_input:
                continue
            for kt in node.keras_inputs:
                if id(kt) not in available:
                    raise ValueError(f"Graph disconnected: cannot obtain value for tensor {kt!r} at layer "
                                     f'"{node.layer.name}". The following previous layers were accessed '
                                     f"without issue: {done_layers}")
            available.update(id(kt) for kt in node.flat_outputs)
            done_layers.append(node.layer.name)
            execution.append(node)
    return set(node_depth), layers, execution

