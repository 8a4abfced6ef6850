"""tf.keras.utils.array_to_img, img_to_array, load_img and save_img: numpy arrays <-> Pillow images (Pillow is
the optional `image` extra)."""
import io
import pathlib
import warnings
from typing import Any, Optional, Tuple

import numpy as np

from torchkeras_api import backend_config


def pil_image(use: str) -> Any:
    """The `PIL.Image` module; an ImportError naming `use` and the install command when Pillow is absent."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"Could not import PIL.Image. The use of `{use}` requires PIL: `pip install pillow` (or "
                          "`pip install torchkeras_api[image]`).") from None
    return Image


def _resampling(image_module: Any) -> dict:
    methods = getattr(image_module, "Resampling", image_module)
    return {"nearest": methods.NEAREST, "bilinear": methods.BILINEAR, "bicubic": methods.BICUBIC,
            "hamming": methods.HAMMING, "box": methods.BOX, "lanczos": methods.LANCZOS}


def _data_format(data_format: Optional[str], message: str) -> str:
    data_format = backend_config.image_data_format() if data_format is None else data_format
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(f"{message}: {data_format}")
    return data_format


def array_to_img(x: Any, data_format: Optional[str] = None, scale: bool = True, dtype: Optional[str] = None) -> Any:
    """A Pillow image from a rank-3 array (1, 3 or 4 channels); `scale` stretches the values to [0, 255]."""
    image_module = pil_image("array_to_img")
    dtype = backend_config.floatx() if dtype is None else dtype
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if _data_format(data_format, "Invalid data_format") == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x /= peak
        x *= 255
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}")


def img_to_array(img: Any, data_format: Optional[str] = None, dtype: Optional[str] = None) -> np.ndarray:
    """A rank-3 array (height, width, channels) or (channels, height, width) of a Pillow image."""
    data_format = _data_format(data_format, "Unknown data_format")
    x = np.asarray(img, dtype=backend_config.floatx() if dtype is None else dtype)
    if x.ndim == 3:
        return x.transpose(2, 0, 1) if data_format == "channels_first" else x
    if x.ndim == 2:
        return x.reshape((1,) + x.shape) if data_format == "channels_first" else x.reshape(x.shape + (1,))
    raise ValueError(f"Unsupported image shape: {x.shape}")


def save_img(path: Any, x: Any, data_format: Optional[str] = None, file_format: Optional[str] = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Writes the array `x` as an image to a path or file object (`file_format` overrides the extension)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format in ("jpg", "jpeg"):
        warnings.warn("The JPG format does not support RGBA images, converting to RGB.")
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def _center_crop_box(size: Tuple[int, int], target: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """The centered (left, top, right, bottom) box of `size` (width, height) with the aspect ratio of `target`."""
    width, height = size
    crop_height = min(height, (width * target[1]) // target[0])
    crop_width = min(width, (height * target[0]) // target[1])
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return left, top, left + crop_width, top + crop_height


def load_img(path: Any, grayscale: bool = False, color_mode: str = "rgb", target_size: Optional[Tuple[int, int]] = None,
             interpolation: str = "nearest", keep_aspect_ratio: bool = False) -> Any:
    """A Pillow image read from a path or `io.BytesIO`, in `color_mode` ('grayscale', 'rgb', 'rgba'), resized to
    `target_size` (height, width) when given (center-cropped to its aspect ratio first with `keep_aspect_ratio`)."""
    if grayscale:
        warnings.warn('grayscale is deprecated. Please use color_mode = "grayscale"')
        color_mode = "grayscale"
    image_module = pil_image("load_img")
    if isinstance(path, io.BytesIO):
        img = image_module.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(str(path.resolve()) if isinstance(path, pathlib.Path) else path, "rb") as file:
            img = image_module.open(io.BytesIO(file.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    modes = {"grayscale": ("L", ("L", "I;16", "I")), "rgba": ("RGBA", ("RGBA",)), "rgb": ("RGB", ("RGB",))}
    if color_mode not in modes:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    mode, accepted = modes[color_mode]
    if img.mode not in accepted:
        img = img.convert(mode)
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    methods = _resampling(image_module)
    if interpolation not in methods:
        raise ValueError(f"Invalid interpolation method {interpolation} specified. Supported methods are "
                         f"{', '.join(methods)}")
    box = _center_crop_box(img.size, width_height) if keep_aspect_ratio else None
    return img.resize(width_height, methods[interpolation], box=box)
