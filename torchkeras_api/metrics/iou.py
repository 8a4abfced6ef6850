"""Intersection-over-union metrics for segmentation: IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU."""
from typing import Any, Dict, Optional, Sequence

import torch

from torchkeras_api.metrics.base import Metric
from torchkeras_api.metrics.metrics_utils import divide_no_nan


class _IoUBase(Metric):
    """Accumulates the (weighted) confusion matrix of class labels: rows are true classes, columns predicted."""

    def __init__(self, num_classes: int, name: Optional[str] = None, dtype: Any = None,
                 ignore_class: Optional[int] = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_weight("total_confusion_matrix", shape=(num_classes, num_classes),
                                        initializer="zeros")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's (weighted) label/prediction pairs; labels equal to `ignore_class` are skipped."""
        y_true, y_pred, sample_weight = self._place(y_true, y_pred, sample_weight)
        if not self.sparse_y_true:
            y_true = torch.argmax(y_true, dim=self.axis)
        if not self.sparse_y_pred:
            y_pred = torch.argmax(y_pred, dim=self.axis)
        dtype = self._state_dtype
        y_true = y_true.to(dtype).reshape(-1).long()
        y_pred = y_pred.to(dtype).reshape(-1).long()
        if sample_weight is None:
            weights = torch.ones_like(y_true, dtype=dtype)
        else:
            weights = sample_weight.to(dtype)
            weights = weights.reshape(-1) if weights.dim() > 1 else weights
            if weights.shape != y_true.shape:
                raise ValueError(f"Shapes {tuple(y_true.shape)} and {tuple(weights.shape)} are incompatible: "
                                 "`sample_weight` must have one weight per label.")
        if self.ignore_class is not None:
            valid = y_true != self.ignore_class
            weights = weights * valid
            y_true = y_true.masked_fill(~valid, 0)
            y_pred = y_pred.masked_fill(~valid, 0)
        self.total_cm.view(-1).index_add_(0, y_true * self.num_classes + y_pred, weights)


class IoU(_IoUBase):
    """The mean, over `target_class_ids`, of each class's intersection over union
    `tp / (tp + fp + fn)`; classes never seen are left out of the mean."""

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: Optional[str] = None,
                 dtype: Any = None, ignore_class: Optional[int] = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is "
                             f"[0, {num_classes}).")
        self.target_class_ids = list(target_class_ids)
        self._target_index: Optional[torch.Tensor] = None

    def _targets(self, device: torch.device) -> torch.Tensor:
        """`target_class_ids` as an index tensor on `device` (made once per device)."""
        if self._target_index is None or self._target_index.device != device:
            self._target_index = torch.tensor(self.target_class_ids, dtype=torch.long, device=device)
        return self._target_index

    def result(self) -> torch.Tensor:
        cm = self.total_cm
        true_positives = torch.diagonal(cm)
        union = cm.sum(0) + cm.sum(1) - true_positives
        index = self._targets(cm.device)
        true_positives, union = true_positives[index], union[index]
        num_valid = (union != 0).sum().to(cm.dtype)
        return divide_no_nan(divide_no_nan(true_positives, union).sum(), num_valid)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of binary labels against predictions thresholded at `threshold` (>= is class 1)."""

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5, name: Optional[str] = None,
                 dtype: Any = None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        """Adds the batch's (weighted) label/thresholded-prediction pairs."""
        y_true, y_pred = self._place(y_true, y_pred, dtype=self._state_dtype)
        super().update_state(y_true, (y_pred >= self.threshold).to(self._state_dtype), sample_weight)

    def get_config(self) -> Dict[str, Any]:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self.dtype}


class MeanIoU(IoU):
    """IoU averaged over all `num_classes` classes."""

    def __init__(self, num_classes: int, name: Optional[str] = None, dtype: Any = None,
                 ignore_class: Optional[int] = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1):
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> Dict[str, Any]:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU of one-hot labels (argmax on `axis`) over `target_class_ids`."""

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: Optional[str] = None,
                 dtype: Any = None, ignore_class: Optional[int] = None, sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> Dict[str, Any]:
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids, "name": self.name,
                "dtype": self.dtype, "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """MeanIoU of one-hot labels (argmax on `axis`)."""

    def __init__(self, num_classes: int, name: Optional[str] = None, dtype: Any = None,
                 ignore_class: Optional[int] = None, sparse_y_pred: bool = False, axis: int = -1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> Dict[str, Any]:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}
