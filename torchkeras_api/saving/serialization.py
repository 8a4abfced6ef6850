"""serialize_keras_object / deserialize_keras_object in tf.keras 2.x's config format."""
import inspect
from typing import Any, Dict, Optional

from torchkeras_api.saving.object_registry import get_registered_name, get_registered_object


def serialize_keras_object(instance: Any) -> Any:
    """Config dict for objects with get_config, registered name for functions, None for None."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        cls = type(instance)
        registered = get_registered_name(cls)
        return {
            "module": getattr(cls, "_keras_module", cls.__module__),
            "class_name": cls.__name__,
            "config": instance.get_config(),
            "registered_name": registered if registered != cls.__name__ else None,
        }
    if callable(instance) and hasattr(instance, "__name__"):
        return get_registered_name(instance)
    raise ValueError(f"Cannot serialize {instance!r}: it has no get_config() method and is not a named function.")


def _unknown(kind: str, name: str) -> ValueError:
    return ValueError(
        f"Unknown {kind}: '{name}'. Please ensure you are using a `keras.utils.custom_object_scope` "
        "and that this object is included in the scope, or that it is registered with "
        "`keras.utils.register_keras_serializable`.")


def deserialize_keras_object(identifier: Any, module_objects: Optional[Dict[str, Any]] = None,
                             custom_objects: Optional[Dict[str, Any]] = None,
                             printable_module_name: str = "object") -> Any:
    """Object from a config dict or a name; classes named by a string are returned uninstantiated."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for {printable_module_name}: {identifier}. "
                             "Expecting a dict with keys 'class_name' and 'config'.")
        class_name = identifier["class_name"]
        cls = None
        if identifier.get("registered_name"):
            cls = get_registered_object(identifier["registered_name"], custom_objects, module_objects)
        if cls is None:
            cls = get_registered_object(class_name, custom_objects, module_objects)
        if cls is None:
            raise _unknown(printable_module_name, class_name)
        config = identifier["config"]
        if not inspect.isclass(cls):
            return cls
        if hasattr(cls, "from_config"):
            arg_spec = inspect.signature(cls.from_config).parameters
            if "custom_objects" in arg_spec:
                return cls.from_config(config, custom_objects=dict(custom_objects or {}))
            return cls.from_config(config)
        return cls(**config)
    if isinstance(identifier, str):
        obj = get_registered_object(identifier, custom_objects, module_objects)
        if obj is None:
            raise _unknown(printable_module_name, identifier)
        return obj
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier!r}")


def deserialize_instance(config: Any, module_objects: Dict[str, Any], custom_objects: Optional[Dict[str, Any]],
                         kind: str) -> Any:
    """deserialize_keras_object, with a class named by a string instantiated with its defaults."""
    obj = deserialize_keras_object(config, module_objects, custom_objects, kind)
    return obj() if inspect.isclass(obj) else obj


def get_object(identifier: Any, deserialize: Any, kind: str, instantiate_classes: bool = False) -> Any:
    """The `get()` of a family: None, a name or config dict (deserialized), a class, or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if instantiate_classes and inspect.isclass(identifier):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier}")
