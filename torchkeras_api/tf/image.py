"""tf.image on torch tensors: images are (H, W, C) or batches (N, H, W, C), results and dtypes as TensorFlow's.
Geometric ops live here; pixel-value ops in `image_color`, file codecs in `image_codecs`."""
from typing import Any, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras_api.layers.preprocessing import image_transform
from torchkeras_api.tf._support import axis_arg, module_getattr, tf_op
from torchkeras_api.tf._support import tensor as as_tensor
from torchkeras_api.tf.image_codecs import (decode_bmp, decode_gif, decode_image, decode_jpeg, decode_png,
                                            encode_jpeg, encode_png, is_jpeg)
from torchkeras_api.tf.image_color import (adjust_brightness, adjust_contrast, adjust_gamma, adjust_hue,
                                           adjust_saturation, convert_image_dtype, grayscale_to_rgb, hsv_to_rgb,
                                           per_image_standardization, random_brightness, random_contrast,
                                           generator, random_hue, random_saturation, rgb_to_grayscale,
                                           rgb_to_hsv, uniform)

__all__ = ["ResizeMethod", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue", "adjust_saturation",
           "central_crop", "convert_image_dtype", "crop_to_bounding_box", "decode_bmp", "decode_gif", "decode_image",
           "decode_jpeg", "decode_png", "encode_jpeg", "encode_png", "extract_patches", "flip_left_right",
           "flip_up_down", "grayscale_to_rgb", "hsv_to_rgb", "is_jpeg", "pad_to_bounding_box",
           "per_image_standardization", "random_brightness", "random_contrast", "random_crop",
           "random_flip_left_right", "random_flip_up_down", "random_hue", "random_saturation", "resize",
           "resize_with_crop_or_pad", "resize_with_pad", "rgb_to_grayscale", "rgb_to_hsv", "rot90", "transpose"]


class ResizeMethod:
    """The `method` names of `resize`."""
    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


_UNSUPPORTED_METHODS = ("lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def _image(image: Any, op: str) -> torch.Tensor:
    """A 3-D or 4-D image tensor."""
    image = as_tensor(image)
    if image.ndim not in (3, 4):
        raise ValueError(f"{op}: 'image' must have either 3 or 4 dimensions (height, width, channels) or "
                         f"(batch, height, width, channels), got shape {tuple(image.shape)}.")
    return image


def _batched(image: torch.Tensor) -> torch.Tensor:
    return image if image.ndim == 4 else image.unsqueeze(0)


def _unbatched(result: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return result if like.ndim == 4 else result.squeeze(0)


def _size_pair(size: Any) -> Tuple[int, int]:
    values = axis_arg(size)
    if isinstance(values, (int, np.integer)) or len(values) != 2:
        raise ValueError(f"'size' must be a 1-D Tensor of 2 elements: new_height, new_width, got {size!r}.")
    return int(values[0]), int(values[1])


def _aspect_size(height: int, width: int, size: Tuple[int, int]) -> Tuple[int, int]:
    """The largest size within `size` with the image's aspect ratio (float32 arithmetic, half to even)."""
    scale = min(np.float32(size[0]) / np.float32(height), np.float32(size[1]) / np.float32(width))
    return int(np.round(scale * np.float32(height))), int(np.round(scale * np.float32(width)))


@tf_op("tf.image.resize")
def resize(images: Any, size: Any, method: str = ResizeMethod.BILINEAR, preserve_aspect_ratio: bool = False,
           antialias: bool = False, name: Optional[str] = None) -> torch.Tensor:
    """Images resized to `size` (height, width): float32, except 'nearest' which keeps the dtype."""
    images = _image(images, "resize")
    size = _size_pair(size)
    method = str(method)
    if method in _UNSUPPORTED_METHODS:
        raise NotImplementedError(f"tf.image.resize method {method!r} is not supported by torchkeras_api; "
                                  f"supported: {list(image_transform.RESIZE_INTERPOLATIONS)}.")
    if method not in image_transform.RESIZE_INTERPOLATIONS:
        raise ValueError(f"Resize method is not implemented: [{method}]")
    if antialias and method in ("bilinear", "bicubic"):
        raise NotImplementedError("tf.image.resize with antialias=True is not supported by torchkeras_api for "
                                  f"method {method!r}.")
    if preserve_aspect_ratio:
        size = _aspect_size(images.shape[-3], images.shape[-2], size)
    batch = _batched(images)
    if method == "nearest":
        exact = batch if batch.is_floating_point() else batch.to(torch.float64)
        return _unbatched(image_transform.resize(exact, size, "nearest").to(images.dtype), images)
    return _unbatched(image_transform.resize(batch.to(torch.float32), size, method), images)


@tf_op("tf.image.crop_to_bounding_box")
def crop_to_bounding_box(image: Any, offset_height: int, offset_width: int, target_height: int,
                         target_width: int) -> torch.Tensor:
    """The target_height x target_width window whose top-left corner is at (offset_height, offset_width)."""
    image = _image(image, "crop_to_bounding_box")
    height, width = image.shape[-3], image.shape[-2]
    checks = [(offset_width >= 0, "offset_width must be >= 0."), (offset_height >= 0, "offset_height must be >= 0."),
              (target_width > 0, "target_width must be > 0."), (target_height > 0, "target_height must be > 0."),
              (width >= target_width + offset_width, "width must be >= target + offset."),
              (height >= target_height + offset_height, "height must be >= target + offset.")]
    _check(checks, image)
    return image[..., offset_height:offset_height + target_height, offset_width:offset_width + target_width, :]


@tf_op("tf.image.pad_to_bounding_box")
def pad_to_bounding_box(image: Any, offset_height: int, offset_width: int, target_height: int,
                        target_width: int) -> torch.Tensor:
    """The image placed at (offset_height, offset_width) in a target_height x target_width field of zeros."""
    image = _image(image, "pad_to_bounding_box")
    height, width = image.shape[-3], image.shape[-2]
    after_h, after_w = target_height - offset_height - height, target_width - offset_width - width
    checks = [(offset_height >= 0, "offset_height must be >= 0"), (offset_width >= 0, "offset_width must be >= 0"),
              (after_w >= 0, "width must be <= target - offset"), (after_h >= 0, "height must be <= target - offset")]
    _check(checks, image)
    return F.pad(image, (0, 0, offset_width, after_w, offset_height, after_h))


def _check(checks: Sequence[Tuple[bool, str]], image: torch.Tensor) -> None:
    for ok, message in checks:
        if not ok:
            raise ValueError(f"{message} (image shape {tuple(image.shape)})")


@tf_op("tf.image.resize_with_crop_or_pad")
def resize_with_crop_or_pad(image: Any, target_height: int, target_width: int) -> torch.Tensor:
    """The image centrally cropped and/or zero-padded to target_height x target_width."""
    image = _image(image, "resize_with_crop_or_pad")
    if target_height <= 0 or target_width <= 0:
        raise ValueError(f"target_height and target_width must be > 0, got {target_height}, {target_width}.")
    height, width = image.shape[-3], image.shape[-2]
    cropped = crop_to_bounding_box(image, max((height - target_height) // 2, 0), max((width - target_width) // 2, 0),
                                   min(height, target_height), min(width, target_width))
    return pad_to_bounding_box(cropped, max((target_height - height) // 2, 0), max((target_width - width) // 2, 0),
                               target_height, target_width)


@tf_op("tf.image.resize_with_pad")
def resize_with_pad(image: Any, target_height: int, target_width: int, method: str = ResizeMethod.BILINEAR,
                    antialias: bool = False) -> torch.Tensor:
    """The image resized to fit target_height x target_width with its aspect ratio kept, then zero-padded
    (centred) to that size."""
    image = _image(image, "resize_with_pad")
    if target_height <= 0 or target_width <= 0:
        raise ValueError(f"target_height and target_width must be > 0, got {target_height}, {target_width}.")
    height, width = np.float32(image.shape[-3]), np.float32(image.shape[-2])
    ratio = max(width / np.float32(target_width), height / np.float32(target_height))
    exact_h, exact_w = height / ratio, width / ratio
    resized = resize(image, (int(np.floor(exact_h)), int(np.floor(exact_w))), method=method, antialias=antialias)
    top = max(0, int(np.floor((np.float32(target_height) - exact_h) / 2)))
    left = max(0, int(np.floor((np.float32(target_width) - exact_w) / 2)))
    return pad_to_bounding_box(resized, top, left, target_height, target_width)


@tf_op("tf.image.central_crop")
def central_crop(image: Any, central_fraction: float) -> torch.Tensor:
    """The central `central_fraction` (in (0, 1]) of the image along height and width."""
    image = _image(image, "central_crop")
    if central_fraction <= 0.0 or central_fraction > 1.0:
        raise ValueError(f"central_fraction must be within (0, 1], got {central_fraction}.")
    if central_fraction == 1.0:
        return image
    height, width = image.shape[-3], image.shape[-2]
    top = int((height - height * central_fraction) / 2)
    left = int((width - width * central_fraction) / 2)
    return image[..., top:height - top, left:width - left, :]


@tf_op("tf.image.flip_left_right")
def flip_left_right(image: Any) -> torch.Tensor:
    """The image mirrored along its width."""
    return torch.flip(_image(image, "flip_left_right"), dims=(-2,))


@tf_op("tf.image.flip_up_down")
def flip_up_down(image: Any) -> torch.Tensor:
    """The image mirrored along its height."""
    return torch.flip(_image(image, "flip_up_down"), dims=(-3,))


def _random_flip(image: Any, axis: int, seed: Optional[int], op: str) -> torch.Tensor:
    image = _image(image, op)
    shape = (image.shape[0], 1, 1, 1) if image.ndim == 4 else (1, 1, 1)
    flip = (uniform(0.0, 1.0, seed, shape) < 0.5).to(image.device)
    return torch.where(flip, torch.flip(image, dims=(axis,)), image)


def random_flip_left_right(image: Any, seed: Optional[int] = None) -> torch.Tensor:
    """Each image mirrored along its width with probability 1/2."""
    return _random_flip(image, -2, seed, "random_flip_left_right")


def random_flip_up_down(image: Any, seed: Optional[int] = None) -> torch.Tensor:
    """Each image mirrored along its height with probability 1/2."""
    return _random_flip(image, -3, seed, "random_flip_up_down")


@tf_op("tf.image.rot90")
def rot90(image: Any, k: int = 1, name: Optional[str] = None) -> torch.Tensor:
    """The image rotated counter-clockwise by k quarter turns."""
    return torch.rot90(_image(image, "rot90"), int(axis_arg(k)) % 4, dims=(-3, -2))


@tf_op("tf.image.transpose")
def transpose(image: Any, name: Optional[str] = None) -> torch.Tensor:
    """The image with height and width swapped."""
    return _image(image, "transpose").transpose(-3, -2)


def random_crop(value: Any, size: Any, seed: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """A window of shape `size` (one entry per axis of `value`) at a uniformly drawn offset."""
    value = as_tensor(value)
    size = [int(s) for s in axis_arg(size)] if not isinstance(size, (int, np.integer)) else [int(size)]
    if len(size) != value.ndim:
        raise ValueError(f"random_crop: `size` must have one entry per dimension of `value` ({value.ndim}), "
                         f"got {size}.")
    if any(s > d or s < 0 for s, d in zip(size, value.shape)):
        raise ValueError(f"random_crop: Need value.shape >= size, got value shape {tuple(value.shape)} and "
                         f"size {size}.")
    limits = torch.tensor([d - s + 1 for s, d in zip(size, value.shape)], dtype=torch.float64)
    offsets = (torch.rand(value.ndim, generator=generator(seed), dtype=torch.float64) * limits).long().tolist()
    return value[tuple(slice(o, o + s) for o, s in zip(offsets, size))]


def _four(values: Any, argument: str) -> Tuple[int, int]:
    values = [int(v) for v in axis_arg(values)]
    if len(values) != 4 or values[0] != 1 or values[3] != 1:
        raise ValueError(f"extract_patches: `{argument}` must be [1, rows, cols, 1], got {values}.")
    return values[1], values[2]


@tf_op("tf.image.extract_patches")
def extract_patches(images: Any, sizes: Sequence[int], strides: Sequence[int], rates: Sequence[int],
                    padding: str, name: Optional[str] = None) -> torch.Tensor:
    """(N, H, W, C) images as (N, rows, cols, ksize_rows * ksize_cols * C): each output pixel the patch at
    that position, flattened row by row, channels fastest."""
    images = as_tensor(images)
    if images.ndim != 4:
        raise ValueError(f"extract_patches: `images` must be 4-D, got shape {tuple(images.shape)}.")
    kernel, stride, rate = _four(sizes, "sizes"), _four(strides, "strides"), _four(rates, "rates")
    padding = str(padding).upper()
    if padding not in ("VALID", "SAME"):
        raise ValueError(f"extract_patches: `padding` must be 'VALID' or 'SAME', got {padding!r}.")
    batch, height, width, channels = images.shape
    reach = [(k - 1) * r + 1 for k, r in zip(kernel, rate)]
    pads = []
    for length, s, span in zip((height, width), stride, reach):
        out = -(-length // s) if padding == "SAME" else max(0, -(-(length - span + 1) // s))
        total = max((out - 1) * s + span - length, 0) if padding == "SAME" else 0
        pads.append((total // 2, total - total // 2, out))
    nchw = F.pad(images.permute(0, 3, 1, 2), (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
    work = nchw if nchw.is_floating_point() else nchw.to(torch.float64)
    columns = F.unfold(work, kernel, dilation=rate, stride=stride)
    patches = columns.view(batch, channels, kernel[0] * kernel[1], pads[0][2], pads[1][2])
    return patches.permute(0, 3, 4, 2, 1).reshape(batch, pads[0][2], pads[1][2], -1).to(images.dtype)


__getattr__ = module_getattr("tensorflow.image")
