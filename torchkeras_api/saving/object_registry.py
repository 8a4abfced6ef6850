"""The one registry of custom objects: register_keras_serializable and custom_object_scope."""
import threading
from typing import Any, Callable, Dict, Optional

_GLOBAL_CUSTOM_OBJECTS: Dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: Dict[Any, str] = {}
_scope = threading.local()


def _scoped_objects() -> Dict[str, Any]:
    merged: Dict[str, Any] = {}
    for objects in getattr(_scope, "stack", []):
        merged.update(objects)
    return merged


class CustomObjectScope:
    """`with custom_object_scope({'name': obj}):` makes the objects resolvable by name."""

    def __init__(self, *args: Dict[str, Any]):
        self.custom_objects: Dict[str, Any] = {}
        for objects in args:
            self.custom_objects.update(objects or {})

    def __enter__(self) -> "CustomObjectScope":
        if not hasattr(_scope, "stack"):
            _scope.stack = []
        _scope.stack.append(self.custom_objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _scope.stack.pop()


custom_object_scope = CustomObjectScope


def get_custom_objects() -> Dict[str, Any]:
    """The global dict of custom objects; writable, as in tf.keras."""
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package: str = "Custom", name: Optional[str] = None) -> Callable[[Any], Any]:
    """Decorator registering a class or function as `package>name` for deserialization."""

    def decorator(arg: Any) -> Any:
        class_name = name if name is not None else arg.__name__
        registered_name = package + ">" + class_name
        if isinstance(arg, type) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj: Any) -> str:
    """`package>name` for a registered object, else its own __name__."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: Optional[Dict[str, Any]] = None,
                          module_objects: Optional[Dict[str, Any]] = None) -> Any:
    """Looks `name` up in the scopes, the global registry, custom_objects, then module_objects."""
    scoped = _scoped_objects()
    if name in scoped:
        return scoped[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None
