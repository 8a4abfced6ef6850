"""AUC: the area under the ROC or precision-recall curve, summed over thresholds."""
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch

from torchkeras_api.backend_config import epsilon
from torchkeras_api.metrics.confusion import _ConfusionMetric
from torchkeras_api.metrics.confusion_matrix import (FALSE_NEGATIVES, FALSE_POSITIVES, TRUE_NEGATIVES,
                                                     TRUE_POSITIVES, Thresholds, is_evenly_distributed,
                                                     update_confusion_matrix)
from torchkeras_api.metrics.metrics_utils import divide_no_nan

_CURVES = {"roc": "ROC", "pr": "PR", "pr_gain": "PR_GAIN", "prgain": "PR_GAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


def _curve(curve: str) -> str:
    key = str(curve).lower()
    if key not in _CURVES or curve not in (key, key.upper()):
        raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PR_GAIN"]')
    return _CURVES[key]


def _summation(method: str) -> str:
    key = str(method).lower()
    if key not in _SUMMATIONS or method not in (key, key.capitalize()):
        raise ValueError(f'Invalid AUC summation method value: "{method}". Expected values are '
                         '["interpolation", "majoring", "minoring"]')
    return key


class AUC(_ConfusionMetric):
    """Approximate area under the ROC (`curve='ROC'`) or precision-recall (`'PR'`) curve.

    Predictions are compared with `num_thresholds` thresholds spaced evenly over [0, 1] (or with
    `thresholds`, plus ones just below 0 and above 1). With `multi_label`, each label of a
    (batch, labels) prediction gets its own curve and the result is their (`label_weights`-weighted) mean.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: Optional[str] = None, dtype: Any = None, thresholds: Optional[Sequence[float]] = None,
                 multi_label: bool = False, num_labels: Optional[int] = None, label_weights: Any = None,
                 from_logits: bool = False):
        if thresholds is not None:
            num_thresholds = len(thresholds) + 2
            inner = sorted(thresholds)
            evenly = is_evenly_distributed([0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. Received: "
                                 f"num_thresholds={num_thresholds}")
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        curve, summation_method = _curve(curve), _summation(summation_method)
        super().__init__(name=name, dtype=dtype)
        self._init_from_thresholds = thresholds is not None
        self.num_thresholds = num_thresholds
        self.curve = curve
        self.summation_method = summation_method
        self.multi_label = multi_label
        self.num_labels = num_labels
        self._from_logits = from_logits
        self._thresholds = Thresholds([0.0 - epsilon()] + inner + [1.0 + epsilon()], evenly=evenly)
        self.label_weights: Optional[torch.Tensor] = None
        if label_weights is not None:
            weights = np.asarray(label_weights, dtype=self.dtype)
            if (weights < 0).any():
                raise ValueError(f"All values of `label_weights` must be non-negative. Received: "
                                 f"label_weights={label_weights}")
            self.label_weights = torch.as_tensor(weights, device=self._device())
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        elif num_labels:
            raise ValueError("`num_labels` is needed only when `multi_label` is True.")
        else:
            self._build(None)

    @property
    def thresholds(self) -> list:
        return list(self._thresholds.values)

    def _build(self, shape: Optional[Sequence[Optional[int]]]) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}. "
                                 f"Full shape received for `y_pred`: {tuple(shape)}")
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._add_counts((TRUE_POSITIVES, TRUE_NEGATIVES, FALSE_POSITIVES, FALSE_NEGATIVES), self._thresholds,
                         shape=variable_shape)
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's confusion-matrix counts at every threshold."""
        if not self._built:
            self._build(np.shape(y_pred))
        y_true, y_pred, sample_weight = self._place(y_true, y_pred, sample_weight, dtype=self._state_dtype)
        label_weights = self.label_weights
        if label_weights is not None and label_weights.device != y_pred.device:
            label_weights = self.label_weights = label_weights.to(y_pred.device)
        if self.multi_label or label_weights is not None:
            self._check_labels(y_true, label_weights)
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        update_confusion_matrix(self._counts, y_true, y_pred, self._thresholds, sample_weight=sample_weight,
                                multi_label=self.multi_label,
                                label_weights=None if self.multi_label else label_weights)

    def _check_labels(self, y_true: torch.Tensor, label_weights: Optional[torch.Tensor]) -> None:
        """ValueError unless the labels are (batch, labels) with as many labels as the state and weights."""
        expected = [self._num_labels] if self.multi_label else []
        if label_weights is not None:
            expected.append(label_weights.shape[0])
        if y_true.dim() != 2 or any(n != y_true.shape[1] for n in expected):
            raise ValueError(f"Number of labels is not consistent: `y_true` of shape {tuple(y_true.shape)} "
                             f"for {expected[0]} labels.")

    def _mean_over_labels(self, by_label: torch.Tensor) -> torch.Tensor:
        if self.label_weights is None:
            return torch.mean(by_label)
        weights = self.label_weights.to(by_label.device)
        return divide_no_nan(torch.sum(by_label * weights), torch.sum(weights))

    def _interpolate_pr_auc(self) -> torch.Tensor:
        """PR-AUC with precision interpolated between thresholds (Davis & Goadrich 2006)."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = divide_no_nan(dtp, torch.clamp(dp, min=0))
        intercept = tp[1:] - slope * p[1:]
        p_ratio = torch.where((p[:-1] > 0) & (p[1:] > 0), divide_no_nan(p[:-1], torch.clamp(p[1:], min=0)),
                              torch.ones_like(p[1:]))
        increments = divide_no_nan(slope * (dtp + intercept * torch.log(p_ratio)),
                                   torch.clamp(tp[1:] + fn[1:], min=0))
        if self.multi_label:
            return self._mean_over_labels(torch.sum(increments, dim=0))
        return torch.sum(increments)

    def result(self) -> torch.Tensor:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        tp, tn = self.true_positives, self.true_negatives
        fp, fn = self.false_positives, self.false_negatives
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:
            scale = divide_no_nan(tp + fn, fp + tn)
            no_tp = tp == 0
            x = torch.clamp((1.0 - scale * divide_no_nan(fn, tp)).masked_fill(no_tp, 0.0), min=0)
            y = (1.0 - scale * divide_no_nan(fp, tp)).masked_fill(no_tp, 1.0)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        areas = (x[:-1] - x[1:]) * heights
        if self.multi_label:
            return self._mean_over_labels(torch.sum(areas, dim=0))
        return torch.sum(areas)

    def get_config(self) -> Dict[str, Any]:
        label_weights = self.label_weights
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self.num_labels,
                  "label_weights": None if label_weights is None else label_weights.cpu().numpy(),
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
