"""tf.keras.callbacks.BackupAndRestore: resume an interrupted `fit` where it stopped."""
import os
from typing import Any, Dict, Optional, Union

import torch

from torchkeras_api.callbacks.callback import Callback, Logs
from torchkeras_api.saving.atomic import atomic_write, path_to_string

_FORMAT = "torchkeras_api.BackupAndRestore/1"


class BackupAndRestore(Callback):
    """Backs up the model's weights, the optimizer's state and the epoch/step counters into `backup_dir`
    (at each epoch end, or every `save_freq` batches); a later `fit` with a callback on the same folder
    restores them and resumes from the first epoch (or step) not yet backed up. The backup is deleted when
    `fit` finishes, unless `delete_checkpoint=False`.

    The backup file (`<backup_dir>/chief/training_state.pt`) is written atomically, so a crash during a
    backup leaves the previous one intact. It is a torch file, not a TensorFlow checkpoint.
    """

    def __init__(self, backup_dir: Any, save_freq: Union[str, int] = "epoch", delete_checkpoint: bool = True,
                 save_before_preemption: bool = False):
        super().__init__()
        if backup_dir is None or not path_to_string(backup_dir):
            raise ValueError(f"`backup_dir` must be a folder path. Received: backup_dir={backup_dir!r}")
        if not save_freq and not save_before_preemption:
            raise ValueError("Either `save_freq` or `save_before_preemption` must be set.")
        if save_freq and save_freq != "epoch" and not (isinstance(save_freq, int) and save_freq > 0):
            raise ValueError(f"`save_freq` must be 'epoch' or a positive integer (a number of batches). "
                             f"Received: save_freq={save_freq!r}")
        self.backup_dir = path_to_string(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self.save_before_preemption = save_before_preemption
        self._current_epoch = 0
        self._batches_since_backup = 0

    @property
    def _path(self) -> str:
        return os.path.join(self.backup_dir, "chief", "training_state.pt")

    def _implements_train_batch_hooks(self) -> bool:
        return self.save_freq != "epoch" and bool(self.save_freq)

    def on_train_begin(self, logs: Logs = None) -> None:
        self._batches_since_backup = 0
        if os.path.exists(self._path):
            self._restore()

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        if not self._implements_train_batch_hooks():
            return
        self._batches_since_backup += 1
        if self._batches_since_backup >= self.save_freq:
            self._batches_since_backup = 0
            self._backup(self._current_epoch, batch + 1)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        if self.save_freq == "epoch":
            self._backup(epoch + 1, 0)

    def on_train_end(self, logs: Logs = None) -> None:
        if not self.delete_checkpoint or not os.path.exists(self._path):
            return
        os.remove(self._path)
        folder = os.path.dirname(self._path)
        if not os.listdir(folder):
            os.rmdir(folder)

    def _backup(self, epoch: int, step: int) -> None:
        model = self.model
        state = {"format": _FORMAT, "epoch": epoch, "step": step,
                 "steps_per_epoch": self.params.get("steps"),
                 "model": [weight.detach().cpu() for weight in model.weights],
                 "optimizer": [torch.as_tensor(w) for w in model.optimizer.get_weights()]}
        os.makedirs(os.path.dirname(self._path), exist_ok=True)
        with atomic_write(self._path) as temp:
            torch.save(state, temp)

    def _restore(self) -> None:
        try:
            state = torch.load(self._path, map_location="cpu", weights_only=True)
        except Exception as e:
            raise ValueError(f"BackupAndRestore could not read its backup '{self._path}' ({e}). Delete the "
                             f"folder '{self.backup_dir}' to start training from scratch.") from None
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(f"'{self._path}' is not a BackupAndRestore backup written by torchkeras_api. "
                             f"Delete the folder '{self.backup_dir}' to start training from scratch.")
        model = self.model
        weights = model.weights
        saved = state["model"]
        mismatch = len(saved) != len(weights) or any(tuple(s.shape) != tuple(w.shape) for s, w in zip(saved, weights))
        if mismatch:
            raise ValueError(f"The backup '{self._path}' was written for a different model: it holds "
                             f"{len(saved)} weights of shapes {[tuple(s.shape) for s in saved]}, the model has "
                             f"{len(weights)} of shapes {[tuple(w.shape) for w in weights]}.")
        with torch.no_grad():
            for weight, value in zip(weights, saved):
                weight.copy_(value)
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
        optimizer.set_weights([w.numpy() for w in state["optimizer"]])
        model._training_state = _resume_counters(state)


def _resume_counters(state: Dict[str, Any]) -> Dict[str, int]:
    """The epoch and step a resumed `fit` starts at."""
    epoch, step = state["epoch"], state["step"]
    steps: Optional[int] = state.get("steps_per_epoch")
    if steps is not None and step >= steps:
        epoch, step = epoch + 1, 0
    return {"epoch": epoch, "step": step}
