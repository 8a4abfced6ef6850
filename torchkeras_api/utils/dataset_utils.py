"""tf.keras.utils.timeseries_dataset_from_array, image_dataset_from_directory and text_dataset_from_directory:
`torchkeras_api.data.Dataset`s of sliding windows, or of the files in a folder tree labelled by subfolder.

`torchkeras_api.data` and the image layers are imported when first used: `torchkeras_api.utils` loads before them."""
import os
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch

from torchkeras_api.utils.image_utils import pil_image
from torchkeras_api.utils.progbar import print_msg

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_TF_ONLY_INTERPOLATIONS = ("lanczos3", "lanczos5", "gaussian", "mitchellcubic")
_CHANNELS = {"rgb": 3, "rgba": 4, "grayscale": 1}
_PIL_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


# ---- indexing a folder tree -----------------------------------------------------------------------------------------
def _class_folders(directory: str, class_names: Optional[Sequence[str]]) -> Tuple[List[str], List[str]]:
    """The visible subfolders of `directory` in alphanumeric order, and the class names (checked against them)."""
    subdirs = [name for name in sorted(os.listdir(directory))
               if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
    if not class_names:
        return subdirs, subdirs
    if set(class_names) != set(subdirs):
        raise ValueError("The `class_names` passed did not match the names of the subdirectories of the target "
                         f"directory. Expected: {subdirs}, but received: {class_names}")
    return subdirs, list(class_names)


def _files_under(folder: str, formats: Tuple[str, ...], follow_links: bool) -> List[str]:
    """Files under `folder` (recursively) ending in one of `formats`, relative to `folder`, folders and files each
    in alphanumeric order."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


def index_directory(directory: str, labels: Any, formats: Tuple[str, ...], class_names: Optional[Sequence[str]] = None,
                    shuffle: bool = True, seed: Optional[int] = None, follow_links: bool = False
                    ) -> Tuple[List[str], Any, List[str]]:
    """`(file_paths, labels, class_names)` of the files in `directory`: labels inferred from the class subfolders
    (int32 indices into `class_names`), given as a list (in file order), or None; shuffled together with `seed`."""
    unlabelled = labels is None
    if labels == "inferred":
        subdirs, class_names = _class_folders(directory, class_names)
    else:
        subdirs, class_names = [""], [""]
    class_indices = {name: index for index, name in enumerate(class_names)}
    file_paths, inferred = [], []
    for subdir in subdirs:
        for relative in _files_under(os.path.join(directory, subdir), formats, follow_links):
            file_paths.append(os.path.join(directory, subdir, relative))
            inferred.append(class_indices[subdir])
    if labels not in ("inferred", None):
        if len(labels) != len(file_paths):
            raise ValueError("Expected the lengths of `labels` to match the number of files in the target directory. "
                             f"len(labels) is {len(labels)} while we found {len(file_paths)} files in directory "
                             f"{directory}.")
        class_names = sorted(set(labels))
        labels = np.asarray(labels, dtype="int32")
    else:
        labels = np.asarray(inferred, dtype="int32")
    if unlabelled:
        print_msg(f"Found {len(file_paths)} files.")
    else:
        print_msg(f"Found {len(file_paths)} files belonging to {len(class_names)} classes.")
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(file_paths)
        np.random.RandomState(seed).shuffle(labels)
    return file_paths, labels, class_names


def split(samples: List[str], labels: Any, validation_split: Optional[float], subset: Optional[str]
          ) -> Tuple[List[str], Any]:
    """The last `validation_split` of the samples for subset 'validation', the rest for 'training'."""
    if not validation_split:
        return samples, labels
    num_val = int(validation_split * len(samples))
    if subset == "training":
        print_msg(f"Using {len(samples) - num_val} files for training.")
        return samples[:-num_val], labels[:-num_val]
    if subset == "validation":
        print_msg(f"Using {num_val} files for validation.")
        return samples[-num_val:], labels[-num_val:]
    raise ValueError(f'`subset` must be either "training" or "validation", received: {subset}')


def check_validation_split_arg(validation_split: Optional[float], subset: Optional[str], shuffle: bool,
                               seed: Optional[int]) -> None:
    """tf.keras's checks of `validation_split`, `subset`, `shuffle` and `seed` together."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: {validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", received: {subset}')
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, to "
                         "make sure that there is no overlap between the training and validation subset.")


def _check_labels(labels: Any, label_mode: Optional[str], class_names: Any, what: str, samples: str
                  ) -> Optional[str]:
    """`label_mode`, None when there are no labels; tf.keras's errors for bad `labels`/`label_mode`."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(f"`labels` argument should be a list/tuple of integer labels, of the same size as the "
                             f"number of {what} files in the target directory. If you wish to infer the labels from "
                             'the subdirectory names in the target directory, pass `labels="inferred"`. If you wish '
                             f"to get a dataset that only contains {samples} (no labels), pass `labels=None`. "
                             f"Received: labels={labels}")
        if class_names:
            raise ValueError(f'You can only pass `class_names` if `labels="inferred"`. Received: labels={labels}, and '
                             f"class_names={class_names}")
    if label_mode not in {"int", "categorical", "binary", None}:
        raise ValueError('`label_mode` argument must be one of "int", "categorical", "binary", or None. Received: '
                         f"label_mode={label_mode}")
    return None if labels is None else label_mode


def _label_array(labels: np.ndarray, label_mode: str, num_classes: int) -> np.ndarray:
    """int32 indices, float32 one-hot rows ('categorical') or float32 (N, 1) 0/1 values ('binary')."""
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels]
    return labels


def _from_files(paths: List[str], load: Callable[[bytes], Any], labels: Any, label_mode: Optional[str],
                num_classes: int) -> Any:
    """A dataset of `load(path)` per file, zipped with the labels when `label_mode` is set."""
    from torchkeras_api.data import Dataset
    dataset = Dataset.from_tensor_slices(list(paths)).map(load)
    if label_mode:
        label_ds = Dataset.from_tensor_slices(_label_array(np.asarray(labels), label_mode, num_classes))
        dataset = Dataset.zip((dataset, label_ds))
    return dataset


def _batch_and_shuffle(dataset: Any, batch_size: Optional[int], shuffle: bool, seed: Optional[int]) -> Any:
    from torchkeras_api.data import AUTOTUNE
    if batch_size is not None:
        if shuffle:
            dataset = dataset.shuffle(buffer_size=batch_size * 8, seed=seed)
        dataset = dataset.batch(batch_size)
    elif shuffle:
        dataset = dataset.shuffle(buffer_size=1024, seed=seed)
    return dataset.prefetch(AUTOTUNE)


def _from_directory(directory: str, labels: Any, label_mode: Optional[str], class_names: Any,
                    formats: Tuple[str, ...], load: Callable[[bytes], Any], batch_size: Optional[int], shuffle: bool,
                    seed: Optional[int], validation_split: Optional[float], subset: Optional[str], follow_links: bool,
                    what: str, allowed: str, keep_paths: bool) -> Any:
    """The shared body of the `*_dataset_from_directory` functions (arguments already checked)."""
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(directory, labels, formats, class_names=class_names,
                                                 shuffle=shuffle, seed=seed, follow_links=follow_links)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError('When passing `label_mode="binary"`, there must be exactly 2 class_names. Received: '
                         f"class_names={class_names}")
    subsets = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for name in subsets:
        part_paths, part_labels = split(paths, labels, validation_split, name)
        if not part_paths:
            kind = f"{name} " if subset == "both" else ""
            raise ValueError(f"No {kind}{what} found in directory {directory}. {allowed}")
        dataset = _from_files(part_paths, load, part_labels, label_mode, len(class_names))
        shuffled = shuffle and not (subset == "both" and name == "validation")
        dataset = _batch_and_shuffle(dataset, batch_size, shuffled, seed)
        dataset.class_names = class_names
        if keep_paths:
            dataset.file_paths = part_paths
        datasets.append(dataset)
    return datasets if subset == "both" else datasets[0]


# ---- images ---------------------------------------------------------------------------------------------------------
def _check_interpolation(interpolation: str) -> str:
    from torchkeras_api.layers.preprocessing.image_transform import RESIZE_INTERPOLATIONS
    interpolation = interpolation.lower()
    if interpolation in _TF_ONLY_INTERPOLATIONS:
        raise NotImplementedError(f"interpolation={interpolation!r} is not supported by torchkeras_api. Supported "
                                  f"values are: {RESIZE_INTERPOLATIONS}")
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise NotImplementedError(f"Value not recognized for `interpolation`: {interpolation}. Supported values are: "
                                  f"{RESIZE_INTERPOLATIONS + _TF_ONLY_INTERPOLATIONS}")
    return interpolation


def _image_loader(image_size: Tuple[int, int], num_channels: int, interpolation: str,
                  crop_to_aspect_ratio: bool) -> Callable[[bytes], torch.Tensor]:
    """Decodes an image file to (height, width, channels) and resizes it to `image_size`: float32, or the decoded
    uint8 values for 'nearest'."""
    from torchkeras_api.layers.preprocessing import image_transform
    pil = pil_image("image_dataset_from_directory")
    size = (int(image_size[0]), int(image_size[1]))
    resize = image_transform.smart_resize if crop_to_aspect_ratio else image_transform.resize

    def load(path: bytes) -> torch.Tensor:
        with pil.open(os.fsdecode(path)) as image:
            pixels = np.asarray(image.convert(_PIL_MODES[num_channels]), dtype="uint8")
        pixels = pixels.reshape(pixels.shape[0], pixels.shape[1], num_channels)
        resized = resize(torch.from_numpy(pixels.astype("float32"))[None], size, interpolation)[0]
        return resized.to(torch.uint8) if interpolation == "nearest" else resized

    return load


def image_dataset_from_directory(directory: str, labels: Any = "inferred", label_mode: Optional[str] = "int",
                                 class_names: Optional[Sequence[str]] = None, color_mode: str = "rgb",
                                 batch_size: Optional[int] = 32, image_size: Tuple[int, int] = (256, 256),
                                 shuffle: bool = True, seed: Optional[int] = None,
                                 validation_split: Optional[float] = None, subset: Optional[str] = None,
                                 interpolation: str = "bilinear", follow_links: bool = False,
                                 crop_to_aspect_ratio: bool = False, **kwargs: Any) -> Any:
    """A dataset of `(images, labels)` batches from the image files (bmp, gif, jpeg, jpg, png) in `directory`:
    one subfolder per class (alphanumeric order, or `class_names`), images decoded with Pillow and resized to
    `image_size`. `subset='both'` with `validation_split` gives `[training, validation]`. The dataset has
    `class_names` and `file_paths` attributes."""
    if "smart_resize" in kwargs:
        crop_to_aspect_ratio = kwargs.pop("smart_resize")
    if kwargs:
        raise TypeError(f"Unknown keywords argument(s): {tuple(kwargs.keys())}")
    label_mode = _check_labels(labels, label_mode, class_names, "image", "images")
    labels = None if label_mode is None else labels
    if color_mode not in _CHANNELS:
        raise ValueError('`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
                         f"Received: color_mode={color_mode}")
    interpolation = _check_interpolation(interpolation)
    check_validation_split_arg(validation_split, subset, shuffle, seed)
    load = _image_loader(image_size, _CHANNELS[color_mode], interpolation, crop_to_aspect_ratio)
    return _from_directory(directory, labels, label_mode, class_names, IMAGE_FORMATS, load, batch_size, shuffle,
                           seed, validation_split, subset, follow_links,
                           "images", f"Allowed formats: {IMAGE_FORMATS}", keep_paths=True)


# ---- text -----------------------------------------------------------------------------------------------------------
def text_dataset_from_directory(directory: str, labels: Any = "inferred", label_mode: Optional[str] = "int",
                                class_names: Optional[Sequence[str]] = None, batch_size: Optional[int] = 32,
                                max_length: Optional[int] = None, shuffle: bool = True, seed: Optional[int] = None,
                                validation_split: Optional[float] = None, subset: Optional[str] = None,
                                follow_links: bool = False) -> Any:
    """A dataset of `(texts, labels)` batches from the `.txt` files in `directory`, one subfolder per class; texts
    are the files' bytes (the first `max_length` bytes when set). The dataset has a `class_names` attribute."""
    label_mode = _check_labels(labels, label_mode, class_names, "text", "text samples")
    labels = None if label_mode is None else labels
    check_validation_split_arg(validation_split, subset, shuffle, seed)

    def load(path: bytes) -> bytes:
        with open(os.fsdecode(path), "rb") as file:
            content = file.read()
        return content if max_length is None else content[:max_length]

    return _from_directory(directory, labels, label_mode, class_names, (".txt",), load, batch_size, shuffle, seed,
                           validation_split, subset, follow_links, "text files", "Allowed format: .txt",
                           keep_paths=False)


# ---- time series ----------------------------------------------------------------------------------------------------
def _check_timeseries_args(length: int, start_index: Optional[int], end_index: Optional[int], sampling_rate: int,
                           sequence_stride: int) -> None:
    if start_index:
        if start_index < 0:
            raise ValueError(f"`start_index` must be 0 or greater. Received: start_index={start_index}")
        if start_index >= length:
            raise ValueError("`start_index` must be lower than the length of the data. Received: "
                             f"start_index={start_index}, for data of length {length}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError("`end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index} ")
        if end_index >= length:
            raise ValueError("`end_index` must be lower than the length of the data. Received: "
                             f"end_index={end_index}, for data of length {length}")
        if end_index <= 0:
            raise ValueError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"`{name}` must be higher than 0. Received: {name}={value}")
        if value >= length:
            raise ValueError(f"`{name}` must be lower than the length of the data. Received: {name}={value}, for "
                             f"data of length {length}")


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int, sequence_stride: int = 1,
                                  sampling_rate: int = 1, batch_size: Optional[int] = 128, shuffle: bool = False,
                                  seed: Optional[int] = None, start_index: Optional[int] = None,
                                  end_index: Optional[int] = None) -> Any:
    """A dataset of sliding windows over `data[start_index:end_index]`: window `i` holds the `sequence_length`
    timesteps from `i * sequence_stride`, `sampling_rate` apart; with `targets`, elements are `(window,
    targets[start_index + i * sequence_stride])`. Windows are built when iterated."""
    from torchkeras_api.data import Dataset
    _check_timeseries_args(len(data), start_index, end_index, sampling_rate, sequence_stride)
    start_index = 0 if start_index is None else start_index
    end_index = len(data) if end_index is None else end_index
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    index_dtype = "int32" if num_seqs < 2147483647 else "int64"
    starts = np.arange(0, num_seqs, sequence_stride, dtype=index_dtype)
    if shuffle:
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    steps = torch.as_tensor(np.asarray(data[start_index:end_index]))
    offsets = torch.arange(sequence_length, dtype=torch.int64) * sampling_rate
    if targets is None:
        dataset = Dataset.from_tensor_slices(starts).map(lambda start: steps[int(start) + offsets])
    else:
        labels = torch.as_tensor(np.asarray(targets[start_index:end_index]))
        dataset = Dataset.from_tensor_slices(starts).map(
            lambda start: (steps[int(start) + offsets], labels[int(start)]))
    return _batch_and_shuffle(dataset, batch_size, shuffle, seed)
