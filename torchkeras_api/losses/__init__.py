"""tf.keras.losses on torch: loss functions (per-sample losses), `Loss` classes, `get`/`serialize`/`deserialize`."""
import inspect
import warnings
from typing import Any, Callable, Dict, Optional, Union

from torchkeras_api.losses.classes import (BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy,
                                           CategoricalFocalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
                                           Huber, KLDivergence, LogCosh, Loss, LossFunctionWrapper,
                                           MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
                                           MeanSquaredLogarithmicError, Poisson, SparseCategoricalCrossentropy,
                                           SquaredHinge)
from torchkeras_api.losses.functions import (binary_crossentropy, binary_focal_crossentropy,
                                             categorical_crossentropy, categorical_focal_crossentropy,
                                             categorical_hinge, cosine_similarity, hinge, huber, kl_divergence,
                                             log_cosh, mean_absolute_error, mean_absolute_percentage_error,
                                             mean_squared_error, mean_squared_logarithmic_error, poisson,
                                             sparse_categorical_crossentropy, squared_hinge)
from torchkeras_api.losses.reduction import Reduction
from torchkeras_api.saving.object_registry import get_registered_name
from torchkeras_api.saving.serialization import deserialize_instance, get_object, serialize_keras_object

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy
huber_loss = huber

__all__ = [
    "Loss", "LossFunctionWrapper", "Reduction", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "BinaryCrossentropy", "BinaryFocalCrossentropy",
    "CategoricalCrossentropy", "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy", "Hinge",
    "SquaredHinge", "CategoricalHinge", "Huber", "LogCosh", "KLDivergence", "Poisson", "CosineSimilarity",
    "mean_squared_error", "mse", "MSE", "mean_absolute_error", "mae", "MAE", "mean_absolute_percentage_error",
    "mape", "MAPE", "mean_squared_logarithmic_error", "msle", "MSLE", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "huber", "log_cosh",
    "logcosh", "kl_divergence", "kld", "KLD", "kullback_leibler_divergence", "poisson", "cosine_similarity",
    "get", "serialize", "deserialize",
]

_ALL_OBJECTS: Dict[str, Any] = {name: globals()[name] for name in __all__
                                if name not in ("Reduction", "get", "serialize", "deserialize")}
_ALL_OBJECTS.update(bce=bce, BCE=BCE, huber_loss=huber_loss)


def serialize(loss: Any) -> Optional[Union[Dict[str, Any], str]]:
    """The tf.keras config dict of a `Loss`; a loss function becomes a `{'class_name': 'function'}` dict."""
    if loss is None:
        return None
    if not isinstance(loss, Loss):
        warnings.warn("The `keras.losses.serialize()` API should only be used for objects of type "
                      f"`keras.losses.Loss`. Found an instance of type {type(loss)}, which may lead to improper "
                      "serialization.")
    if inspect.isfunction(loss):
        return {"module": "builtins", "class_name": "function", "config": get_registered_name(loss),
                "registered_name": "function"}
    return serialize_keras_object(loss)


def deserialize(name: Union[str, Dict[str, Any]], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """A loss function from its name; a `Loss` instance from its class name or config dict."""
    if isinstance(name, dict) and name.get("class_name") == "function" and isinstance(name.get("config"), str):
        name = name["config"]
    return deserialize_instance(name, _ALL_OBJECTS, custom_objects, "loss function")


def get(identifier: Any) -> Optional[Callable[..., Any]]:
    """A loss from None (None), a name or config dict (deserialized) or a callable (returned as is)."""
    return get_object(identifier, deserialize, "loss function")
