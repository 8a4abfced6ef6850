"""tf.keras.callbacks.EarlyStopping."""
import logging
from typing import Any, Optional

import numpy as np

from torchkeras_api.callbacks.callback import Callback, Logs
from torchkeras_api.utils.progbar import print_msg

_logger = logging.getLogger(__name__)


class EarlyStopping(Callback):
    """Stops training once `monitor` has not improved by more than `min_delta` for `patience` epochs.

    `mode` `"auto"` maximizes names ending in `acc`, `accuracy` or `auc` and minimizes the rest. With
    `baseline`, epochs that do not beat it count as no improvement. `restore_best_weights` puts back the
    weights of the best epoch when training ends. Epochs before `start_from_epoch` are not monitored.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0, verbose: int = 0,
                 mode: str = "auto", baseline: Optional[float] = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0) -> None:
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.start_from_epoch = start_from_epoch
        if mode not in ("auto", "min", "max"):
            _logger.warning("EarlyStopping mode %s is unknown, fallback to auto mode.", mode)
            mode = "auto"
        maximize = mode == "max" or (mode == "auto" and monitor.endswith(("acc", "accuracy", "auc")))
        self.monitor_op = np.greater if maximize else np.less
        if not maximize:
            self.min_delta *= -1

    def on_train_begin(self, logs: Logs = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op == np.less else -np.inf
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self._weights_snapshot()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._weights_snapshot()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: Logs) -> Any:
        """The monitored value in logs, or None (with a warning) when it is missing."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            _logger.warning("Early stopping conditioned on metric `%s` which is not available. "
                            "Available metrics are: %s", self.monitor, ",".join(logs))
        return value

    def _is_improvement(self, value: Any, reference: Any) -> bool:
        return self.monitor_op(value - self.min_delta, reference)

    def _weights_snapshot(self) -> Any:
        """The model's weights, copied so that later training steps cannot change them."""
        return [np.array(w, copy=True) for w in self.model.get_weights()]
