"""tf.keras.models."""
from torchkeras_api.engine.cloning import clone_model
from torchkeras_api.engine.functional import Functional
from torchkeras_api.engine.sequential import Sequential
from torchkeras_api.engine.training import Model
from torchkeras_api.saving.model_config import model_from_config, model_from_json, model_from_yaml
from torchkeras_api.saving.save import load_model, save_model

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_config", "model_from_json",
           "model_from_yaml", "save_model"]
