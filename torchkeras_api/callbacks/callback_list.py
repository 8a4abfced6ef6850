"""tf.keras.callbacks.CallbackList: calls every callback's hook at once."""
from typing import Any, Dict, Iterator, List, Optional

from torchkeras_api.callbacks.callback import Callback, Logs
from torchkeras_api.callbacks.history import History
from torchkeras_api.callbacks.progbar_logger import ProgbarLogger
from torchkeras_api.utils import nest
from torchkeras_api.utils.progbar import sync_to_python

_MODES = ("train", "test", "predict")


class CallbackList:
    """A list of callbacks with the same hooks as a `Callback`, each calling all of them in order.

    `add_history` / `add_progbar` append a `History` / `ProgbarLogger` unless the list has one; `model` and
    `**params` are passed to every callback. Logs may hold 0-d device tensors: they are read back to python
    numbers only for callbacks that take that hook (`calls_batch_hooks`), never for an unheard batch hook.
    """

    def __init__(self, callbacks: Any = None, add_history: bool = False, add_progbar: bool = False,
                 model: Any = None, **params: Any) -> None:
        self.callbacks: List[Callback] = nest.flatten(callbacks) if callbacks else []
        self._history: Optional[History] = None
        self._progbar: Optional[ProgbarLogger] = None
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger):
                self._progbar = callback
            elif isinstance(callback, History):
                self._history = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger(count_mode="steps")
            self.callbacks.append(self._progbar)
        self.model = None
        self.params: Dict[str, Any] = {}
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._find_listeners()

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)
        self._find_listeners()

    def set_params(self, params: Dict[str, Any]) -> None:
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)
        self._find_listeners()

    def set_model(self, model: Any) -> None:
        self.model = model
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    @property
    def needs_batch_logs(self) -> bool:
        """Whether any callback takes a batch-level hook of any mode."""
        return any(self._listeners.values())

    def calls_batch_hooks(self, mode: str) -> bool:
        """Whether any callback takes the batch hooks of mode `"train"`, `"test"` or `"predict"`."""
        if mode not in _MODES:
            raise ValueError(f"Unknown mode: {mode!r}. Expected one of {list(_MODES)}.")
        return bool(self._listeners[mode])

    def _find_listeners(self) -> None:
        """Which callbacks take each mode's batch hooks (the others are skipped there)."""
        for callback in self.callbacks:
            if not hasattr(callback, "_implements_train_batch_hooks"):
                raise AttributeError(f"Each callback must be a `keras.callbacks.Callback`; got {callback!r} of "
                                     f"type {type(callback).__name__}.")
        self._listeners = {mode: [cb for cb in self.callbacks if getattr(cb, f"_implements_{mode}_batch_hooks")()]
                           for mode in _MODES}

    def _call_batch_hook(self, mode: str, hook: str, batch: int, logs: Logs) -> None:
        """Calls `on_{mode}_batch_{hook}` of the listeners; logs are read back once, for the first that needs it."""
        listeners = self._listeners[mode]
        if not listeners:
            return
        hook_name = f"on_{mode}_batch_{hook}"
        logs = {} if logs is None else logs
        synced = False
        for callback in listeners:
            if not synced and not getattr(callback, "_supports_tf_logs", False):
                logs, synced = sync_to_python(logs), True
            getattr(callback, hook_name)(batch, logs)

    def _call_hook(self, hook_name: str, *args: Any, logs: Logs = None) -> None:
        """Calls hook_name of every callback with the logs read back to python values."""
        logs = {} if logs is None else sync_to_python(logs)
        for callback in self.callbacks:
            getattr(callback, hook_name)(*args, logs)

    def on_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._call_batch_hook("train", "begin", batch, logs)

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._call_batch_hook("train", "end", batch, logs)

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._call_batch_hook("train", "begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._call_batch_hook("train", "end", batch, logs)

    def on_test_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._call_batch_hook("test", "begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._call_batch_hook("test", "end", batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._call_batch_hook("predict", "begin", batch, logs)

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._call_batch_hook("predict", "end", batch, logs)

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._call_hook("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self._call_hook("on_epoch_end", epoch, logs=logs)

    def on_train_begin(self, logs: Logs = None) -> None:
        """Calls every `on_train_begin`, then drops listeners that stay silent during fit (validation bars)."""
        self._call_hook("on_train_begin", logs=logs)
        self._find_listeners()

    def on_train_end(self, logs: Logs = None) -> None:
        self._call_hook("on_train_end", logs=logs)

    def on_test_begin(self, logs: Logs = None) -> None:
        self._call_hook("on_test_begin", logs=logs)

    def on_test_end(self, logs: Logs = None) -> None:
        self._call_hook("on_test_end", logs=logs)

    def on_predict_begin(self, logs: Logs = None) -> None:
        self._call_hook("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: Logs = None) -> None:
        self._call_hook("on_predict_end", logs=logs)
