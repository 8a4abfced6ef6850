"""Probabilistic metrics: crossentropies, KL divergence and Poisson, each the mean of its loss function."""
from typing import Any, Optional

from torchkeras_api.losses import (binary_crossentropy, categorical_crossentropy, kl_divergence, poisson,
                                   sparse_categorical_crossentropy)
from torchkeras_api.metrics.base import MeanMetricWrapper


class Poisson(MeanMetricWrapper):
    """The mean of `y_pred - y_true * log(y_pred)`."""

    def __init__(self, name: str = "poisson", dtype: Any = None):
        super().__init__(poisson, name, dtype=dtype)


class KLDivergence(MeanMetricWrapper):
    """The mean Kullback-Leibler divergence from `y_pred` to `y_true`."""

    def __init__(self, name: str = "kullback_leibler_divergence", dtype: Any = None):
        super().__init__(kl_divergence, name, dtype=dtype)


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary crossentropy between labels and predicted probabilities (or logits)."""

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0):
        super().__init__(binary_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean crossentropy between one-hot labels and predicted class probabilities (or logits)."""

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
                 label_smoothing: float = 0, axis: int = -1):
        super().__init__(categorical_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean crossentropy between integer labels and predicted class probabilities (or logits)."""

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None, from_logits: bool = False,
                 ignore_class: Optional[int] = None, axis: int = -1):
        super().__init__(sparse_categorical_crossentropy, name, dtype=dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)
