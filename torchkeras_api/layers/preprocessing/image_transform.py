"""Geometric ops on channels-last image batches, with TensorFlow's conventions: projective warps (as
`ImageProjectiveTransformV3`), resizing (as `tf.image.resize` without antialiasing) and aspect-ratio
preserving resizing (as `smart_resize`)."""
import functools
from typing import Callable, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
TRANSFORM_INTERPOLATIONS = ("nearest", "bilinear")
RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area")


def check_choice(layer: str, argument: str, value: str, choices: Sequence[str]) -> str:
    """`value` if it is one of `choices`, else tf.keras's NotImplementedError naming the layer."""
    if value not in choices:
        raise NotImplementedError(f"Unknown `{argument}` {value!r} for layer {layer}. Expected one of "
                                  f"{list(choices)}.")
    return value


def _map_coordinate(coord: torch.Tensor, size: int, fill_mode: str) -> torch.Tensor:
    """Input coordinates outside [0, size - 1] brought back inside as `fill_mode` says ('constant' keeps
    them, so that the sampler fills them)."""
    if fill_mode == "constant":
        return coord
    if fill_mode == "reflect":
        if size == 1:
            return torch.zeros_like(coord)
        period = torch.remainder(coord, 2 * size)
        coord = torch.where(period >= size, 2 * size - 1 - period, period)
    elif fill_mode == "wrap":
        if size == 1:
            return torch.zeros_like(coord)
        turns_below = torch.trunc(-coord / (size - 1)) + 1
        turns_above = torch.trunc(coord / (size - 1))
        coord = torch.where(coord < 0, coord + size * turns_below,
                            torch.where(coord > size - 1, coord - size * turns_above, coord))
    return coord.clamp(0, size - 1)


def _gather(images: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, fill_value: float) -> torch.Tensor:
    """images[n, rows, cols, :] for integer coordinates of shape (N, H', W'); `fill_value` outside."""
    _, height, width, channels = images.shape
    inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
    flat = (rows.clamp(0, height - 1) * width + cols.clamp(0, width - 1)).flatten(1)
    values = torch.gather(images.flatten(1, 2), 1, flat.unsqueeze(-1).expand(-1, -1, channels))
    values = values.view(*rows.shape, channels)
    return torch.where(inside.unsqueeze(-1), values, fill_value)


def projective_transform(images: torch.Tensor, transforms: torch.Tensor, interpolation: str = "bilinear",
                         fill_mode: str = "reflect", fill_value: float = 0.0,
                         output_shape: Optional[Tuple[int, int]] = None) -> torch.Tensor:
    """Warps images (N, H, W, C) by transforms (N or 1, 8): row [a0, a1, a2, b0, b1, b2, c0, c1] maps the
    output pixel (x, y) (column, row) to the input point ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k),
    k = c0 x + c1 y + 1, which is sampled with `interpolation` and `fill_mode` as TensorFlow does."""
    _, height, width, _ = images.shape
    out_h, out_w = output_shape if output_shape is not None else (height, width)
    t = transforms.to(torch.float32).unsqueeze(-1).unsqueeze(-1)
    y = torch.arange(out_h, device=images.device, dtype=torch.float32).view(-1, 1)
    x = torch.arange(out_w, device=images.device, dtype=torch.float32).view(1, -1)
    k = t[:, 6] * x + t[:, 7] * y + 1
    src_x = _map_coordinate((t[:, 0] * x + t[:, 1] * y + t[:, 2]) / k, width, fill_mode)
    src_y = _map_coordinate((t[:, 3] * x + t[:, 4] * y + t[:, 5]) / k, height, fill_mode)
    if images.shape[0] != src_x.shape[0]:
        src_x, src_y = src_x.expand(images.shape[0], -1, -1), src_y.expand(images.shape[0], -1, -1)
    if interpolation == "nearest":
        rows = _round_half_away(src_y).long()
        cols = _round_half_away(src_x).long()
        return _gather(images, rows, cols, fill_value)
    y0, x0 = torch.floor(src_y), torch.floor(src_x)
    wy, wx = (src_y - y0).unsqueeze(-1).to(images.dtype), (src_x - x0).unsqueeze(-1).to(images.dtype)
    y0, x0 = y0.long(), x0.long()
    top = _gather(images, y0, x0, fill_value) * (1 - wx) + _gather(images, y0, x0 + 1, fill_value) * wx
    bottom = _gather(images, y0 + 1, x0, fill_value) * (1 - wx) + _gather(images, y0 + 1, x0 + 1, fill_value) * wx
    return top * (1 - wy) + bottom * wy


def _round_half_away(x: torch.Tensor) -> torch.Tensor:
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def resize(images: torch.Tensor, size: Tuple[int, int], interpolation: str = "bilinear") -> torch.Tensor:
    """images (N, H, W, C) resized to `size` as `tf.image.resize(..., antialias=False)` does."""
    nchw = images.permute(0, 3, 1, 2)
    if interpolation == "bilinear":
        out = F.interpolate(nchw, size=size, mode="bilinear", align_corners=False)
    elif interpolation == "nearest":
        out = F.interpolate(nchw, size=size, mode="nearest-exact")
    elif interpolation == "area":
        out = _area_resize(nchw, size)
    else:
        out = _bicubic_resize(nchw, size)
    return out.permute(0, 2, 3, 1)


def _area_resize(nchw: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Each output pixel averages the input area it covers, pixels weighted by their overlap."""
    return _separable(nchw, size, _area_weights)


def _bicubic_resize(nchw: torch.Tensor, size: Tuple[int, int]) -> torch.Tensor:
    """Keys' cubic convolution (a = -0.5) on half-pixel centers, its phase quantized to 1/1024 as
    TensorFlow's table does; taps outside the image are dropped and the remaining weights renormalized."""
    return _separable(nchw, size, _cubic_weights)


def _separable(nchw: torch.Tensor, size: Tuple[int, int],
               weights: Callable[[int, int], np.ndarray]) -> torch.Tensor:
    """Resizes height and width with (out, in) weight matrices."""
    weights_h = torch.from_numpy(weights(nchw.shape[2], size[0])).to(device=nchw.device, dtype=nchw.dtype)
    weights_w = torch.from_numpy(weights(nchw.shape[3], size[1])).to(device=nchw.device, dtype=nchw.dtype)
    return torch.einsum("oh,nchw,pw->ncop", weights_h, nchw, weights_w)


@functools.lru_cache(maxsize=64)
def _area_weights(in_size: int, out_size: int) -> np.ndarray:
    scale = in_size / out_size
    start = np.arange(out_size, dtype=np.float64).reshape(-1, 1) * scale
    pixels = np.arange(in_size, dtype=np.float64).reshape(1, -1)
    overlap = np.clip(np.minimum(pixels + 1, start + scale) - np.maximum(pixels, start), 0, None)
    return overlap / scale


@functools.lru_cache(maxsize=64)
def _cubic_weights(in_size: int, out_size: int) -> np.ndarray:
    center = (np.arange(out_size, dtype=np.float64).reshape(-1, 1) + 0.5) * (in_size / out_size) - 0.5
    base = np.floor(center)
    center = base + np.round((center - base) * 1024) / 1024
    taps = base + np.arange(-1, 3, dtype=np.float64)
    distance = np.abs(center - taps)
    a = -0.5
    near = ((a + 2) * distance - (a + 3)) * distance * distance + 1
    far = ((a * distance - 5 * a) * distance + 8 * a) * distance - 4 * a
    kernel = np.where((taps >= 0) & (taps < in_size), np.where(distance <= 1, near, far), 0.0)
    kernel /= kernel.sum(axis=1, keepdims=True)
    weights = np.zeros((out_size, in_size))
    np.add.at(weights, (np.arange(out_size).reshape(-1, 1), np.clip(taps, 0, in_size - 1).astype(np.int64)), kernel)
    return weights


def smart_resize(images: torch.Tensor, size: Tuple[int, int], interpolation: str = "bilinear") -> torch.Tensor:
    """Crops the largest centered window with the aspect ratio of `size`, then resizes it to `size`."""
    height, width = images.shape[1], images.shape[2]
    crop_h = max(1, min(height, int(width * size[0] / size[1])))
    crop_w = max(1, min(width, int(height * size[1] / size[0])))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return resize(images[:, top:top + crop_h, left:left + crop_w], size, interpolation)


def center_crop_offsets(height: int, width: int, size: Tuple[int, int]) -> Tuple[int, int]:
    """Top-left corner of the centered `size` window in a height x width image."""
    return (height - size[0]) // 2, (width - size[1]) // 2

