"""tf.keras loss classes: `loss(y_true, y_pred, sample_weight=None)` gives the reduced, weighted loss."""
from typing import Any, Callable, Dict, Optional

import torch

from torchkeras_api.losses import functions as fns
from torchkeras_api.losses.reduction import Reduction, apply_valid_mask, compute_weighted_loss, match_ranks
from torchkeras_api.saving.object_registry import get_registered_name

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "SparseCategoricalCrossentropy", "Hinge", "SquaredHinge", "CategoricalHinge",
    "Huber", "LogCosh", "KLDivergence", "Poisson", "CosineSimilarity",
]


def _combined_mask(y_pred: Any, losses: torch.Tensor) -> Optional[torch.Tensor]:
    """The Keras masks of the predictions and of the losses, and-ed when both exist."""
    in_mask = getattr(y_pred, "_keras_mask", None)
    out_mask = getattr(losses, "_keras_mask", None)
    if in_mask is not None and out_mask is not None:
        return in_mask & out_mask
    return in_mask if in_mask is not None else out_mask


class Loss:
    """Base class: subclasses implement `call(y_true, y_pred)` returning per-sample losses.

    Calling the loss applies `sample_weight` and the `reduction` ('auto' and 'sum_over_batch_size'
    average over the elements of the per-sample losses, 'sum' adds them, 'none' keeps them).
    """

    _keras_module = "keras.losses"

    def __init__(self, reduction: str = Reduction.AUTO, name: Optional[str] = None):
        Reduction.validate(reduction)
        self.reduction = reduction
        self.name = name

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> torch.Tensor:
        losses = self.call(y_true, y_pred)
        reduction = self._get_reduction()
        sample_weight = apply_valid_mask(losses, sample_weight, _combined_mask(y_pred, losses), reduction)
        return compute_weighted_loss(losses, sample_weight, reduction=reduction)

    def call(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        """Per-sample losses of shape `y_pred.shape[:-1]`."""
        raise NotImplementedError("Must be implemented in subclasses.")

    def _get_reduction(self) -> str:
        return Reduction.SUM_OVER_BATCH_SIZE if self.reduction == Reduction.AUTO else self.reduction

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments that recreate this loss."""
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Loss":
        """A loss from its `get_config()` dict."""
        return cls(**config)


def _plain(value: Any) -> Any:
    """Tensors in a config as numpy values."""
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value


class LossFunctionWrapper(Loss):
    """A `Loss` computing `fn(y_true, y_pred, **kwargs)`.

    When both inputs are tensors whose ranks differ by one, a size-1 last axis is squeezed first
    (so `y_true` of shape (N,) meets `y_pred` of shape (N, 1) as tf.keras does).
    """

    _keras_module = "keras.__internal__.losses"

    def __init__(self, fn: Callable[..., torch.Tensor], reduction: str = Reduction.AUTO, name: Optional[str] = None,
                 **kwargs: Any):
        super().__init__(reduction=reduction, name=name)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> torch.Tensor:
        if isinstance(y_pred, torch.Tensor) and isinstance(y_true, torch.Tensor):
            y_pred, y_true = match_ranks(y_pred, y_true)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({key: _plain(value) for key, value in self._fn_kwargs.items()})
        config["fn"] = get_registered_name(self.fn)
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "LossFunctionWrapper":
        config = dict(config)
        fn_name = config.pop("fn", None)
        if fn_name and cls is LossFunctionWrapper:
            from torchkeras_api.losses import get
            config["fn"] = get(fn_name)
        return cls(**config)


class _Builtin(LossFunctionWrapper):
    """The built-in classes are exported under keras.losses."""

    _keras_module = "keras.losses"


class MeanSquaredError(_Builtin):
    """Mean of squared errors over the last axis."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "mean_squared_error"):
        super().__init__(fns.mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(_Builtin):
    """Mean of absolute errors over the last axis."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "mean_absolute_error"):
        super().__init__(fns.mean_absolute_error, reduction=reduction, name=name)


class MeanAbsolutePercentageError(_Builtin):
    """Mean absolute percentage error over the last axis."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "mean_absolute_percentage_error"):
        super().__init__(fns.mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(_Builtin):
    """Mean squared error of `log(1 + x)` over the last axis."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "mean_squared_logarithmic_error"):
        super().__init__(fns.mean_squared_logarithmic_error, reduction=reduction, name=name)


class BinaryCrossentropy(_Builtin):
    """Binary crossentropy of labels in [0, 1] and probabilities (or logits with `from_logits=True`)."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = Reduction.AUTO, name: str = "binary_crossentropy"):
        super().__init__(fns.binary_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class BinaryFocalCrossentropy(_Builtin):
    """Binary crossentropy down-weighting well-classified examples by `(1 - p_t) ** gamma`."""

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25, gamma: float = 2.0,
                 from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = Reduction.AUTO, name: str = "binary_focal_crossentropy"):
        super().__init__(fns.binary_focal_crossentropy, reduction=reduction, name=name,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma


class CategoricalCrossentropy(_Builtin):
    """Crossentropy of one-hot labels and class probabilities (or logits with `from_logits=True`)."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = Reduction.AUTO, name: str = "categorical_crossentropy"):
        super().__init__(fns.categorical_crossentropy, reduction=reduction, name=name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class CategoricalFocalCrossentropy(_Builtin):
    """Categorical crossentropy with each class term scaled by `alpha * (1 - p) ** gamma`."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1, reduction: str = Reduction.AUTO,
                 name: str = "categorical_focal_crossentropy"):
        super().__init__(fns.categorical_focal_crossentropy, reduction=reduction, name=name, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits
        self.alpha = alpha
        self.gamma = gamma


class SparseCategoricalCrossentropy(_Builtin):
    """Crossentropy of integer class labels and class probabilities (or logits with `from_logits=True`)."""

    def __init__(self, from_logits: bool = False, ignore_class: Optional[int] = None,
                 reduction: str = Reduction.AUTO, name: str = "sparse_categorical_crossentropy"):
        super().__init__(fns.sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, ignore_class=ignore_class)


class Hinge(_Builtin):
    """Hinge loss of labels in {-1, 1} (or {0, 1}) and scores."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "hinge"):
        super().__init__(fns.hinge, reduction=reduction, name=name)


class SquaredHinge(_Builtin):
    """Squared hinge loss of labels in {-1, 1} (or {0, 1}) and scores."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "squared_hinge"):
        super().__init__(fns.squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(_Builtin):
    """Hinge loss of one-hot labels and class scores."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "categorical_hinge"):
        super().__init__(fns.categorical_hinge, reduction=reduction, name=name)


class Huber(_Builtin):
    """Quadratic for errors up to `delta`, linear beyond."""

    def __init__(self, delta: float = 1.0, reduction: str = Reduction.AUTO, name: str = "huber_loss"):
        super().__init__(fns.huber, reduction=reduction, name=name, delta=delta)


class LogCosh(_Builtin):
    """Mean log of the hyperbolic cosine of the errors."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "log_cosh"):
        super().__init__(fns.log_cosh, reduction=reduction, name=name)


class KLDivergence(_Builtin):
    """Kullback-Leibler divergence of `y_pred` from `y_true`."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "kl_divergence"):
        super().__init__(fns.kl_divergence, reduction=reduction, name=name)


class Poisson(_Builtin):
    """Poisson negative log-likelihood (without its constant term)."""

    def __init__(self, reduction: str = Reduction.AUTO, name: str = "poisson"):
        super().__init__(fns.poisson, reduction=reduction, name=name)


class CosineSimilarity(_Builtin):
    """Minus the cosine similarity of `y_true` and `y_pred` along `axis`."""

    def __init__(self, axis: int = -1, reduction: str = Reduction.AUTO, name: str = "cosine_similarity"):
        super().__init__(fns.cosine_similarity, reduction=reduction, name=name, axis=axis)
