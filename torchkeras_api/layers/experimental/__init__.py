"""tf.keras.layers.experimental: the names tf.keras 2.x kept there."""
from torchkeras_api.layers.einsum_dense import EinsumDense
from torchkeras_api.layers.experimental import preprocessing

__all__ = ["EinsumDense", "preprocessing"]
