"""Pooling layers: Max/Average pooling and their global forms, in 1D, 2D and 3D."""
from typing import Any, Callable, Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.layers.conv_utils import normalize_padding, normalize_tuple, same_padding
from torchkeras_api.layers.reshaping import normalize_data_format


def _pool_fn(name: str, x: torch.Tensor) -> Callable[..., torch.Tensor]:
    return getattr(F, f"{name}_pool{x.ndim - 2}d")


def _max_pool(x: torch.Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...], padding: Tuple[int, ...],
              ceil_mode: bool) -> torch.Tensor:
    return _pool_fn("max", x)(x, kernel, stride, padding, ceil_mode=ceil_mode)


def _avg_pool(x: torch.Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...], padding: Tuple[int, ...],
              ceil_mode: bool) -> torch.Tensor:
    return _pool_fn("avg", x)(x, kernel, stride, padding, ceil_mode=ceil_mode, count_include_pad=False)


def _max_pool_padded(x: torch.Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...],
                     pads: Tuple[int, ...]) -> torch.Tensor:
    return _max_pool(F.pad(x, pads, value=float("-inf")), kernel, stride, (0,) * len(kernel), False)


def _avg_pool_padded(x: torch.Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...],
                     pads: Tuple[int, ...]) -> torch.Tensor:
    pool = _pool_fn("avg", x)
    sums = pool(F.pad(x, pads), kernel, stride, divisor_override=1)
    ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
    return sums / pool(F.pad(ones, pads), kernel, stride, divisor_override=1)


def _ceil_mode_matches(size: int, kernel: int, stride: int, before: int) -> bool:
    """Whether torch's ceil_mode with symmetric padding `before` gives TensorFlow's ceil(size / stride) windows."""
    count = (size + 2 * before - kernel + stride - 1) // stride + 1
    if (count - 1) * stride >= size + before:
        count -= 1
    return count == -(-size // stride)


class _Pooling(Layer):
    """Shared N-D pooling. Runs torch's NC* kernels on a channels-first view of channels_last inputs; 1D runs
    as 2D with a unit height. TensorFlow's 'same' padding (the odd cell at the end) is torch's symmetric
    padding plus ceil_mode, which adds the last, partial window; padded cells never count."""

    _rank = 2
    _pool = staticmethod(_max_pool)
    _pool_padded = staticmethod(_max_pool_padded)

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(**kwargs)
        rank = self._rank
        if strides is None:
            strides = pool_size
        self.pool_size = normalize_tuple(pool_size, rank, "pool_size")
        self.strides = normalize_tuple(strides, rank, "strides")
        self.padding = normalize_padding(padding)
        if self.padding == "causal":
            raise ValueError(f'The `padding` argument of {type(self).__name__} must be "valid" or "same". '
                             f"Received: {padding}")
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=rank + 2)
        self._channels_last = self.data_format == "channels_last"

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.movedim(-1, 1) if self._channels_last else inputs
        kernel, stride = self.pool_size, self.strides
        if self._rank == 1:
            x, kernel, stride = x.unsqueeze(2), (1,) + kernel, (1,) + stride
        if self.padding == "valid":
            outputs = self._pool(x, kernel, stride, (0,) * len(kernel), False)
        else:
            outputs = self._pool_same(x, kernel, stride)
        if self._rank == 1:
            outputs = outputs.squeeze(2)
        return outputs.movedim(1, -1) if self._channels_last else outputs

    def _pool_same(self, x: torch.Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...]) -> torch.Tensor:
        """Pooling with TensorFlow's 'same' padding; an explicit pad (a copy) only where ceil_mode cannot do it."""
        spatial = x.shape[2:]
        pads = [same_padding(size, k, s, 1) for size, k, s in zip(spatial, kernel, stride)]
        befores = tuple(before for before, _ in pads)
        if all(map(_ceil_mode_matches, spatial, kernel, stride, befores)):
            return self._pool(x, kernel, stride, befores, True)
        return self._pool_padded(x, kernel, stride, tuple(p for pad in reversed(pads) for p in pad))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        if self._rank == 1:
            config.update({"strides": self.strides, "pool_size": self.pool_size, "padding": self.padding})
        else:
            config.update({"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides})
        config["data_format"] = self.data_format
        return config


class MaxPooling1D(_Pooling):
    """Max over windows of `pool_size` steps."""

    _rank = 1

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str = "channels_last", **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(MaxPooling1D):
    """Mean over windows of `pool_size` steps ('same' windows average their valid cells only)."""

    _pool = staticmethod(_avg_pool)
    _pool_padded = staticmethod(_avg_pool_padded)


class MaxPooling2D(_Pooling):
    """Max over `pool_size` windows of the two spatial axes."""

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling2D(MaxPooling2D):
    """Mean over `pool_size` windows of the two spatial axes ('same' windows average their valid cells)."""

    _pool = staticmethod(_avg_pool)
    _pool_padded = staticmethod(_avg_pool_padded)


class MaxPooling3D(_Pooling):
    """Max over `pool_size` windows of the three spatial axes."""

    _rank = 3

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling3D(MaxPooling3D):
    """Mean over `pool_size` windows of the three spatial axes ('same' windows average their valid cells)."""

    _pool = staticmethod(_avg_pool)
    _pool_padded = staticmethod(_avg_pool_padded)


class _GlobalPooling(Layer):
    """Shared global pooling: reduces all spatial axes, keeping them as size 1 with `keepdims`."""

    _rank = 2

    def __init__(self, data_format: Optional[str] = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.keepdims = keepdims
        self.input_spec = InputSpec(ndim=self._rank + 2)
        first = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(first, first + self._rank))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return config


class _GlobalMax(_GlobalPooling):
    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.amax(inputs, dim=self._axes, keepdim=self.keepdims)


class _GlobalAverage(_GlobalPooling):
    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.mean(inputs, dim=self._axes, keepdim=self.keepdims)


class GlobalMaxPooling1D(_GlobalMax):
    """Max over the steps axis."""

    _rank = 1

    def __init__(self, data_format: str = "channels_last", keepdims: bool = False, **kwargs: Any):
        super().__init__(data_format, keepdims, **kwargs)


class GlobalAveragePooling1D(_GlobalAverage):
    """Mean over the steps axis; with a mask, the mean of the unmasked steps."""

    _rank = 1

    def __init__(self, data_format: str = "channels_last", keepdims: bool = False, **kwargs: Any):
        super().__init__(data_format, keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        if mask is None:
            return super().call(inputs)
        weights = mask.to(inputs.dtype).unsqueeze(2 if self.data_format == "channels_last" else 1)
        steps = self._axes[0]
        total = torch.sum(inputs * weights, dim=steps, keepdim=self.keepdims)
        return total / torch.sum(weights, dim=steps, keepdim=self.keepdims)

    def compute_mask(self, inputs: torch.Tensor, mask: Any = None) -> None:
        return None


class GlobalMaxPooling2D(_GlobalMax):
    """Max over the two spatial axes."""


class GlobalAveragePooling2D(_GlobalAverage):
    """Mean over the two spatial axes."""


class GlobalMaxPooling3D(_GlobalMax):
    """Max over the three spatial axes."""

    _rank = 3


class GlobalAveragePooling3D(_GlobalAverage):
    """Mean over the three spatial axes."""

    _rank = 3


MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
