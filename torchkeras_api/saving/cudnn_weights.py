"""Reading what Keras's `CuDNNLSTM` / `CuDNNGRU` layers saved (Keras 2.2, TF 1.x, `tf.compat.v1.keras.layers`).

torchkeras_api has no CuDNN layer classes: their configs load as the equivalent `LSTM` / `GRU`, and their
weights are converted to those layers' layout, which tf.keras 2.x's HDF5 loader does too. The CuDNN layout
(learned from tf-keras's `cudnn_lstm.py`, `cudnn_gru.py` and `gru_lstm_utils.py`, and from files those layers
write):

    kernel            (input_dim, n * units): for each gate, in Keras's gate order (LSTM i, f, c, o; GRU z, r, h),
                      an (input_dim, units) block whose row-major buffer is cuDNN's (units, input_dim) matrix
    recurrent_kernel  (units, n * units): the same per gate, (units, units) blocks holding cuDNN's matrices
    bias              (2 * n * units,): the input biases of all gates, then the recurrent biases

In Keras's layout each block is the transposed matrix itself; an LSTM has one bias (input + recurrent), a
GRU(reset_after=True) a (2, 3 * units) bias: input biases, then recurrent biases.

The source layout is told by the bias shape, as tf.keras tells it: (8 * units,) for CuDNNLSTM against
(4 * units,), (6 * units,) for CuDNNGRU against (2, 3 * units) or (3 * units,).
"""
from typing import Any, Dict, List, Optional

import numpy as np

LSTM_GATES = 4
GRU_GATES = 3


def _block_from_cudnn(block: np.ndarray) -> np.ndarray:
    """One gate's (rows, units) block, whose buffer holds cuDNN's (units, rows) matrix, in Keras's layout."""
    return block.reshape(block.shape[1], block.shape[0]).T


def _kernel_from_cudnn(kernel: np.ndarray, gates: int) -> np.ndarray:
    blocks = np.split(kernel, gates, axis=1)
    return np.ascontiguousarray(np.concatenate([_block_from_cudnn(block) for block in blocks], axis=1))


def _cudnn_units(weights: List[np.ndarray], gates: int) -> Optional[int]:
    """`units` when `weights` are (kernel, recurrent_kernel, bias) in the CuDNN layout for `gates` gates."""
    if len(weights) != 3:
        return None
    kernel, recurrent, bias = weights
    if recurrent.ndim != 2 or kernel.ndim != 2:
        return None
    units = recurrent.shape[0]
    fits = (recurrent.shape == (units, gates * units) and kernel.shape[1] == gates * units
            and bias.shape == (2 * gates * units,))
    return units if fits and units > 0 else None


def is_cudnn_lstm(weights: List[np.ndarray]) -> bool:
    """Whether saved LSTM weights are CuDNNLSTM's (a bias of 8 * units)."""
    return _cudnn_units(weights, LSTM_GATES) is not None


def is_cudnn_gru(weights: List[np.ndarray]) -> bool:
    """Whether saved GRU weights are CuDNNGRU's (a flat bias of 6 * units)."""
    return _cudnn_units(weights, GRU_GATES) is not None


def lstm_from_cudnn(weights: List[np.ndarray]) -> List[np.ndarray]:
    """CuDNNLSTM's (kernel, recurrent_kernel, bias) in LSTM's layout; the two biases are summed."""
    kernel, recurrent, bias = weights
    input_bias, recurrent_bias = np.split(bias, 2)
    return [_kernel_from_cudnn(kernel, LSTM_GATES), _kernel_from_cudnn(recurrent, LSTM_GATES),
            input_bias + recurrent_bias]


def gru_from_cudnn(weights: List[np.ndarray]) -> List[np.ndarray]:
    """CuDNNGRU's (kernel, recurrent_kernel, bias) in GRU(reset_after=True)'s layout."""
    kernel, recurrent, bias = weights
    return [_kernel_from_cudnn(kernel, GRU_GATES), _kernel_from_cudnn(recurrent, GRU_GATES), bias.reshape(2, -1)]


# ---- configs -----------------------------------------------------------------------------------

_FIXED_ARGUMENTS = {
    "CuDNNLSTM": ("LSTM", {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True}),
    "CuDNNGRU": ("GRU", {"activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": True,
                         "reset_after": True}),
}


def plain_rnn_config(identifier: Any) -> Any:
    """A serialized `CuDNNLSTM` / `CuDNNGRU` as the equivalent `LSTM` / `GRU(reset_after=True)`; any other
    identifier unchanged. CuDNN layers compute with tanh and sigmoid and always have biases."""
    if not isinstance(identifier, dict) or identifier.get("class_name") not in _FIXED_ARGUMENTS:
        return identifier
    class_name, fixed = _FIXED_ARGUMENTS[identifier["class_name"]]
    config: Dict[str, Any] = dict(identifier.get("config") or {})
    config.update(fixed)
    out = {key: value for key, value in identifier.items() if key not in ("module", "registered_name")}
    out.update(class_name=class_name, config=config)
    return out
