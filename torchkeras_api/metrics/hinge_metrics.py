"""Hinge metrics, each the mean of its loss function."""
from typing import Any

from torchkeras_api.losses import categorical_hinge, hinge, squared_hinge
from torchkeras_api.metrics.base import MeanMetricWrapper


class Hinge(MeanMetricWrapper):
    """The mean of `maximum(1 - y_true * y_pred, 0)` (0/1 labels taken as -1/1)."""

    def __init__(self, name: str = "hinge", dtype: Any = None):
        super().__init__(hinge, name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The mean of `square(maximum(1 - y_true * y_pred, 0))` (0/1 labels taken as -1/1)."""

    def __init__(self, name: str = "squared_hinge", dtype: Any = None):
        super().__init__(squared_hinge, name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The mean of `maximum(neg - pos + 1, 0)` over one-hot labels."""

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None):
        super().__init__(categorical_hinge, name, dtype=dtype)
