"""Image file codecs of tf.image / tf.io (decode_jpeg, decode_png, decode_image, encode_png, ...) through Pillow:
encoded images are `bytes` (the facade's scalar string), decoded ones uint8 (or uint16) HWC torch tensors."""
import io
from typing import Any, Optional

import numpy as np
import torch

from torchkeras_api.data.errors import InvalidArgumentError
from torchkeras_api.tf._support import tensor as as_tensor
from torchkeras_api.tf._support import torch_dtype
from torchkeras_api.tf.image_color import convert_image_dtype

_FORMATS = ("JPEG", "PNG", "GIF", "BMP", "WEBP")


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("tf.image / tf.io image decoding and encoding need Pillow: `pip install pillow` "
                          "(the torchkeras_api[image] extra).") from None
    return Image


def scalar_bytes(value: Any, argument: str) -> bytes:
    """A scalar string argument (bytes, str, numpy 0-d string array or a 1-element one) as bytes."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "USO" and value.size == 1 and value.ndim <= 1:
        value = value.reshape(()).item()
    if isinstance(value, np.bytes_):
        value = bytes(value)
    if isinstance(value, str):
        value = value.encode()
    if not isinstance(value, bytes):
        shape = getattr(value, "shape", None)
        raise InvalidArgumentError(f"`{argument}` must be a scalar string, got {type(value).__name__}"
                                   + (f" of shape {tuple(shape)}" if shape is not None else "") + ".")
    return value


def _check_channels(channels: Optional[int], allowed: tuple, op: str) -> int:
    channels = 0 if channels is None else int(channels)
    if channels not in allowed:
        raise InvalidArgumentError(f"{op}: channels must be one of {list(allowed)}, got {channels}.")
    return channels


def _open(contents: Any, op: str) -> Any:
    data = scalar_bytes(contents, "contents")
    image_module = _pillow()
    try:
        image = image_module.open(io.BytesIO(data))
    except Exception:
        raise InvalidArgumentError(f"{op}: Unknown image file format. One of JPEG, PNG, GIF, BMP, WebP "
                                   "required.") from None
    if image.format not in _FORMATS:
        raise InvalidArgumentError(f"{op}: Unknown image file format {image.format}. One of JPEG, PNG, GIF, "
                                   "BMP, WebP required.")
    return image


_MODE_FOR_CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}


def _frame_array(image: Any, channels: int) -> np.ndarray:
    """One decoded frame as a (H, W, C) uint8 or uint16 array with `channels` channels (0: the file's own)."""
    if image.mode in ("I;16", "I;16B", "I") and channels in (0, 1):
        return np.asarray(image, dtype=np.uint16).reshape(image.height, image.width, 1)
    if channels == 0:
        if image.mode == "P":
            mode = "RGBA" if "transparency" in image.info else "RGB"
        elif image.mode in ("L", "LA", "RGB", "RGBA"):
            mode = image.mode
        elif image.mode == "1":
            mode = "L"
        else:
            mode = "RGBA" if "A" in image.mode else "RGB"
    else:
        mode = _MODE_FOR_CHANNELS[channels]
    if image.format == "JPEG" and mode == "L" and image.mode != "L":
        image.draft("L", image.size)
    array = np.asarray(image.convert(mode) if image.mode != mode else image)
    return array.reshape(image.height, image.width, -1)


def _to_dtype(array: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """The decoded array as a tensor of `dtype`: 8-bit samples widen to 16 bits as libpng does (x 257), other
    conversions scale as `convert_image_dtype` does."""
    if array.dtype == np.uint8 and dtype == torch.uint16:
        array = array.astype(np.uint16) * np.uint16(257)
    return convert_image_dtype(torch.from_numpy(np.array(array)), dtype)


def decode_image(contents: Any, channels: Optional[int] = None, dtype: Any = torch.uint8,
                 name: Optional[str] = None, expand_animations: bool = True) -> torch.Tensor:
    """A JPEG, PNG, GIF, BMP or WebP file's pixels: (H, W, C), or (frames, H, W, C) for a GIF when
    `expand_animations`; `dtype` uint8, uint16 or a float type (scaled to [0, 1])."""
    channels = _check_channels(channels, (0, 1, 3, 4), "decode_image")
    target = torch_dtype(dtype)
    if target not in (torch.uint8, torch.uint16, torch.float16, torch.float32, torch.float64):
        raise ValueError(f"`dtype` of decode_image must be uint8, uint16 or a float type, got {dtype}.")
    image = _open(contents, "decode_image")
    if image.format == "GIF":
        frames = [_frame_array(image.copy(), channels or 3)]
        if expand_animations:
            for index in range(1, getattr(image, "n_frames", 1)):
                image.seek(index)
                frames.append(_frame_array(image.copy(), channels or 3))
            return _to_dtype(np.stack(frames), target)
        return _to_dtype(frames[0], target)
    return _to_dtype(_frame_array(image, channels), target)


def decode_jpeg(contents: Any, channels: int = 0, ratio: int = 1, fancy_upscaling: bool = True,
                try_recover_truncated: bool = False, acceptable_fraction: float = 1, dct_method: str = "",
                name: Optional[str] = None) -> torch.Tensor:
    """A JPEG file's pixels as a (H, W, C) uint8 tensor (PNG, GIF and BMP files decode too, as in TF). The IDCT
    is libjpeg's accurate integer one (TF's dct_method='INTEGER_ACCURATE'), whatever `dct_method` says."""
    channels = _check_channels(channels, (0, 1, 3), "decode_jpeg")
    if int(ratio) != 1:
        raise NotImplementedError("decode_jpeg: ratio other than 1 is not supported by torchkeras_api.")
    return decode_image(contents, channels, torch.uint8, expand_animations=False)


def decode_png(contents: Any, channels: int = 0, dtype: Any = torch.uint8,
               name: Optional[str] = None) -> torch.Tensor:
    """A PNG file's pixels as a (H, W, C) uint8 or uint16 tensor (other formats decode too, as in TF)."""
    channels = _check_channels(channels, (0, 1, 3, 4), "decode_png")
    target = torch_dtype(dtype)
    if target not in (torch.uint8, torch.uint16):
        raise ValueError(f"`dtype` of decode_png must be uint8 or uint16, got {dtype}.")
    return decode_image(contents, channels, target, expand_animations=False)


def decode_gif(contents: Any, name: Optional[str] = None) -> torch.Tensor:
    """A GIF's frames as a (frames, H, W, 3) uint8 tensor."""
    image = _open(contents, "decode_gif")
    if image.format != "GIF":
        raise InvalidArgumentError(f"decode_gif: expected a GIF file, got {image.format}.")
    return decode_image(contents, 3, torch.uint8, expand_animations=True)


def decode_bmp(contents: Any, channels: int = 0, name: Optional[str] = None) -> torch.Tensor:
    """A BMP file's pixels as a (H, W, C) uint8 tensor."""
    channels = _check_channels(channels, (0, 3, 4), "decode_bmp")
    return decode_image(contents, channels, torch.uint8, expand_animations=False)


def is_jpeg(contents: Any, name: Optional[str] = None) -> bool:
    """Whether the bytes start with JPEG's magic number."""
    return scalar_bytes(contents, "contents")[:3] == b"\xff\xd8\xff"


def _encodable(image: Any, op: str, dtypes: tuple, channels: tuple) -> np.ndarray:
    array = as_tensor(image).detach().cpu()
    if array.dtype not in dtypes:
        raise TypeError(f"{op}: image must be {' or '.join(str(d) for d in dtypes)}, got {array.dtype}.")
    if array.ndim != 3 or array.shape[-1] not in channels:
        raise InvalidArgumentError(f"{op}: image must be 3-dimensional (height, width, channels) with channels in "
                                   f"{list(channels)}, got shape {tuple(array.shape)}.")
    return array.numpy()


def _encode(array: np.ndarray, **save_args: Any) -> bytes:
    image_module = _pillow()
    channels = array.shape[-1]
    if array.dtype == np.uint16:
        if channels != 1:
            raise NotImplementedError("encode_png: uint16 images with more than one channel are not supported "
                                      "by torchkeras_api (Pillow writes 16-bit grayscale only).")
    image = image_module.fromarray(np.ascontiguousarray(array[..., 0] if channels == 1 else array))
    buffer = io.BytesIO()
    image.save(buffer, **save_args)
    return buffer.getvalue()


def encode_png(image: Any, compression: int = -1, name: Optional[str] = None) -> bytes:
    """A (H, W, C) uint8 or uint16 image as PNG bytes (`compression` 0-9, -1: the default)."""
    array = _encodable(image, "encode_png", (torch.uint8, torch.uint16), (1, 2, 3, 4))
    level = 6 if int(compression) == -1 else int(compression)
    return _encode(array, format="PNG", compress_level=level)


def encode_jpeg(image: Any, format: str = "", quality: int = 95, progressive: bool = False,
                optimize_size: bool = False, chroma_downsampling: bool = True, density_unit: str = "in",
                x_density: int = 300, y_density: int = 300, xmp_metadata: str = "",
                name: Optional[str] = None) -> bytes:
    """A (H, W, 1 or 3) uint8 image as JPEG bytes (not byte-identical to TensorFlow's encoder)."""
    array = _encodable(image, "encode_jpeg", (torch.uint8,), (1, 3))
    dpi = {"in": 1.0, "cm": 2.54}[density_unit]
    return _encode(array, format="JPEG", quality=int(quality), progressive=bool(progressive),
                   optimize=bool(optimize_size), subsampling="4:2:0" if chroma_downsampling else "4:4:4",
                   dpi=(x_density * dpi, y_density * dpi))
