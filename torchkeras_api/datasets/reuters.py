"""tf.keras.datasets.reuters: 11,228 Reuters newswires labelled over 46 topics, as sequences of word indices."""
from typing import Any, Dict, Optional, Tuple

import numpy as np

from torchkeras_api.datasets import word_sequences as words
from torchkeras_api.datasets.remote import fetch

Split = Tuple[np.ndarray, np.ndarray]

_LABEL_NAMES = ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
                "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
                "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
                "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
                "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path: str = "reuters.npz", num_words: Optional[int] = None, skip_top: int = 0,
              maxlen: Optional[int] = None, test_split: float = 0.2, seed: int = 113, start_char: Optional[int] = 1,
              oov_char: Optional[int] = 2, index_from: int = 3, cache_dir: Optional[str] = None,
              **kwargs: Any) -> Tuple[Split, Split]:
    """`(x_train, y_train), (x_test, y_test)`: the newswires shuffled with `seed`, the last `test_split` of them
    for testing; x object arrays of word-index lists encoded as in `imdb.load_data`, y topic indices."""
    num_words = words.num_words_argument(num_words, kwargs)
    with np.load(fetch("reuters.npz", path, cache_dir), allow_pickle=True) as data:
        xs, labels = data["x"], data["y"]
    xs, labels = words.shuffle(np.random.RandomState(seed), xs, labels)
    sequences = words.shift(xs, start_char, index_from)
    if maxlen:
        sequences, labels = words.drop_long(maxlen, sequences, labels)
    sequences = words.limit_vocabulary(sequences, num_words, skip_top, oov_char)
    cut = int(len(sequences) * (1 - test_split))
    return ((words.object_array(sequences[:cut]), np.array(labels[:cut])),
            (words.object_array(sequences[cut:]), np.array(labels[cut:])))


def get_word_index(path: str = "reuters_word_index.json") -> Dict[str, int]:
    """The word -> index dictionary of the newswires (indices before the `index_from` shift)."""
    return words.load_word_index("reuters_word_index.json", path)


def get_label_names() -> Tuple[str, ...]:
    """The 46 topic names, position `i` naming label `i`."""
    return _LABEL_NAMES
