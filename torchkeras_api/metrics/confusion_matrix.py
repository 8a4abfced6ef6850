"""Confusion-matrix counts at decision thresholds, accumulated as tf.keras accumulates them."""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from torchkeras_api.backend_config import epsilon
from torchkeras_api.metrics.metrics_utils import broadcast_weights, squeeze_or_expand

NEG_INF = -1e10
TRUE_POSITIVES = "tp"
FALSE_POSITIVES = "fp"
TRUE_NEGATIVES = "tn"
FALSE_NEGATIVES = "fn"


def _to_list(x: Any) -> List[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def parse_thresholds(thresholds: Any, default: float) -> List[float]:
    """The thresholds as a list (`[default]` for None); ValueError for values outside [0, 1]."""
    if thresholds is None:
        return [default]
    thresholds = _to_list(thresholds)
    invalid = [t for t in thresholds if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")
    return thresholds


def is_evenly_distributed(thresholds: Sequence[float]) -> bool:
    """Whether there are at least 3 thresholds spaced evenly from 0 to 1."""
    count = len(thresholds)
    if count < 3:
        return False
    even = np.arange(count, dtype=np.float32) / (count - 1)
    return bool(np.allclose(thresholds, even, atol=epsilon()))


class Thresholds:
    """Decision thresholds; evenly spaced ones take the bucketing path instead of comparing each one."""

    def __init__(self, values: Sequence[float], evenly: Optional[bool] = None):
        self.values = [float(v) for v in values]
        self.evenly = is_evenly_distributed(self.values) if evenly is None else evenly
        self.with_epsilon = self.evenly and (self.values[0] < 0.0 or self.values[-1] > 1.0)
        self._tensor: Optional[torch.Tensor] = None

    def __len__(self) -> int:
        return len(self.values)

    def like(self, x: torch.Tensor) -> torch.Tensor:
        """The thresholds as a tensor of `x`'s dtype on its device (made once per device)."""
        tensor = self._tensor
        if tensor is None or tensor.device != x.device or tensor.dtype != x.dtype:
            tensor = self._tensor = torch.tensor(self.values, dtype=x.dtype, device=x.device)
        return tensor


def filter_top_k(x: torch.Tensor, k: int) -> torch.Tensor:
    """`x` with all but the `k` largest values of each row replaced by NEG_INF (ties: lower index first)."""
    index = torch.sort(x, dim=-1, descending=True, stable=True).indices[..., :k]
    mask = torch.zeros_like(x).scatter_(-1, index, 1.0)
    return x * mask + NEG_INF * (1.0 - mask)


def update_confusion_matrix(variables: Dict[str, torch.Tensor], y_true: torch.Tensor, y_pred: torch.Tensor,
                            thresholds: Thresholds, top_k: Optional[int] = None, class_id: Optional[int] = None,
                            sample_weight: Optional[torch.Tensor] = None, multi_label: bool = False,
                            label_weights: Optional[torch.Tensor] = None) -> None:
    """Adds the (weighted) counts of the batch to `variables` ({'tp'|'fp'|'tn'|'fn': variable}).

    A prediction is positive at a threshold when it is above it; a label is positive when nonzero. The
    inputs are tensors of the variables' dtype on their device. The variables have shape (thresholds,),
    or (thresholds, labels) when `multi_label`.
    """
    y_pred, y_true, sample_weight = squeeze_or_expand(y_pred, y_true, sample_weight)
    if y_pred.shape != y_true.shape:
        raise ValueError(f"Shapes {tuple(y_pred.shape)} and {tuple(y_true.shape)} are incompatible: `y_pred` "
                         "and `y_true` must have the same shape.")
    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]
    weights = None if sample_weight is None else broadcast_weights(sample_weight, y_pred)
    if label_weights is not None:
        label_weights = broadcast_weights(label_weights.unsqueeze(0), y_pred)
        weights = label_weights if weights is None else weights * label_weights
    if not multi_label:
        y_true, y_pred = y_true.reshape(-1, 1), y_pred.reshape(-1, 1)
        weights = None if weights is None else weights.reshape(-1, 1)
    count = _bucketed_counts if thresholds.evenly else _compared_counts
    counts = count(y_true, y_pred, weights, thresholds, tuple(variables))
    if not multi_label:
        counts = {key: value.squeeze(-1) for key, value in counts.items()}
    torch._foreach_add_(list(variables.values()), [counts[key] for key in variables])


def _bucketed_counts(y_true: torch.Tensor, y_pred: torch.Tensor, weights: Optional[torch.Tensor],
                     thresholds: Thresholds, wanted: Sequence[str]) -> Dict[str, torch.Tensor]:
    """Counts for evenly spaced thresholds: each (prediction, label) adds its weight to one (bucket, label,
    positive/negative) slot with one scatter; the counts at a threshold are sums over the buckets above it."""
    num_thresholds = len(thresholds)
    num_labels = y_pred.shape[1]
    # Slot b holds bucket b - 1: slot 0 collects predictions of 0 when the first threshold is 0 (above none).
    slots = torch.ceil(torch.clamp(y_pred, 0.0, 1.0) * (num_thresholds - 1))
    if thresholds.with_epsilon:
        slots = torch.clamp(slots, min=1.0)
    index = slots.long() * num_labels
    if num_labels > 1:
        index = index + torch.arange(num_labels, device=index.device)
    index = (index * 2 + (y_true == 0)).reshape(-1)
    source = y_pred.new_ones(()).expand(index.shape) if weights is None else weights.reshape(-1)
    sums = y_pred.new_zeros((num_thresholds + 1) * num_labels * 2).index_add_(0, index, source)
    sums = sums.view(num_thresholds + 1, num_labels, 2)
    above = sums[1:].flip(0).cumsum(0).flip(0)
    counts = {TRUE_POSITIVES: above[..., 0], FALSE_POSITIVES: above[..., 1]}
    if TRUE_NEGATIVES in wanted or FALSE_NEGATIVES in wanted:
        totals = sums.sum(0)
        counts[FALSE_NEGATIVES] = totals[..., 0] - counts[TRUE_POSITIVES]
        counts[TRUE_NEGATIVES] = totals[..., 1] - counts[FALSE_POSITIVES]
    return counts


def _compared_counts(y_true: torch.Tensor, y_pred: torch.Tensor, weights: Optional[torch.Tensor],
                     thresholds: Thresholds, wanted: Sequence[str]) -> Dict[str, torch.Tensor]:
    """Counts from comparing every prediction with every threshold."""
    predicted = y_pred.unsqueeze(0) > thresholds.like(y_pred).view(-1, 1, 1)
    actual = (y_true != 0).unsqueeze(0)
    cases = {TRUE_POSITIVES: (actual, predicted), FALSE_POSITIVES: (~actual, predicted),
             TRUE_NEGATIVES: (~actual, ~predicted), FALSE_NEGATIVES: (actual, ~predicted)}
    counts = {}
    for key in wanted:
        label, pred = cases[key]
        hits = (label & pred).to(y_pred.dtype)
        if weights is not None:
            hits = hits * weights
        counts[key] = hits.sum(1)
    return counts
