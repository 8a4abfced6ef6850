"""Gradient clipping as tf.keras optimizers do it, on lists of gradients with multi-tensor ops.

Each function returns new gradient tensors (the inputs are left untouched) and never reads a value
back to the host.
"""
from typing import List

import torch


def clip_by_norm(grads: List[torch.Tensor], clip_norm: float) -> List[torch.Tensor]:
    """Each gradient scaled by `clip_norm / max(norm(g), clip_norm)` (tf.clip_by_norm)."""
    scales = torch._foreach_norm(grads)
    torch._foreach_clamp_min_(scales, clip_norm)
    torch._foreach_reciprocal_(scales)
    torch._foreach_mul_(scales, clip_norm)
    return torch._foreach_mul(grads, scales)


def clip_by_global_norm(grads: List[torch.Tensor], clip_norm: float) -> List[torch.Tensor]:
    """All gradients scaled by `clip_norm / max(global_norm, clip_norm)`; all NaN when the global norm is
    not finite (tf.clip_by_global_norm)."""
    norms = torch._foreach_norm(grads)
    device = norms[0].device
    total = torch.linalg.vector_norm(torch.stack([n.to(device=device, dtype=torch.float32) for n in norms]))
    scale = clip_norm / torch.clamp(total, min=clip_norm) + (total - total)
    return torch._foreach_mul(grads, scale)


def clip_by_value(grads: List[torch.Tensor], clip_value: float) -> List[torch.Tensor]:
    """Each gradient clamped to `[-clip_value, clip_value]`."""
    clipped = torch._foreach_clamp_min(grads, -clip_value)
    torch._foreach_clamp_max_(clipped, clip_value)
    return clipped
