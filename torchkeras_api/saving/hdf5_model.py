"""Whole models in tf.keras's HDF5 format: `model.save('m.h5')` and `load_model('m.h5')`.

The file, as tf-keras 2.21 writes it:

    /                    attrs: model_config (JSON, layers in the legacy `{"class_name", "config", "name",
                         "inbound_nodes"}` form), training_config (JSON, only for compiled models saved with
                         include_optimizer), keras_version, backend
    /model_weights       exactly what `save_weights` writes (see hdf5_weights)
    /optimizer_weights   the optimizer's variables (see optimizer_weights)

Loading rebuilds the model from `model_config`, reads and checks all weights before assigning any, then
compiles from `training_config` and restores the optimizer state.
"""
import json
import logging
import os
from typing import Any, Dict, Optional

from torchkeras_api.saving import hdf5_weights, optimizer_weights, training_config
from torchkeras_api.saving.atomic import atomic_write, confirm_overwrite, path_to_string
from torchkeras_api.saving.model_config import dumps, model_from_config
from torchkeras_api.saving.safe_mode import SafeModeScope

_logger = logging.getLogger(__name__)

NO_TRAINING_CONFIG_WARNING = ("No training configuration found in the save file, so the model was *not* compiled. "
                              "Compile it manually.")
SUBCLASSED_MODEL_ERROR = (
    "Saving the model to HDF5 format requires the model to be a Functional model or a Sequential model. It does "
    "not work for subclassed models, because such models are defined via the body of a Python method, which isn't "
    'safely serializable. Consider saving to the Tensorflow SavedModel format (by setting save_format="tf") or '
    "using `save_weights`.")
_LEGACY_DROPPED_KEYS = ("module", "registered_name", "build_config")


def _legacy_layer_entry(entry: Any) -> Any:
    """A layer entry of a model config in tf.keras's legacy (HDF5) form: no module/build_config, a
    registered custom class named by its registered name; nested models' layers likewise."""
    if not isinstance(entry, dict) or "class_name" not in entry:
        return entry
    out = {key: value for key, value in entry.items() if key not in _LEGACY_DROPPED_KEYS}
    if entry.get("registered_name") and entry["registered_name"] != entry["class_name"]:
        out["class_name"] = entry["registered_name"]
    if isinstance(out.get("config"), dict):
        out["config"] = legacy_model_config(out["config"])
    return out


def legacy_model_config(config: Dict[str, Any]) -> Dict[str, Any]:
    """A model's `get_config()` with its layer entries in the legacy form."""
    if isinstance(config.get("layers"), list):
        return {**config, "layers": [_legacy_layer_entry(entry) for entry in config["layers"]]}
    return config


def model_metadata(model: Any, include_optimizer: bool) -> Dict[str, Any]:
    """The root attributes: model_config, training_config (if compiled), keras_version, backend."""
    metadata: Dict[str, Any] = {
        "keras_version": hdf5_weights.KERAS_VERSION,
        "backend": hdf5_weights.BACKEND,
        "model_config": {"class_name": type(model).__name__,
                         "config": legacy_model_config(model.get_config())},
    }
    if include_optimizer:
        config = training_config.get_training_config(model)
        if config is not None:
            metadata["training_config"] = config
    return metadata


def is_graph_model(model: Any) -> bool:
    """Functional and Sequential models (the ones HDF5 files can describe)."""
    from torchkeras_api.engine.sequential import Sequential
    return bool(getattr(model, "_is_graph_network", False)) or isinstance(model, Sequential)


def save_model_to_hdf5(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
    """Writes config, weights and (with include_optimizer) training config and optimizer state to `filepath`,
    atomically: an existing file is replaced only once the new one is complete."""
    if not is_graph_model(model):
        raise NotImplementedError(SUBCLASSED_MODEL_ERROR)
    filepath = path_to_string(filepath)
    metadata = model_metadata(model, include_optimizer)
    encoded = {key: dumps(value) if isinstance(value, (dict, list)) else value for key, value in metadata.items()}
    folder = os.path.dirname(filepath)
    if folder and not os.path.exists(folder):
        os.makedirs(folder, exist_ok=True)
    if not confirm_overwrite(filepath, overwrite):
        return
    h5py = hdf5_weights._h5py()
    with atomic_write(filepath) as temp_path:
        with h5py.File(temp_path, "w") as f:
            for key in ("backend", "keras_version"):
                f.attrs[key] = encoded[key]
            for key in ("model_config", "training_config"):
                if key in encoded:
                    f.attrs.create(key, encoded[key].encode("utf8"), dtype=h5py.string_dtype("ascii"))
            hdf5_weights.save_weights_to_hdf5_group(f.create_group("model_weights"), model)
            if "training_config" in metadata:
                optimizer_weights.save_optimizer_weights_to_hdf5_group(f, model.optimizer)


def _open(filepath: str) -> Any:
    h5py = hdf5_weights._h5py()
    if not h5py.is_hdf5(filepath):
        raise OSError(f"Unable to load model from '{filepath}': it is not an HDF5 file (no HDF5 signature). Expected "
                      "a model file written by `model.save('....h5')`.")
    hdf5_weights._check_global_heaps(filepath)
    try:
        return h5py.File(filepath, "r")
    except Exception as e:  # noqa: BLE001 - any h5py failure means an unreadable file
        raise OSError(f"Unable to load model from '{filepath}': the HDF5 file cannot be opened; it is probably "
                      f"truncated or corrupted ({type(e).__name__}: {e}).") from e


def _json_attribute(f: Any, name: str, filepath: str) -> Optional[Any]:
    """The decoded JSON attribute `name` of the file's root, or None when absent."""
    try:
        value = f.attrs.get(name)
    except Exception as e:  # noqa: BLE001
        raise OSError(f"Unable to load model from '{filepath}': could not read the '{name}' attribute; the file is "
                      f"probably truncated or corrupted ({type(e).__name__}: {e}).") from e
    if value is None:
        return None
    if hasattr(value, "decode"):
        value = value.decode("utf-8")
    try:
        return json.loads(str(value))
    except ValueError as e:
        raise ValueError(f"Unable to load model from '{filepath}': its '{name}' attribute is not valid JSON "
                         f"({e}); the file is corrupted.") from e


def build_model(config: Any, custom_objects: Optional[Dict[str, Any]], safe_mode: bool, filepath: str) -> Any:
    """The model a saved config describes; a config that cannot be built raises its error with the file named."""
    with SafeModeScope(safe_mode):
        try:
            return model_from_config(config, custom_objects=custom_objects)
        except (ValueError, TypeError, KeyError) as e:
            raise type(e)(f"{e} (while building the model saved in '{filepath}')") from e


def _weights_group(f: Any, filepath: str) -> Any:
    try:
        group = f["model_weights"] if "model_weights" in f else None
    except Exception as e:  # noqa: BLE001
        raise OSError(f"Unable to load model from '{filepath}': could not read the 'model_weights' group; the file "
                      f"is probably truncated or corrupted ({type(e).__name__}: {e}).") from e
    if group is None or not hasattr(group, "attrs"):
        raise ValueError(f"Unable to load model from '{filepath}': the file has a model config but no "
                         "'model_weights' group; it is incomplete or was not written by `model.save('....h5')`.")
    return group


def _load_weights(f: Any, model: Any, filepath: str) -> None:
    group = _weights_group(f, filepath)
    try:
        pairs = hdf5_weights.load_weights_from_hdf5_group(group, model, filepath)
    except (ValueError, OSError, NotImplementedError):
        raise
    except Exception as e:  # noqa: BLE001 - unexpected h5py failures on a damaged file
        raise OSError(f"Unable to load weights from '{filepath}': the file could not be read; it is probably "
                      f"truncated or corrupted ({type(e).__name__}: {e}).") from e
    hdf5_weights.assign_weights(pairs)


def _compile(f: Any, model: Any, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]],
             filepath: str) -> None:
    output_names = list(getattr(model, "output_names", None) or ["output_1"])
    model.compile(**training_config.compile_args_from_training_config(config, output_names, custom_objects))
    if "optimizer_weights" not in f:
        return
    try:
        saved = optimizer_weights.load_optimizer_weights_from_hdf5_group(f)
    except Exception as e:  # noqa: BLE001 - a damaged group: say so, keep a fresh optimizer as tf.keras does
        _logger.warning(f"Could not read the optimizer state in '{filepath}' ({type(e).__name__}: {e}). "
                        + optimizer_weights.FRESH_OPTIMIZER_WARNING)
        return
    optimizer_weights.restore_optimizer_state(model, saved)


def load_model_from_hdf5(filepath: Any, custom_objects: Optional[Dict[str, Any]] = None, compile: bool = True,
                         safe_mode: bool = True) -> Any:
    """The model saved in `filepath`, compiled (with its optimizer state) when the file has a training config
    and `compile` is True."""
    filepath = path_to_string(filepath)
    with _open(filepath) as f:
        config = _json_attribute(f, "model_config", filepath)
        if config is None:
            raise ValueError(f"No model config found in the file at {filepath}. (A weights file written by "
                             "`save_weights` holds no model: build the model in code and call `load_weights`.)")
        model = build_model(config, custom_objects, safe_mode, filepath)
        _load_weights(f, model, filepath)
        if not compile:
            return model
        train_config = _json_attribute(f, "training_config", filepath)
        if train_config is None:
            _logger.warning(NO_TRAINING_CONFIG_WARNING)
            return model
        _compile(f, model, train_config, custom_objects, filepath)
    return model
