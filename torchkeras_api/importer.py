"""Serves `import tensorflow` and `import keras` from torchkeras_api: `install()` / `uninstall()`.

While installed, `tensorflow` is the facade `torchkeras_api.tf`, `tensorflow.keras`, `tensorflow.python.keras`
and `keras` (Keras 2 style) are `torchkeras_api`, and their submodules the matching torchkeras_api modules
(`from tensorflow.keras.layers import Dense`, `import tensorflow.keras.backend as K`, ...). Modules of those
names imported before (real TensorFlow, Keras 3) are set aside and given back by `uninstall()`.

Also while installed, `torch.Tensor.numpy()` works on tensors that require grad (it reads their value, as
TF tensors' `.numpy()` does) and `float(t)` on them does not warn; without the facade, call
`.detach().numpy()` on them.
"""
import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any, Dict, List, Optional, Tuple

import torch

_HINT = 'not supported by torchkeras_api (see README, "The tf facade")'
_ROOTS = ("tensorflow", "keras")
_TARGETS = {
    "tensorflow": "torchkeras_api.tf",
    "tensorflow.python": "torchkeras_api.tf",
    "keras": "torchkeras_api",
    "keras.backend.tensorflow_backend": "torchkeras_api.backend",
}
"""Alias names whose module is not found as an attribute or submodule of the parent alias's module."""


def _is_alias(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in _ROOTS)


class _State:
    def __init__(self, finder: "_AliasFinder"):
        self.finder = finder
        self.set_aside: Dict[str, types.ModuleType] = {}
        self.attributes: List[Tuple[types.ModuleType, str, Any]] = []
        self.numpy_patched = False
        self.scalar_filter: Any = None


_STATE: Optional[_State] = None
_MISSING = object()


def _unsupported(name: str) -> ModuleNotFoundError:
    return ModuleNotFoundError(f"No module named '{name}' (torchkeras_api facade): {_HINT}", name=name)


def _resolve(name: str) -> types.ModuleType:
    """The torchkeras_api module that serves the alias `name`."""
    if name in _TARGETS:
        return importlib.import_module(_TARGETS[name])
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules[parent_name]
    try:
        found = getattr(parent, child, None)
    except AttributeError:
        found = None
    if isinstance(found, types.ModuleType):
        return found
    try:
        return importlib.import_module(f"{parent.__name__}.{child}")
    except ModuleNotFoundError as error:
        if error.name is not None and not f"{parent.__name__}.{child}".startswith(error.name):
            raise
        raise _unsupported(name) from None


class _AliasLoader(importlib.abc.Loader):
    """Hands out an existing torchkeras_api module under the alias name, leaving the module unchanged."""

    def __init__(self, name: str, module: types.ModuleType):
        self.name = name
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        parent_name, _, child = spec.name.rpartition(".")
        parent = sys.modules.get(parent_name) if parent_name else None
        if parent is not None and _STATE is not None:
            _STATE.attributes.append((parent, child, parent.__dict__.get(child, _MISSING)))
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self.spec
        for alias, target in _TARGETS.items():
            if alias.rpartition(".")[0] == self.name and not hasattr(module, "__path__"):
                sys.modules.setdefault(alias, importlib.import_module(target))


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds `tensorflow...` and `keras...` names, ahead of the installed packages."""

    def find_spec(self, fullname: str, path: Any = None,
                  target: Any = None) -> Optional[importlib.machinery.ModuleSpec]:
        if not _is_alias(fullname):
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(fullname, _resolve(fullname)))


_TORCH_NUMPY = torch.Tensor.numpy
_SCALAR_MESSAGE = "Converting a tensor with requires_grad=True to a scalar"


def _numpy(self: torch.Tensor, *, force: bool = False) -> Any:
    """The value as a numpy array (tensors that require grad are read without their graph)."""
    return _TORCH_NUMPY(self.detach() if self.requires_grad else self, force=force)


def install() -> None:
    """Makes `import tensorflow` / `import keras` (and their submodules) load torchkeras_api. Idempotent."""
    global _STATE
    if _STATE is not None:
        return
    _STATE = _State(_AliasFinder())
    for name in [n for n in sys.modules if _is_alias(n)]:
        _STATE.set_aside[name] = sys.modules.pop(name)
    sys.meta_path.insert(0, _STATE.finder)
    warnings.filterwarnings("ignore", message=_SCALAR_MESSAGE, category=UserWarning)
    _STATE.scalar_filter = warnings.filters[0]
    if "numpy" not in torch.Tensor.__dict__:
        torch.Tensor.numpy = _numpy
        _STATE.numpy_patched = True


def uninstall() -> None:
    """Undoes `install()`: the alias modules go, the modules set aside (e.g. real TensorFlow) come back."""
    global _STATE
    if _STATE is None:
        return
    state, _STATE = _STATE, None
    if state.finder in sys.meta_path:
        sys.meta_path.remove(state.finder)
    for name in [n for n in sys.modules if _is_alias(n)]:
        del sys.modules[name]
    sys.modules.update(state.set_aside)
    for module, attribute, old in reversed(state.attributes):
        if old is _MISSING:
            module.__dict__.pop(attribute, None)
        else:
            setattr(module, attribute, old)
    if state.scalar_filter in warnings.filters:
        warnings.filters.remove(state.scalar_filter)
    if state.numpy_patched:
        del torch.Tensor.numpy


def installed() -> bool:
    """Whether `install()` is in effect."""
    return _STATE is not None
