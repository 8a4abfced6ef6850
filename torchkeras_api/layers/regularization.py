"""Noise and dropout layers active only in training: SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
AlphaDropout."""
import math
from typing import Any, Dict, Optional, Sequence, Tuple

import torch

from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.layers.core import Dropout
from torchkeras_api.layers.reshaping import normalize_data_format
from torchkeras_api.layers.seed_generator import SeedGenerator

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class _SeededNoise(Layer):
    """A layer drawing its noise from its own generator when it has a `seed` (torch's global one otherwise)."""

    def __init__(self, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.seed = seed
        self.supports_masking = True
        self._generator = SeedGenerator(seed)

    def _normal(self, inputs: torch.Tensor) -> torch.Tensor:
        """Standard normal noise of the inputs' shape, dtype and device."""
        return torch.randn(inputs.shape, generator=self._generator(inputs.device), dtype=inputs.dtype,
                           device=inputs.device)


class _SpatialDropout(Dropout):
    """Dropout of whole channels: one keep/drop draw per sample and channel, shared by all positions."""

    _rank = 0

    def __init__(self, rate: float, data_format: Optional[str] = None, **kwargs: Any):
        super().__init__(rate, **kwargs)
        self.data_format = normalize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def _noise_shape(self, shape: Sequence[int]) -> Tuple[int, ...]:
        spatial = (1,) * self._rank
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + spatial
        return (shape[0],) + spatial + (shape[-1],)


class SpatialDropout1D(_SpatialDropout):
    """Drops whole feature maps of (batch, steps, channels) inputs: noise shape (batch, 1, channels)."""

    _rank = 1

    def __init__(self, rate: float, **kwargs: Any):
        super().__init__(rate, data_format="channels_last", **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Drops whole 2D feature maps; channels last (batch, rows, cols, channels) or first (`data_format`)."""

    _rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole 3D feature maps; channels last (batch, d1, d2, d3, channels) or first (`data_format`)."""

    _rank = 3


class GaussianNoise(_SeededNoise):
    """Adds zero-centered Gaussian noise of standard deviation `stddev` when training."""

    def __init__(self, stddev: float, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.stddev = stddev

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        if not training:
            return inputs
        return torch.add(inputs, self._normal(inputs), alpha=self.stddev)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class GaussianDropout(_SeededNoise):
    """Multiplies the inputs by Gaussian noise of mean 1 and variance `rate / (1 - rate)` when training
    (identity unless 0 < rate < 1)."""

    def __init__(self, rate: float, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.rate = rate

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        if not training or not 0 < self.rate < 1:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return torch.addcmul(inputs, inputs, self._normal(inputs), value=stddev)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


class AlphaDropout(_SeededNoise):
    """Dropout that keeps the mean and variance of SELU activations when training: dropped entries are set
    to SELU's negative saturation value, then all are scaled and shifted back (identity unless 0 < rate < 1).

    `noise_shape` (None entries take the input's size) sets the shape of the keep mask.
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(seed=seed, **kwargs)
        self.rate = rate
        self.noise_shape = noise_shape

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        if not training or not 0 < self.rate < 1:
            return inputs
        rate = self.rate
        saturation = -_SELU_ALPHA * _SELU_SCALE
        scale = ((1 - rate) * (1 + rate * saturation ** 2)) ** -0.5
        shift = -scale * saturation * rate
        shape = inputs.shape if self.noise_shape is None else \
            [inputs.shape[i] if dim is None else dim for i, dim in enumerate(self.noise_shape)]
        uniform = torch.rand(shape, generator=self._generator(inputs.device), dtype=inputs.dtype,
                             device=inputs.device)
        return torch.where(uniform >= rate, inputs * scale + shift, scale * saturation + shift)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config
