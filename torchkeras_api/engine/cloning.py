"""`clone_model`: the same architecture with new layers (and so newly initialized weights)."""
from typing import Any, Callable, Dict, List, Optional

from torchkeras_api.engine.functional import Functional
from torchkeras_api.engine.input_layer import Input, InputLayer
from torchkeras_api.engine.keras_tensor import KerasTensor
from torchkeras_api.engine.sequential import Sequential
from torchkeras_api.engine.training import Model
from torchkeras_api.utils import nest


def _default_clone(layer: Any) -> Any:
    return layer.__class__.from_config(layer.get_config())


def _check_layer_fn(layer_fn: Any) -> Callable[[Any], Any]:
    if layer_fn is None:
        return _default_clone
    if not callable(layer_fn):
        raise ValueError(f"Expected `layer_fn` argument to be a callable. Received: layer_fn={layer_fn}")
    return layer_fn


def _new_input(layer: InputLayer) -> KerasTensor:
    return Input(batch_shape=layer._batch_input_shape, dtype=layer.dtype, name=layer.name)


def _clone_sequential(model: Sequential, input_tensors: Any, layer_fn: Callable[[Any], Any]) -> Sequential:
    layers = [layer_fn(layer) for layer in model.layers]
    clone = Sequential(name=model.name)
    if input_tensors is not None:
        tensors = nest.flatten(input_tensors)
        if len(tensors) != 1:
            raise ValueError("To clone a `Sequential` model, we expect at most one tensor as part of "
                             f"`input_tensors`. Received: input_tensors={input_tensors}")
        tensor = tensors[0]
        if not isinstance(tensor, KerasTensor) or not isinstance(tensor._keras_history.layer, InputLayer):
            raise ValueError("Cannot clone a `Sequential` model on top of a tensor that comes from a Keras layer "
                             "other than an `InputLayer`. Use the Functional API instead. Received: "
                             f"input_tensors={input_tensors}")
        clone.add(tensor)
    elif model._input_kt is not None:
        clone.add(_new_input(model._input_kt._keras_history.layer))
    for layer in layers:
        clone.add(layer)
    return clone


def _input_map(model: Functional, input_tensors: Any) -> Dict[int, Any]:
    if input_tensors is None:
        return {id(kt): _new_input(kt._keras_history.layer) for kt in model.inputs}
    tensors = nest.flatten(input_tensors)
    if len(tensors) != len(model.inputs):
        raise ValueError(f"`input_tensors` must have one tensor per model input: the model has {len(model.inputs)} "
                         f"input(s), received {len(tensors)}.")
    mapped = {}
    for kt, tensor in zip(model.inputs, tensors):
        if not isinstance(tensor, KerasTensor):
            tensor = Input(tensor=tensor, name=f"input_wrapper_for_{kt._keras_history.layer.name}")
        mapped[id(kt)] = tensor
    return mapped


def _clone_functional(model: Functional, input_tensors: Any, layer_fn: Callable[[Any], Any]) -> Model:
    tensors = _input_map(model, input_tensors)
    new_layers: Dict[int, Any] = {}
    for node in model._execution_plan:
        layer = node.layer
        if id(layer) not in new_layers:
            new_layers[id(layer)] = layer_fn(layer)
        args, kwargs = node.map_arguments(tensors)
        outputs = new_layers[id(layer)](*args, **kwargs)
        for kt, value in zip(node.flat_outputs, nest.flatten(outputs)):
            tensors[id(kt)] = value

    def pick(structure: Any) -> Any:
        return nest.map_structure(lambda kt: tensors[id(kt)], structure)

    clone = Model(inputs=pick(model._nested_inputs), outputs=pick(model._nested_outputs), name=model.name)
    losses: List[Any] = [tensors[id(kt)] for kt in model._symbolic_losses if id(kt) in tensors]
    for loss in losses:
        clone._add_symbolic_loss(loss)
    return clone


def clone_model(model: Any, input_tensors: Any = None, clone_function: Optional[Callable[[Any], Any]] = None) -> Any:
    """A new model with the architecture of `model` and new weights (tf.keras.models.clone_model).

    Each layer is replaced by `clone_function(layer)` (default: `layer.__class__.from_config(layer.get_config())`);
    `input_tensors` gives the clone new inputs. A subclassed model is recreated from its `get_config()`.
    """
    if not isinstance(model, Model):
        raise ValueError(f"Expected `model` argument to be a `Model` instance. Received: model={model}")
    layer_fn = _check_layer_fn(clone_function)
    if isinstance(model, Sequential):
        return _clone_sequential(model, input_tensors, layer_fn)
    if getattr(model, "_is_graph_network", False):
        return _clone_functional(model, input_tensors, layer_fn)
    if clone_function is not None or input_tensors is not None:
        raise ValueError("Arguments clone_function and input_tensors are only supported for Sequential models or "
                         f"Functional models. Received model of type '{model.__class__.__name__}', with "
                         f"clone_function={clone_function} and input_tensors={input_tensors}")
    return model.__class__.from_config(model.get_config())
