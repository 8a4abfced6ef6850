"""Metric inputs as tensors, and tf.keras's alignment of their shapes and of sample weights."""
from typing import Any, Optional, Tuple

import torch

from torchkeras_api.backend import _to_tensor
from torchkeras_api.losses.reduction import match_ranks


def as_tensor(x: Any, dtype: Optional[torch.dtype], device: torch.device) -> torch.Tensor:
    """`x` as a tensor on `device`, cast to `dtype` when one is given."""
    if isinstance(x, torch.Tensor):
        if x.device != device:
            x = x.to(device, non_blocking=device.type != "cpu")
        return x if dtype is None or x.dtype == dtype else x.to(dtype)
    return _to_tensor(x, dtype=dtype, device=device)


def operands(y_true: Any, y_pred: Any) -> Tuple[torch.Tensor, torch.Tensor]:
    """Both as tensors, `y_true` on `y_pred`'s device (for metric functions called on any data)."""
    y_pred = _to_tensor(y_pred)
    return _to_tensor(y_true, device=y_pred.device), y_pred


def squeeze_last(x: torch.Tensor, what: str) -> torch.Tensor:
    """`x` without its last axis, which must have size 1."""
    if x.dim() == 0 or x.shape[-1] != 1:
        raise ValueError(f"Can not squeeze the last axis of `{what}` of shape {tuple(x.shape)}: expected a "
                         "dimension of 1.")
    return x.squeeze(-1)


def squeeze_or_expand(y_pred: torch.Tensor, y_true: Optional[torch.Tensor] = None,
                      sample_weight: Optional[torch.Tensor] = None
                      ) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
    """tf.keras's `squeeze_or_expand_dimensions`: labels and predictions whose ranks differ by one lose a
    size-1 last axis; the weights then gain or lose a last axis to match the rank `y_pred` came with."""
    pred_rank = y_pred.dim()
    if y_true is not None:
        y_pred, y_true = match_ranks(y_pred, y_true)
    if sample_weight is not None and sample_weight.dim() != 0:
        diff = sample_weight.dim() - pred_rank
        if diff == 1:
            sample_weight = squeeze_last(sample_weight, "sample_weight")
        elif diff == -1:
            sample_weight = sample_weight.unsqueeze(-1)
    return y_pred, y_true, sample_weight


def weights_broadcastable(sample_weight: torch.Tensor, values: torch.Tensor) -> bool:
    """Whether tf's `broadcast_weights` accepts the weights: a scalar, or the values' rank with each
    dimension 1 or the values' own."""
    if sample_weight.dim() == 0:
        return True
    return sample_weight.dim() == values.dim() and all(
        w in (1, v) for w, v in zip(sample_weight.shape, values.shape))


def broadcast_weights(sample_weight: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """The weights expanded to the values' shape; ValueError when tf would not broadcast them."""
    if not weights_broadcastable(sample_weight, values):
        raise ValueError(f"weights can not be broadcast to values. values.rank={values.dim()}. "
                         f"weights.rank={sample_weight.dim()}. values.shape={tuple(values.shape)}. "
                         f"weights.shape={tuple(sample_weight.shape)}.")
    return sample_weight.expand(values.shape)


def divide_no_nan(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """`x / y`, with 0 wherever `y` is 0."""
    return (x / y).masked_fill(y == 0, 0.0)
