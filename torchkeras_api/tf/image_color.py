"""Pixel-value ops of tf.image on channels-last images: dtype conversion with TF's scaling, colour spaces,
brightness / contrast / saturation / hue / gamma adjustments and their random versions, standardization."""
from typing import Any, Dict, Optional

import torch

from torchkeras_api.tf._support import tensor as as_tensor
from torchkeras_api.tf._support import tf_op, torch_dtype

_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)
_GENERATORS: Dict[int, torch.Generator] = {}


def _saturating_cast(value: torch.Tensor, dtype: torch.dtype, saturate: bool) -> torch.Tensor:
    if saturate:
        limits = torch.iinfo(dtype)
        value = value.clamp(limits.min, limits.max)
    return value.to(dtype)


@tf_op("tf.image.convert_image_dtype")
def convert_image_dtype(image: Any, dtype: Any, saturate: bool = False, name: Optional[str] = None) -> torch.Tensor:
    """`image` as `dtype`, floats in [0, 1] mapping to integers in [0, dtype max] (TF's scaling and casts;
    `saturate` clamps before a cast that could overflow)."""
    image = as_tensor(image)
    target = torch_dtype(dtype)
    for kind in (image.dtype, target):
        if kind == torch.bool or kind.is_complex:
            raise AttributeError(f"image dtype must be either floating point or integer, got {kind}.")
    if image.dtype == target:
        return image
    if image.is_floating_point() and target.is_floating_point:
        return image.to(target)
    if image.is_floating_point():
        scaled = image * torch.tensor(torch.iinfo(target).max + 0.5, dtype=image.dtype)
        return _saturating_cast(scaled, target, saturate)
    in_max = torch.iinfo(image.dtype).max
    if target.is_floating_point:
        return image.to(target) * torch.tensor(1.0 / in_max, dtype=target)
    out_max = torch.iinfo(target).max
    wide = image.to(torch.int64)
    if in_max > out_max:
        return _saturating_cast(torch.div(wide, (in_max + 1) // (out_max + 1), rounding_mode="floor"), target,
                                saturate)
    return (_saturating_cast(wide, target, saturate).to(torch.int64) * ((out_max + 1) // (in_max + 1))).to(target)


def _as_float(image: torch.Tensor) -> torch.Tensor:
    """The image as float32 (float16 too, computed in float32), int images scaled as convert_image_dtype does."""
    return convert_image_dtype(image, torch.float32)


def _restore(adjusted: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return convert_image_dtype(adjusted, dtype, saturate=True)


def _factor(value: Any, like: torch.Tensor) -> torch.Tensor:
    return as_tensor(value).to(device=like.device, dtype=like.dtype)


def _check_rgb(images: torch.Tensor, op: str) -> None:
    if images.ndim < 1 or images.shape[-1] != 3:
        raise ValueError(f"{op}: the last dimension of `images` must be 3 (RGB), got shape {tuple(images.shape)}.")


def _check_float(images: torch.Tensor, op: str) -> None:
    if not images.is_floating_point():
        raise TypeError(f"{op}: `images` must be a float tensor, got {images.dtype}.")


@tf_op("tf.image.rgb_to_grayscale")
def rgb_to_grayscale(images: Any, name: Optional[str] = None) -> torch.Tensor:
    """(..., 3) RGB images as (..., 1) luma (0.2989 R + 0.587 G + 0.114 B), in the input dtype."""
    images = as_tensor(images)
    _check_rgb(images, "rgb_to_grayscale")
    weights = torch.tensor(_GRAY_WEIGHTS, dtype=torch.float32, device=images.device)
    gray = torch.matmul(_as_float(images), weights).unsqueeze(-1)
    return convert_image_dtype(gray, images.dtype)


@tf_op("tf.image.grayscale_to_rgb")
def grayscale_to_rgb(images: Any, name: Optional[str] = None) -> torch.Tensor:
    """(..., 1) grayscale images with the channel repeated three times."""
    images = as_tensor(images)
    if images.ndim < 2 or images.shape[-1] != 1:
        raise ValueError(f"grayscale_to_rgb: the last dimension of `images` must be 1, got shape "
                         f"{tuple(images.shape)}.")
    return images.expand(*images.shape[:-1], 3).clone()


def _hsv(rgb: torch.Tensor) -> torch.Tensor:
    red, green, blue = rgb.unbind(-1)
    value = rgb.amax(-1)
    spread = value - rgb.amin(-1)
    saturation = torch.where(value > 0, spread / torch.where(value > 0, value, 1), 0)
    safe = torch.where(spread > 0, spread, 1)
    hue = torch.where(red == value, (green - blue) / safe,
                      torch.where(green == value, 2 + (blue - red) / safe, 4 + (red - green) / safe)) / 6
    hue = torch.where(spread > 0, torch.where(hue < 0, hue + 1, hue), 0)
    return torch.stack([hue, saturation, value], dim=-1)


def _rgb(hsv: torch.Tensor) -> torch.Tensor:
    hue, saturation, value = hsv.unbind(-1)
    sector = hue * 6
    red = ((sector - 3).abs() - 1).clamp(0, 1)
    green = (2 - (sector - 2).abs()).clamp(0, 1)
    blue = (2 - (sector - 4).abs()).clamp(0, 1)
    gray = 1 - saturation
    return torch.stack([(gray + saturation * red) * value, (gray + saturation * green) * value,
                        (gray + saturation * blue) * value], dim=-1)


@tf_op("tf.image.rgb_to_hsv")
def rgb_to_hsv(images: Any, name: Optional[str] = None) -> torch.Tensor:
    """(..., 3) float RGB in [0, 1] as hue, saturation, value, each in [0, 1]."""
    images = as_tensor(images)
    _check_rgb(images, "rgb_to_hsv")
    _check_float(images, "rgb_to_hsv")
    return _hsv(images)


@tf_op("tf.image.hsv_to_rgb")
def hsv_to_rgb(images: Any, name: Optional[str] = None) -> torch.Tensor:
    """(..., 3) float hue, saturation, value as RGB."""
    images = as_tensor(images)
    _check_rgb(images, "hsv_to_rgb")
    _check_float(images, "hsv_to_rgb")
    return _rgb(images)


@tf_op("tf.image.adjust_brightness")
def adjust_brightness(image: Any, delta: Any) -> torch.Tensor:
    """`delta` added to every pixel of the float image (int images: in [0, 1] units, saturated back)."""
    image = as_tensor(image)
    if image.dtype in (torch.float16, torch.float32):
        return image + _factor(delta, image)
    flt = _as_float(image)
    return _restore(flt + _factor(delta, flt), image.dtype)


@tf_op("tf.image.adjust_contrast")
def adjust_contrast(images: Any, contrast_factor: Any) -> torch.Tensor:
    """Each channel of each image moved away from its mean by `contrast_factor`: (x - mean) * factor + mean."""
    images = as_tensor(images)
    flt = _as_float(images)
    mean = flt.mean(dim=(-3, -2), keepdim=True)
    adjusted = (flt - mean) * _factor(contrast_factor, flt) + mean
    return adjusted.to(images.dtype) if images.dtype == torch.float16 else _restore(adjusted, images.dtype)


@tf_op("tf.image.adjust_gamma")
def adjust_gamma(image: Any, gamma: Any = 1, gain: Any = 1) -> torch.Tensor:
    """gain * image ** gamma on the float image (int images in [0, 1] units, saturated back)."""
    image = as_tensor(image)
    flt = image if image.dtype in (torch.float16, torch.float32) else _as_float(image)
    gamma_value, gain_value = _factor(gamma, flt), _factor(gain, flt)
    return _restore(gain_value * flt ** gamma_value, image.dtype)


@tf_op("tf.image.adjust_saturation")
def adjust_saturation(image: Any, saturation_factor: Any, name: Optional[str] = None) -> torch.Tensor:
    """RGB images with their HSV saturation scaled by `saturation_factor` (clipped to [0, 1])."""
    image = as_tensor(image)
    _check_rgb(image, "adjust_saturation")
    hsv = _hsv(_as_float(image))
    saturation = (hsv[..., 1] * _factor(saturation_factor, hsv)).clamp(0, 1)
    adjusted = _rgb(torch.stack([hsv[..., 0], saturation, hsv[..., 2]], dim=-1))
    return adjusted.to(image.dtype) if image.dtype == torch.float16 else _restore(adjusted, image.dtype)


@tf_op("tf.image.adjust_hue")
def adjust_hue(image: Any, delta: Any, name: Optional[str] = None) -> torch.Tensor:
    """RGB images with `delta` (in [-1, 1], a fraction of a turn) added to their HSV hue."""
    image = as_tensor(image)
    _check_rgb(image, "adjust_hue")
    hsv = _hsv(_as_float(image))
    hue = torch.remainder(hsv[..., 0] + _factor(delta, hsv), 1.0)
    adjusted = _rgb(torch.stack([hue, hsv[..., 1], hsv[..., 2]], dim=-1))
    return adjusted.to(image.dtype) if image.dtype == torch.float16 else _restore(adjusted, image.dtype)


@tf_op("tf.image.per_image_standardization")
def per_image_standardization(image: Any) -> torch.Tensor:
    """Each image (the last three axes) as float32 with zero mean and unit variance; the stddev is at least
    1 / sqrt(number of values) so that uniform images do not divide by zero."""
    image = as_tensor(image)
    if image.ndim < 3:
        raise ValueError(f"per_image_standardization: `image` must be at least 3-D (height, width, channels), "
                         f"got shape {tuple(image.shape)}.")
    flt = image.to(torch.float32)
    count = image.shape[-1] * image.shape[-2] * image.shape[-3]
    mean = flt.mean(dim=(-3, -2, -1), keepdim=True)
    stddev = flt.std(dim=(-3, -2, -1), keepdim=True, correction=0).clamp_min(count ** -0.5)
    return (flt - mean) / stddev


def generator(seed: Optional[int]) -> Optional[torch.Generator]:
    """The CPU generator of an op-level `seed` (one per seed, so a seeded op gives a reproducible sequence);
    None (torch's global generator) when no seed is given."""
    if seed is None:
        return None
    seed = int(seed)
    if seed not in _GENERATORS:
        _GENERATORS[seed] = torch.Generator().manual_seed(seed)
    return _GENERATORS[seed]


def uniform(lower: float, upper: float, seed: Optional[int], shape: tuple = ()) -> torch.Tensor:
    """float32 draws from [lower, upper) on the CPU."""
    return torch.rand(shape, generator=generator(seed)) * (upper - lower) + lower


def _check_range(lower: float, upper: float) -> None:
    if upper <= lower:
        raise ValueError(f"upper must be > lower. Received: lower={lower}, upper={upper}.")
    if lower < 0:
        raise ValueError(f"lower must be non-negative. Received: lower={lower}.")


def random_brightness(image: Any, max_delta: float, seed: Optional[int] = None) -> torch.Tensor:
    """adjust_brightness by a delta drawn from [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError(f"max_delta must be non-negative. Received: max_delta={max_delta}.")
    return adjust_brightness(image, uniform(-max_delta, max_delta, seed))


def random_contrast(image: Any, lower: float, upper: float, seed: Optional[int] = None) -> torch.Tensor:
    """adjust_contrast by a factor drawn from [lower, upper)."""
    _check_range(lower, upper)
    return adjust_contrast(image, uniform(lower, upper, seed))


def random_saturation(image: Any, lower: float, upper: float, seed: Optional[int] = None) -> torch.Tensor:
    """adjust_saturation by a factor drawn from [lower, upper)."""
    _check_range(lower, upper)
    return adjust_saturation(image, uniform(lower, upper, seed))


def random_hue(image: Any, max_delta: float, seed: Optional[int] = None) -> torch.Tensor:
    """adjust_hue by a delta drawn from [-max_delta, max_delta) (max_delta in [0, 0.5])."""
    if max_delta > 0.5:
        raise ValueError(f"max_delta must be <= 0.5. Received: max_delta={max_delta}.")
    if max_delta < 0:
        raise ValueError(f"max_delta must be non-negative. Received: max_delta={max_delta}.")
    return adjust_hue(image, uniform(-max_delta, max_delta, seed))
