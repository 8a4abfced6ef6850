"""Connectionist temporal classification in the backend: `K.ctc_batch_cost` (on torch's CTC loss) and
`K.ctc_decode` (best path). The blank label is the last class."""
from typing import Any, List, Tuple

import torch
import torch.nn.functional as F

from torchkeras_api.backend_config import epsilon
from torchkeras_api.engine.keras_tensor import keras_op


def _lengths(lengths: Any, device: torch.device) -> torch.Tensor:
    """(samples,) or (samples, 1) lengths as a 1-D int64 tensor."""
    return torch.as_tensor(lengths, device=device).reshape(-1).long()


def _log_probs(y_pred: Any) -> torch.Tensor:
    """tf.keras's `log(y_pred + epsilon)`, renormalized over the classes (TensorFlow's CTC ops take the
    softmax of their inputs), time-major."""
    y_pred = torch.as_tensor(y_pred)
    if not y_pred.is_floating_point():
        y_pred = y_pred.float()
    return torch.log_softmax(torch.log(y_pred + epsilon()), dim=-1).transpose(0, 1)


@keras_op("tf.keras.backend.ctc_batch_cost")
def ctc_batch_cost(y_true: Any, y_pred: Any, input_length: Any, label_length: Any) -> torch.Tensor:
    """CTC loss of each sample, shape (samples, 1): `y_true` (samples, max_label_length) labels padded
    beyond `label_length`, `y_pred` (samples, time_steps, classes) softmax outputs whose last class is the
    blank, `input_length` and `label_length` (samples, 1)."""
    log_probs = _log_probs(y_pred)
    device = log_probs.device
    steps, samples, classes = log_probs.shape
    inputs = _lengths(input_length, device)
    labels = _lengths(label_length, device)
    targets = torch.as_tensor(y_true, device=device).long()
    if tuple(inputs.shape) != (samples,) or tuple(labels.shape) != (samples,):
        raise ValueError(f"ctc_batch_cost: `input_length` and `label_length` must hold one length per sample "
                         f"({samples}). Received shapes {tuple(inputs.shape)} and {tuple(labels.shape)}.")
    loss = F.ctc_loss(log_probs, targets, inputs, labels, blank=classes - 1, reduction="none")
    return loss.unsqueeze(1)


@keras_op("tf.keras.backend.ctc_decode")
def ctc_decode(y_pred: Any, input_length: Any, greedy: bool = True, beam_width: int = 100,
               top_paths: int = 1) -> Tuple[List[torch.Tensor], torch.Tensor]:
    """Best-path decoding of softmax outputs: `([decoded], log_prob)`, `decoded` (samples, time_steps) with
    repeated labels merged, blanks removed and -1 padding, `log_prob` (samples, 1) the negative
    sum of each step's largest log-probability. Beam search (`greedy=False`) is not supported."""
    if not greedy:
        raise NotImplementedError("K.ctc_decode(greedy=False) (beam search) is not supported by torchkeras_api; "
                                  "use greedy=True.")
    log_probs = torch.log(torch.as_tensor(y_pred) + epsilon()).transpose(0, 1)
    steps, samples, classes = log_probs.shape
    lengths = _lengths(input_length, log_probs.device)
    best, best_index = log_probs.max(dim=-1)
    valid = torch.arange(steps, device=log_probs.device)[:, None] < lengths[None, :]
    log_prob = -(best * valid).sum(dim=0, keepdim=True).t()
    repeated = torch.zeros_like(valid)
    repeated[1:] = best_index[1:] == best_index[:-1]
    keep = valid & ~repeated & (best_index != classes - 1)
    decoded = torch.full((samples, steps), -1, dtype=torch.int64, device=log_probs.device)
    positions = torch.cumsum(keep.long(), dim=0) - 1
    time_index, sample_index = keep.nonzero(as_tuple=True)
    decoded[sample_index, positions[time_index, sample_index]] = best_index[time_index, sample_index]
    return [decoded], log_prob
