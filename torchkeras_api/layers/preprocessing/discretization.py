"""Discretization: buckets continuous values by boundaries given or learnt as quantiles with `adapt`."""
import logging
from typing import Any, Dict, List, Optional

import numpy as np
import torch

from torchkeras_api import backend_config
from torchkeras_api.data.errors import InvalidArgumentError
from torchkeras_api.engine.keras_tensor import KerasTensor, TensorShape
from torchkeras_api.layers.preprocessing import preprocessing_utils as utils
from torchkeras_api.layers.preprocessing.base import PreprocessingLayer
from torchkeras_api.layers.preprocessing.preprocessing_utils import COUNT, INT, MULTI_HOT, ONE_HOT

_logger = logging.getLogger(__name__)


def summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """A `(2, k)` float32 quantile summary of `values`: every `step`-th sorted value (from index `step`, `step`
    about `size * epsilon`) and its weight `step`."""
    values = np.sort(np.asarray(values, np.float32).reshape(-1))
    increment = int(np.float32(values.size) / np.float32(1.0 / epsilon))
    step = max(increment, 1)
    kept = values[increment::step]
    return np.stack([kept, np.full(kept.shape, step, np.float32)])


def compress_summary(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """The summary reduced to `1 / epsilon` points, at the cumulative-weight quantiles `epsilon, 2 epsilon, ...,
    1` (linear interpolation); unchanged when it has fewer points."""
    if summary.shape[1] * epsilon < 1:
        return summary
    quantiles = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    fractions = cumulative / cumulative[-1]
    values = np.interp(quantiles, fractions, summary[0])
    cumulative = np.interp(quantiles, fractions, cumulative)
    weights = np.diff(cumulative, prepend=0.0)
    return np.stack([values, weights]).astype(np.float32)


def merge_summaries(first: np.ndarray, second: np.ndarray, epsilon: float) -> np.ndarray:
    """The two summaries sorted together by value (stable, `first` before `second` at ties), compressed."""
    merged = np.concatenate([first, second], axis=1)
    return compress_summary(merged[:, np.argsort(merged[0], kind="stable")], epsilon)


def bin_boundaries_from_summary(summary: np.ndarray, num_bins: int) -> List[float]:
    """The `num_bins - 1` inner quantile boundaries of a summary (fewer for a small summary)."""
    return compress_summary(summary, 1.0 / num_bins)[0, :-1].tolist()


class Discretization(PreprocessingLayer):
    """Buckets values by `bin_boundaries` (bin `i` holds `boundaries[i-1] <= x < boundaries[i]`; NaN goes to the
    last bin), output as bin indices or one-hot / multi-hot / count vectors of `len(bin_boundaries) + 1` bins.

    With `num_bins`, `adapt` learns `num_bins - 1` boundaries from tf.keras's approximate quantile summary (of
    precision `epsilon`, merged batch by batch); the learnt boundaries are not stored as a weight."""

    def __init__(self, bin_boundaries: Any = None, num_bins: Optional[int] = None, epsilon: float = 0.01,
                 output_mode: str = INT, sparse: bool = False, **kwargs: Any):
        if "bins" in kwargs:
            _logger.warning("bins is deprecated, please use bin_boundaries or num_bins instead.")
            bins = kwargs.pop("bins")
            if isinstance(bins, int) and num_bins is None:
                num_bins = bins
            elif bin_boundaries is None:
                bin_boundaries = bins
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == INT else backend_config.floatx()
        elif output_mode == INT and not str(kwargs["dtype"]).replace("torch.", "").startswith(("int", "uint")):
            kwargs["dtype"] = "int64"
        super().__init__(**kwargs)
        utils.validate_string_arg(output_mode, (INT, ONE_HOT, MULTI_HOT, COUNT), "Discretization", "output_mode")
        if sparse and output_mode == INT:
            raise ValueError("`sparse` may only be true if `output_mode` is `'one_hot'`, `'multi_hot'`, or `'count'`. "
                             f"Received: sparse={sparse} and output_mode={output_mode}")
        if sparse:
            raise NotImplementedError("Discretization(sparse=True) is not supported: torchkeras_api has no sparse "
                                      "tensors. Use sparse=False.")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"`num_bins` must be greater than or equal to 0. You passed `num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. You passed "
                             f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`")
        bin_boundaries = utils.listify(bin_boundaries)
        self.input_bin_boundaries = bin_boundaries
        self.bin_boundaries: List[float] = list(bin_boundaries) if bin_boundaries is not None else []
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self._summary = np.zeros((2, 0), np.float32)

    # ---- adapt -------------------------------------------------------------------------------------------------
    def reset_state(self) -> None:
        self._summary = np.zeros((2, 0), np.float32)

    def update_state(self, data: Any) -> None:
        """Merges the quantile summary of a batch into the layer's summary."""
        if self.input_bin_boundaries is not None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with `bin_boundaries`, "
                             f"use `num_bins` instead. You passed `bin_boundaries={self.input_bin_boundaries}`.")
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        self._summary = merge_summaries(summarize(data, self.epsilon), self._summary, self.epsilon)

    def finalize_state(self) -> None:
        if self.input_bin_boundaries is None:
            self.bin_boundaries = bin_boundaries_from_summary(self._summary, self.num_bins)

    # ---- calling -----------------------------------------------------------------------------------------------
    def _boundaries(self, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """The boundaries (float32, as TensorFlow's Bucketize keeps them) as a tensor of `dtype`."""
        boundaries = np.asarray(self.bin_boundaries, np.float32).reshape(-1)
        if np.any(boundaries[1:] < boundaries[:-1]):
            raise InvalidArgumentError(f"Expected sorted boundaries. Received: bin_boundaries={self.bin_boundaries}")
        return torch.as_tensor(boundaries, device=device).to(dtype)

    def call(self, inputs: Any) -> torch.Tensor:
        inputs = torch.as_tensor(inputs)
        if inputs.dtype != torch.float64:
            inputs = inputs.to(torch.float32)
        indices = torch.bucketize(inputs, self._boundaries(inputs.dtype, inputs.device), right=True)
        if self.output_mode == INT:
            return indices.to(self._compute_dtype)
        return utils.encode_categorical_inputs(indices, self.output_mode, len(self.bin_boundaries) + 1,
                                               self._compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        shape = list(input_shape)
        depth = len(self.bin_boundaries) + 1
        if self.output_mode == INT:
            return TensorShape(shape)
        if not shape:
            return TensorShape([depth])
        if self.output_mode == ONE_HOT and shape[-1] != 1:
            return TensorShape(shape + [depth])
        return TensorShape(shape[:-1] + [depth])

    def compute_output_signature(self, input_signature: KerasTensor) -> KerasTensor:
        return KerasTensor(self.compute_output_shape(input_signature.shape), self._compute_dtype)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"bin_boundaries": self.input_bin_boundaries, "num_bins": self.num_bins,
                       "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse})
        return config
