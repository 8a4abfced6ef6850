"""`compile()` arguments <-> the `training_config` JSON of tf.keras's whole-model files.

tf.keras writes `{"loss", "metrics", "weighted_metrics", "loss_weights", "optimizer_config"}`: the losses and
loss weights as given to compile (strings kept, Loss objects and functions serialized in the legacy
`{"class_name", "config"}` form / by name), the metrics as the per-output lists of metric objects compile
resolved them to (names already carrying the output prefix of multi-output models), and the optimizer as
`{"class_name": "Custom>Adam", "config": {...}}` (tf-keras 2.21 registers its optimizers under `Custom>`).
"""
import inspect
from typing import Any, Dict, List, Optional

from torchkeras_api.saving.object_registry import CustomObjectScope, get_registered_name, get_registered_object

# Strings compile resolves from the output shapes and the loss: kept as strings when loading.
_SHAPE_DEPENDENT_METRICS = ("accuracy", "acc", "crossentropy", "ce")
_CUSTOM_PREFIX = "Custom>"


def remember_compile_args(model: Any, loss: Any, metrics: Any, weighted_metrics: Any, loss_weights: Any) -> None:
    """Keeps the user's compile arguments on the model for `get_training_config`."""
    model.__dict__["_compile_config"] = {"loss": loss, "metrics": metrics, "weighted_metrics": weighted_metrics,
                                         "loss_weights": loss_weights}


# ---- writing -----------------------------------------------------------------------------------

def _plain_config(config: Dict[str, Any]) -> Dict[str, Any]:
    return {key: get_registered_name(value) if inspect.isfunction(value) else value for key, value in config.items()}


def serialize_object(obj: Any) -> Any:
    """tf.keras's legacy serialization: None and strings kept, objects with `get_config` as
    `{"class_name", "config"}` (functions in the config by name), functions by (registered) name."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "get_config"):
        return {"class_name": get_registered_name(type(obj)), "config": _plain_config(obj.get_config())}
    if callable(obj):
        name = getattr(obj, "__name__", None)
        if name is None or name == "<lambda>":
            raise ValueError(f"Cannot save the compile argument {obj!r}: tf.keras stores losses and metrics by "
                             "name, so use a named (module-level) function, or a Loss/Metric subclass with "
                             "`get_config`.")
        return get_registered_name(obj)
    raise ValueError(f"Cannot serialize the compile argument {obj!r} ({type(obj).__name__}).")


def _serialize_nested(structure: Any) -> Any:
    if isinstance(structure, dict) and not hasattr(structure, "get_config"):
        return {key: _serialize_nested(value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return [_serialize_nested(value) for value in structure]
    return serialize_object(structure)


def _resolved_metrics(container: Any, weighted: bool, given: Any) -> Any:
    """The per-output lists of metric objects compile resolved `given` to (None where nothing was given)."""
    if given is None:
        return None
    per_output = container._weighted_per_output if weighted else container._per_output
    specs = container._weighted_specs if weighted else container._specs
    return [[serialize_object(metric) for metric in metrics] if spec is not None else [None]
            for metrics, spec in zip(per_output, specs)]


def _optimizer_class_name(optimizer: Any) -> str:
    from torchkeras_api import optimizers
    cls = type(optimizer)
    registered = get_registered_name(cls)
    if registered == cls.__name__ and getattr(optimizers, cls.__name__, None) is cls:
        return _CUSTOM_PREFIX + cls.__name__
    return registered


def optimizer_config(optimizer: Any) -> Dict[str, Any]:
    """`{"class_name", "config"}` of an optimizer, as tf-keras 2.21 names its optimizers."""
    return {"class_name": _optimizer_class_name(optimizer), "config": optimizer.get_config()}


def get_training_config(model: Any) -> Optional[Dict[str, Any]]:
    """The `training_config` dict of a compiled model (None if it was not compiled)."""
    if not getattr(model, "_is_compiled", False) or getattr(model, "optimizer", None) is None:
        return None
    given = model.__dict__.get("_compile_config") or {"loss": getattr(model, "loss", None), "metrics": None,
                                                      "weighted_metrics": None, "loss_weights": None}
    container = model.compiled_metrics
    if container is not None and container._built:
        metrics = _resolved_metrics(container, False, given["metrics"])
        weighted = _resolved_metrics(container, True, given["weighted_metrics"])
    else:
        metrics = _serialize_nested(given["metrics"])
        weighted = _serialize_nested(given["weighted_metrics"])
    return {
        "loss": _serialize_nested(given["loss"]),
        "metrics": metrics,
        "weighted_metrics": weighted,
        "loss_weights": given["loss_weights"],
        "optimizer_config": optimizer_config(model.optimizer),
    }


# ---- reading -----------------------------------------------------------------------------------

def _is_single(config: Any) -> bool:
    return isinstance(config, str) or isinstance(config, dict) and "class_name" in config


def _deserialize_nested(deserialize: Any, config: Any) -> Any:
    if config is None:
        return None
    if _is_single(config):
        return deserialize(config)
    if isinstance(config, dict):
        return {key: _deserialize_nested(deserialize, value) for key, value in config.items()}
    if isinstance(config, (list, tuple)):
        return [_deserialize_nested(deserialize, value) for value in config]
    raise ValueError("Saved configuration not understood. Configuration should be a dictionary, string, tuple or "
                     f"list. Received: config={config}.")


def _deserialize_metric(config: Any) -> Any:
    from torchkeras_api import metrics
    if config in _SHAPE_DEPENDENT_METRICS:
        return config
    return metrics.deserialize(config)


def deserialize_optimizer(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """An optimizer from `optimizer_config`; `Custom>Adam` (tf-keras 2.21's name) is the built-in Adam unless
    a custom object of that name is given."""
    from torchkeras_api import optimizers
    class_name = str(config.get("class_name", ""))
    if class_name.startswith(_CUSTOM_PREFIX) and get_registered_object(class_name, custom_objects) is None:
        config = {**config, "class_name": class_name[len(_CUSTOM_PREFIX):]}
    return optimizers.deserialize(config, custom_objects=custom_objects)


def _prepare_metrics(metrics: Any, output_names: List[str]) -> Any:
    """Saved per-output metric lists as compile takes them: `[None]` (no metrics for that output) becomes
    None, and the `<output>_` prefix that multi-output metric names carry (compile adds it again) is dropped."""
    if not isinstance(metrics, list) or len(metrics) != len(output_names):
        return metrics
    prepared = []
    for output, entries in zip(output_names, metrics):
        if isinstance(entries, list):
            entries = [entry for entry in entries if entry is not None] or None
        for metric in entries if isinstance(entries, list) else [entries]:
            name = getattr(metric, "_name", None)
            if len(output_names) > 1 and isinstance(name, str) and name.startswith(output + "_"):
                metric._name = name[len(output) + 1:]
        prepared.append(entries)
    return prepared if any(entries is not None for entries in prepared) else None


def compile_args_from_training_config(training_config: Dict[str, Any], output_names: List[str],
                                      custom_objects: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The keyword arguments of `model.compile` that `training_config` describes."""
    from torchkeras_api import losses
    with CustomObjectScope(custom_objects or {}):
        optimizer = deserialize_optimizer(training_config["optimizer_config"], custom_objects)
        loss = _deserialize_nested(losses.deserialize, training_config.get("loss"))
        metrics = _deserialize_nested(_deserialize_metric, training_config.get("metrics"))
        weighted = _deserialize_nested(_deserialize_metric, training_config.get("weighted_metrics"))
    return {
        "optimizer": optimizer,
        "loss": loss,
        "metrics": _prepare_metrics(metrics, output_names),
        "weighted_metrics": _prepare_metrics(weighted, output_names),
        "loss_weights": training_config.get("loss_weights"),
    }
