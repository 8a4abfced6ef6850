"""tf.keras.callbacks.ModelCheckpoint."""
import logging
import os
import re
from typing import Any, Optional, Union

import numpy as np

from torchkeras_api.callbacks.callback import Callback, Logs
from torchkeras_api.utils.progbar import print_msg, sync_to_python

_logger = logging.getLogger(__name__)


class ModelCheckpoint(Callback):
    """Saves the model or its weights during `fit`, every epoch or every `save_freq` batches.

    `filepath` may hold `str.format` fields filled from the epoch number (1-based, as tf.keras counts),
    the batch number when saving every `save_freq` batches, and the logs, e.g.
    `"weights.{epoch:02d}-{val_loss:.2f}.h5"`. Missing folders are created.

    With `save_best_only`, a file is written only when `monitor` improves on the best value seen so far
    (starting from `initial_value_threshold` when given); `mode` `"auto"` maximizes names containing `acc`
    (or starting with `fmeasure`) and minimizes the rest. `save_weights_only` calls `model.save_weights`
    (HDF5 layout for `.h5` paths); otherwise `model.save(filepath)`. Every file is written to a temporary
    file and renamed into place, so an interrupted save never replaces a good checkpoint with a broken one.

    The deprecated keyword arguments `period` (save every `period` epochs) and `load_weights_on_restart`
    (load the most recent matching file when training starts) work as in tf.keras.
    """

    def __init__(self, filepath: Any, monitor: str = "val_loss", verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", save_freq: Union[str, int] = "epoch",
                 options: Any = None, initial_value_threshold: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__()
        self._supports_tf_logs = True
        self.monitor = monitor
        self.verbose = verbose
        self.filepath = os.fspath(filepath) if filepath is not None else filepath
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self.epochs_since_last_save = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = -1
        self._current_epoch = 0
        self.best = initial_value_threshold
        if not save_weights_only and self.filepath and self.filepath.endswith(".keras") and options is not None:
            raise ValueError("The native TF-Keras format does not support the `options` argument. Please remove the "
                             "`options` argument, or use the SavedModel format by removing the `.keras` extension "
                             "from the model filepath.")
        self._options = options

        self.load_weights_on_restart = False
        if "load_weights_on_restart" in kwargs:
            self.load_weights_on_restart = kwargs.pop("load_weights_on_restart")
            _logger.warning("`load_weights_on_restart` argument is deprecated. Please use `model.load_weights()` for "
                            "loading weights before the start of `model.fit()`.")
        if "period" in kwargs:
            self.period = kwargs.pop("period")
            _logger.warning("`period` argument is deprecated. Please use `save_freq` to specify the frequency in "
                            "number of batches seen.")
        else:
            self.period = 1
        for key in kwargs:
            _logger.warning("ModelCheckpoint ignores the unknown argument `%s`.", key)

        if mode not in ("auto", "min", "max"):
            _logger.warning("ModelCheckpoint mode %s is unknown, fallback to auto mode.", mode)
            mode = "auto"
        maximize = mode == "max" or (mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure")))
        self.monitor_op = np.greater if maximize else np.less
        if self.best is None:
            self.best = -np.inf if maximize else np.inf

        if self.save_freq != "epoch" and not isinstance(self.save_freq, int):
            raise ValueError(f"Unrecognized save_freq: {self.save_freq}. "
                             'Expected save_freq are "epoch" or integer')

    # ---- hooks -----------------------------------------------------------------------------
    def on_train_begin(self, logs: Logs = None) -> None:
        # Formats we cannot write fail here, before an epoch of training is spent.
        if self.save_weights_only and self._uses_our_save_weights():
            from torchkeras_api.saving.hdf5_weights import check_save_format
            check_save_format(str(self.filepath), None)
        if self.load_weights_on_restart:
            filepath = self._get_most_recently_modified_file_matching_pattern(self.filepath)
            if filepath is not None and self._checkpoint_exists(filepath):
                try:
                    self.model.load_weights(filepath)
                except (IOError, ValueError) as e:
                    raise ValueError(f"Error loading file from {filepath}. Reason: {e}") from e

    def _implements_train_batch_hooks(self) -> bool:
        return self.save_freq != "epoch"

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._current_epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self.epochs_since_last_save += 1
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    # ---- saving ----------------------------------------------------------------------------
    def _should_save_on_batch(self, batch: int) -> bool:
        """Counts the batches seen (several per call with steps_per_execution); True every `save_freq`."""
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch started
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch: int, batch: Optional[int], logs: Logs) -> None:
        """Saves to the formatted filepath if it is time to (and, with save_best_only, if monitor improved)."""
        if not (isinstance(self.save_freq, int) or self.epochs_since_last_save >= self.period):
            return
        logs = sync_to_python(dict(logs or {}))
        self.epochs_since_last_save = 0
        filepath = self._get_file_path(epoch, batch, logs)
        dirname = os.path.dirname(filepath)
        if dirname and not os.path.exists(dirname):
            os.makedirs(dirname, exist_ok=True)
        try:
            if self.save_best_only:
                current = logs.get(self.monitor)
                if current is None:
                    _logger.warning("Can save best model only with %s available, skipping.", self.monitor)
                elif self.monitor_op(current, self.best):
                    if self.verbose > 0:
                        print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                                  f"{current:.5f}, saving model to {filepath}")
                    self.best = current
                    self._save_handler(filepath)
                elif self.verbose > 0:
                    print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
            else:
                if self.verbose > 0:
                    print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
                self._save_handler(filepath)
        except IsADirectoryError as e:
            raise IOError("Please specify a non-directory filepath for ModelCheckpoint. Filepath used is an "
                          f"existing directory: {filepath}") from e

    def _uses_our_save_weights(self) -> bool:
        from torchkeras_api.engine.training import Model
        return getattr(type(self.model), "save_weights", None) is Model.save_weights

    def _save_handler(self, filepath: str) -> None:
        from torchkeras_api.distribute.model_setup import is_chief
        if not is_chief(self.model):
            return
        if self.save_weights_only:
            if filepath.endswith(".weights.h5"):
                self.model.save_weights(filepath, overwrite=True)
            else:
                self.model.save_weights(filepath, overwrite=True, options=self._options)
            return
        if filepath.endswith(".keras") or self._options is None:
            self.model.save(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True, options=self._options)

    def _get_file_path(self, epoch: int, batch: Optional[int], logs: dict) -> str:
        """The filepath template filled with the 1-based epoch (and batch) and the logs."""
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}') from e

    # ---- resuming --------------------------------------------------------------------------
    def _checkpoint_exists(self, filepath: str) -> bool:
        if filepath.endswith(".h5"):
            return os.path.exists(filepath)
        return os.path.exists(filepath) or os.path.exists(filepath + ".index")

    def _get_most_recently_modified_file_matching_pattern(self, pattern: str) -> Optional[str]:
        """The most recently modified file whose name fits `pattern` (each `{...}` field matching anything);
        among files modified at the same latest time, the largest path. None if nothing matches."""
        dir_name = os.path.dirname(pattern)
        base_name = os.path.basename(pattern)
        parts = re.split(r"\{[^{}]*\}", base_name)
        name_regex = re.compile("^" + ".*".join(re.escape(part) for part in parts) + "$")
        folder = dir_name or "."
        if not os.path.isdir(folder):
            return None
        latest_time = None
        latest_paths = []
        for file_name in os.listdir(folder):
            if not name_regex.match(file_name):
                continue
            path = os.path.join(dir_name, file_name)
            mod_time = os.path.getmtime(path)
            if latest_time is None or mod_time > latest_time:
                latest_time, latest_paths = mod_time, [path]
            elif mod_time == latest_time:
                latest_paths.append(path)
        return max(latest_paths) if latest_paths else None
