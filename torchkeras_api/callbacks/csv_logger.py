"""tf.keras.callbacks.CSVLogger."""
import collections.abc
import csv
import os
from typing import Any, List, Optional, Union

import numpy as np

from torchkeras_api.callbacks.callback import Callback, Logs


def _csv_value(value: Any) -> Any:
    """Strings and scalars as they are; other iterables as a quoted `"[a, b]"` list."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f"\"[{', '.join(map(str, value))}]\""
    return value


class CSVLogger(Callback):
    """Writes one CSV row per epoch (`epoch` and the logs' values, columns sorted by name) to `filename`.

    With `append=True` rows go after an existing file's (the header only when the file is empty).
    """

    def __init__(self, filename: Union[str, "os.PathLike[str]"], separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: Optional[csv.DictWriter] = None
        self.keys: Optional[List[str]] = None
        self.append_header = True

    def on_train_begin(self, logs: Logs = None) -> None:
        if self.append and os.path.exists(self.filename):
            with open(self.filename, "r", newline="") as f:
                self.append_header = not f.readline()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(key.startswith("val_") for key in self.keys):
                self.keys.extend(["val_" + key for key in self.keys])
        if self.writer is None:
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys, delimiter=self.sep)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Logs = None) -> None:
        self.csv_file.close()
        self.writer = None
