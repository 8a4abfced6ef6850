"""The batch iterators of tf.keras.preprocessing.image: `Iterator` (index order and seeding), `NumpyArrayIterator`
(arrays in memory) and `DirectoryIterator` (image files in one subdirectory per class)."""
import os
import threading
import warnings
from typing import Any, Iterator as IteratorType, List, Optional, Tuple

import numpy as np

from torchkeras_api import backend_config
from torchkeras_api.utils.data_utils import Sequence
from torchkeras_api.utils.image_utils import array_to_img, img_to_array, load_img

__all__ = ["DirectoryIterator", "Iterator", "NumpyArrayIterator"]


class Iterator(Sequence):
    """Batches of `batch_size` positions out of `n`, shuffled each epoch when `shuffle`. With a `seed`, numpy's
    global generator is seeded with `seed + total_batches_seen` before each batch, which fixes both the order and
    the random augmentations; iterating with `next()` never ends, indexing covers one epoch."""

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: Optional[int]):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array: Optional[np.ndarray] = None
        self.index_generator = self._flow_index()

    def _set_index_array(self) -> None:
        self.index_array = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def _seed_batch(self) -> None:
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1

    def __getitem__(self, idx: int) -> Any:
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}")
        self._seed_batch()
        if self.index_array is None:
            self._set_index_array()
        positions = self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(positions)

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self) -> None:
        """Draws the next epoch's order."""
        self._set_index_array()

    def reset(self) -> None:
        """Makes `next()` start a new epoch."""
        self.batch_index = 0

    def _flow_index(self) -> IteratorType[np.ndarray]:
        """The positions of successive batches, epoch after epoch."""
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            start = (self.batch_index * self.batch_size) % self.n
            self.batch_index = self.batch_index + 1 if self.n > start + self.batch_size else 0
            self.total_batches_seen += 1
            yield self.index_array[start:start + self.batch_size]

    def __iter__(self) -> "Iterator":
        return self

    def __next__(self) -> Any:
        return self.next()

    def next(self) -> Any:
        """The next batch."""
        with self.lock:
            positions = next(self.index_generator)
        return self._get_batches_of_transformed_samples(positions)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        """The batch of the samples at `index_array`."""
        raise NotImplementedError


def _save_batch(batch_x: np.ndarray, index_array: np.ndarray, data_format: str, directory: str, prefix: str,
                file_format: str, hash_bound: int) -> None:
    """Writes each image of the batch as `{prefix}_{index}_{random number}.{file_format}` into `directory`."""
    for image, index in zip(batch_x, index_array):
        name = f"{prefix}_{index}_{np.random.randint(hash_bound)}.{file_format}"
        array_to_img(image, data_format, scale=True).save(os.path.join(directory, name))


def _check_subset(subset: str) -> None:
    if subset not in {"training", "validation"}:
        raise ValueError("Invalid subset name:", subset, '; expected "training" or "validation".')


class NumpyArrayIterator(Iterator):
    """Batches of images from a rank-4 array `x` (or a tuple `(images, extra arrays)`), augmented and standardized
    by `image_data_generator`, with `y` and `sample_weight` when given."""

    def __init__(self, x: Any, y: Any, image_data_generator: Any, batch_size: int = 32, shuffle: bool = False,
                 sample_weight: Any = None, seed: Optional[int] = None, data_format: Optional[str] = None,
                 save_to_dir: Optional[str] = None, save_prefix: str = "", save_format: str = "png",
                 subset: Optional[str] = None, ignore_class_split: bool = False, dtype: Optional[str] = None):
        self.dtype = backend_config.floatx() if dtype is None else dtype
        data_format = backend_config.image_data_format() if data_format is None else data_format
        x, x_misc = self._split_inputs(x)
        if y is not None and len(x) != len(y):
            raise ValueError("`x` (images tensor) and `y` (labels) should have the same length. Found: x.shape = "
                             f"{np.asarray(x).shape}, y.shape = {np.asarray(y).shape}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError("`x` (images tensor) and `sample_weight` should have the same length. Found: x.shape = "
                             f"{np.asarray(x).shape}, sample_weight.shape = {np.asarray(sample_weight).shape}")
        if subset is not None:
            _check_subset(subset)
            split = int(len(x) * image_data_generator._validation_split)
            if (y is not None and not ignore_class_split
                    and not np.array_equal(np.unique(y[:split]), np.unique(y[split:]))):
                raise ValueError("Training and validation subsets have different number of classes after the split. "
                                 "If your numpy arrays are sorted by the label, you might want to shuffle them.")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x, x_misc = x[part], [misc[part] for misc in x_misc]
            y = None if y is None else y[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError("Input data in `NumpyArrayIterator` should have rank 4. You passed an array with shape",
                             self.x.shape)
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in {1, 3, 4}:
            warnings.warn(f'NumpyArrayIterator is set to use the data format convention "{data_format}" (channels on '
                          f"axis {channels_axis}), i.e. expected either 1, 3, or 4 channels on axis {channels_axis}. "
                          f"However, it was passed an array with shape {self.x.shape} "
                          f"({self.x.shape[channels_axis]} channels).")
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    @staticmethod
    def _split_inputs(x: Any) -> Tuple[Any, List[np.ndarray]]:
        """The images and the list of extra arrays of `x`."""
        if not isinstance(x, (tuple, list)):
            return x, []
        images, extra = x[0], x[1]
        x_misc = [np.asarray(item) for item in extra] if isinstance(extra, list) else [np.asarray(extra)]
        for misc in x_misc:
            if len(images) != len(misc):
                raise ValueError("All of the arrays in `x` should have the same length. Found a pair with: "
                                 f"len(x[0]) = {len(images)}, len(x[?]) = {len(misc)}")
        return images, x_misc

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        generator = self.image_data_generator
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            image = self.x[j]
            params = generator.get_random_transform(image.shape)
            image = generator.apply_transform(image.astype(self.dtype), params)
            batch_x[i] = generator.standardize(image)
        if self.save_to_dir:
            _save_batch(batch_x, index_array, self.data_format, self.save_to_dir, self.save_prefix, self.save_format,
                        int(1e4))
        inputs = [batch_x] + [misc[index_array] for misc in self.x_misc] if self.x_misc else batch_x
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]


def _valid_files(directory: str, formats: Tuple[str, ...], follow_links: bool) -> IteratorType[Tuple[str, str]]:
    """(folder, file name) of the files under `directory` with a white-listed extension, folders and names sorted."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(".tiff"):
                warnings.warn('Using ".tiff" files with multiple bands will cause distortion. Please verify your '
                              "output.")
            if name.lower().endswith(formats):
                yield root, name


def _class_files(directory: str, formats: Tuple[str, ...], split: Optional[Tuple[float, float]],
                 follow_links: bool) -> List[str]:
    """Paths relative to the class directory's parent of the class's images, only the `split` fraction of them."""
    files = list(_valid_files(directory, formats, follow_links))
    if split:
        files = files[int(split[0] * len(files)):int(split[1] * len(files))]
    class_name = os.path.basename(directory)
    return [os.path.join(class_name, os.path.relpath(os.path.join(root, name), directory)) for root, name in files]


class DirectoryIterator(Iterator):
    """Batches of the images under `directory/<class name>/`, resized to `target_size`, augmented and standardized
    by `image_data_generator`, with labels per `class_mode` ('categorical', 'binary', 'sparse', 'input' or None)."""

    allowed_class_modes = {"categorical", "binary", "sparse", "input", None}

    def __init__(self, directory: str, image_data_generator: Any, target_size: Tuple[int, int] = (256, 256),
                 color_mode: str = "rgb", classes: Optional[List[str]] = None, class_mode: Optional[str] = "categorical",
                 batch_size: int = 32, shuffle: bool = True, seed: Optional[int] = None,
                 data_format: Optional[str] = None, save_to_dir: Optional[str] = None, save_prefix: str = "",
                 save_format: str = "png", follow_links: bool = False, subset: Optional[str] = None,
                 interpolation: str = "nearest", keep_aspect_ratio: bool = False, dtype: Optional[str] = None):
        self.set_processing_attrs(image_data_generator, target_size, color_mode, data_format, save_to_dir,
                                  save_prefix, save_format, subset, interpolation, keep_aspect_ratio)
        self.directory = directory
        self.classes = classes
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"Invalid class_mode: {class_mode}; expected one of: {self.allowed_class_modes}")
        self.class_mode = class_mode
        self.dtype = backend_config.floatx() if dtype is None else dtype
        if not classes:
            classes = sorted(name for name in os.listdir(directory) if os.path.isdir(os.path.join(directory, name)))
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        self.filenames: List[str] = []
        labels: List[int] = []
        for name in classes:
            files = _class_files(os.path.join(directory, name), self.white_list_formats, self.split, follow_links)
            self.filenames += files
            labels += [self.class_indices[name]] * len(files)
        self.samples = len(self.filenames)
        self.classes = np.array(labels, dtype="int32")
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    def set_processing_attrs(self, image_data_generator: Any, target_size: Tuple[int, int], color_mode: str,
                             data_format: Optional[str], save_to_dir: Optional[str], save_prefix: str,
                             save_format: str, subset: Optional[str], interpolation: str,
                             keep_aspect_ratio: bool) -> None:
        """Stores how files become arrays, the image shape and the `subset` split of each class's files."""
        self.image_data_generator = image_data_generator
        self.target_size = tuple(target_size)
        self.keep_aspect_ratio = keep_aspect_ratio
        if color_mode not in {"rgb", "rgba", "grayscale"}:
            raise ValueError("Invalid color mode:", color_mode, '; expected "rgb", "rgba", or "grayscale".')
        self.color_mode = color_mode
        self.data_format = backend_config.image_data_format() if data_format is None else data_format
        channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
        if self.data_format == "channels_last":
            self.image_shape = self.target_size + (channels,)
        else:
            self.image_shape = (channels,) + self.target_size
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        self.interpolation = interpolation
        self.split: Optional[Tuple[float, float]] = None
        if subset is not None:
            validation_split = image_data_generator._validation_split
            if subset == "validation":
                self.split = (0, validation_split)
            elif subset == "training":
                self.split = (validation_split, 1)
            else:
                raise ValueError(f'Invalid subset name: {subset};expected "training" or "validation"')
        self.subset = subset

    @property
    def filepaths(self) -> List[str]:
        """The full path of every image."""
        return self._filepaths

    @property
    def labels(self) -> np.ndarray:
        """The class index of every image."""
        return self.classes

    @property
    def sample_weight(self) -> None:
        """Directory iterators have no sample weights."""
        return None

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        generator = self.image_data_generator
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = load_img(self._filepaths[j], color_mode=self.color_mode, target_size=self.target_size,
                           interpolation=self.interpolation, keep_aspect_ratio=self.keep_aspect_ratio)
            image = img_to_array(img, data_format=self.data_format)
            img.close()
            if generator:
                params = generator.get_random_transform(image.shape)
                image = generator.standardize(generator.apply_transform(image, params))
            batch_x[i] = image
        if self.save_to_dir:
            _save_batch(batch_x, index_array, self.data_format, self.save_to_dir, self.save_prefix, self.save_format,
                        int(1e7))
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode in {"binary", "sparse"}:
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(batch_x)), self.classes[index_array]] = 1.0
            return batch_x, batch_y
        return batch_x
