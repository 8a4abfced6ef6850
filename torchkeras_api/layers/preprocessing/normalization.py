"""Normalization: shifts and scales inputs by a mean and variance given or computed with `adapt`."""
from typing import Any, Dict, Optional, Tuple

import numpy as np
import torch

from torchkeras_api import backend_config
from torchkeras_api.layers.preprocessing.base import PreprocessingLayer


class Normalization(PreprocessingLayer):
    """`(inputs - mean) / max(sqrt(variance), epsilon)` per index of the kept `axis` (None: one scalar),
    or the inverse with `invert=True`. `adapt` computes the mean and population variance of data; without
    `mean`/`variance` the layer keeps them as the non-trainable weights mean, variance and count."""

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False,
                 **kwargs: Any):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must be set. "
                             f"Got mean: {mean} and variance: {variance}")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self._broadcast_shape: Tuple[int, ...] = ()
        self._sums: Optional[Tuple[torch.Tensor, torch.Tensor, int]] = None

    def build(self, input_shape: Any) -> None:
        shape = list(input_shape)
        ndim = len(shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Found ndim: `{ndim}`, "
                             f"axis: {self.axis}")
        kept = sorted(a % ndim for a in self.axis)
        for a in kept:
            if shape[a] is None:
                raise ValueError(f"All `axis` values to be kept must have known shape. Got axis: {self.axis}, "
                                 f"input shape: {shape}, with unknown axis at index: {a}")
        self._reduced = [a for a in range(ndim) if a not in kept]
        self._broadcast_shape = tuple(shape[a] if a in kept else 1 for a in range(ndim))
        stats_shape = tuple(shape[a] for a in kept)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", shape=stats_shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", shape=stats_shape, initializer="ones", trainable=False)
            self.count = self.add_weight("count", shape=(), dtype="int64", initializer="zeros", trainable=False)
        else:
            mean = np.broadcast_to(np.asarray(self.input_mean, np.float64), stats_shape)
            variance = np.broadcast_to(np.asarray(self.input_variance, np.float64), stats_shape)
            dtype = self._compute_dtype
            self.register_buffer("_given_mean", torch.tensor(mean.reshape(self._broadcast_shape), dtype=dtype),
                                 persistent=False)
            self.register_buffer("_given_variance",
                                 torch.tensor(variance.reshape(self._broadcast_shape), dtype=dtype), persistent=False)
        self.built = True

    @property
    def mean(self) -> torch.Tensor:
        """The mean, shaped to broadcast against the inputs."""
        if self.input_mean is not None:
            return self._given_mean
        return self.adapt_mean.view(self._broadcast_shape)

    @property
    def variance(self) -> torch.Tensor:
        """The variance, shaped to broadcast against the inputs."""
        if self.input_variance is not None:
            return self._given_variance
        return self.adapt_variance.view(self._broadcast_shape)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype != self._compute_dtype:
            inputs = inputs.to(self._compute_dtype)
        mean, variance = self.mean, self.variance
        if mean.dtype != inputs.dtype:
            mean, variance = mean.to(inputs.dtype), variance.to(inputs.dtype)
        scale = torch.sqrt(variance).clamp(min=backend_config.epsilon())
        if self.invert:
            return mean + inputs * scale
        return (inputs - mean) / scale

    # ---- adapt -----------------------------------------------------------------------------
    def reset_state(self) -> None:
        self._sums = None
        if self.built and self.input_mean is None:
            self.adapt_mean.assign(np.zeros(self.adapt_mean.keras_shape))
            self.adapt_variance.assign(np.ones(self.adapt_variance.keras_shape))
            self.count.assign(np.zeros((), np.int64))

    def update_state(self, data: Any) -> None:
        if self.input_mean is not None:
            raise ValueError("Cannot `adapt` a Normalization layer that is initialized with static `mean` and "
                             f"`variance`, you passed mean {self.input_mean} and variance {self.input_variance}.")
        batch = torch.as_tensor(np.asarray(data.detach().cpu() if isinstance(data, torch.Tensor) else data),
                                dtype=torch.float64)
        if not self.built:
            self._batch_input_shape = (None,) * batch.ndim
            self._maybe_build((None,) + tuple(batch.shape[1:]))
        count = int(np.prod([batch.shape[a] for a in self._reduced]))
        total = batch.sum(dim=self._reduced) if self._reduced else batch
        squares = (batch * batch).sum(dim=self._reduced) if self._reduced else batch * batch
        if self._sums is not None:
            total, squares, count = total + self._sums[0], squares + self._sums[1], count + self._sums[2]
        self._sums = (total, squares, count)

    def finalize_state(self) -> None:
        if self._sums is None or self.input_mean is not None:
            return
        total, squares, count = self._sums
        mean = total / count
        variance = (squares / count - mean * mean).clamp(min=0)
        self.adapt_mean.assign(mean.numpy())
        self.adapt_variance.assign(variance.numpy())
        self.count.assign(np.asarray(count, np.int64))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"axis": self.axis, "invert": self.invert, "mean": _listed(self.input_mean),
                       "variance": _listed(self.input_variance)})
        return config


def _listed(value: Any) -> Any:
    """Arrays and tensors as lists, for the config."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value

