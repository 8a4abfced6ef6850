"""tf.keras.models."""
from torchkeras_api.engine.functional import Functional
from torchkeras_api.engine.sequential import Sequential
from torchkeras_api.engine.training import Model

__all__ = ["Functional", "Model", "Sequential"]
