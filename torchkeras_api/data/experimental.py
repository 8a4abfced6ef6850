"""`tf.data.experimental`: the cardinality constants and function, AUTOTUNE, AutoShardPolicy."""
import torch

from torchkeras_api.data.cardinality import INFINITE as INFINITE_CARDINALITY
from torchkeras_api.data.cardinality import UNKNOWN as UNKNOWN_CARDINALITY
from torchkeras_api.data.options import AutoShardPolicy
from torchkeras_api.data.transforms import AUTOTUNE

__all__ = ["AUTOTUNE", "AutoShardPolicy", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality"]


def cardinality(dataset: "object") -> torch.Tensor:
    """`dataset.cardinality()`."""
    return dataset.cardinality()
