"""Argument normalization and TensorFlow's padding arithmetic for convolution layers."""
import numbers
from typing import Any, Optional, Tuple

from torchkeras_api.layers.reshaping import normalize_data_format

__all__ = ["normalize_data_format", "normalize_tuple", "normalize_padding", "same_padding",
           "deconv_output_length"]

_PADDINGS = ("valid", "same", "causal")


def normalize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> Tuple[int, ...]:
    """`value` (an int or n ints) as a tuple of n ints; raises ValueError naming `name` otherwise."""
    error = f"The `{name}` argument must be a tuple of {n} positive integers. Received: {name}={value}"
    if isinstance(value, numbers.Integral):
        result = (int(value),) * n
    else:
        try:
            result = tuple(value)
        except TypeError:
            raise ValueError(error) from None
        if len(result) != n or not all(isinstance(v, numbers.Integral) for v in result):
            raise ValueError(error)
        result = tuple(int(v) for v in result)
    if any(v < 0 or (v == 0 and not allow_zero) for v in result):
        raise ValueError(error)
    return result


def normalize_padding(value: Any) -> str:
    """'valid', 'same' or 'causal' (any case)."""
    padding = value.lower() if isinstance(value, str) else value
    if padding not in _PADDINGS:
        raise ValueError(f"The `padding` argument must be a list/tuple or one of {_PADDINGS}. "
                         f"Received: {value}")
    return padding


def same_padding(size: int, kernel: int, stride: int, dilation: int) -> Tuple[int, int]:
    """(before, after) padding of TensorFlow's 'same': ceil(size / stride) outputs, the odd cell at the end."""
    effective = (kernel - 1) * dilation + 1
    total = max((-(-size // stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def deconv_output_length(size: Optional[int], kernel: int, padding: str, output_padding: Optional[int],
                         stride: int, dilation: int = 1) -> Optional[int]:
    """Output length of a transposed convolution, as tf.keras computes it."""
    if size is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return size * stride + max(effective - stride, 0)
        return size * stride
    pad = effective // 2 if padding == "same" else 0
    return (size - 1) * stride + effective - 2 * pad + output_padding
