"""tf.keras.preprocessing.sequence: padding sequences, batches of timeseries windows and word2vec skip-gram
pairs."""
import json
import random
from typing import Any, Dict, List, Optional, Sequence as SequenceType, Tuple

import numpy as np

from torchkeras_api.utils.data_utils import Sequence
from torchkeras_api.utils.sequence_utils import pad_sequences

__all__ = ["TimeseriesGenerator", "make_sampling_table", "pad_sequences", "skipgrams"]


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


def make_sampling_table(size: int, sampling_factor: float = 1e-5) -> np.ndarray:
    """word2vec's probability of keeping the word of each rank `0..size-1` (rank 0 as rank 1), the word
    frequencies approximated by Zipf's law: `min(1, sqrt(f))` with `f = sampling_factor * (rank * (log(rank) +
    gamma) + 1/2 - 1/(12 rank))`, gamma 0.577."""
    rank = np.arange(size)
    rank[0] = 1
    inverse_frequency = rank * (np.log(rank) + 0.577) + 0.5 - 1.0 / (12.0 * rank)
    scaled = sampling_factor * inverse_frequency
    return np.minimum(1.0, scaled / np.sqrt(scaled))


def skipgrams(sequence: SequenceType[int], vocabulary_size: int, window_size: int = 4,
              negative_samples: float = 1.0, shuffle: bool = True, categorical: bool = False,
              sampling_table: Optional[SequenceType[float]] = None,
              seed: Optional[int] = None) -> Tuple[List[List[int]], List[Any]]:
    """word2vec training pairs from a sequence of word indices (0 is skipped): `[word, context]` pairs of words
    at most `window_size` apart labelled 1, then `negative_samples` times as many `[word, random index]` pairs
    labelled 0 (`[0, 1]` / `[1, 0]` with `categorical`). A word of index `i` is kept with probability
    `sampling_table[i]`. Draws from Python's `random` module; `seed` seeds only the final shuffle."""
    couples: List[List[int]] = []
    labels: List[Any] = []
    for i, word in enumerate(sequence):
        if not word:
            continue
        if sampling_table is not None and sampling_table[word] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([word, sequence[j]])
                labels.append([0, 1] if categorical else 1)
    if negative_samples > 0:
        count = int(len(labels) * negative_samples)
        words = [couple[0] for couple in couples]
        random.shuffle(words)
        couples += [[words[k % len(words)], random.randint(1, int(vocabulary_size - 1))] for k in range(count)]
        labels += [[1, 0] if categorical else 0] * count
    if shuffle:
        if seed is None:
            seed = random.randint(0, int(10e6))
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels
