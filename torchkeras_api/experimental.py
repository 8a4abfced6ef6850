"""tf.keras.experimental (TF 2.0-2.3): SavedModel export/import, here on torchkeras_api's native format, and
the learning-rate schedules it exported."""
from typing import Any, Optional

from torchkeras_api.optimizers.schedules import CosineDecay, CosineDecayRestarts

__all__ = ["CosineDecay", "CosineDecayRestarts", "export_saved_model", "load_from_saved_model"]


def export_saved_model(model: Any, saved_model_path: Any, custom_objects: Optional[dict] = None,
                       as_text: Optional[bool] = None, input_signature: Any = None, serving_only: bool = False) -> None:
    """Saves `model` to the folder `saved_model_path` in torchkeras_api's native format (not a TensorFlow
    SavedModel); `load_from_saved_model` reads it back. The other arguments are accepted and ignored."""
    model.save(saved_model_path, save_format="tf")


def load_from_saved_model(saved_model_path: Any, custom_objects: Optional[dict] = None) -> Any:
    """The model `export_saved_model` saved to `saved_model_path`."""
    from torchkeras_api.saving.save import load_model
    return load_model(saved_model_path, custom_objects=custom_objects)
