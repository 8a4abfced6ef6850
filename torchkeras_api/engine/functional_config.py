"""get_config/from_config of functional models, in tf.keras 2.x's format (layers, inbound_nodes, ...)."""
import inspect
from typing import Any, Dict, List, Optional, Tuple

from torchkeras_api.engine.keras_tensor import KerasTensor
from torchkeras_api.engine.op_layers import TFOpLambda
from torchkeras_api.saving.serialization import serialize_keras_object
from torchkeras_api.utils import nest


def _skips_first_node(layer: Any) -> bool:
    """tf.keras numbers the calls of a nested functional/Sequential model from 1 in configs (its node 0 is the
    model's own graph)."""
    from torchkeras_api.engine.functional import Functional
    return isinstance(layer, Functional) and bool(getattr(layer, "_is_graph_network", False))


def _node_indices(model: Any) -> Dict[Tuple[int, int], int]:
    """(id(layer), node_index) -> index of that node among the layer's nodes that belong to the model (from 1
    for nested models, as tf.keras numbers them)."""
    mapping = {}
    for layer in model.layers:
        kept = 1 if _skips_first_node(layer) else 0
        for index, node in enumerate(layer._inbound_nodes):
            if node in model._network_nodes:
                mapping[(id(layer), index)] = kept
                kept += 1
    return mapping


def _serialize_slice(spec: Any) -> Any:
    if isinstance(spec, slice):
        return {"start": spec.start, "stop": spec.stop, "step": spec.step}
    if spec is Ellipsis:
        return {"ellipsis": True}
    if isinstance(spec, tuple):
        return tuple(_serialize_slice(s) for s in spec)
    return spec


def _deserialize_slice(spec: Any) -> Any:
    if isinstance(spec, dict):
        return Ellipsis if spec.get("ellipsis") else slice(spec["start"], spec["stop"], spec["step"])
    if isinstance(spec, (list, tuple)):
        return tuple(_deserialize_slice(s) for s in spec)
    return spec


def _arg_names(node: Any) -> List[str]:
    layer = node.layer
    if isinstance(layer, TFOpLambda):
        return list(layer.arg_names)
    params = [p for p in inspect.signature(layer.call).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [p.name for p in params]


def get_functional_config(model: Any) -> Dict[str, Any]:
    """{'name', 'trainable', 'layers', 'input_layers', 'output_layers'} as tf.keras writes them."""
    indices = _node_indices(model)

    def ref(kt: KerasTensor) -> list:
        layer, node_index, tensor_index = kt._keras_history
        return [layer.name, indices[(id(layer), node_index)], tensor_index]

    def value(x: Any) -> Any:
        return ref(x) if isinstance(x, KerasTensor) else x

    layer_configs = []
    for layer in model.layers:
        nodes = []
        for node in layer._inbound_nodes:
            if node not in model._network_nodes or node.is_input:
                continue
            kwargs = dict(node.call_kwargs)
            names = _arg_names(node)
            for name, arg in zip(names[1:], node.call_args[1:]):
                kwargs[name] = arg
            if isinstance(layer, TFOpLambda) and "slice_spec" in kwargs:
                kwargs["slice_spec"] = _serialize_slice(kwargs["slice_spec"])
            kwargs = nest.map_structure(value, kwargs)
            first = node.call_args[0] if node.call_args else node.call_kwargs.get("inputs")
            if isinstance(layer, TFOpLambda) and isinstance(first, KerasTensor):
                nodes.append(ref(first) + [kwargs])
            else:
                nodes.append([ref(t) + [kwargs] for t in nest.flatten(first)])
        entry = serialize_keras_object(layer)
        entry["name"] = layer.name
        entry["inbound_nodes"] = nodes
        layer_configs.append(entry)
    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": nest.map_structure(ref, model._nested_inputs
                                           if isinstance(model._nested_inputs, (list, dict)) else [model.inputs[0]]),
        "output_layers": nest.map_structure(ref, model._nested_outputs
                                            if isinstance(model._nested_outputs, (list, dict)) else [model.outputs[0]]),
    }


def _is_ref(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and len(x) == 3 and isinstance(x[0], str) and isinstance(x[1], int) \
        and isinstance(x[2], int)


def from_functional_config(cls: type, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """Rebuilds the layers, replays their calls in dependency order, and makes a `cls` model."""
    from torchkeras_api.layers import deserialize
    layers = {}
    pending: List[Tuple[Any, list]] = []
    for layer_config in config["layers"]:
        layer = deserialize(layer_config, custom_objects=custom_objects)
        layers[layer_config["name"]] = layer
        for node_data in layer_config.get("inbound_nodes", []):
            pending.append((layer, node_data))
    created: Dict[str, List[Any]] = {name: [] for name in layers}
    for name, layer in layers.items():
        if layer._inbound_nodes and layer._inbound_nodes[0].is_input:
            created[name].append(nest.flatten(layer._inbound_nodes[0].outputs))

    def node(r: Any) -> int:
        return max(0, r[1] - 1) if r[0] in layers and _skips_first_node(layers[r[0]]) else r[1]

    def tensor(r: Any) -> Any:
        return created[r[0]][node(r)][r[2]]

    def ready(r: Any) -> bool:
        return r[0] in created and len(created[r[0]]) > node(r)

    def resolve(x: Any) -> Any:
        if _is_ref(x):
            return tensor(x)
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return type(x)(resolve(v) for v in x)
        return x

    def refs_in(x: Any) -> List[Any]:
        if _is_ref(x):
            return [x]
        if isinstance(x, dict):
            return [r for v in x.values() for r in refs_in(v)]
        if isinstance(x, (list, tuple)):
            return [r for v in x for r in refs_in(v)]
        return []

    while pending:
        progressed = False
        for item in list(pending):
            layer, node_data = item
            if isinstance(node_data[0], str):
                inputs, kwargs = node_data[:3], node_data[3] if len(node_data) > 3 else {}
            else:
                inputs = [entry[:3] for entry in node_data]
                kwargs = node_data[0][3] if node_data and len(node_data[0]) > 3 else {}
            if not all(ready(r) for r in refs_in([inputs, kwargs])):
                continue
            args = resolve(inputs) if _is_ref(inputs) else [tensor(r) for r in inputs]
            if not _is_ref(inputs) and len(args) == 1:
                args = args[0]
            kwargs = resolve(kwargs)
            if isinstance(layer, TFOpLambda):
                if "slice_spec" in kwargs:
                    kwargs["slice_spec"] = _deserialize_slice(kwargs["slice_spec"])
                outputs = layer(args, **{k: v for k, v in kwargs.items() if k != "name"})
            else:
                outputs = layer(args, **kwargs)
            created[layer.name].append(nest.flatten(outputs))
            pending.remove(item)
            progressed = True
        if not progressed:
            names = sorted({layer.name for layer, _ in pending})
            raise ValueError(f"Cannot rebuild the functional model {config.get('name')!r}: the inputs of layers "
                             f"{names} are never produced by the other layers of the config.")

    def collect(spec: Any) -> Any:
        if _is_ref(spec):
            return tensor(spec)
        if isinstance(spec, dict):
            return {k: collect(v) for k, v in spec.items()}
        return [collect(s) for s in spec]

    inputs = collect(config["input_layers"])
    outputs = collect(config["output_layers"])
    if isinstance(outputs, list) and len(outputs) == 1:
        outputs = outputs[0]
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"), trainable=config.get("trainable", True))
