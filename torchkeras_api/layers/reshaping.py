"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector."""
import math
import numbers
from typing import Any, Dict, List, Optional, Sequence

import torch

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
