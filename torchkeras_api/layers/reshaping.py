"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding, Cropping and UpSampling in 1D/2D/3D."""
import math
import numbers
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from torchkeras_api import backend_config
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.engine.keras_tensor import TensorShape

_DATA_FORMATS = ("channels_first", "channels_last")


def normalize_data_format(value: Optional[str]) -> str:
    """'channels_first' or 'channels_last' (any case); None means the global image_data_format."""
    if value is None:
        value = backend_config.image_data_format()
    data_format = value.lower() if isinstance(value, str) else value
    if data_format not in _DATA_FORMATS:
        raise ValueError('The `data_format` argument must be one of "channels_first", "channels_last". '
                         f"Received: {value}")
    return data_format


class Flatten(Layer):
    """Flattens all axes but the batch axis; `channels_first` inputs are moved to channels-last first."""

    def __init__(self, data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self._channels_first = self.data_format == "channels_first"

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.ndim == 1:
            return inputs.unsqueeze(1)
        if self._channels_first and inputs.ndim > 2:
            inputs = inputs.movedim(1, -1)
        return inputs.reshape(inputs.shape[0], math.prod(inputs.shape[1:]))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


def _resolve_target_shape(input_shape: Sequence[int], target_shape: Sequence[int]) -> List[int]:
    """target_shape with its one negative (unknown) entry filled so the total size matches input_shape."""
    output_shape = list(target_shape)
    message = (f"total size of new array must be unchanged, input_shape = {list(input_shape)}, "
               f"output_shape = {output_shape}")
    unknown = [i for i, dim in enumerate(output_shape) if dim < 0]
    if len(unknown) > 1:
        raise ValueError(f"There must be at most one unknown dimension in output_shape. "
                         f"Received: output_shape={output_shape}.")
    known = math.prod(dim for dim in output_shape if dim >= 0)
    original = math.prod(input_shape)
    if unknown:
        if known == 0 or original % known != 0:
            raise ValueError(message)
        output_shape[unknown[0]] = original // known
    elif original != known:
        raise ValueError(message)
    return output_shape


class Reshape(Layer):
    """Reshapes the non-batch axes to `target_shape`; one entry may be -1 (inferred)."""

    def __init__(self, target_shape: Sequence[int], **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(target_shape, (list, tuple)) or \
                not all(isinstance(d, numbers.Integral) for d in target_shape):
            raise TypeError("`target_shape` of a Reshape layer must be a tuple of integers. "
                            f"Received: target_shape={target_shape!r}")
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        shape = _resolve_target_shape(inputs.shape[1:], self.target_shape)
        return inputs.reshape([inputs.shape[0]] + shape)

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        input_shape = tuple(input_shape)
        if None in input_shape[1:]:
            return TensorShape((input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape))
        return TensorShape((input_shape[0],) + tuple(_resolve_target_shape(input_shape[1:], self.target_shape)))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


class Permute(Layer):
    """Permutes the non-batch axes; `dims` are 1-based, e.g. (2, 1) swaps the first two."""

    def __init__(self, dims: Sequence[int], **kwargs: Any):
        super().__init__(**kwargs)
        self.dims = tuple(dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={self.dims}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)
        self._permutation = (0,) + self.dims

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.permute(self._permutation)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["dims"] = self.dims
        return config


class RepeatVector(Layer):
    """Repeats a (batch, features) input `n` times: (batch, n, features)."""

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(n, int):
            raise TypeError(f"Expected an integer value for `n` of RepeatVector, got {type(n)}.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.unsqueeze(1).expand(-1, self.n, -1)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["n"] = self.n
        return config


def _normalize_pair(value: Any, name: str) -> Tuple[int, int]:
    """An int or two ints as a (before, after) pair of non-negative ints."""
    pair = (value, value) if isinstance(value, numbers.Integral) else value
    if not isinstance(pair, (list, tuple)) or len(pair) != 2 or \
            not all(isinstance(v, numbers.Integral) and v >= 0 for v in pair):
        raise ValueError(f"The `{name}` argument must be a tuple of 2 non-negative integers. Received: {value}")
    return int(pair[0]), int(pair[1])


def _normalize_pairs(value: Any, rank: int, name: str) -> Tuple[Tuple[int, int], ...]:
    """An int, `rank` ints (symmetric) or `rank` pairs as `rank` (before, after) pairs."""
    if isinstance(value, numbers.Integral):
        return (_normalize_pair(value, name),) * rank
    if not isinstance(value, (list, tuple)) or len(value) != rank:
        raise ValueError(f"`{name}` should have {rank} elements. Received: {value}.")
    return tuple(_normalize_pair(v, name) for v in value)


class _SpatialPairs(Layer):
    """Shared by ZeroPadding and Cropping: (before, after) amounts for each spatial axis."""

    _rank = 2
    _argument = "padding"

    def __init__(self, amounts: Any, data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(**kwargs)
        rank = self._rank
        if rank == 1:
            pairs = (_normalize_pair(amounts, self._argument),)
            self.data_format = "channels_last"
        else:
            pairs = _normalize_pairs(amounts, rank, self._argument)
            self.data_format = normalize_data_format(data_format)
        self._pairs = pairs
        first = 1 if self.data_format == "channels_last" else 2
        self._spatial_axes = tuple(range(first, first + rank))
        self.input_spec = InputSpec(ndim=rank + 2)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config[self._argument] = self._pairs[0] if self._rank == 1 else self._pairs
        if self._rank > 1:
            config["data_format"] = self.data_format
        return config


class _ZeroPadding(_SpatialPairs):
    """Pads the spatial axes with zeros."""

    def __init__(self, padding: Any, data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)
        self.padding = self._pairs[0] if self._rank == 1 else self._pairs
        pads: List[int] = []
        for axis in range(self._rank + 1, 0, -1):
            pads += self._pairs[self._spatial_axes.index(axis)] if axis in self._spatial_axes else (0, 0)
        self._torch_pads = tuple(pads)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return F.pad(inputs, self._torch_pads)


class ZeroPadding1D(_ZeroPadding):
    """Adds `padding` zero steps at the start and end of the steps axis (an int or a (start, end) pair)."""

    _rank = 1

    def __init__(self, padding: Any = 1, **kwargs: Any):
        super().__init__(padding, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Zero rows and columns around images: an int, (rows, cols), or ((top, bottom), (left, right))."""

    def __init__(self, padding: Any = (1, 1), data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Zero padding of the three spatial axes: an int, three ints, or three (before, after) pairs."""

    _rank = 3

    def __init__(self, padding: Any = (1, 1, 1), data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_SpatialPairs):
    """Removes cells from both ends of the spatial axes (a view, no copy)."""

    _argument = "cropping"

    def __init__(self, cropping: Any, data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(cropping, data_format, **kwargs)
        self.cropping = self._pairs[0] if self._rank == 1 else self._pairs

    def build(self, input_shape: Any) -> None:
        for axis, (before, after) in zip(self._spatial_axes, self._pairs):
            size = input_shape[axis]
            if size is not None and before + after >= size:
                raise ValueError(f"Layer {self.name}: `cropping` {self.cropping} leaves nothing of axis {axis} "
                                 f"of size {size}. Received: input_shape={tuple(input_shape)}")
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        index = [slice(None)] * inputs.ndim
        for axis, (before, after) in zip(self._spatial_axes, self._pairs):
            index[axis] = slice(before, inputs.shape[axis] - after)
        return inputs[tuple(index)]


class Cropping1D(_Cropping):
    """Crops steps from the start and end of the steps axis (an int or a (start, end) pair)."""

    _rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any):
        super().__init__(cropping, **kwargs)


class Cropping2D(_Cropping):
    """Crops rows and columns: an int, (rows, cols), or ((top, bottom), (left, right))."""

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Crops the three spatial axes: an int, three ints, or three (before, after) pairs."""

    _rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: Optional[str] = None,
                 **kwargs: Any):
        super().__init__(cropping, data_format, **kwargs)


class UpSampling1D(Layer):
    """Repeats each step `size` times."""

    def __init__(self, size: int = 2, **kwargs: Any):
        super().__init__(**kwargs)
        self.size = int(size)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.repeat_interleave(inputs, self.size, dim=1)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["size"] = self.size
        return config


def _normalize_size(value: Any, rank: int) -> Tuple[int, ...]:
    """An int or `rank` ints as `rank` positive ints."""
    size = (value,) * rank if isinstance(value, numbers.Integral) else value
    if not isinstance(size, (list, tuple)) or len(size) != rank or \
            not all(isinstance(v, numbers.Integral) and v > 0 for v in size):
        raise ValueError(f"The `size` argument must be a tuple of {rank} positive integers. Received: {value}")
    return tuple(int(v) for v in size)


_INTERPOLATIONS = ("nearest", "bilinear")
_TF_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


class _UpSampling(Layer):
    """Shared 2D/3D upsampling by integer factors, run by F.interpolate on a channels-first view."""

    _rank = 2

    def __init__(self, size: Any, data_format: Optional[str], interpolation: str = "nearest", **kwargs: Any):
        super().__init__(**kwargs)
        self.size = _normalize_size(size, self._rank)
        self.data_format = normalize_data_format(data_format)
        if interpolation not in _TF_INTERPOLATIONS:
            raise NotImplementedError(f"Value not recognized for `interpolation`: {interpolation}. Supported "
                                      f"values are: {list(_TF_INTERPOLATIONS)}")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"`interpolation={interpolation!r}` of {type(self).__name__} is not "
                                      f"supported by torchkeras_api; use one of {list(_INTERPOLATIONS)}.")
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=self._rank + 2)
        self._channels_last = self.data_format == "channels_last"

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = inputs.movedim(-1, 1) if self._channels_last else inputs
        mode = "nearest" if self.interpolation == "nearest" else "bilinear"
        kwargs = {} if mode == "nearest" else {"align_corners": False}
        outputs = F.interpolate(x, scale_factor=self.size, mode=mode, **kwargs)
        return outputs.movedim(1, -1) if self._channels_last else outputs


class UpSampling2D(_UpSampling):
    """Scales images up by `size` (rows, cols), with 'nearest' (repeats) or 'bilinear' interpolation."""

    def __init__(self, size: Any = (2, 2), data_format: Optional[str] = None, interpolation: str = "nearest",
                 **kwargs: Any):
        super().__init__(size, data_format, interpolation, **kwargs)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format, "interpolation": self.interpolation})
        return config


class UpSampling3D(_UpSampling):
    """Repeats each cell `size` times along the three spatial axes."""

    _rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(size, data_format, **kwargs)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"size": self.size, "data_format": self.data_format})
        return config
