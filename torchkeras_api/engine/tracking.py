"""Sub-layers held in attributes, lists and dicts are registered as torch sub-modules."""
from typing import Any, List, Optional, Tuple

import torch


class _Container(torch.nn.Module):
    """Registers the modules of a list/tuple/dict attribute under '0', '1', ... or the dict keys."""

    def fill(self, value: Any) -> None:
        self._modules.clear()
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            key = str(key).replace(".", "_")
            if isinstance(item, torch.nn.Module):
                self._modules[key] = item
            elif isinstance(item, (list, tuple, dict)):
                sub = _Container()
                sub.fill(item)
                self._modules[key] = sub


class _Tracked:
    """Mixin for list/dict subclasses that refresh their container on every change."""

    _container: _Container

    def _sync(self) -> None:
        container = getattr(self, "_container", None)
        if container is not None:
            container.fill(self)


def _mutator(base: type, method: str) -> Any:
    original = getattr(base, method)

    def wrapped(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        self._sync()
        return result

    wrapped.__name__ = method
    return wrapped


class TrackedList(_Tracked, list):
    """A list attribute of a layer; layers put in it are tracked."""


class TrackedDict(_Tracked, dict):
    """A dict attribute of a layer; layers put in it are tracked."""


for _method in ("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
                "__setitem__", "__delitem__", "__iadd__", "__imul__"):
    setattr(TrackedList, _method, _mutator(list, _method))
for _method in ("update", "pop", "popitem", "clear", "setdefault", "__setitem__", "__delitem__"):
    setattr(TrackedDict, _method, _mutator(dict, _method))


def track_value(value: Any) -> Tuple[Any, Optional[_Container]]:
    """(value, container): lists/dicts become tracked ones, with a container of their modules."""
    if type(value) is list:
        value = TrackedList(value)
    elif type(value) is dict:
        value = TrackedDict(value)
    elif not (type(value) is tuple or isinstance(value, _Tracked)):
        return value, None
    container = _Container()
    container.fill(value)
    if isinstance(value, _Tracked):
        value._container = container
    return value, container


def untrack(owner: torch.nn.Module, name: str) -> None:
    """Forgets the container registered for attribute `name`, if any."""
    if isinstance(owner._modules.get(name), _Container):
        del owner._modules[name]


def tracked_layers(owner: torch.nn.Module) -> List[Any]:
    """Keras layers directly held by owner (through attributes and containers), in assignment order."""
    from torchkeras_api.engine.base_layer import Layer
    out: List[Any] = []

    def visit(module: torch.nn.Module) -> None:
        for child in module._modules.values():
            if isinstance(child, Layer):
                out.append(child)
            elif isinstance(child, _Container):
                visit(child)

    visit(owner)
    seen = set()
    return [layer for layer in out if not (id(layer) in seen or seen.add(id(layer)))]
