"""tf.keras.utils.model_to_dot and plot_model: a model's layer graph through pydot and graphviz (the optional
`plot` extra; graphviz itself is a system package). The engine is imported when first used:
`torchkeras_api.utils` loads before it."""
import os
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from torchkeras_api.saving.atomic import path_to_string
from torchkeras_api.utils.progbar import print_msg

_NOT_BUILT = ("This model has not yet been built. Build the model first by calling `build()` or by calling the "
              "model on a batch of data.")


def _pydot() -> Any:
    try:
        import pydot
    except ImportError:
        return None
    return pydot


def check_pydot() -> bool:
    """Whether pydot can be imported."""
    return _pydot() is not None


def check_graphviz() -> bool:
    """Whether pydot is installed and can run graphviz."""
    pydot = _pydot()
    if pydot is None:
        return False
    try:
        pydot.Dot.create(pydot.Dot())
        return True
    except (OSError, getattr(pydot, "InvocationException", OSError)):
        return False


def _is_graph_model(layer: Any) -> bool:
    return bool(getattr(layer, "_is_graph_network", False))


def _graph(model: Any) -> Tuple[List[Any], List[Tuple[Any, Any]]]:
    """The model's layers in plot order (a Sequential's input layer first) and its (inbound layer, layer) edges."""
    layers = list(model.layers)
    input_kt = getattr(model, "_input_kt", None)
    if input_kt is not None and input_kt._keras_history.layer not in layers:
        layers.insert(0, input_kt._keras_history.layer)
    if not _is_graph_model(model):
        return layers, list(zip(layers[:-1], layers[1:]))
    edges = []
    for layer in layers:
        for node in layer._inbound_nodes:
            if node in model._network_nodes:
                edges.extend((kt._keras_history.layer, layer) for kt in node.keras_inputs)
    return layers, edges


def _format_shape(shape: Any) -> str:
    return str(shape).replace("{", r"\{").replace("}", r"\}")


def _label(layer: Any, show_shapes: bool, show_dtype: bool, show_layer_names: bool, show_layer_activations: bool,
           show_trainable: bool) -> str:
    """The record label of a layer's node: name, class, activation, dtype, shapes, trainable flag as asked."""
    name, class_name = layer.name, type(layer).__name__
    inner = getattr(layer, "layer", None)
    if inner is not None and hasattr(inner, "name"):
        name, class_name = f"{name}({inner.name})", f"{class_name}({type(inner).__name__})"
    label = class_name
    activation = getattr(layer, "activation", None) if show_layer_activations else None
    if activation is not None:
        activation_name = getattr(activation, "name", None) or getattr(activation, "__name__", None) or activation
        label = "{%s|%s}" % (label, activation_name)
    if show_layer_names:
        label = f"{name}|{label}"
    if show_dtype:
        label = f"{label}|{'?' if layer.dtype is None else layer.dtype}"
    if show_shapes:
        shapes = []
        for attribute in ("input_shape", "output_shape"):
            try:
                shapes.append(_format_shape(getattr(layer, attribute)))
            except (AttributeError, RuntimeError):
                shapes.append("?")
        label = "{%s}|{input:|output:}|{{%s}|{%s}}" % (label, shapes[0], shapes[1])
    if show_trainable:
        label = f"{'T' if layer.trainable else 'NT'}|{label}"
    return label


def model_to_dot(model: Any, show_shapes: bool = False, show_dtype: bool = False, show_layer_names: bool = True,
                 rankdir: str = "TB", expand_nested: bool = False, dpi: int = 96, subgraph: bool = False,
                 layer_range: Optional[Sequence[str]] = None, show_layer_activations: bool = False,
                 show_trainable: bool = False) -> Any:
    """A `pydot.Dot` graph of the model's layers (a `pydot.Cluster` with `subgraph=True`); nested models become
    dashed clusters with `expand_nested`."""
    if not model.built:
        raise ValueError(_NOT_BUILT)
    pydot = _pydot()
    if pydot is None:
        raise ImportError("You must install pydot (`pip install pydot`) for model_to_dot to work.")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set_node_defaults(shape="record")
    from torchkeras_api.engine.sequential import Sequential
    from torchkeras_api.engine.summary import layer_index_bounds
    if not _is_graph_model(model) and not isinstance(model, Sequential):
        dot.add_node(pydot.Node(str(id(model)), label=model.name))
        return dot
    layers, edges = _graph(model)
    if layer_range is not None:
        if any(not isinstance(name, str) for name in layer_range):
            raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
        start, end = layer_index_bounds(layers, layer_range)
        layers = layers[start:end]
    kept = {id(layer) for layer in layers}
    entry: Dict[int, str] = {}
    exit_: Dict[int, str] = {}
    options = (show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable)
    for layer in layers:
        if expand_nested and _is_graph_model(layer):
            cluster = model_to_dot(layer, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
                                   subgraph=True, show_layer_activations=show_layer_activations,
                                   show_trainable=show_trainable)
            nodes = cluster.get_nodes()
            entry[id(layer)], exit_[id(layer)] = nodes[0].get_name(), nodes[-1].get_name()
            dot.add_subgraph(cluster)
        else:
            entry[id(layer)] = exit_[id(layer)] = str(id(layer))
            dot.add_node(pydot.Node(str(id(layer)), label=_label(layer, *options)))
    for source, target in edges:
        if id(source) in kept and id(target) in kept and not dot.get_edge(exit_[id(source)], entry[id(target)]):
            dot.add_edge(pydot.Edge(exit_[id(source)], entry[id(target)]))
    return dot


def plot_model(model: Any, to_file: str = "model.png", show_shapes: bool = False, show_dtype: bool = False,
               show_layer_names: bool = True, rankdir: str = "TB", expand_nested: bool = False, dpi: int = 96,
               layer_range: Optional[Sequence[str]] = None, show_layer_activations: bool = False,
               show_trainable: bool = False) -> Any:
    """Draws the model's layer graph to `to_file` (format from the extension, png by default); in a notebook,
    returns it as an `IPython.display.Image`."""
    if not model.built:
        raise ValueError(_NOT_BUILT)
    if not check_graphviz():
        message = ("You must install pydot (`pip install pydot`) and install graphviz (see instructions at "
                   "https://graphviz.gitlab.io/download/) for plot_model to work.")
        if "IPython.core.magics.namespace" in sys.modules:
            print_msg(message)
            return None
        raise ImportError(message)
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi, layer_range=layer_range,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    to_file = path_to_string(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
