"""tf.keras.callbacks.LambdaCallback."""
from typing import Any, Callable, Optional

from torchkeras_api.callbacks.callback import Callback

Hook = Optional[Callable[..., Any]]


class LambdaCallback(Callback):
    """A callback made of plain functions, called positionally.

    `on_epoch_begin`/`on_epoch_end` take `(epoch, logs)`, `on_batch_begin`/`on_batch_end` take
    `(batch, logs)`, `on_train_begin`/`on_train_end` take `(logs)`; other hooks may be given by keyword.
    """

    def __init__(self, on_epoch_begin: Hook = None, on_epoch_end: Hook = None, on_batch_begin: Hook = None,
                 on_batch_end: Hook = None, on_train_begin: Hook = None, on_train_end: Hook = None,
                 **kwargs: Any) -> None:
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end, "on_batch_begin": on_batch_begin,
                 "on_batch_end": on_batch_end, "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        self.__dict__.update({name: fn for name, fn in hooks.items() if fn is not None})
