"""Regression metrics: mean errors, their root, relative error, cosine similarity and R2."""
from typing import Any, Dict, Optional

import numpy as np
import torch

from torchkeras_api import backend as K
from torchkeras_api.losses import (log_cosh, mean_absolute_error, mean_absolute_percentage_error,
                                   mean_squared_error, mean_squared_logarithmic_error)
from torchkeras_api.losses.reduction import remove_squeezable_dimensions
from torchkeras_api.metrics.base import Mean, MeanMetricWrapper, Metric
from torchkeras_api.metrics.metrics_utils import broadcast_weights, divide_no_nan, operands, squeeze_or_expand


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """The cosine of the angle between `y_true` and `y_pred` along `axis` (0 for zero vectors)."""
    y_true, y_pred = operands(y_true, y_pred)
    return torch.sum(K.l2_normalize(y_true.to(y_pred.dtype), axis=axis) * K.l2_normalize(y_pred, axis=axis), dim=axis)


class MeanSquaredError(MeanMetricWrapper):
    """The mean of `square(y_true - y_pred)`."""

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(mean_squared_error, name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of `abs(y_true - y_pred)`."""

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(mean_absolute_error, name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean of `100 * abs((y_true - y_pred) / y_true)`."""

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None):
        super().__init__(mean_absolute_percentage_error, name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean of `square(log(y_true + 1) - log(y_pred + 1))`."""

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None):
        super().__init__(mean_squared_logarithmic_error, name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """The mean of `log(cosh(y_pred - y_true))`."""

    def __init__(self, name: str = "logcosh", dtype: Any = None):
        super().__init__(log_cosh, name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between labels and predictions along `axis`."""

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1):
        super().__init__(cosine_similarity, name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """The square root of the mean of `square(y_pred - y_true)`."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's (weighted) squared errors."""
        y_true, y_pred, sample_weight = self._place(y_true, y_pred, sample_weight, dtype=self._state_dtype)
        y_pred, y_true, _ = squeeze_or_expand(y_pred, y_true)
        super().update_state(torch.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> torch.Tensor:
        return torch.sqrt(super().result())


class MeanRelativeError(Mean):
    """The mean of `abs(y_true - y_pred) / normalizer` (0 where the normalizer is 0)."""

    def __init__(self, normalizer: Any, name: Optional[str] = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.normalizer = torch.as_tensor(np.asarray(normalizer, dtype=self.dtype), device=self._device())

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's (weighted) relative errors."""
        y_true, y_pred, sample_weight, normalizer = self._place(y_true, y_pred, sample_weight, self.normalizer,
                                                                dtype=self._state_dtype)
        if normalizer is not self.normalizer:
            self.normalizer = normalizer
        y_pred, y_true, _ = squeeze_or_expand(y_pred, y_true)
        y_pred, normalizer = remove_squeezable_dimensions(y_pred, normalizer)
        if y_pred.shape != y_true.shape:
            raise ValueError(f"Shapes {tuple(y_pred.shape)} and {tuple(y_true.shape)} are incompatible")
        super().update_state(divide_no_nan(torch.abs(y_true - y_pred), normalizer), sample_weight=sample_weight)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "normalizer": self.normalizer.cpu().numpy()}


class R2Score(Metric):
    """The coefficient of determination of (batch, outputs) regressions, per output or aggregated.

    `class_aggregation` is None (one score per output), 'uniform_average' or 'variance_weighted_average';
    `num_regressors` > 0 gives the adjusted R2.
    """

    def __init__(self, class_aggregation: Optional[str] = "uniform_average", num_regressors: int = 0,
                 name: str = "r2_score", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(f"Invalid value for argument `class_aggregation`. Expected one of {valid}. "
                             f"Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value >= 0. "
                             f"Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_weight("num_samples", dtype="int32", initializer="zeros")
        self.built = False

    def build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                             f"shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}.")
        outputs = (y_pred_shape[-1],)
        self.squared_sum = self.add_weight("squared_sum", shape=outputs, initializer="zeros")
        self.sum = self.add_weight("sum", shape=outputs, initializer="zeros")
        self.total_mse = self.add_weight("residual", shape=outputs, initializer="zeros")
        self.count = self.add_weight("count", shape=outputs, initializer="zeros")
        self.built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's (weighted) sums of labels, squared labels and squared residuals."""
        if not self.built:
            self.build(tuple(np.shape(y_true)), tuple(np.shape(y_pred)))
        y_true, y_pred, sample_weight = self._place(y_true, y_pred, 1.0 if sample_weight is None else sample_weight,
                                                    dtype=self._state_dtype)
        if sample_weight.dim() == 1:
            sample_weight = sample_weight.unsqueeze(1)
        sample_weight = broadcast_weights(sample_weight, y_true)
        weighted = y_true * sample_weight
        torch._foreach_add_(
            [self.sum, self.squared_sum, self.total_mse, self.count],
            [weighted.sum(0), (y_true * weighted).sum(0), (torch.square(y_true - y_pred) * sample_weight).sum(0),
             sample_weight.sum(0)])
        self.num_samples.add_(y_true.numel())

    def result(self) -> torch.Tensor:
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        scores = 1 - self.total_mse / total
        scores = scores.masked_fill(torch.isinf(scores), 0.0)
        if self.class_aggregation == "uniform_average":
            score = torch.mean(scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = torch.sum(total * scores) / torch.sum(total)
        else:
            score = scores
        if self.num_regressors == 0:
            return score
        n = self.num_samples.to(score.dtype)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - self.num_regressors - 1.0)
        return torch.where(n - 1 > self.num_regressors, adjusted, score)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}

