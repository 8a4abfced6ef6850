"""F-scores of multi-label or multi-class (batch, classes) predictions: FBetaScore and F1Score."""
from typing import Any, Dict, Optional

import numpy as np
import torch

from torchkeras_api.metrics.base import Metric
from torchkeras_api.metrics.metrics_utils import divide_no_nan


class FBetaScore(Metric):
    """`(1 + beta^2) * precision * recall / (beta^2 * precision + recall)`, per class or averaged.

    `average` is None (one score per class), 'micro' (counts pooled over classes), 'macro' (mean over
    classes) or 'weighted' (mean weighted by each class's number of true labels). Without `threshold`,
    the largest prediction of each row is the positive one.
    """

    def __init__(self, average: Optional[str] = None, beta: float = 1.0, threshold: Optional[float] = None,
                 name: str = "fbeta_score", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                             f"'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError("Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python float. "
                                 f"Received: threshold={threshold} of type '{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                                 f"Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self.built = False

    def build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input "
                             f"shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}.")
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_weight("true_positives", shape=shape, initializer="zeros")
        self.false_positives = self.add_weight("false_positives", shape=shape, initializer="zeros")
        self.false_negatives = self.add_weight("false_negatives", shape=shape, initializer="zeros")
        self.intermediate_weights = self.add_weight("intermediate_weights", shape=shape, initializer="zeros")
        self.built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's (weighted) true positives, false positives and false negatives per class."""
        if not self.built:
            self.build(tuple(np.shape(y_true)), tuple(np.shape(y_pred)))
        y_true, y_pred, sample_weight = self._place(y_true, y_pred, sample_weight, dtype=self._state_dtype)
        if self.threshold is None:
            best = torch.amax(y_pred, dim=-1, keepdim=True)
            predicted = (y_pred >= best) & (torch.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        y_pred = predicted.to(self._state_dtype)
        parts = torch.stack([y_pred * y_true, y_pred * (1 - y_true), (1 - y_pred) * y_true, y_true])
        if sample_weight is not None:
            parts = parts * sample_weight.unsqueeze(1)
        sums = parts.sum(dim=1) if self.axis == 0 else parts.sum(dim=(1, 2))
        torch._foreach_add_([self.true_positives, self.false_positives, self.false_negatives,
                             self.intermediate_weights], list(sums.unbind(0)))

    def result(self) -> torch.Tensor:
        tp = self.true_positives
        precision = divide_no_nan(tp, tp + self.false_positives)
        recall = divide_no_nan(tp, tp + self.false_negatives)
        beta_squared = self.beta ** 2
        score = divide_no_nan(precision * recall, beta_squared * precision + recall) * (1 + beta_squared)
        if self.average == "weighted":
            weights = divide_no_nan(self.intermediate_weights, torch.sum(self.intermediate_weights))
            return torch.sum(score * weights)
        if self.average is not None:
            return torch.mean(score)
        return score

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """FBetaScore with beta = 1: the harmonic mean of precision and recall."""

    def __init__(self, average: Optional[str] = None, threshold: Optional[float] = None, name: str = "f1_score",
                 dtype: Any = None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config
