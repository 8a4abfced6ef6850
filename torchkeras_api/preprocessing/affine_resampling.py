"""Resampling of image planes through an affine map of pixel coordinates, with the conventions of
`scipy.ndimage.affine_transform` for spline orders 0 and 1 and the modes 'nearest', 'reflect', 'wrap', 'constant'."""
from typing import List, Tuple

import numpy as np

FILL_MODES = ("nearest", "reflect", "wrap", "constant")
_OTHER_SCIPY_MODES = ("mirror", "grid-mirror", "grid-constant", "grid-wrap")


def check_resampling_arguments(fill_mode: str, order: int) -> None:
    """Raises for a `fill_mode` or interpolation `order` this resampler does not implement."""
    if fill_mode in _OTHER_SCIPY_MODES:
        raise NotImplementedError(f"fill_mode={fill_mode!r} is not supported by torchkeras_api; use one of "
                                  f"{', '.join(FILL_MODES)}.")
    if fill_mode not in FILL_MODES:
        raise RuntimeError(f"boundary mode not supported: fill_mode={fill_mode!r} (expected one of "
                           f"{', '.join(FILL_MODES)})")
    if order not in (0, 1):
        raise NotImplementedError(f"interpolation order (`order` / `interpolation_order`) must be 0 (nearest) or 1 "
                                  f"(bilinear) in torchkeras_api. Received: {order}")


def _fold(coordinates: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Coordinates outside [0, size - 1] brought back inside by the mode's periodic extension."""
    if size <= 1:
        return np.zeros_like(coordinates)
    out = coordinates.copy()
    below, above = coordinates < 0, coordinates > size - 1
    if fill_mode == "reflect":
        period = 2 * size
        low = out[below]
        low = np.where(low < -period, low + period * np.trunc(-low / period), low)
        out[below] = np.where(low < -size, low + period, -low - 1)
        high = out[above]
        high = high - period * np.trunc(high / period)
        out[above] = np.where(high >= size, period - high - 1, high)
    elif fill_mode == "wrap":
        period = size - 1
        low = out[below]
        out[below] = low + period * (np.trunc(-low / period) + 1)
        high = out[above]
        out[above] = high - period * np.trunc(high / period)
    else:
        np.clip(out, 0, size - 1, out=out)
    return out


def _taps(coordinates: np.ndarray, size: int, order: int, fill_mode: str) -> List[Tuple[np.ndarray, np.ndarray]]:
    """(indices, weights) pairs whose weighted sum interpolates along one axis at `coordinates`."""
    folded = _fold(coordinates, size, fill_mode)
    if order == 0:
        return [(np.clip(np.floor(folded + 0.5), 0, size - 1).astype(np.intp), np.ones_like(folded))]
    low = np.floor(folded)
    fraction = folded - low
    return [(np.clip(low, 0, size - 1).astype(np.intp), 1.0 - fraction),
            (np.clip(low + 1, 0, size - 1).astype(np.intp), fraction)]


def _cast(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Values as `dtype`; integer types round half away from zero and saturate."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.sign(values) * np.floor(np.abs(values) + 0.5), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def affine_resample(planes: np.ndarray, matrix: np.ndarray, offset: np.ndarray, order: int = 1,
                    fill_mode: str = "constant", cval: float = 0.0) -> np.ndarray:
    """Planes (channels, rows, cols) where output pixel `o` takes the input value at `matrix @ o + offset`."""
    check_resampling_arguments(fill_mode, order)
    channels, rows, cols = planes.shape
    grid_rows, grid_cols = np.meshgrid(np.arange(rows, dtype=np.float64), np.arange(cols, dtype=np.float64),
                                       indexing="ij")
    source_rows = offset[0] + matrix[0, 0] * grid_rows + matrix[0, 1] * grid_cols
    source_cols = offset[1] + matrix[1, 0] * grid_rows + matrix[1, 1] * grid_cols
    values = planes.astype(np.float64)
    result = np.zeros((channels, rows, cols), dtype=np.float64)
    for row_index, row_weight in _taps(source_rows, rows, order, fill_mode):
        for col_index, col_weight in _taps(source_cols, cols, order, fill_mode):
            result += (row_weight * col_weight) * values[:, row_index, col_index]
    if fill_mode == "constant":
        outside = ((source_rows < 0) | (source_rows > rows - 1) | (source_cols < 0) | (source_cols > cols - 1))
        result[:, outside] = cval
    return _cast(result, planes.dtype)
