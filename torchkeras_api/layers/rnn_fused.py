"""torch's fused LSTM/GRU kernels and the weight layouts they need (torch gate order, (gates, features))."""
import functools
from typing import Sequence, Tuple

import torch

from torchkeras_api.engine.variables import Layout

LSTM_GATES = (0, 1, 2, 3)
"""torch's LSTM gates i, f, g, o in tf.keras's order i, f, c, o."""
GRU_GATES = (1, 0, 2)
"""torch's GRU gates r, z, n as positions in tf.keras's order z, r, h."""


def _permute_blocks(t: torch.Tensor, order: Sequence[int], dim: int) -> torch.Tensor:
    if tuple(order) == tuple(range(len(order))):
        return t
    chunks = t.chunk(len(order), dim)
    return torch.cat([chunks[i] for i in order], dim)


def _inverse(order: Sequence[int]) -> Tuple[int, ...]:
    return tuple(sorted(range(len(order)), key=lambda i: order[i]))


def _kernel_to_keras(w: torch.Tensor, order: Sequence[int]) -> torch.Tensor:
    return _permute_blocks(w, _inverse(order), 0).t()


def _kernel_from_keras(k: torch.Tensor, order: Sequence[int]) -> torch.Tensor:
    return _permute_blocks(k.t(), order, 0)


def _swap_dims(shape: tuple) -> tuple:
    return (shape[1], shape[0])


def _same_shape(shape: tuple) -> tuple:
    return shape


def kernel_layout(order: Sequence[int]) -> Layout:
    """tf.keras (features, gates * units) kernels stored as torch (gates * units, features) in torch gate order."""
    return Layout(functools.partial(_kernel_to_keras, order=order), functools.partial(_kernel_from_keras, order=order),
                  _swap_dims)


def bias_layout(order: Sequence[int]) -> Layout:
    """Biases (last axis gates * units) stored in torch gate order."""
    return Layout(functools.partial(_permute_blocks, order=_inverse(order), dim=-1),
                  functools.partial(_permute_blocks, order=order, dim=-1), _same_shape)


def lstm(x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, kernel: torch.Tensor, recurrent_kernel: torch.Tensor,
         bias: torch.Tensor, batch_first: bool) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Whole-sequence LSTM (tanh/sigmoid) on torch's kernel: (outputs, last h, last c)."""
    params = [kernel, recurrent_kernel, bias, torch.zeros_like(bias)]
    y, h, c = torch.lstm(x, (h0.unsqueeze(0), c0.unsqueeze(0)), params, True, 1, 0.0, False, False, batch_first)
    return y, h[0], c[0]


def gru(x: torch.Tensor, h0: torch.Tensor, kernel: torch.Tensor, recurrent_kernel: torch.Tensor,
        bias: torch.Tensor, batch_first: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    """Whole-sequence GRU (reset_after, tanh/sigmoid) on torch's kernel; `bias` is (2, 3 * units)."""
    params = [kernel, recurrent_kernel, bias[0], bias[1]]
    y, h = torch.gru(x, h0.unsqueeze(0), params, True, 1, 0.0, False, False, batch_first)
    return y, h[0]
