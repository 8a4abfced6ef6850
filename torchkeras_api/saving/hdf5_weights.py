"""tf.keras 2.x's HDF5 weights files: `model.save_weights('w.h5')` and `model.load_weights('w.h5')`.

The layout, as tf.keras writes it (learned from files written by tf-keras and read back with h5py):

    /                        attrs: layer_names (model.layers' names, in order), backend, keras_version
    /<layer name>            one group per layer (weightless layers too), attr weight_names, e.g.
                             ['dense/kernel:0', 'dense/bias:0']: the layer's trainable then non-trainable
                             weights; a nested model's group holds all its sub-layers' weights in one list
    /<layer name>/<weight name>   one dataset per weight, in tf.keras layout (`dense/dense/kernel:0`)
    /top_level_model_weights the model's own weights (added to the model itself, not to a layer); this
                             group is not listed in layer_names

String lists are stored as variable-length ASCII string attributes (an empty list as an empty float64
array). A list whose fixed-width numpy form would exceed HDF5's 64512-byte object header is split into
`<name>0`, `<name>1`, ...: the fewest equal chunks (numpy.array_split) each under the limit, as fixed-width
byte strings. Both forms are read.

A whole-model file written by `model.save('m.h5')` holds the same structure in its `model_weights` group;
`load_weights` reads that group when the root has no `layer_names`.

Loading validates the whole file against the model (structure, counts, shapes, dtypes) before any weight
is assigned: a file that does not fit raises and leaves the model as it was.
"""
import logging
import mmap
import os
import struct
import zipfile
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from torchkeras_api.saving import checkpoint_prefix
from torchkeras_api.saving.atomic import atomic_write, confirm_overwrite, path_to_string

_logger = logging.getLogger(__name__)

HDF5_OBJECT_HEADER_LIMIT = 64512
# What goes into the `keras_version` attribute: the tf.keras (tf-keras) release whose files ours match.
# Readers (tf.keras 2.x, Keras 3's legacy loader) only treat version "1" specially.
KERAS_VERSION = "2.21.0"
# The `backend` attribute says which backend's layout the values are in; ours are in tf.keras layout.
BACKEND = "tensorflow"
TOP_LEVEL_GROUP = "top_level_model_weights"
_HDF5_SUFFIXES = (".h5", ".hdf5", ".keras")
_V3_WEIGHTS_SUFFIX = ".weights.h5"
_NATIVE_FORMAT_NOTE = ("Save the weights from tf.keras with `model.save_weights('....h5')` (its HDF5 weights format), "
                       "which torchkeras_api reads and writes.")


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as e:  # pragma: no cover - h5py is a dependency
        raise ImportError("Saving and loading HDF5 weights requires h5py. Try `pip install h5py`.") from e
    return h5py


# ---- attributes ------------------------------------------------------------------------------

def _encode(name: Any) -> bytes:
    if isinstance(name, (bytes, np.bytes_)):
        return bytes(name)
    return str(name).encode("utf8")


def _decode(value: Any) -> str:
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf8")
    return str(value)


def _chunk_count(encoded: List[bytes]) -> int:
    """The fewest chunks such that every numpy.array_split chunk of the fixed-width array fits the limit."""
    width = max(1, max(len(item) for item in encoded))
    count = 1
    while -(-len(encoded) // count) * width > HDF5_OBJECT_HEADER_LIMIT:
        count += 1
    return count


def save_attributes_to_hdf5_group(group: Any, name: str, data: Sequence[Any]) -> None:
    """Stores a list of strings as attribute `name` of `group`, split into `name0`, `name1`, ... when it
    does not fit one HDF5 object header (tf.keras's rule)."""
    h5py = _h5py()
    encoded = [_encode(item) for item in data]
    too_large = [item for item in encoded if len(item) > HDF5_OBJECT_HEADER_LIMIT]
    if too_large:
        raise RuntimeError("The following attributes cannot be saved to HDF5 file because they are larger than "
                           f"{HDF5_OBJECT_HEADER_LIMIT} bytes: {too_large}")
    if not encoded:
        group.attrs.create(name, np.zeros((0,), dtype=np.float64))
        return
    chunks = _chunk_count(encoded)
    if chunks == 1:
        group.attrs.create(name, encoded, dtype=h5py.string_dtype("ascii"))
        return
    width = max(1, max(len(item) for item in encoded))
    fixed = np.array(encoded, dtype=f"S{width}")
    for index, chunk in enumerate(np.array_split(fixed, chunks)):
        group.attrs.create(f"{name}{index}", chunk)


def _attribute_items(value: Any) -> List[str]:
    if isinstance(value, (str, bytes, np.bytes_)) or np.ndim(value) == 0:
        return [_decode(value)]
    return [_decode(item) for item in value]


def load_attributes_from_hdf5_group(group: Any, name: str) -> List[str]:
    """The list of strings stored by `save_attributes_to_hdf5_group` (whole or in chunks); [] if absent."""
    if name in group.attrs:
        return _attribute_items(group.attrs[name])
    data: List[str] = []
    index = 0
    while f"{name}{index}" in group.attrs:
        data.extend(_attribute_items(group.attrs[f"{name}{index}"]))
        index += 1
    return data


def has_attribute(group: Any, name: str) -> bool:
    """Whether `group` holds attribute `name`, whole or chunked."""
    return name in group.attrs or f"{name}0" in group.attrs


# ---- which weights -----------------------------------------------------------------------------

def _unique(weights: Sequence[Any]) -> List[Any]:
    seen = set()
    out = []
    for weight in weights:
        if id(weight) not in seen:
            seen.add(id(weight))
            out.append(weight)
    return out


def legacy_weights(layer: Any) -> List[Any]:
    """A layer's weights in the order HDF5 files hold them: trainable ones, then non-trainable ones."""
    return _unique(list(layer.trainable_weights) + list(layer.non_trainable_weights))


def top_level_weights(model: Any) -> List[Any]:
    """Weights created on the model itself (not on one of its layers): trainable, then non-trainable."""
    own = list(getattr(model, "_own_variables", []))
    return [w for w in own if w.trainable] + [w for w in own if not w.trainable]


def _is_nested_model(layer: Any) -> bool:
    from torchkeras_api.engine.training import Model
    return isinstance(layer, Model)


def _weight_parts(layer: Any) -> Optional[List[Any]]:
    """The layers whose weights make up `layer`'s saved list (a nested model's layers, Bidirectional's forward
    and backward layers, a wrapper's layer), or None for a layer that holds its own weights."""
    from torchkeras_api.layers.wrappers import Bidirectional, Wrapper
    if _is_nested_model(layer):
        return list(layer.layers)
    if isinstance(layer, Bidirectional):
        return [layer.forward_layer, layer.backward_layer]
    if isinstance(layer, Wrapper):
        return [layer.layer]
    return None


def preprocess_weights_for_loading(layer: Any, weights: List[np.ndarray], original_keras_version: Optional[str] = None,
                                   original_backend: Optional[str] = None) -> List[np.ndarray]:
    """Saved values of `layer` converted to what the layer expects today.

    A layer class whose saved weights may need converting (old Keras versions, CuDNN recurrent weights, ...)
    defines `_convert_hdf5_weights(weights, original_keras_version, original_backend)` returning the new list
    (raising ValueError for values it cannot use). The list of a nested model or a wrapper is split among its
    layers (trainable parts first, then non-trainable parts, as tf.keras stores them), each converted, and put
    back together.
    """
    convert = getattr(layer, "_convert_hdf5_weights", None)
    if convert is not None:
        return list(convert(weights, original_keras_version, original_backend))
    parts = _weight_parts(layer)
    if parts is None:
        return weights
    n_trainable = len(layer.trainable_weights)
    n_non_trainable = len(layer.non_trainable_weights)
    if len(weights) != n_trainable + n_non_trainable:
        return weights  # the count check reports this
    trainable, non_trainable = weights[:n_trainable], weights[n_trainable:]
    new_trainable: List[np.ndarray] = []
    new_non_trainable: List[np.ndarray] = []
    for sublayer in parts:
        n_t = len(sublayer.trainable_weights)
        n_nt = len(sublayer.non_trainable_weights)
        if not n_t + n_nt:
            continue
        part = preprocess_weights_for_loading(sublayer, trainable[:n_t] + non_trainable[:n_nt],
                                              original_keras_version, original_backend)
        trainable, non_trainable = trainable[n_t:], non_trainable[n_nt:]
        new_trainable += part[:n_t]
        new_non_trainable += part[n_t:]
    if trainable or non_trainable:
        return weights  # the layers do not partition the list (shared or own weights): leave it as saved
    return new_trainable + new_non_trainable


# ---- saving ------------------------------------------------------------------------------------

def save_subset_weights_to_hdf5_group(group: Any, weights: Sequence[Any], owner: str = "") -> None:
    """Attribute `weight_names` and one dataset per weight, valued in tf.keras layout."""
    names = [w.name for w in weights]
    for name in set(names):
        if names.count(name) > 1:
            raise ValueError(f"{owner or 'The model'} has {names.count(name)} weights named '{name}': HDF5 weights "
                             "files need distinct weight names within a layer.")
    save_attributes_to_hdf5_group(group, "weight_names", names)
    for name, weight in zip(names, weights):
        group.create_dataset(name, data=np.asarray(weight.numpy()))


def save_weights_to_hdf5_group(group: Any, model: Any) -> None:
    """Writes `model`'s weights into an open HDF5 file or group, laid out as tf.keras does."""
    h5py = _h5py()
    layers = list(model.layers)
    names = [layer.name for layer in layers]
    for name in set(names):
        if names.count(name) > 1:
            raise ValueError(f"The model has {names.count(name)} layers named '{name}': HDF5 weights files need "
                             "distinct layer names.")
    save_attributes_to_hdf5_group(group, "layer_names", names)
    group.attrs.create("backend", _encode(BACKEND), dtype=h5py.string_dtype("ascii"))
    group.attrs.create("keras_version", _encode(KERAS_VERSION), dtype=h5py.string_dtype("ascii"))
    for layer in sorted(layers, key=lambda l: l.name):
        save_subset_weights_to_hdf5_group(group.create_group(layer.name), legacy_weights(layer),
                                          f"Layer '{layer.name}'")
    save_subset_weights_to_hdf5_group(group.create_group(TOP_LEVEL_GROUP), top_level_weights(model),
                                      f"Model '{model.name}'")


def _is_hdf5_filepath(filepath: str) -> bool:
    return filepath.endswith(_HDF5_SUFFIXES)


def check_save_format(filepath: str, save_format: Optional[str]) -> str:
    """'h5' for tf.keras's HDF5 weights format, 'tf' for a TensorFlow-style checkpoint prefix (saved as
    `<prefix>.h5`, see `checkpoint_prefix`); raises for formats we do not write."""
    if filepath.endswith(_V3_WEIGHTS_SUFFIX):
        raise NotImplementedError(
            f"save_weights('{filepath}'): tf.keras writes paths ending in '{_V3_WEIGHTS_SUFFIX}' in the Keras v3 "
            "weights layout, which torchkeras_api does not write yet. " + _NATIVE_FORMAT_NOTE)
    is_h5 = _is_hdf5_filepath(filepath)
    if save_format is None:
        fmt = "h5" if is_h5 else "tf"
    else:
        user_format = str(save_format).lower().strip()
        if user_format in ("tensorflow", "tf"):
            fmt = "tf"
        elif user_format in ("hdf5", "h5", "keras"):
            fmt = "h5"
        else:
            raise ValueError(f"Unknown format. Received: `save_format`={save_format}. "
                             'Was expecting one of {"tf", "h5"}.')
    if fmt == "tf" and is_h5:
        raise ValueError('save_weights got save_format="tf"/"tensorflow", but the filepath '
                         f'({filepath}) looks like an HDF5 file. Omit the ".h5"/".keras" when saving in TensorFlow '
                         "format.")
    return fmt


def _assert_weights_created(model: Any) -> None:
    """tf.keras's check: a model whose class defines `build` must be built before its weights are saved."""
    from torchkeras_api.engine.training import Model
    cls = type(model)
    if cls is not Model and "build" in cls.__dict__ and not model.built:
        raise ValueError(f"Weights for model '{model.name}' have not yet been created. Weights are created when the "
                         "model is first called on inputs or `build()` is called with an `input_shape`.")


def save_weights(model: Any, filepath: Any, overwrite: bool = True, save_format: Optional[str] = None,
                 options: Any = None) -> None:
    """`model.save_weights(filepath)` in tf.keras's HDF5 layout, written atomically (temp file + rename). A
    path without an HDF5 extension (tf.keras's TensorFlow checkpoint format) is a checkpoint prefix: the
    weights go to `<filepath>.h5` and the folder's `checkpoint` file records it, for `tf.train.latest_checkpoint`.

    `options` (a tf.train.CheckpointOptions in tf.keras) is ignored.
    """
    filepath = path_to_string(filepath)
    prefix = filepath if check_save_format(filepath, save_format) == "tf" else None
    if prefix is not None:
        filepath = checkpoint_prefix.weights_file(prefix)
    _assert_weights_created(model)
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"Cannot save weights to '{filepath}': it is an existing directory. Please give "
                                "a file path ending in '.h5'.")
    if not confirm_overwrite(filepath, overwrite):
        return
    h5py = _h5py()
    with atomic_write(filepath) as temp_path:
        with h5py.File(temp_path, "w") as f:
            save_weights_to_hdf5_group(f, model)
    if prefix is not None:
        checkpoint_prefix.record(prefix)


# ---- reading -----------------------------------------------------------------------------------

class _Reader:
    """Reads one weights group, turning every low-level failure into an error that names the file and
    the part of it that could not be read."""

    def __init__(self, filepath: str):
        self.filepath = filepath

    def corrupted(self, what: str, error: BaseException) -> OSError:
        return OSError(f"Unable to load weights from '{self.filepath}': could not read {what}; the file is "
                       f"probably truncated or corrupted ({type(error).__name__}: {error}).")

    def mismatch(self, message: str) -> ValueError:
        return ValueError(f"{message} (while loading weights from '{self.filepath}')")

    def strings(self, group: Any, name: str, where: str) -> List[str]:
        try:
            return load_attributes_from_hdf5_group(group, name)
        except Exception as e:  # noqa: BLE001 - any h5py failure means an unreadable file
            raise self.corrupted(f"attribute '{name}' of {where}", e) from e

    def member(self, parent: Any, name: str, what: str, missing: str) -> Any:
        """`parent[name]`: absent, a mismatch (`missing` says why); unreadable, corruption of `what`."""
        try:
            found = name in parent
        except Exception as e:  # noqa: BLE001
            raise self.corrupted(what, e) from e
        if not found:
            raise self.mismatch(missing)
        try:
            value = parent[name]
            value.attrs  # noqa: B018 - touches the object header
        except Exception as e:  # noqa: BLE001
            raise self.corrupted(what, e) from e
        return value

    def layer_group(self, root: Any, name: str) -> Any:
        group = self.member(root, name, f"the group of layer '{name}'",
                            f"The weights file lists layer '{name}' in `layer_names` but has no group for it; "
                            "the file is incomplete or was not written by Keras")
        if not hasattr(group, "keys"):
            raise self.mismatch(f"'{name}' in the weights file is a dataset, not a layer group")
        return group

    def values(self, group: Any, weight_names: List[str], layer_label: str) -> List[np.ndarray]:
        out = []
        for weight_name in weight_names:
            what = f"weight '{weight_name}' of {layer_label}"
            dataset = self.member(group, weight_name, what,
                                  f"The weights file lists weight '{weight_name}' for {layer_label} but has no "
                                  "dataset for it; the file is incomplete or was not written by Keras")
            if not hasattr(dataset, "dtype"):
                raise self.mismatch(f"'{weight_name}' of {layer_label} in the weights file is a group, not a weight "
                                    "dataset")
            try:
                value = np.asarray(dataset[()])
            except Exception as e:  # noqa: BLE001
                raise self.corrupted(what, e) from e
            if value.dtype.kind not in "biuf":
                raise self.mismatch(f"Weight '{weight_name}' of {layer_label} holds values of dtype {value.dtype}, "
                                    "not numbers")
            out.append(value)
        return out


def _file_versions(group: Any, reader: _Reader) -> Tuple[str, Optional[str]]:
    """The file's `keras_version` ("1" when absent, as tf.keras assumes) and `backend` attributes."""
    try:
        version = _decode(group.attrs["keras_version"]) if "keras_version" in group.attrs else "1"
        backend = _decode(group.attrs["backend"]) if "backend" in group.attrs else None
    except Exception as e:  # noqa: BLE001
        raise reader.corrupted("the 'keras_version'/'backend' attributes", e) from e
    return version, backend


def _shape(weight: Any) -> tuple:
    return tuple(weight.keras_shape) if hasattr(weight, "keras_shape") else tuple(weight.shape)


def _names_preview(names: Sequence[str], limit: int = 20) -> str:
    shown = list(names[:limit])
    return str(shown)[:-1] + (f", ... ({len(names) - limit} more)]" if len(names) > limit else "]")


def _plan_top_level(root: Any, model: Any, reader: _Reader, by_name: bool, skip_mismatch: bool) -> List[tuple]:
    try:
        present = TOP_LEVEL_GROUP in root
    except Exception as e:  # noqa: BLE001
        raise reader.corrupted(f"the '{TOP_LEVEL_GROUP}' group", e) from e
    if not present:
        return []
    group = reader.layer_group(root, TOP_LEVEL_GROUP)
    symbolic = top_level_weights(model)
    values = reader.values(group, reader.strings(group, "weight_names", "the top-level weights"),
                           "the model's top-level weights")
    if len(values) != len(symbolic):
        if by_name and skip_mismatch:
            _logger.warning("Skipping loading top-level weights for model due to mismatch in number of weights. "
                            f"Model expects {len(symbolic)} top-level weight(s). Received {len(values)} saved "
                            "top-level weight(s)")
            return []
        if by_name:
            raise reader.mismatch(f"Weight count mismatch for top-level weights of model. Model expects "
                                  f"{len(symbolic)} top-level weight(s). Received {len(values)} saved top-level "
                                  "weight(s)")
        raise reader.mismatch("Weight count mismatch for top-level weights when loading weights from file. Model "
                              f"expects {len(symbolic)} top-level weight(s). Received {len(values)} saved top-level "
                              "weight(s)")
    pairs = []
    for weight, value in zip(symbolic, values):
        if _shape(weight) != value.shape:
            if by_name and skip_mismatch:
                _logger.warning("Skipping loading top-level weight for model due to mismatch in shape for weight "
                                f"{weight.name}. Weight expects shape {_shape(weight)}. Received saved weight with "
                                f"shape {value.shape}")
                continue
            raise reader.mismatch(f"Shape mismatch in model for top-level weight {weight.name}. Weight expects shape "
                                  f"{_shape(weight)}. Received saved weight with shape {value.shape}")
        pairs.append((weight, value))
    return pairs


def _converted(reader: _Reader, layer: Any, saved_name: str, values: List[np.ndarray], version: str,
               backend: Optional[str]) -> List[np.ndarray]:
    """`preprocess_weights_for_loading`, its ValueError naming the layer in the model and in the file."""
    try:
        return preprocess_weights_for_loading(layer, values, version, backend)
    except ValueError as e:
        raise reader.mismatch(f"Cannot load the weights of layer '{saved_name}' in the save file into layer "
                              f"'{layer.name}': {e}") from e


def load_weights_from_hdf5_group(root: Any, model: Any, filepath: str = "<HDF5 group>") -> List[tuple]:
    """Topological loading plan: (weight, value) pairs matching the file's layers that have weights to the
    model's layers that have weights, in order. Raises (tf.keras's wording, plus the file) on any mismatch;
    assigns nothing."""
    reader = _Reader(filepath)
    version, backend = _file_versions(root, reader)
    layers = [layer for layer in model.layers if legacy_weights(layer)]
    saved = []
    for name in reader.strings(root, "layer_names", "the file"):
        group = reader.layer_group(root, name)
        weight_names = reader.strings(group, "weight_names", f"layer '{name}'")
        if weight_names:
            saved.append((name, group, weight_names))
    if len(saved) != len(layers):
        raise reader.mismatch(
            f"Layer count mismatch when loading weights from file. Model expected {len(layers)} layers, found "
            f"{len(saved)} saved layers. Layers with weights in the model: "
            f"{_names_preview([l.name for l in layers])}; in the file: {_names_preview([s[0] for s in saved])}")
    pairs = []
    for k, ((name, group, weight_names), layer) in enumerate(zip(saved, layers)):
        symbolic = legacy_weights(layer)
        values = reader.values(group, weight_names, f"layer '{name}'")
        values = _converted(reader, layer, name, values, version, backend)
        if len(values) != len(symbolic):
            raise reader.mismatch(
                f"Weight count mismatch for layer #{k} (named {layer.name} in the current model, {name} in the save "
                f"file). Layer expects {len(symbolic)} weight(s). Received {len(values)} saved weight(s)")
        for weight, value in zip(symbolic, values):
            if _shape(weight) != value.shape:
                raise reader.mismatch(
                    f"Shape mismatch in layer #{k} (named {layer.name} in the current model, {name} in the save "
                    f"file) for weight {weight.name}. Weight expects shape {_shape(weight)}. Received saved weight "
                    f"with shape {value.shape}")
            pairs.append((weight, value))
    return pairs + _plan_top_level(root, model, reader, by_name=False, skip_mismatch=False)


def load_weights_from_hdf5_group_by_name(root: Any, model: Any, skip_mismatch: bool = False,
                                         filepath: str = "<HDF5 group>") -> List[tuple]:
    """By-name loading plan: each saved layer's values go to the model's layers of the same name; layers
    found on one side only are ignored. With `skip_mismatch`, mismatched layers (count) or weights (shape)
    are skipped with a warning; otherwise they raise. Assigns nothing."""
    reader = _Reader(filepath)
    version, backend = _file_versions(root, reader)
    index: dict = {}
    for layer in model.layers:
        if layer.name:
            index.setdefault(layer.name, []).append(layer)
    pairs = []
    for k, name in enumerate(reader.strings(root, "layer_names", "the file")):
        if name not in index:
            continue
        group = reader.layer_group(root, name)
        saved = reader.values(group, reader.strings(group, "weight_names", f"layer '{name}'"), f"layer '{name}'")
        for layer in index[name]:
            symbolic = legacy_weights(layer)
            try:
                values = _converted(reader, layer, name, saved, version, backend)
            except ValueError as e:
                if not skip_mismatch:
                    raise
                _logger.warning(f"Skipping loading of weights for layer #{k} (named {layer.name}): {e}")
                continue
            if len(values) != len(symbolic):
                if skip_mismatch:
                    _logger.warning(f"Skipping loading of weights for layer #{k} (named {layer.name}) due to mismatch "
                                    f"in number of weights. Layer expects {len(symbolic)} weight(s). Received "
                                    f"{len(values)} saved weight(s)")
                    continue
                raise reader.mismatch(f"Weight count mismatch for layer #{k} (named {layer.name}). Layer expects "
                                      f"{len(symbolic)} weight(s). Received {len(values)} saved weight(s)")
            for weight, value in zip(symbolic, values):
                if _shape(weight) != value.shape:
                    if skip_mismatch:
                        _logger.warning(f"Skipping loading weights for layer #{k} (named {layer.name}) due to "
                                        f"mismatch in shape for weight {weight.name}. Weight expects shape "
                                        f"{_shape(weight)}. Received saved weight with shape {value.shape}")
                        continue
                    raise reader.mismatch(f"Shape mismatch in layer #{k} (named {layer.name}) for weight "
                                          f"{weight.name}. Weight expects shape {_shape(weight)}. Received saved "
                                          f"weight with shape {value.shape}")
                pairs.append((weight, value))
    return pairs + _plan_top_level(root, model, reader, by_name=True, skip_mismatch=skip_mismatch)


def assign_weights(pairs: Sequence[tuple]) -> None:
    """Assigns all (weight, value) pairs, or none: if an assignment fails (or is interrupted), the weights
    already assigned get their previous values back."""
    done: List[tuple] = []
    try:
        for weight, value in pairs:
            previous = weight.detach().to("cpu", copy=True)
            weight.assign(value)
            done.append((weight, previous))
    except BaseException:
        import torch
        with torch.no_grad():
            for weight, previous in reversed(done):
                weight.copy_(previous.to(weight.device))
        raise


# ---- loading -----------------------------------------------------------------------------------

_GLOBAL_HEAP_SIGNATURE = b"GCOL\x01\x00\x00\x00"  # "GCOL", version 1, 3 reserved bytes


def _check_global_heaps(filepath: str) -> None:
    """Raises OSError for a damaged HDF5 global heap that would make HDF5 hang.

    Variable-length strings (the layer and weight names) live in global heap collections: "GCOL", version,
    collection size, then objects (index, reference count, reserved, size, data padded to 8 bytes); index 0
    is the free space. HDF5 (1.14.6 here) loops forever on a free-space entry of size 0, which one damaged
    size field produces. This walks every collection as HDF5 does and refuses such a file instead.
    """
    with open(filepath, "rb") as handle:
        file_size = os.fstat(handle.fileno()).st_size
        if file_size < len(_GLOBAL_HEAP_SIGNATURE) + 8:
            return
        try:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # a file system without mmap: leave the check to HDF5
            return
        with data:
            start = data.find(_GLOBAL_HEAP_SIGNATURE)
            while start >= 0:
                if start + 16 <= file_size:
                    (collection_size,) = struct.unpack_from("<Q", data, start + 8)
                    end = start + collection_size
                    position = start + 16
                    while collection_size > 16 and end <= file_size and position + 16 <= end:
                        index, _, _, object_size = struct.unpack_from("<HHIQ", data, position)
                        if index == 0 and object_size == 0:
                            raise OSError(f"Unable to load weights from '{filepath}': the file is corrupted (a "
                                          f"damaged HDF5 global heap, where layer and weight names are stored, at "
                                          f"byte {position}); HDF5 cannot read it.")
                        position += 16 + ((object_size + 7) & ~7) if index else object_size
                start = data.find(_GLOBAL_HEAP_SIGNATURE, start + 4)


def _check_load_path(filepath: str) -> None:
    """Raises for paths that are not HDF5 files (clear errors for the formats we do not read)."""
    if os.path.isdir(filepath):
        raise NotImplementedError(
            f"load_weights('{filepath}'): the path is a directory (a TensorFlow SavedModel or checkpoint folder); "
            "loading weights from it is not supported. " + _NATIVE_FORMAT_NOTE)
    if not os.path.exists(filepath):
        if os.path.exists(filepath + ".index"):
            raise NotImplementedError(
                f"load_weights('{filepath}'): this is a checkpoint written by TensorFlow ('{filepath}.index' "
                "exists); TensorFlow's checkpoint format is not supported. " + _NATIVE_FORMAT_NOTE)
        raise FileNotFoundError(f"Unable to load weights: no such file: '{filepath}'.")
    if zipfile.is_zipfile(filepath):
        raise NotImplementedError(
            f"load_weights('{filepath}'): the file is a zip archive (the Keras v3 '.keras' format), which "
            "torchkeras_api does not read yet. " + _NATIVE_FORMAT_NOTE)
    h5py = _h5py()
    if not h5py.is_hdf5(filepath):
        raise OSError(f"Unable to load weights from '{filepath}': it is not an HDF5 file (no HDF5 signature). "
                      "Expected a weights file written by `model.save_weights('....h5')` or a model file written "
                      "by `model.save('....h5')`.")
    _check_global_heaps(filepath)


def _weights_root(f: Any, filepath: str) -> Any:
    """The group holding `layer_names`: the file's root, or its `model_weights` group (whole-model files)."""
    reader = _Reader(filepath)
    try:
        at_root = has_attribute(f, "layer_names")
        model_weights = f["model_weights"] if not at_root and "model_weights" in f else None
        in_model_weights = (model_weights is not None and hasattr(model_weights, "attrs")
                            and has_attribute(model_weights, "layer_names"))
        looks_v3 = "layers" in f or "vars" in f
    except Exception as e:  # noqa: BLE001
        raise reader.corrupted("the file's root", e) from e
    if at_root:
        return f
    if in_model_weights:
        return model_weights
    if model_weights is not None:
        raise reader.mismatch("The file's 'model_weights' group has no 'layer_names' attribute; it is not a "
                              "complete tf.keras model file")
    if looks_v3:
        raise NotImplementedError(
            f"load_weights('{filepath}'): the file is in the Keras v3 weights layout ('layers/<name>/vars/<i>', "
            "what tf.keras writes for '.weights.h5' paths), which torchkeras_api does not read yet. "
            + _NATIVE_FORMAT_NOTE)
    raise reader.mismatch(
        "The HDF5 file is not a tf.keras weights file: it has no 'layer_names' attribute and no 'model_weights' "
        "group. Expected a file written by `model.save_weights('....h5')` or `model.save('....h5')`")


def _assert_model_ready_for_load(model: Any) -> None:
    if not getattr(model, "_is_graph_network", False) and not model.built:
        raise ValueError("Unable to load weights saved in HDF5 format into a subclassed Model which has not created "
                         "its variables yet. Call the Model first, then load the weights.")
    _assert_weights_created(model)


def load_weights(model: Any, filepath: Any, by_name: bool = False, skip_mismatch: bool = False,
                 options: Any = None) -> None:
    """`model.load_weights(filepath)` from a tf.keras HDF5 weights file or whole-model file.

    Topological by default (layers with weights, in order), by layer name with `by_name=True`. The whole
    file is read and checked first; the model's weights change only if everything fits.
    """
    if skip_mismatch and not by_name:
        raise ValueError("When calling model.load_weights, skip_mismatch can only be set to True when by_name is "
                         "True.")
    filepath = path_to_string(filepath)
    if not os.path.exists(filepath) and os.path.isfile(checkpoint_prefix.weights_file(filepath)):
        filepath = checkpoint_prefix.weights_file(filepath)
    _check_load_path(filepath)
    _assert_model_ready_for_load(model)
    h5py = _h5py()
    try:
        f = h5py.File(filepath, "r")
    except Exception as e:  # noqa: BLE001
        raise OSError(f"Unable to load weights from '{filepath}': the HDF5 file cannot be opened; it is probably "
                      "truncated or corrupted (or locked by a process writing it) "
                      f"({type(e).__name__}: {e}).") from e
    with f:
        root = _weights_root(f, filepath)
        try:
            if by_name:
                pairs = load_weights_from_hdf5_group_by_name(root, model, skip_mismatch, filepath)
            else:
                pairs = load_weights_from_hdf5_group(root, model, filepath)
        except (ValueError, OSError, NotImplementedError):
            raise
        except Exception as e:  # noqa: BLE001 - unexpected h5py failures on a damaged file
            raise OSError(f"Unable to load weights from '{filepath}': the file could not be read; it is probably "
                          f"truncated or corrupted ({type(e).__name__}: {e}).") from e
    assign_weights(pairs)
    for layer in model._flatten_layers() if hasattr(model, "_flatten_layers") else model.layers:
        finalize = getattr(layer, "finalize_state", None)
        if callable(finalize):
            finalize()
