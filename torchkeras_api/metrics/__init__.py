"""tf.keras.metrics on torch: stateful `Metric` classes, metric functions, `get`/`serialize`/`deserialize`."""
import inspect
import warnings
from typing import Any, Callable, Dict, Optional, Union

from torchkeras_api.losses import (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
                                   categorical_focal_crossentropy, categorical_hinge, hinge, kl_divergence,
                                   log_cosh, mean_absolute_error, mean_absolute_percentage_error,
                                   mean_squared_error, mean_squared_logarithmic_error, poisson,
                                   sparse_categorical_crossentropy, squared_hinge)
from torchkeras_api.metrics.accuracy_metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                             SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                                             TopKCategoricalAccuracy, accuracy, binary_accuracy,
                                             categorical_accuracy, sparse_categorical_accuracy,
                                             sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from torchkeras_api.metrics.auc import AUC
from torchkeras_api.metrics.base import Mean, MeanMetricWrapper, MeanTensor, Metric, Reduce, Sum
from torchkeras_api.metrics.confusion import (FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
                                              RecallAtPrecision, SensitivityAtSpecificity,
                                              SensitivitySpecificityBase, SpecificityAtSensitivity, TrueNegatives,
                                              TruePositives)
from torchkeras_api.metrics.f_score import F1Score, FBetaScore
from torchkeras_api.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from torchkeras_api.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from torchkeras_api.metrics.probabilistic import (BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson,
                                                  SparseCategoricalCrossentropy)
from torchkeras_api.metrics.regression import (CosineSimilarity, LogCoshError, MeanAbsoluteError,
                                               MeanAbsolutePercentageError, MeanRelativeError, MeanSquaredError,
                                               MeanSquaredLogarithmicError, R2Score, RootMeanSquaredError,
                                               cosine_similarity)
from torchkeras_api.saving.object_registry import get_registered_name
from torchkeras_api.saving.serialization import deserialize_instance, serialize_keras_object

acc = ACC = accuracy
bce = BCE = binary_crossentropy
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
cosine_proximity = cosine_similarity

__all__ = [
    "Metric", "Reduce", "Sum", "Mean", "MeanMetricWrapper", "MeanTensor",
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "AUC", "Precision", "Recall", "TruePositives", "TrueNegatives",
    "FalsePositives", "FalseNegatives", "SensitivitySpecificityBase", "PrecisionAtRecall", "RecallAtPrecision",
    "SensitivityAtSpecificity", "SpecificityAtSensitivity", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError", "LogCoshError",
    "CosineSimilarity", "MeanRelativeError", "R2Score", "Hinge", "SquaredHinge", "CategoricalHinge",
    "KLDivergence", "Poisson", "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "FBetaScore", "F1Score",
    "accuracy", "acc", "ACC", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error", "mse", "MSE",
    "mean_absolute_error", "mae", "MAE", "mean_absolute_percentage_error", "mape", "MAPE",
    "mean_squared_logarithmic_error", "msle", "MSLE", "log_cosh", "logcosh", "cosine_similarity",
    "cosine_proximity", "hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "kld", "KLD",
    "kullback_leibler_divergence", "poisson", "binary_crossentropy", "bce", "BCE", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "binary_focal_crossentropy", "categorical_focal_crossentropy",
    "get", "serialize", "deserialize",
]

_ALL_OBJECTS: Dict[str, Any] = {name: globals()[name] for name in __all__
                                if name not in ("get", "serialize", "deserialize")}


def _serialize_function(fn: Callable) -> Dict[str, Any]:
    return {"module": "builtins", "class_name": "function", "config": get_registered_name(fn),
            "registered_name": "function"}


def serialize(metric: Any) -> Optional[Union[Dict[str, Any], str]]:
    """The tf.keras config dict of a `Metric` (its function, if it wraps one, as a function dict); a metric
    function becomes a `{'class_name': 'function'}` dict."""
    if metric is None:
        return None
    if not isinstance(metric, Metric):
        warnings.warn("The `keras.metrics.serialize()` API should only be used for objects of type "
                      f"`keras.metrics.Metric`. Found an instance of type {type(metric)}, which may lead to "
                      "improper serialization.")
    if inspect.isfunction(metric):
        return _serialize_function(metric)
    config = serialize_keras_object(metric)
    fn = config["config"].get("fn")
    if inspect.isfunction(fn):
        config["config"]["fn"] = _serialize_function(fn)
    return config


def deserialize(config: Union[str, Dict[str, Any]], custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """A metric function from its name; a `Metric` instance from its class name or config dict."""
    if isinstance(config, dict) and config.get("class_name") == "function" and isinstance(config.get("config"), str):
        config = config["config"]
    return deserialize_instance(config, _ALL_OBJECTS, custom_objects, "metric function")


def get(identifier: Any) -> Any:
    """A metric function or `Metric` instance from a name or config dict; a callable is returned as is."""
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret metric identifier: {identifier}")
