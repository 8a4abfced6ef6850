"""layers.serialize / layers.deserialize through the one object registry."""
from typing import Any, Dict, Optional

from torchkeras_api.saving.cudnn_weights import plain_rnn_config
from torchkeras_api.saving.object_registry import get_registered_object
from torchkeras_api.saving.serialization import deserialize_keras_object, serialize_keras_object


def serialize(layer: Any) -> Dict[str, Any]:
    """{'module', 'class_name', 'config', 'registered_name'} for a layer or model."""
    return serialize_keras_object(layer)


def _layer_classes() -> Dict[str, Any]:
    from torchkeras_api import layers, models
    from torchkeras_api.engine.base_layer import Layer
    from torchkeras_api.engine.op_layers import SlicingOpLambda, TFOpLambda
    objects = {name: obj for module in (layers, models) for name, obj in vars(module).items()
               if isinstance(obj, type) and issubclass(obj, Layer)}
    objects.update(TFOpLambda=TFOpLambda, SlicingOpLambda=SlicingOpLambda)
    return objects


def deserialize(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """A layer or model instance from its serialized config. `CuDNNLSTM` / `CuDNNGRU` (Keras 2.2, TF 1.x) load as
    the equivalent `LSTM` / `GRU` unless a custom object of that name is given."""
    if isinstance(config, dict) and get_registered_object(str(config.get("class_name")), custom_objects) is None:
        config = plain_rnn_config(config)
    return deserialize_keras_object(config, module_objects=_layer_classes(), custom_objects=custom_objects,
                                    printable_module_name="layer")
