"""torch's fused LSTM/GRU kernels, the weight layouts they need (torch gate order, (gates, features)) and
tf.keras's masking semantics for right-padded masks on top of them."""
import functools
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

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


Kernel = Callable[[torch.Tensor, List[torch.Tensor], Optional[torch.Tensor]],
                  Tuple[torch.Tensor, List[torch.Tensor]]]
"""(batch-first inputs, initial states, host lengths or None) -> (outputs, final states)."""


def lstm(x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor, kernel: torch.Tensor, recurrent_kernel: torch.Tensor,
         bias: torch.Tensor, batch_first: bool,
         lengths: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Whole-sequence LSTM (tanh/sigmoid) on torch's kernel: (outputs, last h, last c).

    With `lengths` (host, all >= 1), row b runs its first lengths[b] steps only: later outputs are zero and
    the states are those after its last valid step.
    """
    params = [kernel, recurrent_kernel, bias, torch.zeros_like(bias)]
    if lengths is not None:
        def run(data: torch.Tensor, batch_sizes: torch.Tensor, hx: List[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
            return torch.lstm(data, batch_sizes, hx, params, True, 1, 0.0, False, False)

        y, (h, c) = _packed(run, x, [h0, c0], lengths, batch_first)
        return y, h, c
    y, h, c = torch.lstm(x, (h0.unsqueeze(0), c0.unsqueeze(0)), params, True, 1, 0.0, False, False, batch_first)
    return y, h[0], c[0]


def gru(x: torch.Tensor, h0: torch.Tensor, kernel: torch.Tensor, recurrent_kernel: torch.Tensor,
        bias: torch.Tensor, batch_first: bool,
        lengths: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Whole-sequence GRU (reset_after, tanh/sigmoid) on torch's kernel; `bias` is (2, 3 * units).

    `lengths` as for `lstm`.
    """
    params = [kernel, recurrent_kernel, bias[0], bias[1]]
    if lengths is not None:
        def run(data: torch.Tensor, batch_sizes: torch.Tensor, hx: List[torch.Tensor]) -> Tuple[torch.Tensor, ...]:
            return torch.gru(data, batch_sizes, hx[0], params, True, 1, 0.0, False, False)

        y, (h,) = _packed(run, x, [h0], lengths, batch_first)
        return y, h
    y, h = torch.gru(x, h0.unsqueeze(0), params, True, 1, 0.0, False, False, batch_first)
    return y, h[0]


def _packed(run: Callable, x: torch.Tensor, states: List[torch.Tensor], lengths: torch.Tensor,
            batch_first: bool) -> Tuple[torch.Tensor, List[torch.Tensor]]:
    """`run` on the packed form of `x`: padded outputs (zero past each length) and final states per row."""
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    order, restore = packed.sorted_indices, packed.unsorted_indices
    y, *finals = run(packed.data, packed.batch_sizes, [s.index_select(0, order).unsqueeze(0) for s in states])
    total = x.shape[1 if batch_first else 0]
    padded, _ = pad_packed_sequence(PackedSequence(y, packed.batch_sizes, order, restore), batch_first=batch_first,
                                    total_length=total)
    return padded, [s[0].index_select(0, restore) for s in finals]


def right_padded_lengths(mask: torch.Tensor) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
    """(host lengths, device lengths) of a (batch, time) mask whose rows are valid steps then padding, else None.

    Reads the lengths and the padding check to the host once.
    """
    mask = mask.bool()
    lengths = mask.sum(1)
    steps = torch.arange(mask.shape[1], device=mask.device)
    right = (mask == (steps < lengths.unsqueeze(1))).all()
    host = torch.cat([lengths, right.reshape(1).to(lengths.dtype)]).cpu()
    return (host[:-1], lengths) if bool(host[-1]) else None


def right_padded(kernel: Kernel, x: torch.Tensor, states: List[torch.Tensor],
                 lengths: Tuple[torch.Tensor, torch.Tensor], go_backwards: bool,
                 return_sequences: bool) -> Tuple[Optional[torch.Tensor], torch.Tensor, List[torch.Tensor]]:
    """(sequence or None, last output, states) of a masked batch-first run as tf.keras's step loop gives them.

    Masked steps keep the previous output and states; a fully masked row outputs zeros and keeps its
    initial states. With `go_backwards` the whole sequence is reversed, so each row's padding comes first.
    """
    host, device = lengths
    time = x.shape[1]
    if bool((host == time).all()):
        sequence, finals = kernel(x.flip(1) if go_backwards else x, states, None)
        return (sequence if return_sequences else None), finals[0], finals
    steps = torch.arange(time, device=x.device)
    n = device.unsqueeze(1)
    if go_backwards:
        x = _take(x, (n - 1 - steps) % time)
    sequence, finals = kernel(x, states, host.clamp(min=1))
    valid = (device > 0).unsqueeze(1)
    finals = [torch.where(valid, f, s) for f, s in zip(finals, states)]
    last = torch.where(valid, finals[0], torch.zeros_like(finals[0]))
    if not return_sequences:
        return None, last, finals
    index = (steps + n) % time if go_backwards else torch.minimum(steps, (n - 1).clamp(min=0))
    sequence = torch.where(valid.unsqueeze(2), _take(sequence, index), torch.zeros_like(sequence))
    return sequence, last, finals


def _take(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x[b, index[b, t]] for (batch, time, features) x and (batch, time) index."""
    return x.gather(1, index.unsqueeze(2).expand(-1, -1, x.shape[2]))
