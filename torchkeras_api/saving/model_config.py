"""Models from configs and JSON: `model_from_config`, `model_from_json`, `model_from_yaml` (removed, as in
tf.keras), and the JSON encoding tf.keras uses for configs."""
import json
from typing import Any, Dict, Optional

import numpy as np

from torchkeras_api.saving.object_registry import CustomObjectScope, get_custom_objects, get_registered_name


def json_default(obj: Any) -> Any:
    """JSON form of the non-JSON values found in configs (numpy values, shapes, tensors, named functions)."""
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).decode("utf-8")
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if hasattr(obj, "as_list") and callable(obj.as_list):
        return obj.as_list()
    if hasattr(obj, "detach") and hasattr(obj, "tolist"):
        return obj.detach().cpu().tolist()
    if hasattr(obj, "get_config"):
        return {"class_name": get_registered_name(type(obj)), "config": obj.get_config()}
    if callable(obj) and hasattr(obj, "__name__"):
        return get_registered_name(obj)
    raise TypeError(f"Not JSON Serializable: {obj!r} (of type {type(obj).__name__})")


def dumps(config: Any) -> str:
    """`config` as JSON text, with `json_default` for the non-JSON values."""
    return json.dumps(config, default=json_default)


def model_from_config(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """A layer or model instance from `{'class_name': ..., 'config': ...}` (as `model.to_json()` holds)."""
    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Received: "
                        f"config={config}. Did you meant to use `Sequential.from_config(config)`?")
    from torchkeras_api.layers import deserialize
    objects = {**_registered_by_class_name(), **(custom_objects or {})}
    with CustomObjectScope(objects):
        return deserialize(config, custom_objects=objects)


def _registered_by_class_name() -> Dict[str, Any]:
    """Registered classes (`package>Name`) under their bare class name, where that name is unambiguous:
    `to_json` and `.h5` files name a model by its class name only."""
    by_name: Dict[str, Any] = {}
    taken = set()
    for key, obj in get_custom_objects().items():
        if ">" in key and isinstance(obj, type):
            name = key.split(">", 1)[1]
            if name in by_name:
                taken.add(name)
            by_name[name] = obj
    return {name: obj for name, obj in by_name.items() if name not in taken}


def model_from_json(json_string: str, custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """A model from the JSON text written by `model.to_json()`."""
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"`model_from_json` expects the JSON text written by `model.to_json()`; it could not be "
                         f"parsed ({e}).") from e
    return model_from_config(config, custom_objects=custom_objects)


def model_from_yaml(yaml_string: str, custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """Removed in tf.keras (YAML loading could run arbitrary code): always raises RuntimeError."""
    raise RuntimeError("Method `model_from_yaml()` has been removed due to security risk of arbitrary code "
                       "execution. Please use `Model.to_json()` and `model_from_json()` instead.")
