"""Callbacks that set the optimizer's learning rate: LearningRateScheduler and ReduceLROnPlateau."""
import logging
from typing import Any, Callable

import numpy as np
import torch

from torchkeras_api import backend as K
from torchkeras_api.callbacks.callback import Callback, Logs
from torchkeras_api.utils.progbar import print_msg

_logger = logging.getLogger(__name__)


def _learning_rate(model: Any) -> Any:
    """The model's optimizer's learning rate variable."""
    optimizer = getattr(model, "optimizer", None)
    if not hasattr(optimizer, "learning_rate"):
        raise ValueError(f'Optimizer must have a "learning_rate" attribute; got {optimizer!r}.')
    return optimizer.learning_rate


class LearningRateScheduler(Callback):
    """At each epoch's start sets the learning rate to `schedule(epoch, lr)` (or `schedule(epoch)`)."""

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        variable = _learning_rate(self.model)
        try:
            lr = self.schedule(epoch, float(K.get_value(variable)))
        except TypeError:
            lr = self.schedule(epoch)
        if not isinstance(lr, (torch.Tensor, float, np.float32, np.float64)):
            raise ValueError(f'The output of the "schedule" function should be float. Got: {lr}')
        if isinstance(lr, torch.Tensor) and not lr.is_floating_point():
            raise ValueError(f"The dtype of `lr` Tensor should be float. Got: {lr.dtype}")
        K.set_value(variable, K.get_value(lr))
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        logs = logs or {}
        logs["lr"] = K.get_value(_learning_rate(self.model))


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` once `monitor` has not improved for `patience` epochs.

    Improvements must exceed `min_delta`; after a reduction, `cooldown` epochs pass before counting again;
    the rate never goes below `min_lr`. `mode` `"auto"` maximizes names containing `acc`.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0,
                 **kwargs: Any) -> None:
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Got {factor}")
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            _logger.warning("`epsilon` argument is deprecated and will be removed, use `min_delta` instead.")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = mode
        self._reset()

    def _reset(self) -> None:
        """Clears the wait and cooldown counters and the best value."""
        if self.mode not in ("auto", "min", "max"):
            _logger.warning("Learning rate reduction mode %s is unknown, fallback to auto mode.", self.mode)
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.min_delta)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.min_delta)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: Logs = None) -> None:
        self._reset()

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        logs = logs or {}
        variable = _learning_rate(self.model)
        logs["lr"] = K.get_value(variable)
        current = logs.get(self.monitor)
        if current is None:
            _logger.warning("Learning rate reduction is conditioned on metric `%s` which is not available. "
                            "Available metrics are: %s", self.monitor, ",".join(logs))
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.in_cooldown():
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old_lr = K.get_value(variable)
        if old_lr > np.float32(self.min_lr):
            new_lr = max(old_lr * self.factor, self.min_lr)
            K.set_value(variable, new_lr)
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0
