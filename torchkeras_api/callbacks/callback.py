"""tf.keras.callbacks.Callback: the base class of objects that hook into fit, evaluate and predict."""
from typing import Any, Callable, Dict, Optional, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
Logs = Optional[Dict[str, Any]]


def _default(method: F) -> F:
    """Marks a base-class hook so that callbacks which do not override it are never called for it."""
    method._is_default = True
    return method


def _overrides(callback: Any, hook_name: str) -> bool:
    """Whether callback's hook_name differs from the base class's do-nothing one."""
    return not getattr(getattr(callback, hook_name), "_is_default", False)


class Callback:
    """Base class of callbacks: override the `on_*` hooks of interest.

    `model` is the model being trained, `params` a dict of the run's settings (`verbose`, `epochs`,
    `steps`); set `self.model.stop_training = True` to end training after the current batch or epoch.
    Callbacks get logs as python numbers unless they set `_supports_tf_logs`: then batch logs may hold
    0-d device tensors.
    """

    model: Any = None
    validation_data: Any = None
    _supports_tf_logs = False

    def __init__(self) -> None:
        self.params: Dict[str, Any] = {}

    def set_params(self, params: Dict[str, Any]) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self.model = model

    @_default
    def on_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Alias of `on_train_batch_begin`, kept for Keras 1 callbacks."""

    @_default
    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Alias of `on_train_batch_end`, kept for Keras 1 callbacks."""

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        """Called at the start of each training epoch."""

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Called at the end of each training epoch; logs hold the epoch's metrics (`val_*` ones too)."""

    @_default
    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Called before each training batch."""
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each training batch; logs hold the metrics so far."""
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Called before each `evaluate` (or validation) batch."""

    @_default
    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each `evaluate` (or validation) batch."""

    @_default
    def on_predict_batch_begin(self, batch: int, logs: Logs = None) -> None:
        """Called before each `predict` batch."""

    @_default
    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        """Called after each `predict` batch; logs hold `outputs`."""

    def on_train_begin(self, logs: Logs = None) -> None:
        """Called when training starts."""

    def on_train_end(self, logs: Logs = None) -> None:
        """Called when training ends."""

    def on_test_begin(self, logs: Logs = None) -> None:
        """Called when `evaluate` (or validation) starts."""

    def on_test_end(self, logs: Logs = None) -> None:
        """Called when `evaluate` (or validation) ends."""

    def on_predict_begin(self, logs: Logs = None) -> None:
        """Called when `predict` starts."""

    def on_predict_end(self, logs: Logs = None) -> None:
        """Called when `predict` ends."""

    def _implements_train_batch_hooks(self) -> bool:
        return any(_overrides(self, name) for name in
                   ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end"))

    def _implements_test_batch_hooks(self) -> bool:
        return _overrides(self, "on_test_batch_begin") or _overrides(self, "on_test_batch_end")

    def _implements_predict_batch_hooks(self) -> bool:
        return _overrides(self, "on_predict_batch_begin") or _overrides(self, "on_predict_batch_end")
