"""Embedding: integer indices to dense vectors."""
from typing import Any, Dict, Optional

import torch
import torch.nn.functional as F

from torchkeras_api import constraints, initializers, regularizers
from torchkeras_api.engine.base_layer import Layer

_INDEX_DTYPES = (torch.int32, torch.int64)


class Embedding(Layer):
    """Looks up rows of an `(input_dim, output_dim)` table; non-int32/int64 inputs are cast to integers first.

    With `mask_zero=True`, index 0 is padding: the output mask is `inputs != 0`.
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, activity_regularizer: Any = None,
                 embeddings_constraint: Any = None, mask_zero: bool = False, input_length: Optional[int] = None,
                 sparse: bool = False, **kwargs: Any):
        if "input_shape" not in kwargs:
            kwargs["input_shape"] = (input_length,) if input_length else (None,)
        if input_dim <= 0 or output_dim <= 0:
            raise ValueError("Both `input_dim` and `output_dim` should be positive, "
                             f"Received input_dim = {input_dim} and output_dim = {output_dim}")
        if sparse:
            raise NotImplementedError("Embedding(sparse=True) is not supported: torchkeras_api has no sparse "
                                      "tensors. Use sparse=False.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._autocast = False
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero
        self.input_length = input_length
        self.sparse = sparse

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight("embeddings", shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype not in _INDEX_DTYPES:
            inputs = inputs.to(torch.int64)
        return F.embedding(inputs, self.embeddings)

    def compute_mask(self, inputs: torch.Tensor, mask: Any = None) -> Optional[torch.Tensor]:
        if not self.mask_zero:
            return None
        return inputs != 0

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        })
        return config
