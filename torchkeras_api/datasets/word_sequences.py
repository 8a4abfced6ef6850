"""What the IMDB and Reuters loaders do to their word-index sequences: shuffling, index shifting, length
filtering and vocabulary limits."""
import json
import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from torchkeras_api.datasets.remote import fetch


def num_words_argument(num_words: Optional[int], kwargs: Dict[str, Any], dot: str = "") -> Optional[int]:
    """`num_words`, or the deprecated `nb_words`; a TypeError for any other keyword argument."""
    if "nb_words" in kwargs:
        logging.warning("The `nb_words` argument in `load_data` has been renamed `num_words`.")
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {kwargs}{dot}")
    return num_words


def shuffle(rng: np.random.RandomState, xs: np.ndarray, labels: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """`xs` and `labels` in the same random order drawn from `rng`."""
    order = np.arange(len(xs))
    rng.shuffle(order)
    return xs[order], labels[order]


def shift(xs: Sequence[Sequence[int]], start_char: Optional[int], index_from: int) -> List[List[int]]:
    """Word indices moved up by `index_from`, each sequence led by `start_char` when it is not None."""
    lead = [] if start_char is None else [start_char]
    return [lead + [word + index_from for word in x] for x in xs]


def drop_long(maxlen: int, xs: List[List[int]], labels: np.ndarray) -> Tuple[List[List[int]], np.ndarray]:
    """Only the sequences shorter than `maxlen` (and their labels)."""
    keep = [len(x) < maxlen for x in xs]
    return [x for x, kept in zip(xs, keep) if kept], np.asarray(labels)[np.asarray(keep, dtype=bool)]


def limit_vocabulary(xs: List[List[int]], num_words: Optional[int], skip_top: int,
                     oov_char: Optional[int]) -> List[List[int]]:
    """Words outside `[skip_top, num_words)` replaced by `oov_char`, or dropped when it is None. Without
    `num_words` the bound is the largest index present."""
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(xs: List[List[int]]) -> np.ndarray:
    """A 1-D object array whose items are the lists of `xs`."""
    array = np.empty(len(xs), dtype="object")
    array[:] = xs
    return array


def load_word_index(source: str, path: str) -> Dict[str, int]:
    """The JSON word -> index dictionary published as `source`, cached as `path`."""
    with open(fetch(source, path)) as file:
        return json.load(file)
