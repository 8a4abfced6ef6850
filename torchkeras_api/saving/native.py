"""torchkeras_api's native whole-model format: a `.keras` zip file, or a directory (what tf.keras writes as a
SavedModel for paths without an extension).

Both hold the same entries:

    metadata.json          {"format": "torchkeras_api", "format_version": 1, "keras_version", "backend"}
    config.json            {"class_name", "config", "build_input_shape", "training_config"}
    model.weights.h5       the weights, in tf.keras's HDF5 weights layout (as `save_weights` writes it)
    optimizer.weights.h5   the optimizer state, as the `optimizer_weights` group of tf.keras's .h5 files
                           (only for compiled models saved with include_optimizer)

A zip is written to a temporary file and renamed into place; a directory is built next to the target and
swapped in once complete, so an interrupted save leaves any previous save intact.
"""
import io
import json
import os
import secrets
import shutil
import zipfile
from typing import Any, Dict, Optional

from torchkeras_api.saving import hdf5_weights, optimizer_weights, training_config
from torchkeras_api.saving.atomic import atomic_write, is_interactive, ask_to_proceed_with_overwrite, path_to_string
from torchkeras_api.saving.model_config import dumps

FORMAT_NAME = "torchkeras_api"
FORMAT_VERSION = 1
METADATA = "metadata.json"
CONFIG = "config.json"
WEIGHTS = "model.weights.h5"
OPTIMIZER = "optimizer.weights.h5"


# ---- writing -----------------------------------------------------------------------------------

def _model_config(model: Any, include_optimizer: bool) -> Dict[str, Any]:
    try:
        config = model.get_config()
    except NotImplementedError as e:
        raise NotImplementedError(
            f"Cannot save model '{model.name}' ({type(model).__name__}) whole: {e} A subclassed model is saved "
            "with its `get_config()` (and loaded with `custom_objects` or `register_keras_serializable`); "
            "implement it, or save only the weights with `model.save_weights('....h5')`.") from e
    shape = getattr(model, "_build_input_shape", None)
    return {
        "class_name": type(model).__name__,
        "config": config,
        "build_input_shape": None if shape is None else _as_lists(shape),
        "training_config": training_config.get_training_config(model) if include_optimizer else None,
    }


def _as_lists(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {key: _as_lists(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)):
        return [_as_lists(value) for value in shape]
    return shape


def _h5_bytes(write: Any) -> bytes:
    h5py = hdf5_weights._h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        write(f)
    return buffer.getvalue()


def _entries(model: Any, include_optimizer: bool) -> Dict[str, bytes]:
    """File name -> contents of a native save of `model`."""
    config = _model_config(model, include_optimizer)
    metadata = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "keras_version": hdf5_weights.KERAS_VERSION,
                "backend": hdf5_weights.BACKEND}
    entries = {
        METADATA: json.dumps(metadata).encode("utf8"),
        CONFIG: dumps(config).encode("utf8"),
        WEIGHTS: _h5_bytes(lambda f: hdf5_weights.save_weights_to_hdf5_group(f, model)),
    }
    if config["training_config"] is not None:
        entries[OPTIMIZER] = _h5_bytes(lambda f: optimizer_weights.save_optimizer_weights_to_hdf5_group(
            f, model.optimizer))
    return entries


def _may_replace(filepath: str, overwrite: bool) -> bool:
    """tf.keras's overwrite rule for a directory or zip: ask on a terminal, refuse in a script."""
    if overwrite or not os.path.exists(filepath):
        return True
    if is_interactive():
        return ask_to_proceed_with_overwrite(filepath)
    raise FileExistsError(
        f"Not saving to '{filepath}': it already exists and overwrite=False. tf.keras would ask on the terminal "
        "whether to overwrite it, but this session is not interactive (stdin is not a terminal), so the existing "
        "save is kept. Pass overwrite=True to replace it, or choose another path.")


def _write_zip(filepath: str, entries: Dict[str, bytes]) -> None:
    with atomic_write(filepath) as temp_path:
        with zipfile.ZipFile(temp_path, "w", compression=zipfile.ZIP_STORED) as archive:
            for name, data in entries.items():
                archive.writestr(name, data)


def _write_directory(filepath: str, entries: Dict[str, bytes]) -> None:
    target = os.path.realpath(filepath)
    if os.path.exists(target) and not os.path.isdir(target):
        raise FileExistsError(f"Cannot save the model to '{filepath}': a file with that name exists (a directory is "
                              "written for paths without '.h5' or '.keras'). Remove it or choose another path.")
    parent = os.path.dirname(target) or "."
    os.makedirs(parent, exist_ok=True)
    stem = os.path.join(parent, "." + os.path.basename(target)[:200] + "." + secrets.token_hex(6))
    temp_dir = stem + ".tmp"
    os.mkdir(temp_dir)
    try:
        for name, data in entries.items():
            with open(os.path.join(temp_dir, name), "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        if os.path.isdir(target):
            old = stem + ".old"
            os.replace(target, old)
            os.replace(temp_dir, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temp_dir, target)
    except BaseException:
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise


def save_model(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
               as_zip: Optional[bool] = None) -> None:
    """Saves `model` in the native format: a zip for `.keras` paths (or `as_zip=True`), else a directory."""
    filepath = path_to_string(filepath)
    if as_zip is None:
        as_zip = filepath.endswith(".keras")
    entries = _entries(model, include_optimizer)
    if not _may_replace(filepath, overwrite):
        return
    if as_zip:
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        _write_zip(filepath, entries)
    else:
        _write_directory(filepath, entries)


# ---- reading -----------------------------------------------------------------------------------

class _Source:
    """Reads the entries of a native save, from a directory or a zip."""

    def __init__(self, filepath: str):
        self.filepath = filepath
        self._zip = None if os.path.isdir(filepath) else zipfile.ZipFile(filepath)

    def names(self) -> set:
        if self._zip is None:
            return set(os.listdir(self.filepath))
        return set(self._zip.namelist())

    def read(self, name: str) -> bytes:
        try:
            if self._zip is None:
                with open(os.path.join(self.filepath, name), "rb") as handle:
                    return handle.read()
            return self._zip.read(name)
        except (OSError, KeyError, zipfile.BadZipFile, EOFError) as e:
            raise OSError(f"Unable to load model from '{self.filepath}': could not read '{name}' "
                          f"({type(e).__name__}: {e}); the save is incomplete or corrupted.") from e

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def is_native(filepath: str) -> bool:
    """Whether `filepath` (a directory or zip) is a save in this format."""
    try:
        source = _Source(filepath)
    except (OSError, zipfile.BadZipFile):
        return False
    try:
        if METADATA not in source.names():
            return False
        return json.loads(source.read(METADATA).decode("utf8")).get("format") == FORMAT_NAME
    except (OSError, ValueError, AttributeError):
        return False
    finally:
        source.close()


def _json_entry(source: _Source, name: str) -> Any:
    try:
        return json.loads(source.read(name).decode("utf8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"Unable to load model from '{source.filepath}': '{name}' is not valid JSON ({e}); the save "
                         "is corrupted.") from e


def _h5_entry(source: _Source, name: str) -> Any:
    h5py = hdf5_weights._h5py()
    try:
        return h5py.File(io.BytesIO(source.read(name)), "r")
    except OSError as e:
        raise OSError(f"Unable to load model from '{source.filepath}': '{name}' is not a readable HDF5 file "
                      f"({e}); the save is incomplete or corrupted.") from e


def _build_if_needed(model: Any, shape: Any) -> None:
    if model.built or shape is None:
        return
    model.build(tuple(shape) if shape and not isinstance(shape[0], list) else [tuple(s) for s in shape])


def load_model(filepath: Any, custom_objects: Optional[Dict[str, Any]] = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """The model saved with `save_model` in `filepath` (a directory or zip)."""
    from torchkeras_api.saving import hdf5_model
    filepath = path_to_string(filepath)
    source = _Source(filepath)
    try:
        missing = [name for name in (CONFIG, WEIGHTS) if name not in source.names()]
        if missing:
            raise ValueError(f"Unable to load model from '{filepath}': the save has no {missing}; it is incomplete.")
        config = _json_entry(source, CONFIG)
        model = hdf5_model.build_model({"class_name": config.get("class_name"), "config": config.get("config")},
                                       custom_objects, safe_mode, filepath)
        _build_if_needed(model, config.get("build_input_shape"))
        with _h5_entry(source, WEIGHTS) as weights:
            pairs = hdf5_weights.load_weights_from_hdf5_group(weights, model, f"{filepath}/{WEIGHTS}")
        hdf5_weights.assign_weights(pairs)
        if not compile:
            return model
        train_config = config.get("training_config")
        if train_config is None:
            hdf5_model._logger.warning(hdf5_model.NO_TRAINING_CONFIG_WARNING)
            return model
        output_names = list(getattr(model, "output_names", None) or ["output_1"])
        model.compile(**training_config.compile_args_from_training_config(train_config, output_names,
                                                                          custom_objects))
        if OPTIMIZER in source.names():
            with _h5_entry(source, OPTIMIZER) as state:
                saved = optimizer_weights.load_optimizer_weights_from_hdf5_group(state)
            optimizer_weights.restore_optimizer_state(model, saved)
        return model
    finally:
        source.close()
