"""tf.keras.preprocessing.image's single-image augmentations: affine transforms (rotation, shift, shear, zoom),
channel shifts, brightness and flips, fixed or drawn from numpy's global random generator."""
from functools import reduce
from typing import Any, Sequence

import numpy as np

from torchkeras_api.preprocessing.affine_resampling import affine_resample, check_resampling_arguments
from torchkeras_api.utils.image_utils import array_to_img, img_to_array

__all__ = ["apply_affine_transform", "apply_brightness_shift", "apply_channel_shift", "flip_axis",
           "random_brightness", "random_channel_shift", "random_rotation", "random_shear", "random_shift",
           "random_zoom"]


def _homogeneous(linear: Any, translation: Any = (0.0, 0.0)) -> np.ndarray:
    """The 3x3 matrix of the map `p -> linear @ p + translation`."""
    matrix = np.eye(3)
    matrix[:2, :2] = linear
    matrix[:2, 2] = translation
    return matrix


def _centered(matrix: np.ndarray, height: int, width: int) -> np.ndarray:
    """`matrix` acting about the image center rather than pixel (0, 0)."""
    center = (float(height) / 2 - 0.5, float(width) / 2 - 0.5)
    to_center = _homogeneous(np.eye(2), center)
    from_center = _homogeneous(np.eye(2), (-center[0], -center[1]))
    return np.dot(np.dot(to_center, matrix), from_center)


def _transform_matrices(theta: float, tx: float, ty: float, shear: float, zx: float, zy: float) -> list:
    """The rotation, shift, shear and zoom matrices that are not the identity, in the order they compose."""
    matrices = []
    if theta != 0:
        angle = np.deg2rad(theta)
        matrices.append(_homogeneous([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]))
    if tx != 0 or ty != 0:
        matrices.append(_homogeneous(np.eye(2), (tx, ty)))
    if shear != 0:
        angle = np.deg2rad(shear)
        matrices.append(_homogeneous([[1.0, -np.sin(angle)], [0.0, np.cos(angle)]]))
    if zx != 1 or zy != 1:
        matrices.append(_homogeneous([[zx, 0.0], [0.0, zy]]))
    return matrices


def _check_axes(x: np.ndarray, row_axis: int, col_axis: int, channel_axis: int) -> None:
    """Raises unless `x` is a rank-3 image whose distinct axes 0, 1, 2 have the channels first or last."""
    axes = {row_axis, col_axis, channel_axis}
    if len(axes) != 3:
        raise ValueError("'row_axis', 'col_axis', and 'channel_axis' must be distinct")
    if axes != {0, 1, 2}:
        raise ValueError(f"Invalid axis' indices: {axes - {0, 1, 2}}")
    if np.ndim(x) != 3:
        raise ValueError("Input arrays must be multi-channel 2D images.")
    if channel_axis not in (0, 2):
        raise ValueError("Channels are allowed and the first and last dimensions.")


def apply_affine_transform(x: np.ndarray, theta: float = 0, tx: float = 0, ty: float = 0, shear: float = 0,
                           zx: float = 1, zy: float = 1, row_axis: int = 1, col_axis: int = 2, channel_axis: int = 0,
                           fill_mode: str = "nearest", cval: float = 0.0, order: int = 1) -> np.ndarray:
    """The rank-3 image `x` rotated by `theta` degrees, shifted by `tx` columns and `ty` rows, sheared by `shear`
    degrees and zoomed by `zx` (width) and `zy` (height), about the center as tf.keras places it (its row
    coordinate on the column axis, a quirk kept for identical results); `x` itself when every parameter is neutral.
    `fill_mode` ('nearest', 'reflect', 'wrap' or 'constant' with `cval`) fills points outside; `order` is 0
    (nearest) or 1 (bilinear)."""
    _check_axes(x, row_axis, col_axis, channel_axis)
    matrices = _transform_matrices(theta, tx, ty, shear, zx, zy)
    if not matrices:
        return x
    check_resampling_arguments(fill_mode, order)
    matrix = _centered(reduce(np.dot, matrices), x.shape[row_axis], x.shape[col_axis])
    if col_axis > row_axis:
        matrix = matrix[[1, 0, 2]][:, [1, 0, 2]]
    planes = np.moveaxis(x, channel_axis, 0)
    transformed = affine_resample(planes, matrix[:2, :2], matrix[:2, 2], order=order, fill_mode=fill_mode, cval=cval)
    return np.moveaxis(transformed, 0, channel_axis)


def random_rotation(x: np.ndarray, rg: float, row_axis: int = 1, col_axis: int = 2, channel_axis: int = 0,
                    fill_mode: str = "nearest", cval: float = 0.0, interpolation_order: int = 1) -> np.ndarray:
    """`x` rotated by an angle drawn uniformly from [-rg, rg] degrees."""
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_shift(x: np.ndarray, wrg: float, hrg: float, row_axis: int = 1, col_axis: int = 2, channel_axis: int = 0,
                 fill_mode: str = "nearest", cval: float = 0.0, interpolation_order: int = 1) -> np.ndarray:
    """`x` shifted by fractions of its height and width drawn uniformly from [-hrg, hrg] and [-wrg, wrg]."""
    height, width = x.shape[row_axis], x.shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * height
    ty = np.random.uniform(-wrg, wrg) * width
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_shear(x: np.ndarray, intensity: float, row_axis: int = 1, col_axis: int = 2, channel_axis: int = 0,
                 fill_mode: str = "nearest", cval: float = 0.0, interpolation_order: int = 1) -> np.ndarray:
    """`x` sheared by an angle drawn uniformly from [-intensity, intensity] degrees."""
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def random_zoom(x: np.ndarray, zoom_range: Sequence[float], row_axis: int = 1, col_axis: int = 2,
                channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0,
                interpolation_order: int = 1) -> np.ndarray:
    """`x` zoomed by row and column factors drawn uniformly from `zoom_range` (lower, upper)."""
    if len(zoom_range) != 2:
        raise ValueError(f"`zoom_range` should be a tuple or list of two floats. Received: {zoom_range}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
                                  fill_mode=fill_mode, cval=cval, order=interpolation_order)


def apply_channel_shift(x: np.ndarray, intensity: float, channel_axis: int = 0) -> np.ndarray:
    """`x` plus `intensity`, clipped to the range of values `x` had (the same shift for every channel, so
    `channel_axis` does not change the result)."""
    return np.clip(x + intensity, np.min(x), np.max(x))


def random_channel_shift(x: np.ndarray, intensity_range: float, channel_axis: int = 0) -> np.ndarray:
    """`x` shifted by an intensity drawn uniformly from [-intensity_range, intensity_range]."""
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis)


def apply_brightness_shift(x: np.ndarray, brightness: float, scale: bool = True) -> np.ndarray:
    """`x` (channels last) as an 8-bit Pillow image brightened by the factor `brightness`, back as an array. With
    `scale`, or when `x` leaves [0, 255], values are stretched to [0, 255] first; without `scale`, such values are
    stretched back to `x`'s range afterwards."""
    try:
        from PIL import ImageEnhance
    except ImportError:
        raise ImportError("Using brightness shifts requires PIL. Install PIL or Pillow: `pip install pillow` (or "
                          "`pip install torchkeras_api[image]`).") from None
    low, high = np.min(x), np.max(x)
    out_of_range = low < 0 or high > 255
    img = array_to_img(x, scale=out_of_range or scale)
    x = img_to_array(ImageEnhance.Brightness(img).enhance(brightness))
    if out_of_range and not scale:
        x = x / 255 * (high - low) + low
    return x


def random_brightness(x: np.ndarray, brightness_range: Sequence[float], scale: bool = True) -> np.ndarray:
    """`x` brightened by a factor drawn uniformly from `brightness_range` (lower, upper)."""
    if len(brightness_range) != 2:
        raise ValueError(f"`brightness_range should be tuple or list of two floats. Received: {brightness_range}")
    brightness = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, brightness, scale)


def flip_axis(x: np.ndarray, axis: int) -> np.ndarray:
    """`x` reversed along `axis`."""
    return np.flip(np.asarray(x), axis)
