"""Confusion-matrix metrics: TruePositives and the other counts, Precision, Recall, and the
sensitivity/specificity/precision/recall-at-a-target metrics."""
from typing import Any, Dict, Optional

import torch

from torchkeras_api.metrics.base import Metric
from torchkeras_api.metrics.confusion_matrix import (FALSE_NEGATIVES, FALSE_POSITIVES, NEG_INF, TRUE_NEGATIVES,
                                                     TRUE_POSITIVES, Thresholds, parse_thresholds,
                                                     update_confusion_matrix)
from torchkeras_api.metrics.metrics_utils import divide_no_nan

_VARIABLE_NAMES = {TRUE_POSITIVES: "true_positives", FALSE_POSITIVES: "false_positives",
                   TRUE_NEGATIVES: "true_negatives", FALSE_NEGATIVES: "false_negatives"}


class _ConfusionMetric(Metric):
    """A metric accumulating some confusion-matrix counts at its thresholds."""

    def _add_counts(self, keys: tuple, thresholds: Thresholds, shape: Optional[tuple] = None) -> None:
        """One zero-initialised count variable per key, of shape (thresholds,) unless `shape` is given."""
        self._thresholds = thresholds
        self._counts: Dict[str, torch.Tensor] = {}
        for key in keys:
            var = self.add_weight(_VARIABLE_NAMES[key], shape=shape or (len(thresholds),), initializer="zeros")
            self._counts[key] = var
            setattr(self, _VARIABLE_NAMES[key], var)

    def _update(self, y_true: Any, y_pred: Any, sample_weight: Any, **options: Any) -> None:
        y_true, y_pred, sample_weight = self._place(y_true, y_pred, sample_weight, dtype=self._state_dtype)
        update_confusion_matrix(self._counts, y_true, y_pred, self._thresholds, sample_weight=sample_weight,
                                **options)

    def _per_threshold(self, values: torch.Tensor) -> torch.Tensor:
        """The value at the single threshold, or all of them."""
        return values[0] if len(self._thresholds) == 1 else values


class _ConfusionMatrixConditionCount(_ConfusionMetric):
    """The (weighted) count of one confusion-matrix cell at each threshold."""

    def __init__(self, condition: str, thresholds: Any = None, name: Optional[str] = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, 0.5)
        self._thresholds = Thresholds(self.thresholds)
        self.accumulator = self.add_weight("accumulator", shape=(len(self.thresholds),), initializer="zeros")
        self._counts = {condition: self.accumulator}

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's count; predictions above a threshold are positive."""
        self._update(y_true, y_pred, sample_weight)

    def result(self) -> torch.Tensor:
        return self._per_threshold(self.accumulator).clone()

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted positive."""

    def __init__(self, thresholds: Any = None, name: Optional[str] = None, dtype: Any = None):
        super().__init__(TRUE_POSITIVES, thresholds=thresholds, name=name, dtype=dtype)


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted positive."""

    def __init__(self, thresholds: Any = None, name: Optional[str] = None, dtype: Any = None):
        super().__init__(FALSE_POSITIVES, thresholds=thresholds, name=name, dtype=dtype)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted negative."""

    def __init__(self, thresholds: Any = None, name: Optional[str] = None, dtype: Any = None):
        super().__init__(TRUE_NEGATIVES, thresholds=thresholds, name=name, dtype=dtype)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted negative."""

    def __init__(self, thresholds: Any = None, name: Optional[str] = None, dtype: Any = None):
        super().__init__(FALSE_NEGATIVES, thresholds=thresholds, name=name, dtype=dtype)


class _PrecisionRecall(_ConfusionMetric):
    """tp / (tp + `other`) at each threshold, optionally over the top k predictions or for one class."""

    _other = FALSE_POSITIVES

    def __init__(self, thresholds: Any = None, top_k: Optional[int] = None, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._add_counts((TRUE_POSITIVES, self._other), Thresholds(self.thresholds))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's counts; predictions above a threshold are positive."""
        self._update(y_true, y_pred, sample_weight, top_k=self.top_k, class_id=self.class_id)

    def result(self) -> torch.Tensor:
        tp = self._counts[TRUE_POSITIVES]
        return self._per_threshold(divide_no_nan(tp, tp + self._counts[self._other]))

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """The fraction of positive predictions whose label is positive."""

    _other = FALSE_POSITIVES


class Recall(_PrecisionRecall):
    """The fraction of positive labels predicted positive."""

    _other = FALSE_NEGATIVES


_RECALL = (TRUE_POSITIVES, FALSE_NEGATIVES)
_PRECISION = (TRUE_POSITIVES, FALSE_POSITIVES)
_SPECIFICITY = (TRUE_NEGATIVES, FALSE_POSITIVES)


class SensitivitySpecificityBase(_ConfusionMetric):
    """Base of the metrics giving the best value of one rate over the thresholds where another rate reaches
    a target, over `num_thresholds` evenly spaced thresholds. A rate is `count / (count + other)`."""

    _target = "value"
    _constrained = _RECALL
    _dependent = _PRECISION

    def __init__(self, value: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None):
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._target}` must be in the range [0, 1]. Received: "
                             f"{self._target}={value}")
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: "
                             f"num_thresholds={num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        self.value = value
        setattr(self, self._target, value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            thresholds = Thresholds([0.5], evenly=False)
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            thresholds = Thresholds([0.0] + inner + [1.0], evenly=True)
        self.thresholds = thresholds.values
        self._add_counts((TRUE_POSITIVES, TRUE_NEGATIVES, FALSE_POSITIVES, FALSE_NEGATIVES), thresholds)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's counts at every threshold."""
        self._update(y_true, y_pred, sample_weight, class_id=self.class_id)

    def _rate(self, count: str, other: str) -> torch.Tensor:
        value = self._counts[count]
        return divide_no_nan(value, value + self._counts[other])

    def result(self) -> torch.Tensor:
        """The largest dependent rate where the constrained rate reaches the target (0 if it never does)."""
        feasible = self._rate(*self._constrained) >= self.value
        best = torch.amax(self._rate(*self._dependent).masked_fill(~feasible, float("-inf")))
        return torch.where(feasible.any(), best, torch.zeros_like(best))

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self._target: self.value}


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) where the specificity is at least `specificity`."""

    _target, _constrained, _dependent = "specificity", _SPECIFICITY, _RECALL

    def __init__(self, specificity: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity where the sensitivity (recall) is at least `sensitivity`."""

    _target, _constrained, _dependent = "sensitivity", _RECALL, _SPECIFICITY

    def __init__(self, sensitivity: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision where the recall is at least `recall`."""

    _target, _constrained, _dependent = "recall", _RECALL, _PRECISION

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall where the precision is at least `precision`."""

    _target, _constrained, _dependent = "precision", _PRECISION, _RECALL

    def __init__(self, precision: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)
