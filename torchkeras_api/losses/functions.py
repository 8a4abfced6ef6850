"""tf.keras loss functions: `fn(y_true, y_pred, ...)` gives per-sample losses (the last axis reduced).

`y_true` is cast to `y_pred`'s dtype and device. The crossentropies clip probabilities to
`[epsilon, 1 - epsilon]` and, when `y_pred` comes straight from a softmax or sigmoid activation, compute
from the logits that activation remembers, as tf.keras does.
"""
import math
import numbers
import warnings
from typing import Any, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from torchkeras_api import backend as K
from torchkeras_api.backend import _logits_of, _to_tensor
from torchkeras_api.backend_config import epsilon, floatx
from torchkeras_api.engine.base_layer import to_torch_dtype
from torchkeras_api.engine.keras_tensor import keras_op

__all__ = [
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy", "sparse_categorical_crossentropy", "hinge",
    "squared_hinge", "categorical_hinge", "huber", "log_cosh", "kl_divergence", "poisson", "cosine_similarity",
]


def _beside(y_true: Any, y_pred: torch.Tensor, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
    """`y_true` as a tensor on `y_pred`'s device, cast to `dtype` when given."""
    return _to_tensor(y_true, device=y_pred.device).to(device=y_pred.device, dtype=dtype)


def _operands(y_true: Any, y_pred: Any) -> Tuple[torch.Tensor, torch.Tensor]:
    """`(y_true, y_pred)` as tensors, y_true cast to y_pred's dtype on its device."""
    y_pred = _to_tensor(y_pred)
    return _beside(y_true, y_pred, y_pred.dtype), y_pred


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")


def _warn_single_class(fn_name: str, y_pred: torch.Tensor) -> None:
    if y_pred.shape[-1] == 1:
        warnings.warn(f"In loss {fn_name}, expected y_pred.shape to be (batch_size, num_classes) with "
                      f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
                      "'binary_crossentropy' if you only have 2 classes.", SyntaxWarning, stacklevel=3)


def _smooth_binary(y_true: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    """Labels squeezed towards 0.5 by `label_smoothing`."""
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing


def _smooth_categorical(y_true: torch.Tensor, label_smoothing: float, axis: int) -> torch.Tensor:
    """One-hot labels squeezed towards uniform over the classes on `axis` by `label_smoothing`."""
    if not label_smoothing:
        return y_true
    return y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]


@keras_op("tf.keras.losses.mean_squared_error")
def mean_squared_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(square(y_pred - y_true), axis=-1)`."""
    y_true, y_pred = _operands(y_true, y_pred)
    return torch.mean(torch.square(y_pred - y_true), dim=-1)


@keras_op("tf.keras.losses.mean_absolute_error")
def mean_absolute_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(abs(y_pred - y_true), axis=-1)`."""
    y_true, y_pred = _operands(y_true, y_pred)
    return torch.mean(torch.abs(y_pred - y_true), dim=-1)


@keras_op("tf.keras.losses.mean_absolute_percentage_error")
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)`."""
    y_true, y_pred = _operands(y_true, y_pred)
    diff = torch.abs((y_true - y_pred) / torch.clamp_min(torch.abs(y_true), epsilon()))
    return 100.0 * torch.mean(diff, dim=-1)


@keras_op("tf.keras.losses.mean_squared_logarithmic_error")
def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)`."""
    y_true, y_pred = _operands(y_true, y_pred)
    eps = epsilon()
    first_log = torch.log(torch.clamp_min(y_pred, eps) + 1.0)
    second_log = torch.log(torch.clamp_min(y_true, eps) + 1.0)
    return torch.mean(torch.square(first_log - second_log), dim=-1)


@keras_op("tf.keras.losses.binary_crossentropy")
def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: int = -1) -> torch.Tensor:
    """Binary crossentropy averaged over `axis`; `label_smoothing` pulls the labels towards 0.5."""
    y_true, y_pred = _operands(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    return torch.mean(K.binary_crossentropy(y_true, y_pred, from_logits=from_logits), dim=axis)


@keras_op("tf.keras.losses.binary_focal_crossentropy")
def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> torch.Tensor:
    """Binary crossentropy scaled by `(1 - p_t) ** gamma` (and by `alpha` / `1 - alpha` per class when
    `apply_class_balancing`), averaged over `axis` (Lin et al., 2018)."""
    y_true, y_pred = _operands(y_true, y_pred)
    y_true = _smooth_binary(y_true, label_smoothing)
    probs = torch.sigmoid(y_pred) if from_logits else y_pred
    p_t = y_true * probs + (1 - y_true) * (1 - probs)
    focal = torch.pow(1.0 - p_t, gamma) * K.binary_crossentropy(y_true, y_pred, from_logits=from_logits)
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return torch.mean(focal, dim=axis)


@keras_op("tf.keras.losses.categorical_crossentropy")
def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1) -> torch.Tensor:
    """Crossentropy between one-hot `y_true` and the class probabilities (or logits) on `axis`."""
    _check_axis(axis)
    y_true, y_pred = _operands(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing, axis)
    return K.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


@keras_op("tf.keras.losses.categorical_focal_crossentropy")
def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: Union[float, Sequence[float]] = 0.25,
                                   gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                                   axis: int = -1) -> torch.Tensor:
    """Categorical crossentropy with each class term scaled by `alpha * (1 - p) ** gamma`, summed on `axis`.

    `alpha` is a number or one weight per class.
    """
    _check_axis(axis)
    y_true, y_pred = _operands(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    y_true = _smooth_categorical(y_true, label_smoothing, -1)
    output, from_logits = _logits_of(y_pred, from_logits, "Softmax", "categorical_focal_crossentropy")
    if from_logits:
        output = torch.softmax(output, dim=axis)
    eps = epsilon()
    output = torch.clamp(output / torch.sum(output, dim=axis, keepdim=True), eps, 1.0 - eps)
    if not isinstance(alpha, numbers.Number):
        alpha = torch.as_tensor(alpha, dtype=output.dtype, device=output.device)
    focal = torch.pow(1.0 - output, gamma) * alpha * (-y_true * torch.log(output))
    return torch.sum(focal, dim=axis)


@keras_op("tf.keras.losses.sparse_categorical_crossentropy")
def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False, axis: int = -1,
                                    ignore_class: Optional[int] = None) -> torch.Tensor:
    """Crossentropy between integer labels (int or float, shape (N,) or (N, 1), ...) and the classes on `axis`.

    Labels equal to `ignore_class` give 0 and are masked out of the loss's reduction.
    """
    y_pred = _to_tensor(y_pred)
    return K.sparse_categorical_crossentropy(_beside(y_true, y_pred), y_pred, from_logits=from_logits, axis=axis,
                                             ignore_class=ignore_class)


def _maybe_convert_labels(y_true: torch.Tensor) -> torch.Tensor:
    """Labels in {0, 1} mapped to {-1, 1}; other labels unchanged (decided on the device, no sync)."""
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


@keras_op("tf.keras.losses.hinge")
def hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`; labels in {0, 1} count as {-1, 1}."""
    y_true, y_pred = _operands(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return torch.mean(torch.clamp_min(1.0 - y_true * y_pred, 0.0), dim=-1)


@keras_op("tf.keras.losses.squared_hinge")
def squared_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`; labels in {0, 1} count as {-1, 1}."""
    y_true, y_pred = _operands(y_true, y_pred)
    y_true = _maybe_convert_labels(y_true)
    return torch.mean(torch.square(torch.clamp_min(1.0 - y_true * y_pred, 0.0)), dim=-1)


@keras_op("tf.keras.losses.categorical_hinge")
def categorical_hinge(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)` over the last axis."""
    y_true, y_pred = _operands(y_true, y_pred)
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.clamp_min(neg - pos + 1.0, 0.0)


@keras_op("tf.keras.losses.huber")
def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> torch.Tensor:
    """Mean over the last axis of `0.5 * e**2` where `|e| <= delta`, else `delta * |e| - 0.5 * delta**2`.

    Both inputs are cast to floatx, as tf.keras does.
    """
    dtype = to_torch_dtype(floatx())
    y_pred = _to_tensor(y_pred).to(dtype)
    y_true = _beside(y_true, y_pred, dtype)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    quadratic = 0.5 * torch.square(error)
    linear = delta * abs_error - 0.5 * delta * delta
    return torch.mean(torch.where(abs_error <= delta, quadratic, linear), dim=-1)


_LOG_2 = math.log(2.0)


@keras_op("tf.keras.losses.log_cosh")
def log_cosh(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed without overflow."""
    y_true, y_pred = _operands(y_true, y_pred)
    x = y_pred - y_true
    return torch.mean(x + F.softplus(-2.0 * x) - _LOG_2, dim=-1)


@keras_op("tf.keras.losses.kl_divergence")
def kl_divergence(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`sum(y_true * log(y_true / y_pred), axis=-1)` with both clipped to `[epsilon, 1]`."""
    y_true, y_pred = _operands(y_true, y_pred)
    eps = epsilon()
    y_true = torch.clamp(y_true, eps, 1.0)
    y_pred = torch.clamp(y_pred, eps, 1.0)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


@keras_op("tf.keras.losses.poisson")
def poisson(y_true: Any, y_pred: Any) -> torch.Tensor:
    """`mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)`."""
    y_true, y_pred = _operands(y_true, y_pred)
    return torch.mean(y_pred - y_true * torch.log(y_pred + epsilon()), dim=-1)


@keras_op("tf.keras.losses.cosine_similarity")
def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> torch.Tensor:
    """Minus the cosine similarity along `axis` (-1 for parallel vectors, 0 for orthogonal or zero ones)."""
    y_true, y_pred = _operands(y_true, y_pred)
    return -torch.sum(K.l2_normalize(y_true, axis=axis) * K.l2_normalize(y_pred, axis=axis), dim=axis)
