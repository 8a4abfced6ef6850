"""MultiHeadAttention: per-head projections, scaled dot-product attention over chosen axes, output projection."""
import collections.abc
import logging
import math
import string
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras_api import constraints, initializers, regularizers
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.keras_tensor import TensorShape
from torchkeras_api.layers.attention import fused_kernel_applies
from torchkeras_api.layers.einsum_dense import EinsumDense

_logger = logging.getLogger(__name__)
_LETTERS = string.ascii_lowercase


def projection_equation(free_dims: int, bound_dims: int, output_dims: int) -> Tuple[str, str, int]:
    """(equation, bias axes, output rank) of a projection that keeps `free_dims` leading axes and maps the
    `bound_dims` trailing ones to `output_dims` new axes."""
    free = _LETTERS[:free_dims]
    bound = _LETTERS[free_dims:free_dims + bound_dims]
    out = _LETTERS[free_dims + bound_dims:free_dims + bound_dims + output_dims]
    return f"{free}{bound},{bound}{out}->{free}{out}", out, free_dims + output_dims


def attention_equations(rank: int, attention_axes: Tuple[int, ...]) -> Tuple[str, str, int]:
    """(key-query product equation, scores-value combination equation, scores rank) for projected tensors of
    `rank` axes (batch, ..., heads, channels); scores are (batch axes and heads, query axes, key axes)."""
    target = _LETTERS[:rank]
    new_letters = iter(_LETTERS[rank:])
    source = "".join(next(new_letters) if i in attention_axes else target[i] for i in range(rank))
    batch_axes = [i for i in range(rank - 1) if i not in attention_axes]
    product = "".join([target[i] for i in batch_axes] + [target[i] for i in attention_axes]
                      + [source[i] for i in attention_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _partial_shape(rank: int, known: Sequence[int]) -> List[Optional[int]]:
    """`known` trailing sizes padded with None to `rank` axes (an EinsumDense output shape)."""
    return [None] * (rank - len(known)) + list(known)


def _large_negative(dtype: torch.dtype) -> float:
    """The logit tf.keras gives masked positions."""
    return float(torch.finfo(torch.float16).min) / 2 if dtype == torch.float16 else -1e9


def _shape_of(x: Any) -> Optional[TensorShape]:
    return None if x is None else TensorShape(x.shape if hasattr(x, "shape") else np.shape(x))


def _as_list(shape: Optional[TensorShape]) -> Optional[List[Optional[int]]]:
    return None if shape is None else list(shape)


def _merge(mask: Optional[torch.Tensor], other: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
    if mask is None:
        return other
    return mask if other is None else mask & other


class MultiHeadAttention(Layer):
    """Multi-head attention of `query` over `value` (and `key`, by default `value`), as in tf.keras.

    Weights are created on the first call from the query/value/key shapes: EinsumDense sub-layers `query`,
    `key`, `value` (kernels (dim, num_heads, key_dim or value_dim)) and `attention_output`. Masks of the inputs,
    `attention_mask` (batch, target axes, source axes) and the causal mask combine as in tf.keras; masked
    logits get -1e9. The output mask is the query mask.
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: Optional[int] = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: Any = None, attention_axes: Any = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, softmax_robust_masking: bool = False,
                 **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._output_shape = output_shape
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self._softmax_robust_masking = softmax_robust_masking
        if attention_axes is not None and not isinstance(attention_axes, collections.abc.Sized):
            attention_axes = (attention_axes,)
        self._attention_axes = attention_axes
        self._built_from_signature = False
        self._query_shape: Optional[TensorShape] = None
        self._key_shape: Optional[TensorShape] = None
        self._value_shape: Optional[TensorShape] = None

    # ---- building ----------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args and "query" in kwargs:
            args = (kwargs.pop("query"),)
        if args and not self._built_from_signature:
            value = args[1] if len(args) > 1 else kwargs.get("value")
            key = args[2] if len(args) > 2 else kwargs.get("key")
            if value is not None:
                self._build_from_signature(_shape_of(args[0]), _shape_of(value), _shape_of(key))
        return super().__call__(*args, **kwargs)

    def _build_from_signature(self, query_shape: Sequence[Optional[int]], value_shape: Sequence[Optional[int]],
                              key_shape: Optional[Sequence[Optional[int]]] = None) -> None:
        """Creates the projection sub-layers for inputs of these shapes (their weights come on the first call)."""
        self._built_from_signature = True
        self._query_shape = TensorShape(query_shape)
        self._value_shape = TensorShape(value_shape)
        self._key_shape = self._value_shape if key_shape is None else TensorShape(key_shape)
        free_dims = len(self._query_shape) - 1
        self._query_dense = self._projection(free_dims, self._key_dim, "query")
        self._key_dense = self._projection(len(self._key_shape) - 1, self._key_dim, "key")
        self._value_dense = self._projection(len(self._value_shape) - 1, self._value_dim, "value")
        self._build_attention(len(self._value_shape) + 1)
        if self._output_shape:
            output_shape = list(self._output_shape) if isinstance(self._output_shape, collections.abc.Sized) \
                else [self._output_shape]
        else:
            output_shape = [self._query_shape[-1]]
        equation, bias_axes, rank = projection_equation(free_dims, 2, len(output_shape))
        self._output_dense = EinsumDense(equation, output_shape=_partial_shape(rank - 1, output_shape),
                                         bias_axes=bias_axes if self._use_bias else None, name="attention_output",
                                         **self._sublayer_kwargs())

    def _projection(self, free_dims: int, size: int, name: str) -> EinsumDense:
        equation, bias_axes, rank = projection_equation(free_dims, 1, 2)
        return EinsumDense(equation, output_shape=_partial_shape(rank - 1, [self._num_heads, size]),
                           bias_axes=bias_axes if self._use_bias else None, name=name, **self._sublayer_kwargs())

    def _sublayer_kwargs(self) -> Dict[str, Any]:
        return {
            "kernel_initializer": type(self._kernel_initializer).from_config(self._kernel_initializer.get_config()),
            "bias_initializer": type(self._bias_initializer).from_config(self._bias_initializer.get_config()),
            "kernel_regularizer": self._kernel_regularizer,
            "bias_regularizer": self._bias_regularizer,
            "activity_regularizer": self.activity_regularizer,
            "kernel_constraint": self._kernel_constraint,
            "bias_constraint": self._bias_constraint,
            "dtype": self.dtype,
        }

    def _build_attention(self, rank: int) -> None:
        """Einsum equations and softmax axes for projected tensors of `rank` axes (negative axes count from
        the end of the projected tensors, heads and channels included, as in tf.keras)."""
        axes = tuple(range(1, rank - 2)) if self._attention_axes is None else tuple(self._attention_axes)
        normalized = tuple(int(a) + rank if int(a) < 0 else int(a) for a in axes)
        if any(not 0 < axis < rank - 2 for axis in normalized):
            raise ValueError(f"Invalid `attention_axes` {axes} for MultiHeadAttention layer {self.name}: each "
                             f"axis must be between 1 and {rank - 3} (or {4 - rank} and -3) for inputs of rank "
                             f"{rank - 1}.")
        self._attention_axes = axes
        self._dot_product_equation, self._combine_equation, _ = attention_equations(rank, normalized)
        self._fused = normalized == (1,) and rank == 4 and not self._softmax_robust_masking

    # ---- calling -----------------------------------------------------------------------------
    def call(self, query: torch.Tensor, value: Any, key: Any = None, attention_mask: Any = None,
             return_attention_scores: bool = False, training: Optional[bool] = None,
             use_causal_mask: bool = False) -> Any:
        masks = [getattr(x, "_keras_mask", None) for x in (query, value, value if key is None else key)]
        value = self._convert_inputs(value)
        key = value if key is None else self._convert_inputs(key)
        if not self._built_from_signature:
            self._build_from_signature(query.shape, value.shape, key.shape)
        if attention_mask is not None and not isinstance(attention_mask, torch.Tensor):
            attention_mask = torch.as_tensor(np.asarray(attention_mask), device=query.device)
        mask = self._input_mask(attention_mask, *masks)
        causal = self._causal_mask(query, value) if use_causal_mask else None

        query = self._query_dense(query)
        key = self._key_dense(key)
        value = self._value_dense(value)
        dropout = self._dropout if training and self._dropout > 0 else 0.0
        if self._fused and not return_attention_scores and fused_kernel_applies(mask, query, key, value):
            output = self._fused_attention(query, key, value, mask, causal, dropout)
            scores = None
        else:
            output, scores = self._compute_attention(query, key, value, _merge(mask, causal), dropout)
        output = self._output_dense(output)
        return (output, scores) if return_attention_scores else output

    def _input_mask(self, attention_mask: Optional[torch.Tensor], query_mask: Any, value_mask: Any,
                    key_mask: Any) -> Optional[torch.Tensor]:
        """`attention_mask` combined with the query (B, T, 1), value and key (B, 1, S) masks."""
        auto = None
        if query_mask is not None:
            auto = query_mask.bool()[:, :, None]
        for mask in (value_mask, key_mask):
            if mask is not None:
                auto = _merge(auto, mask.bool()[:, None, :])
        if auto is None:
            return attention_mask
        return auto if attention_mask is None else attention_mask.bool() & auto

    @staticmethod
    def _causal_mask(query: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        """(1, T, S) lower-triangular: target step t attends to source steps s <= t."""
        return torch.ones(1, query.shape[1], value.shape[1], dtype=torch.bool, device=query.device).tril()

    def _logit_mask(self, mask: torch.Tensor, score_rank: int, dtype: torch.dtype) -> torch.Tensor:
        """The additive logit penalty tf.keras applies, with heads axes inserted to broadcast over scores."""
        axis = -2 * len(self._attention_axes) - 1
        for _ in range(score_rank - mask.ndim):
            mask = mask.unsqueeze(axis)
        return (1.0 - mask.to(dtype)) * _large_negative(dtype)

    def _fused_attention(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                         mask: Optional[torch.Tensor], causal: Optional[torch.Tensor],
                         dropout: float) -> torch.Tensor:
        """Attention of (B, T, N, H) heads with torch's fused kernel; returns (B, T, N, H_value)."""
        is_causal = causal is not None and mask is None
        penalty = None if is_causal else _merge(mask, causal)
        if penalty is not None:
            penalty = self._logit_mask(penalty, 4, query.dtype)
        output = F.scaled_dot_product_attention(query.transpose(1, 2), key.transpose(1, 2), value.transpose(1, 2),
                                                attn_mask=penalty, dropout_p=dropout, is_causal=is_causal,
                                                scale=1.0 / math.sqrt(float(self._key_dim)))
        return output.transpose(1, 2)

    def _compute_attention(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                           mask: Optional[torch.Tensor], dropout: float) -> Tuple[torch.Tensor, torch.Tensor]:
        """(attention output, attention scores) by explicit einsums and a masked softmax."""
        query = query * (1.0 / math.sqrt(float(self._key_dim)))
        scores = torch.einsum(self._dot_product_equation, key, query)
        if mask is not None:
            if self._softmax_robust_masking:
                keep = mask if mask.dtype == torch.bool else mask > 0.5
                for _ in range(scores.ndim - keep.ndim):
                    keep = keep.unsqueeze(-2 * len(self._attention_axes) - 1)
                scores = torch.where(keep, scores, _large_negative(scores.dtype))
            else:
                scores = scores + self._logit_mask(mask, scores.ndim, scores.dtype)
        n = len(self._attention_axes)
        scores = torch.softmax(scores.reshape(scores.shape[:-n] + (-1,)), dim=-1).reshape(scores.shape)
        dropped = F.dropout(scores, dropout, training=True) if dropout else scores
        return torch.einsum(self._combine_equation, dropped, value), scores

    # ---- config ------------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "query_shape": _as_list(self._query_shape),
            "key_shape": _as_list(self._key_shape),
            "value_shape": _as_list(self._value_shape),
            "softmax_robust_masking": self._softmax_robust_masking,
        })
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "MultiHeadAttention":
        config = dict(config)
        shapes = [config.pop(name, None) for name in ("query_shape", "key_shape", "value_shape")]
        layer = cls(**config)
        if any(shape is None for shape in shapes):
            _logger.warning("One of dimensions of the input shape is missing. It should have been memorized when "
                            "the layer was serialized. %s is created without weights.", cls)
        else:
            query_shape, key_shape, value_shape = shapes
            layer._build_from_signature(query_shape, value_shape, key_shape)
        return layer
