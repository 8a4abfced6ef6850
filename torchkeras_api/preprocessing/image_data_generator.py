"""tf.keras.preprocessing.image.ImageDataGenerator: random augmentation and normalization of image batches, fed
to `fit` through `flow` (arrays) or `flow_from_directory` (image files)."""
import importlib.util
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence as SequenceType, Tuple

import numpy as np

from torchkeras_api import backend_config
from torchkeras_api.preprocessing.affine_transforms import (apply_affine_transform, apply_brightness_shift,
                                                            apply_channel_shift, flip_axis)
from torchkeras_api.preprocessing.image_iterators import DirectoryIterator, NumpyArrayIterator

__all__ = ["ImageDataGenerator"]

_NOT_FIT = ("This ImageDataGenerator specifies `{}`, but it hasn't been fit on any training data. Fit it first by "
            "calling `.fit(numpy_data)`.")


def _zoom_bounds(zoom_range: Any) -> List[float]:
    """[lower, upper] zoom factors from a float `z` (meaning [1 - z, 1 + z]) or a pair."""
    if isinstance(zoom_range, (float, int)):
        return [1 - zoom_range, 1 + zoom_range]
    if (isinstance(zoom_range, (tuple, list)) and len(zoom_range) == 2
            and all(isinstance(value, (float, int)) for value in zoom_range)):
        return [zoom_range[0], zoom_range[1]]
    raise ValueError(f"`zoom_range` should be a float or a tuple or list of two floats. Received: {zoom_range}")


def _random_shift(shift_range: Any, size: int) -> float:
    """A shift in pixels: an integer or list range picks a value with a random sign, a float range draws from
    [-range, range]; ranges below 1 are fractions of `size`."""
    if not shift_range:
        return 0
    if isinstance(shift_range, (int, np.integer)) or np.ndim(shift_range) == 1:
        shift = np.random.choice(shift_range) * np.random.choice([-1, 1])
    else:
        shift = np.random.uniform(-shift_range, shift_range)
    if np.max(shift_range) < 1:
        shift *= size
    return shift


class ImageDataGenerator:
    """Generates batches of images with random rotations, shifts, shears, zooms, channel shifts, brightness changes
    and flips, then rescaled and normalized per sample or with statistics learned by `fit`."""

    def __init__(self, featurewise_center: bool = False, samplewise_center: bool = False,
                 featurewise_std_normalization: bool = False, samplewise_std_normalization: bool = False,
                 zca_whitening: bool = False, zca_epsilon: float = 1e-6, rotation_range: float = 0,
                 width_shift_range: Any = 0.0, height_shift_range: Any = 0.0,
                 brightness_range: Optional[SequenceType[float]] = None, shear_range: float = 0.0,
                 zoom_range: Any = 0.0, channel_shift_range: float = 0.0, fill_mode: str = "nearest",
                 cval: float = 0.0, horizontal_flip: bool = False, vertical_flip: bool = False,
                 rescale: Optional[float] = None, preprocessing_function: Optional[Callable] = None,
                 data_format: Optional[str] = None, validation_split: float = 0.0, interpolation_order: int = 1,
                 dtype: Optional[str] = None):
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = backend_config.floatx() if dtype is None else dtype
        self.interpolation_order = interpolation_order
        data_format = backend_config.image_data_format() if data_format is None else data_format
        if data_format not in {"channels_last", "channels_first"}:
            raise ValueError('`data_format` should be `"channels_last"` (channel after row and column) or '
                             f'`"channels_first"` (channel before row and column). Received: {data_format}')
        self.data_format = data_format
        self.channel_axis, self.row_axis, self.col_axis = (1, 2, 3) if data_format == "channels_first" else (3, 1, 2)
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(f"`validation_split` must be strictly between 0 and 1.  Received: {validation_split}")
        self._validation_split = validation_split
        self.mean: Optional[np.ndarray] = None
        self.std: Optional[np.ndarray] = None
        self.zca_whitening_matrix: Optional[np.ndarray] = None
        self.zoom_range = _zoom_bounds(zoom_range)
        self._resolve_normalization_flags(featurewise_center, featurewise_std_normalization, samplewise_center)
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list))
                                             or len(brightness_range) != 2):
            raise ValueError(f"`brightness_range should be tuple or list of two floats. Received: {brightness_range}")
        self.brightness_range = brightness_range

    def _resolve_normalization_flags(self, featurewise_center: bool, featurewise_std_normalization: bool,
                                     samplewise_center: bool) -> None:
        """ZCA implies featurewise centering without std normalization; std normalization implies centering (each
        rule checks the constructor's arguments and warns when it overrides one)."""
        if self.zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which overrides setting of "
                              "`featurewise_center`.")
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which overrides setting of"
                              "`featurewise_std_normalization`.")
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, which overrides "
                          "setting of `featurewise_center`.")
        if self.samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, which overrides "
                          "setting of `samplewise_center`.")

    def flow(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True, sample_weight: Any = None,
             seed: Optional[int] = None, save_to_dir: Optional[str] = None, save_prefix: str = "",
             save_format: str = "png", ignore_class_split: bool = False,
             subset: Optional[str] = None) -> NumpyArrayIterator:
        """A `Sequence` of augmented batches of `x` (a rank-4 array, or `(images, extra arrays)`): `x`,
        `(x, y)` or `(x, y, sample_weight)`."""
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
                                  seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory: str, target_size: Tuple[int, int] = (256, 256), color_mode: str = "rgb",
                            classes: Optional[List[str]] = None, class_mode: Optional[str] = "categorical",
                            batch_size: int = 32, shuffle: bool = True, seed: Optional[int] = None,
                            save_to_dir: Optional[str] = None, save_prefix: str = "", save_format: str = "png",
                            follow_links: bool = False, subset: Optional[str] = None, interpolation: str = "nearest",
                            keep_aspect_ratio: bool = False) -> DirectoryIterator:
        """A `Sequence` of augmented batches of the images in `directory`'s class subdirectories."""
        return DirectoryIterator(directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links, subset=subset,
                                 interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe: Any, directory: Optional[str] = None, **kwargs: Any) -> Any:
        """Not implemented: torchkeras_api does not depend on pandas."""
        if importlib.util.find_spec("pandas") is None:
            raise ImportError("`ImageDataGenerator.flow_from_dataframe` requires pandas, which is not installed "
                              "(`pip install pandas`).")
        raise NotImplementedError("`ImageDataGenerator.flow_from_dataframe` is not implemented in torchkeras_api; "
                                  "use `flow_from_directory`, or load the images into arrays for `flow`.")

    def standardize(self, x: np.ndarray) -> np.ndarray:
        """`x` (an image or a batch) through `preprocessing_function`, `rescale` and the enabled normalizations,
        modified in place where possible."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is None:
                warnings.warn(_NOT_FIT.format("featurewise_center"))
            else:
                x -= self.mean
        if self.featurewise_std_normalization:
            if self.std is None:
                warnings.warn(_NOT_FIT.format("featurewise_std_normalization"))
            else:
                x /= self.std + 1e-6
        if self.zca_whitening:
            if self.zca_whitening_matrix is None:
                warnings.warn(_NOT_FIT.format("zca_whitening"))
            else:
                flat = x.reshape(-1, int(np.prod(x.shape[-3:])))
                x = np.reshape(flat @ self.zca_whitening_matrix, x.shape)
        return x

    def get_random_transform(self, img_shape: Tuple[int, ...], seed: Optional[int] = None) -> Dict[str, Any]:
        """Random parameters for `apply_transform` of one image of shape `img_shape`, drawn from numpy's global
        generator (seeded with `seed` when given)."""
        rows, cols = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = _random_shift(self.height_shift_range, rows)
        ty = _random_shift(self.width_shift_range, cols)
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = np.random.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift_intensity, "brightness": brightness}

    def apply_transform(self, x: np.ndarray, transform_parameters: Dict[str, Any]) -> np.ndarray:
        """The single image `x` transformed by the parameters (keys as from `get_random_transform`)."""
        channel_axis, row_axis, col_axis = self.channel_axis - 1, self.row_axis - 1, self.col_axis - 1
        params = transform_parameters
        x = apply_affine_transform(x, params.get("theta", 0), params.get("tx", 0), params.get("ty", 0),
                                   params.get("shear", 0), params.get("zx", 1), params.get("zy", 1),
                                   row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                   fill_mode=self.fill_mode, cval=self.cval, order=self.interpolation_order)
        if params.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, params["channel_shift_intensity"], channel_axis)
        if params.get("flip_horizontal", False):
            x = flip_axis(x, col_axis)
        if params.get("flip_vertical", False):
            x = flip_axis(x, row_axis)
        if params.get("brightness") is not None:
            x = apply_brightness_shift(x, params["brightness"], False)
        return x

    def random_transform(self, x: np.ndarray, seed: Optional[int] = None) -> np.ndarray:
        """The single image `x` with a random transform applied."""
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x: Any, augment: bool = False, rounds: int = 1, seed: Optional[int] = None) -> None:
        """Learns the featurewise mean, std and ZCA whitening matrix that `standardize` uses from the images `x`
        (after `rescale`; `augment` adds `rounds` randomly transformed copies instead)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"Input to `.fit()` should have rank 4. Got array with shape: {x.shape}")
        if x.shape[self.channel_axis] not in {1, 3, 4}:
            warnings.warn(f'Expected input to be images (as Numpy array) following the data format convention '
                          f'"{self.data_format}" (channels on axis {self.channel_axis}), i.e. expected either 1, 3 or '
                          f"4 channels on axis {self.channel_axis}. However, it was passed an array with shape "
                          f"{x.shape} ({x.shape[self.channel_axis]} channels).")
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = np.stack([self.random_transform(image) for _ in range(rounds) for image in x]).astype(self.dtype)
        axes = (0, self.row_axis, self.col_axis)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=axes), shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=axes), shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            count = len(x)
            u, s, _ = np.linalg.svd(np.reshape(x, (count, -1)).T, full_matrices=False)
            self.zca_whitening_matrix = (u * (np.sqrt(count) / (s + self.zca_epsilon))).dot(u.T)
