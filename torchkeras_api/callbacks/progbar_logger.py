"""tf.keras.callbacks.ProgbarLogger: prints the progress bar and metrics of fit, evaluate and predict."""
from typing import Any, Dict, Iterable, Optional

from torchkeras_api.callbacks.callback import Callback, Logs
from torchkeras_api.utils.progbar import Progbar, print_msg, sync_to_python


class ProgbarLogger(Callback):
    """Prints a `Progbar` per epoch (and per `evaluate`/`predict` run), with `Epoch i/n` headers.

    `count_mode` is `"steps"` (count batches) or `"samples"` (count the `size` entries of the batch logs).
    Values named in `stateful_metrics`, and the model's metrics, are shown as given; others are averaged.
    Batch logs may hold device tensors: they are read only when a line is printed.
    """

    _supports_tf_logs = True

    def __init__(self, count_mode: str = "steps", stateful_metrics: Optional[Iterable[str]] = None) -> None:
        super().__init__()
        if count_mode not in ("samples", "steps"):
            raise ValueError(f'Unknown `count_mode`: {count_mode}. Expected values are ["samples", "steps"]')
        self.use_steps = count_mode == "steps"
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self.seen = 0
        self.progbar: Optional[Progbar] = None
        self.target: Optional[int] = None
        self.verbose = 1
        self.epochs = 1
        self._steps_done = 0
        self._call_batch_hooks = True
        self._called_in_fit = False

    def set_params(self, params: Dict[str, Any]) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps" if self.use_steps else "samples")
        self._call_batch_hooks = self.verbose == 1 or self.target is None

    def on_train_begin(self, logs: Logs = None) -> None:
        self._called_in_fit = True

    def on_test_begin(self, logs: Logs = None) -> None:
        if not self._called_in_fit:
            self._start_progbar()

    def on_predict_begin(self, logs: Logs = None) -> None:
        self._start_progbar()

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._start_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._batch_update_progbar(batch, logs)

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        if not self._called_in_fit:
            self._batch_update_progbar(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._batch_update_progbar(batch, None)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self._finalize_progbar(logs)

    def on_test_end(self, logs: Logs = None) -> None:
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs: Logs = None) -> None:
        self._finalize_progbar(logs)

    def _implements_train_batch_hooks(self) -> bool:
        return self._call_batch_hooks

    def _implements_test_batch_hooks(self) -> bool:
        return self._call_batch_hooks and not self._called_in_fit

    def _implements_predict_batch_hooks(self) -> bool:
        return self._call_batch_hooks

    def _start_progbar(self) -> None:
        self.seen = 0
        self._steps_done = 0
        self.progbar = None
        self._maybe_init_progbar()

    def _maybe_init_progbar(self) -> None:
        """Creates the bar if needed and marks the model's metrics (running means already) as stateful."""
        self.stateful_metrics = set(self.stateful_metrics)
        self.stateful_metrics.update(m.name for m in getattr(self.model, "metrics", None) or ())
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, stateful_metrics=self.stateful_metrics,
                                   unit_name="step" if self.use_steps else "sample")
        self.progbar._update_stateful_metrics(self.stateful_metrics)

    def _batch_update_progbar(self, batch: int, logs: Logs) -> None:
        logs = logs or {}
        if self.progbar is None or not self._steps_done:
            self._maybe_init_progbar()
        self._steps_done = batch + 1
        if self.use_steps:
            self.seen = batch + 1
        else:
            logs = dict(logs)
            size = logs.pop("size", 0)
            num_steps = logs.pop("num_steps", 1)
            logs.pop("batch", None)
            self.seen += num_steps * size
        if self.verbose == 1:
            self.progbar.update(self.seen, list(logs.items()), finalize=False)

    def _finalize_progbar(self, logs: Logs) -> None:
        logs = sync_to_python(logs or {})
        if self.target is None:
            steps = self._steps_done if self.use_steps else self._steps_done * logs.get("size", 1)
            self.target = steps or self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list(logs.items()), finalize=True)
