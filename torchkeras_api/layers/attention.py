"""Dot-product (Luong-style) and additive (Bahdanau-style) attention over [query, value, key] inputs."""
import logging
from typing import Any, Dict, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.keras_tensor import TensorShape

_logger = logging.getLogger(__name__)


def _padding_penalty(dtype: torch.dtype) -> float:
    """What tf.keras subtracts from the scores of masked positions."""
    return 65504.0 if dtype == torch.float16 else 1.0e9


def fused_kernel_applies(mask: Optional[torch.Tensor], *tensors: torch.Tensor) -> bool:
    """Whether torch's fused attention gives tf.keras's results: always without a mask; with one only when no
    gradient is taken, as the fused backward is wrong for rows whose every position is masked."""
    return mask is None or not (torch.is_grad_enabled() and any(t.requires_grad for t in tensors))


def _as_bool_mask(mask: Any, device: torch.device) -> Optional[torch.Tensor]:
    if mask is None:
        return None
    if not isinstance(mask, torch.Tensor):
        mask = torch.as_tensor(np.asarray(mask))
    return mask.to(device=device, dtype=torch.bool)


class BaseDenseAttention(Layer):
    """Softmax of `_calculate_scores(query, key)` over the value steps, applied to `value`.

    Value steps where the value mask is False (and future steps with `use_causal_mask`) get no weight;
    outputs are zero where the query mask is False, and the output mask is the query mask. `dropout`
    drops attention weights in training. The deprecated `causal=True` argument acts as `use_causal_mask`.
    """

    def __init__(self, dropout: float = 0.0, **kwargs: Any):
        if "causal" in kwargs:
            _logger.warning("`causal` argument is deprecated. Please use `use_causal_mask` in call() method to "
                            "specify causal masking.")
        causal = kwargs.pop("causal", False)
        super().__init__(**kwargs)
        self.causal = causal
        self.dropout = dropout
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        if isinstance(input_shape, TensorShape) or not isinstance(input_shape, (list, tuple)):
            self._validate_call_args(input_shape, None)
        self.built = True

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        """Scores of shape (batch, Tq, Tv)."""
        raise NotImplementedError

    def _sdpa_query(self, query: torch.Tensor) -> Optional[torch.Tensor]:
        """The query for which `softmax(query @ key^T)` gives this layer's weights, or None if there is none."""
        return None

    def call(self, inputs: Sequence[torch.Tensor], mask: Any = None, training: Optional[bool] = None,
             return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        self._validate_call_args(inputs, mask)
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        query_mask = _as_bool_mask(mask[0], query.device) if mask else None
        value_mask = _as_bool_mask(mask[1], query.device) if mask else None
        keep = value_mask.unsqueeze(-2) if value_mask is not None else None
        causal = self.causal or use_causal_mask
        if causal:
            lower = torch.ones(query.shape[-2], key.shape[-2], dtype=torch.bool, device=query.device).tril()
            keep = lower if keep is None else keep & lower
        dropout = self.dropout if training and self.dropout > 0 else 0.0
        sdpa_query = None if return_attention_scores else self._sdpa_query(query)
        if sdpa_query is not None and fused_kernel_applies(keep, sdpa_query, key, value):
            penalty = None if keep is None else (~keep).to(query.dtype) * -_padding_penalty(query.dtype)
            result = F.scaled_dot_product_attention(sdpa_query, key, value, attn_mask=penalty, dropout_p=dropout,
                                                    scale=1.0)
            weights = None
        else:
            scores = self._calculate_scores(query, key)
            if keep is not None:
                scores = scores - _padding_penalty(scores.dtype) * (~keep).to(scores.dtype)
            weights = torch.softmax(scores, dim=-1)
            dropped = F.dropout(weights, dropout, training=True) if dropout else weights
            result = torch.matmul(dropped, value)
        if query_mask is not None:
            result = result * query_mask.unsqueeze(-1).to(result.dtype)
        return (result, weights) if return_attention_scores else result

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        self._validate_call_args(inputs, mask)
        if not mask or mask[0] is None:
            return None
        return mask[0] if isinstance(mask[0], torch.Tensor) else torch.as_tensor(np.asarray(mask[0]))

    def _validate_call_args(self, inputs: Any, mask: Any) -> None:
        name = type(self).__name__
        if isinstance(inputs, TensorShape) or not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received: {inputs}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                             f"[query, value, key]. Received length: {len(inputs)}.")
        if mask is None:
            return
        if not isinstance(mask, (list, tuple)):
            raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                             f"Received: {mask}.")
        if mask and not 2 <= len(mask) <= len(inputs):
            raise ValueError(f"{name} layer mask must be a list of length 2, namely [query_mask, value_mask]. "
                             f"Received length: {len(mask)}.")

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["dropout"] = self.dropout
        return config


class Attention(BaseDenseAttention):
    """Dot-product attention: scores `query @ key^T` (times a learned scalar `scale` with `use_scale`), or
    with `score_mode='concat'` the sum over features of `tanh(scale * (query + key))` times a learned scalar."""

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", **kwargs: Any):
        super().__init__(**kwargs)
        self.use_scale = use_scale
        self.score_mode = score_mode
        if score_mode not in ("dot", "concat"):
            raise ValueError(f'Received: score_mode={score_mode}. Acceptable values are: ["dot", "concat"]')

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        self.scale = self.add_weight("scale", shape=(), initializer="ones") if self.use_scale else None
        self.concat_score_weight = self.add_weight("concat_score_weight", shape=(), initializer="ones") \
            if self.score_mode == "concat" else None
        self.built = True

    def _sdpa_query(self, query: torch.Tensor) -> Optional[torch.Tensor]:
        if self.score_mode != "dot":
            return None
        return query * self.scale if self.scale is not None else query

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        if self.score_mode == "dot":
            scores = torch.matmul(query, key.transpose(-1, -2))
            return scores * self.scale if self.scale is not None else scores
        summed = query.unsqueeze(-2) + key.unsqueeze(-3)
        if self.scale is not None:
            summed = self.scale * summed
        return self.concat_score_weight * torch.tanh(summed).sum(dim=-1)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode})
        return config


class AdditiveAttention(BaseDenseAttention):
    """Additive attention: scores are the sum over features of `scale * tanh(query + key)`, with a learned
    per-feature `scale` when `use_scale`."""

    def __init__(self, use_scale: bool = True, **kwargs: Any):
        super().__init__(**kwargs)
        self.use_scale = use_scale

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        dim = input_shape[1][-1]
        self.scale = self.add_weight("scale", shape=(dim,), initializer="glorot_uniform") \
            if self.use_scale else None
        self.built = True

    def _calculate_scores(self, query: torch.Tensor, key: torch.Tensor) -> torch.Tensor:
        features = torch.tanh(query.unsqueeze(-2) + key.unsqueeze(-3))
        return torch.matmul(features, self.scale) if self.scale is not None else features.sum(dim=-1)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["use_scale"] = self.use_scale
        return config
