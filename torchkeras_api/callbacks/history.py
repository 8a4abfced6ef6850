"""tf.keras.callbacks.History: the object `fit` returns."""
from typing import Any, Dict, List

from torchkeras_api.callbacks.callback import Callback, Logs


class History(Callback):
    """Records each epoch's logs: `history[name]` is the list of that value per epoch, `epoch` the epoch indices."""

    def __init__(self) -> None:
        super().__init__()
        self.history: Dict[str, List[Any]] = {}
        self.epoch: List[int] = []

    def on_train_begin(self, logs: Logs = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)
        self.model.history = self
