"""Accuracy metrics: how often predictions match labels, thresholded, by argmax or within the top k."""
from typing import Any

import torch

from torchkeras_api import backend as K
from torchkeras_api.backend_config import floatx
from torchkeras_api.engine.base_layer import to_torch_dtype
from torchkeras_api.metrics.base import MeanMetricWrapper
from torchkeras_api.metrics.metrics_utils import operands, squeeze_last


def _floatx_matches(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a == b).to(to_torch_dtype(floatx()))


def accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """1.0 where `y_pred` equals `y_true` (same shapes), else 0.0."""
    y_true, y_pred = operands(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"Shapes {tuple(y_pred.shape)} and {tuple(y_true.shape)} are incompatible")
    return _floatx_matches(y_true, y_pred.to(y_true.dtype))


def binary_matches(y_true: Any, y_pred: Any, threshold: float = 0.5) -> torch.Tensor:
    """1.0 where `y_pred > threshold` equals the binary label, else 0.0."""
    y_true, y_pred = operands(y_true, y_pred)
    return _floatx_matches(y_true, (y_pred > threshold).to(y_pred.dtype))


def sparse_categorical_matches(y_true: Any, y_pred: Any) -> torch.Tensor:
    """1.0 where the argmax of `y_pred` is the integer label, else 0.0, in the labels' shape."""
    y_true, y_pred = operands(y_true, y_pred)
    shape = y_true.shape
    if y_true.dim() == y_pred.dim():
        y_true = squeeze_last(y_true, "y_true")
    matches = _floatx_matches(y_true, torch.argmax(y_pred, dim=-1).to(y_true.dtype))
    return matches.reshape(shape)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> torch.Tensor:
    """1.0 where the integer label is among the `k` largest predictions (ties count), else 0.0."""
    y_true, y_pred = operands(y_true, y_pred)
    shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    matches = K.in_top_k(y_pred, y_true.reshape(-1) if y_true.dim() > 1 else y_true, k)
    return matches.to(to_torch_dtype(floatx())).reshape(shape)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> torch.Tensor:
    """Mean over the last axis of `binary_matches`."""
    return torch.mean(binary_matches(y_true, y_pred, threshold), dim=-1)


def categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """1.0 where the argmax of `y_pred` is the argmax of the one-hot `y_true`, else 0.0."""
    y_true, y_pred = operands(y_true, y_pred)
    return sparse_categorical_matches(torch.argmax(y_true, dim=-1), y_pred)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`sparse_categorical_matches` without a trailing axis of size 1."""
    matches = sparse_categorical_matches(y_true, y_pred)
    if matches.dim() > 1 and matches.shape[-1] == 1:
        matches = matches.squeeze(-1)
    return matches


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> torch.Tensor:
    """1.0 where the argmax of the one-hot `y_true` is among the `k` largest predictions, else 0.0."""
    y_true, y_pred = operands(y_true, y_pred)
    return sparse_top_k_categorical_accuracy(torch.argmax(y_true, dim=-1), y_pred, k)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels."""

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(accuracy, name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often predictions above `threshold` match binary labels."""

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        super().__init__(binary_matches, name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions matches the argmax of one-hot labels."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(categorical_accuracy, name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the argmax of predictions matches integer labels."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None):
        super().__init__(sparse_categorical_matches, name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the `k` largest predictions."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(top_k_categorical_accuracy, name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` largest predictions."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype=dtype, k=k)
