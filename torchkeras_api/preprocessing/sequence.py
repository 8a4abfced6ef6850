"""tf.keras.preprocessing.sequence: padding sequences and batches of timeseries windows."""
import json
from typing import Any, Dict, Optional, Tuple

import numpy as np

from torchkeras_api.utils.data_utils import Sequence
from torchkeras_api.utils.sequence_utils import pad_sequences

__all__ = ["TimeseriesGenerator", "pad_sequences"]


def _json_text(values: Any, what: str) -> str:
    """`values` (a numpy array as a list) as JSON text."""
    values = values.tolist() if isinstance(values, (np.ndarray, np.generic)) else values
    try:
        return json.dumps(values)
    except TypeError as error:
        raise TypeError(f"{what} not JSON Serializable:", values) from error


class TimeseriesGenerator(Sequence):
    """Batches of `(samples, targets)`: sample `i` holds `length // sampling_rate` timesteps of `data` ending just
    before row `start_index + i * stride` (rows `sampling_rate` apart), its target that row of `targets`."""

    def __init__(self, data: Any, targets: Any, length: int, sampling_rate: int = 1, stride: int = 1,
                 start_index: int = 0, end_index: Optional[int] = None, shuffle: bool = False, reverse: bool = False,
                 batch_size: int = 128):
        if len(data) != len(targets):
            raise ValueError(f"Data and targets have to be of same length. Data length is {len(data)} while target "
                             f"length is {len(targets)}")
        self.data, self.targets = data, targets
        self.length, self.sampling_rate, self.stride = length, sampling_rate, stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"`start_index+length={self.start_index} > end_index={self.end_index}` is disallowed, as "
                             "no part of the sequence would be left to be used as current step.")

    def __len__(self) -> int:
        return (self.end_index - self.start_index + self.batch_size * self.stride) // (self.batch_size * self.stride)

    def _rows(self, index: int) -> np.ndarray:
        if self.shuffle:
            return np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        first = self.start_index + self.batch_size * self.stride * index
        return np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)

    def __getitem__(self, index: int) -> Tuple[np.ndarray, np.ndarray]:
        rows = self._rows(index)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            return samples[:, ::-1, ...], targets
        return samples, targets

    def get_config(self) -> Dict[str, Any]:
        """The generator's arguments, `data` and `targets` as JSON text (`start_index` includes `length`, as in
        tf.keras)."""
        return {"data": _json_text(self.data, "Data"), "targets": _json_text(self.targets, "Targets"),
                "length": self.length, "sampling_rate": self.sampling_rate, "stride": self.stride,
                "start_index": self.start_index, "end_index": self.end_index, "shuffle": self.shuffle,
                "reverse": self.reverse, "batch_size": self.batch_size}

    def to_json(self, **kwargs: Any) -> str:
        """The generator's config as a JSON string."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)
