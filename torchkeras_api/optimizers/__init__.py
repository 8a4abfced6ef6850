"""tf.keras.optimizers on torch: the optimizer classes, `schedules`, `legacy`, and get/serialize/deserialize."""
from typing import Any, Dict, Optional

from torchkeras_api.optimizers import legacy, schedules
from torchkeras_api.optimizers.adadelta import Adadelta
from torchkeras_api.optimizers.adagrad import Adagrad
from torchkeras_api.optimizers.adam import Adam, AdamW
from torchkeras_api.optimizers.adamax import Adamax
from torchkeras_api.optimizers.base import Optimizer
from torchkeras_api.optimizers.ftrl import Ftrl
from torchkeras_api.optimizers.lion import Lion
from torchkeras_api.optimizers.nadam import Nadam
from torchkeras_api.optimizers.rmsprop import RMSprop
from torchkeras_api.optimizers.sgd import SGD
from torchkeras_api.saving.serialization import deserialize_keras_object, serialize_keras_object

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adadelta", "Adagrad", "Adamax", "Nadam", "Ftrl", "Lion",
    "schedules", "legacy", "get", "serialize", "deserialize",
]

_BY_LOWER_NAME: Dict[str, Any] = {cls.__name__.lower(): cls for cls in (
    SGD, Adam, AdamW, RMSprop, Adadelta, Adagrad, Adamax, Nadam, Ftrl, Lion)}


def serialize(optimizer: Optimizer) -> Dict[str, Any]:
    """The tf.keras config dict `{'module', 'class_name', 'config', 'registered_name'}`."""
    return serialize_keras_object(optimizer)


def deserialize(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None,
                **kwargs: Any) -> Optimizer:
    """An optimizer from a config dict; built-in class names match case-insensitively ('adam', 'SGD')."""
    if (isinstance(config, dict) and not config.get("registered_name")
            and str(config.get("class_name", "")).lower() in _BY_LOWER_NAME):
        config = {**config, "class_name": config["class_name"].lower()}
    optimizer = deserialize_keras_object(config, _BY_LOWER_NAME, custom_objects, "optimizer")
    return optimizer() if isinstance(optimizer, type) else optimizer


def get(identifier: Any, **kwargs: Any) -> Optimizer:
    """An optimizer from an Optimizer (itself), a name ('adam', 'rmsprop', ...) or a config dict."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
