"""tf.compat.v1: the TF1 leftovers scripts still call. Configuration calls are harmless no-ops; `Session.run`
evaluates tensors, and Keras symbolic tensors with a `feed_dict` keyed by `keras.Input`s; graph-mode
placeholders and variable scopes are not supported. Other names fall back to the facade."""
import logging as _logging
import sys
import types
import warnings
from typing import Any, Dict, Optional

import torch

from torchkeras_api import backend as K
from torchkeras_api.engine.device import set_log_device_placement
from torchkeras_api.tf._support import HINT, module_getattr
from torchkeras_api.tf.random import set_seed as set_random_seed

__all__ = ["ConfigProto", "GPUOptions", "InteractiveSession", "Session", "disable_eager_execution",
           "disable_v2_behavior", "enable_eager_execution", "enable_v2_behavior", "get_variable",
           "global_variables_initializer", "local_variables_initializer", "logging", "placeholder",
           "reset_default_graph", "set_random_seed"]


class GPUOptions:
    """GPU settings of a ConfigProto (accepted, not applied: torch allocates memory as it needs it)."""

    def __init__(self, allow_growth: bool = False, per_process_gpu_memory_fraction: float = 0.0,
                 visible_device_list: str = "", **kwargs: Any):
        self.allow_growth = allow_growth
        self.per_process_gpu_memory_fraction = per_process_gpu_memory_fraction
        self.visible_device_list = visible_device_list
        self.__dict__.update(kwargs)


class ConfigProto:
    """Session settings: `log_device_placement` logs the device of each weight created once a session with
    this config exists; the others are accepted, not applied."""

    def __init__(self, gpu_options: Optional[GPUOptions] = None, log_device_placement: bool = False,
                 allow_soft_placement: bool = False, intra_op_parallelism_threads: int = 0,
                 inter_op_parallelism_threads: int = 0, device_count: Optional[Dict[str, int]] = None,
                 **kwargs: Any):
        self.gpu_options = gpu_options if gpu_options is not None else GPUOptions()
        self.log_device_placement = log_device_placement
        self.allow_soft_placement = allow_soft_placement
        self.intra_op_parallelism_threads = intra_op_parallelism_threads
        self.inter_op_parallelism_threads = inter_op_parallelism_threads
        self.device_count = dict(device_count or {})
        self.__dict__.update(kwargs)


class Session(K.Session):
    """A TF1 session: `run` evaluates tensors (and Keras graphs fed through `feed_dict`) to numpy; `config`
    is accepted."""

    def __init__(self, target: str = "", graph: Any = None, config: Optional[ConfigProto] = None):
        self.config = config
        if getattr(config, "log_device_placement", False):
            set_log_device_placement(True)

    def as_default(self) -> "Session":
        return self


InteractiveSession = Session


def _no_op(*args: Any, **kwargs: Any) -> None:
    """Accepted for compatibility; torchkeras_api always runs eagerly."""


enable_eager_execution = enable_v2_behavior = enable_resource_variables = _no_op
global_variables_initializer = local_variables_initializer = tables_initializer = _no_op


_VARIABLES: Dict[str, Any] = {}


def get_variable(name: str, shape: Any = None, dtype: Any = None, initializer: Any = None, regularizer: Any = None,
                 trainable: Optional[bool] = None, **kwargs: Any) -> Any:
    """A new named Variable (TF1 style); the name must be new, as without `reuse` in TF1 (variable scopes and
    reuse are not supported). `initializer` is an initializer, a value, or glorot_uniform by default."""
    from torchkeras_api import initializers
    from torchkeras_api.engine.base_layer import to_torch_dtype
    from torchkeras_api.engine.variables import Variable
    if name in _VARIABLES:
        raise ValueError(f"Variable {name} already exists, disallowed. Variable scopes and reuse are not supported "
                         "by torchkeras_api: keep the first Variable, or create variables in Keras layers.")
    torch_dtype = to_torch_dtype(dtype or "float32")
    if initializer is None or isinstance(initializer, (str, dict)) or callable(initializer):
        value = initializers.get(initializer or "glorot_uniform")(tuple(shape or ()), dtype=torch_dtype)
    else:
        value = torch.as_tensor(initializer, dtype=torch_dtype)
    variable = Variable(value, trainable=trainable is not False, name=f"{name}:0")
    _VARIABLES[name] = variable
    return variable


def disable_eager_execution() -> None:
    """Ignored, with a warning: torchkeras_api always runs eagerly."""
    warnings.warn("tf.compat.v1.disable_eager_execution() is ignored: torchkeras_api always runs eagerly.",
                  stacklevel=2)


def disable_v2_behavior() -> None:
    """Ignored, with a warning: torchkeras_api always runs eagerly, with TF2 semantics."""
    warnings.warn("tf.compat.v1.disable_v2_behavior() is ignored: torchkeras_api always runs eagerly.",
                  stacklevel=2)


def reset_default_graph() -> None:
    """Resets Keras' global state (layer names), as `tf.keras.backend.clear_session`, and forgets the names of
    `get_variable`'s variables."""
    K.clear_session()
    _VARIABLES.clear()


def placeholder(dtype: Any, shape: Any = None, name: Optional[str] = None) -> Any:
    """Graph-mode placeholders are not supported."""
    raise NotImplementedError(f"tf.compat.v1.placeholder (graph mode with feed_dict) is {HINT}: build the "
                              "computation eagerly, or use tf.keras.Input in a functional model.")


logging = types.SimpleNamespace(
    DEBUG=_logging.DEBUG, INFO=_logging.INFO, WARN=_logging.WARNING, WARNING=_logging.WARNING,
    ERROR=_logging.ERROR, FATAL=_logging.FATAL,
    set_verbosity=lambda level: _logging.getLogger("tensorflow").setLevel(level),
    get_verbosity=lambda: _logging.getLogger("tensorflow").getEffectiveLevel(),
    debug=_logging.getLogger("tensorflow").debug, info=_logging.getLogger("tensorflow").info,
    warning=_logging.getLogger("tensorflow").warning, warn=_logging.getLogger("tensorflow").warning,
    error=_logging.getLogger("tensorflow").error, fatal=_logging.getLogger("tensorflow").critical)
"""tf.compat.v1.logging: levels and functions on the 'tensorflow' Python logger."""


def _facade(name: str) -> Any:
    return getattr(sys.modules["torchkeras_api.tf"], name)


__getattr__ = module_getattr("tensorflow.compat.v1", fallback=_facade)
