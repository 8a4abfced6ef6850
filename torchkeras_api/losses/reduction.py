"""Loss reduction as tf.keras does it: `Reduction`, rank matching, masks and `compute_weighted_loss`."""
import numbers
from typing import Any, Optional, Tuple, Union

import torch

from torchkeras_api.backend import _to_tensor

Weight = Union[torch.Tensor, float]


class Reduction:
    """The ways a `Loss` reduces its weighted per-sample losses."""

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls) -> Tuple[str, ...]:
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key: Any) -> None:
        """Raises ValueError unless `key` is one of `all()`."""
        if key not in cls.all():
            raise ValueError(f'Invalid Reduction Key: {key}. Expected keys are "{cls.all()}"')


def remove_squeezable_dimensions(labels: torch.Tensor, predictions: torch.Tensor,
                                 expected_rank_diff: int = 0) -> Tuple[torch.Tensor, torch.Tensor]:
    """Drops a last axis of size 1 from whichever of the two has one rank too many."""
    rank_diff = predictions.dim() - labels.dim()
    if rank_diff == expected_rank_diff + 1 and predictions.shape[-1] == 1:
        predictions = predictions.squeeze(-1)
    elif rank_diff == expected_rank_diff - 1 and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    return labels, predictions


def match_ranks(y_pred: torch.Tensor, y_true: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """`(y_pred, y_true)` with a size-1 last axis squeezed where their ranks differ by one.

    Sparse labels (one rank less than predictions with more than one class) are left alone.
    """
    if y_pred.dim() - y_true.dim() != 1 or y_pred.shape[-1] == 1:
        y_true, y_pred = remove_squeezable_dimensions(y_true, y_pred)
    return y_pred, y_true


def _fit_weight(sample_weight: torch.Tensor, rank: int) -> torch.Tensor:
    """`sample_weight` squeezed or expanded on its last axis when its rank is one off `rank`."""
    weight_rank = sample_weight.dim()
    if weight_rank == 0:
        return sample_weight
    if weight_rank - rank == 1:
        if sample_weight.shape[-1] != 1:
            raise ValueError(f"`sample_weight` of shape {tuple(sample_weight.shape)} has one more axis than the "
                             f"per-sample losses of rank {rank}, so its last axis must have size 1.")
        return sample_weight.squeeze(-1)
    if rank - weight_rank == 1:
        return sample_weight.unsqueeze(-1)
    return sample_weight


def _broadcastable(a: torch.Size, b: torch.Size) -> bool:
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(a), reversed(b)))


def _as_weight(sample_weight: Any, like: torch.Tensor) -> Weight:
    """A python number as is; anything else as a tensor of `like`'s dtype on its device."""
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        return sample_weight
    return _to_tensor(sample_weight, device=like.device).to(device=like.device, dtype=like.dtype)


def apply_mask(losses: torch.Tensor, sample_weight: Any, mask: Optional[torch.Tensor]) -> Any:
    """`sample_weight` times `mask` (the mask alone without weights); unchanged without a mask."""
    if mask is None:
        return sample_weight
    mask = mask.to(losses.dtype)
    if sample_weight is None:
        return mask
    weight = _as_weight(sample_weight, mask)
    if isinstance(weight, torch.Tensor):
        weight = _fit_weight(weight, mask.dim())
    return weight * mask


def apply_valid_mask(losses: torch.Tensor, sample_weight: Any, mask: Optional[torch.Tensor],
                     reduction: str) -> Any:
    """Folds `mask` into the weights; averaging reductions then average over the valid entries only."""
    if mask is not None and reduction in (Reduction.AUTO, Reduction.SUM_OVER_BATCH_SIZE):
        mask = mask.to(losses.dtype)
        mask = mask * (mask.numel() / torch.sum(mask))
    return apply_mask(losses, sample_weight, mask)


def reduce_weighted_loss(weighted_losses: torch.Tensor, reduction: str = Reduction.SUM_OVER_BATCH_SIZE
                         ) -> torch.Tensor:
    """The losses as they are ('none'), their sum ('sum') or their sum over their count (else; 0 if empty)."""
    if reduction == Reduction.NONE:
        return weighted_losses
    total = torch.sum(weighted_losses)
    if reduction == Reduction.SUM:
        return total
    count = weighted_losses.numel()
    return total / count if count else torch.zeros_like(total)


def compute_weighted_loss(losses: Any, sample_weight: Any = None,
                          reduction: str = Reduction.SUM_OVER_BATCH_SIZE) -> torch.Tensor:
    """`losses * sample_weight` reduced by `reduction`, with tf.keras's rank matching of the weights.

    A weight one rank above the losses loses its size-1 last axis, one rank below gains one; the rest
    broadcasts. 'sum_over_batch_size' (and 'auto') divides the weighted sum by its number of elements.
    """
    Reduction.validate(reduction)
    if reduction == Reduction.AUTO:
        reduction = Reduction.SUM_OVER_BATCH_SIZE
    losses = _to_tensor(losses)
    input_dtype = losses.dtype
    if not losses.is_floating_point():
        losses = losses.to(torch.float32)
    if sample_weight is not None:
        weight = _as_weight(sample_weight, losses)
        if isinstance(weight, torch.Tensor):
            weight = _fit_weight(weight, losses.dim())
            if not _broadcastable(weight.shape, losses.shape):
                raise ValueError(f"`sample_weight` of shape {tuple(weight.shape)} cannot be broadcast to the "
                                 f"per-sample losses of shape {tuple(losses.shape)}.")
        losses = losses * weight
    return reduce_weighted_loss(losses, reduction).to(input_dtype)
