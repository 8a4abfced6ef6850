"""`save_model` / `load_model`: tf.keras's HDF5 files, and our native format where tf.keras would write a
SavedModel directory or a Keras v3 `.keras` zip."""
import json
import os
import zipfile
from typing import Any, Dict, Optional

from torchkeras_api.saving import hdf5_model, native
from torchkeras_api.saving.atomic import path_to_string

_HDF5_SUFFIXES = (".h5", ".hdf5", ".keras")


def _save_format(filepath: str, save_format: Optional[str]) -> str:
    """'h5', 'zip' (native, `.keras`) or 'dir' (native directory), by tf-keras 2.21's rules."""
    is_h5_path = filepath.endswith(_HDF5_SUFFIXES)
    if save_format is None:
        if filepath.endswith(".keras"):
            return "zip"
        return "h5" if is_h5_path else "dir"
    fmt = str(save_format).lower().strip()
    if fmt in ("keras", "keras_v3"):
        if not filepath.endswith(".keras"):
            raise ValueError(f"Invalid `filepath` argument: expected a `.keras` extension. Received: "
                             f"filepath={filepath}")
        return "zip"
    if fmt in ("h5", "hdf5"):
        return "h5"
    if fmt in ("tf", "tensorflow"):
        return "h5" if is_h5_path else "dir"
    raise ValueError(f"Unknown `save_format` argument. Expected one of 'keras', 'tf', or 'h5'. Received: "
                     f"save_format={save_format}")


def save_model(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
               save_format: Optional[str] = None, signatures: Any = None, options: Any = None,
               save_traces: bool = True) -> None:
    """Saves the model whole (config, weights, compile arguments and optimizer state).

    `.h5`/`.hdf5` paths (or `save_format='h5'`) get tf.keras's HDF5 file, loadable by tf.keras. A `.keras`
    path gets our native zip and a path without an extension (or `save_format='tf'`) our native directory,
    where tf.keras would write its Keras v3 zip or a TensorFlow SavedModel; both load with `load_model`.
    `signatures`, `options` and `save_traces` only apply to SavedModels and are ignored.
    """
    filepath = path_to_string(filepath)
    fmt = _save_format(filepath, save_format)
    if fmt == "h5":
        hdf5_model.save_model_to_hdf5(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer)
    else:
        native.save_model(model, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                          as_zip=fmt == "zip")


def _saved_model_error(filepath: str) -> NotImplementedError:
    return NotImplementedError(
        f"Cannot load '{filepath}': it is a TensorFlow SavedModel directory (it holds 'saved_model.pb'), which "
        "stores TensorFlow graphs that torchkeras_api cannot run. In TensorFlow, load it and save it as HDF5: "
        "`tf.keras.models.load_model(path).save('model.h5')`, then load 'model.h5' here (or save only the "
        "weights with `model.save_weights('weights.h5')` and load them into the same model built in code).")


def _keras_v3_error(filepath: str) -> NotImplementedError:
    return NotImplementedError(
        f"Cannot load '{filepath}': it is a Keras v3 '.keras' zip (written by Keras 3 or by tf.keras for a "
        "'.keras' path), whose weights layout torchkeras_api does not read. In that Keras, load it and save it as "
        "HDF5: `model.save('model.h5')` (Keras 3: `model.save_weights('model.weights.h5')` is not the same "
        "layout either), then load 'model.h5' here.")


def _zip_kind(filepath: str) -> str:
    if native.is_native(filepath):
        return "native"
    try:
        with zipfile.ZipFile(filepath) as archive:
            names = set(archive.namelist())
            metadata = json.loads(archive.read("metadata.json")) if "metadata.json" in names else {}
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return "other"
    if "config.json" in names and ("model.weights.h5" in names or "keras_version" in metadata):
        return "keras_v3"
    return "other"


def load_model(filepath: Any, custom_objects: Optional[Dict[str, Any]] = None, compile: bool = True,
               safe_mode: bool = True, **kwargs: Any) -> Any:
    """Loads a model saved by `model.save()`: a tf.keras (or our) `.h5` file, or our native `.keras` zip or
    directory.

    `safe_mode=False` allows Lambda layers whose Python code is stored in the file (this runs that code:
    only for files from a trusted source). `compile=False` skips compiling.
    """
    unknown = set(kwargs) - {"options"}
    if unknown:
        raise TypeError(f"load_model() got unexpected keyword argument(s) {sorted(unknown)}.")
    filepath = path_to_string(filepath)
    if not os.path.exists(filepath):
        raise OSError(f"No file or directory found at {filepath}")
    if os.path.isdir(filepath):
        if native.is_native(filepath):
            return native.load_model(filepath, custom_objects, compile, safe_mode)
        if os.path.exists(os.path.join(filepath, "saved_model.pb")):
            raise _saved_model_error(filepath)
        raise OSError(f"Unable to load model from '{filepath}': the directory is not a model saved by "
                      "`model.save()` (no 'metadata.json' of torchkeras_api's format and no 'saved_model.pb').")
    if zipfile.is_zipfile(filepath):
        kind = _zip_kind(filepath)
        if kind == "native":
            return native.load_model(filepath, custom_objects, compile, safe_mode)
        if kind == "keras_v3":
            raise _keras_v3_error(filepath)
        raise OSError(f"Unable to load model from '{filepath}': it is a zip archive but not a model saved by "
                      "`model.save('....keras')`.")
    return hdf5_model.load_model_from_hdf5(filepath, custom_objects, compile, safe_mode)
