"""tf.keras.datasets.imdb: 50,000 movie reviews labelled by sentiment, as sequences of word indices."""
from typing import Any, Dict, Optional, Tuple

import numpy as np

from torchkeras_api.datasets import word_sequences as words
from torchkeras_api.datasets.remote import fetch

Split = Tuple[np.ndarray, np.ndarray]


def load_data(path: str = "imdb.npz", num_words: Optional[int] = None, skip_top: int = 0,
              maxlen: Optional[int] = None, seed: int = 113, start_char: Optional[int] = 1,
              oov_char: Optional[int] = 2, index_from: int = 3, cache_dir: Optional[str] = None,
              **kwargs: Any) -> Tuple[Split, Split]:
    """`(x_train, y_train), (x_test, y_test)`: 25,000 reviews each, x an object array of word-index lists (index
    `i` of the word index is `i + index_from`; 0 is padding, `start_char` leads each review, words outside
    `[skip_top, num_words)` become `oov_char` or are dropped when it is None; reviews not shorter than `maxlen` are
    dropped), y 0/1 labels. Both splits are shuffled with `seed`."""
    num_words = words.num_words_argument(num_words, kwargs, ".")
    with np.load(fetch("imdb.npz", path, cache_dir), allow_pickle=True) as data:
        x_train, y_train = data["x_train"], data["y_train"]
        x_test, y_test = data["x_test"], data["y_test"]
    rng = np.random.RandomState(seed)
    x_train, y_train = words.shuffle(rng, x_train, y_train)
    x_test, y_test = words.shuffle(rng, x_test, y_test)
    train = words.shift(x_train, start_char, index_from)
    test = words.shift(x_test, start_char, index_from)
    if maxlen:
        train, y_train = words.drop_long(maxlen, train, y_train)
        test, y_test = words.drop_long(maxlen, test, y_test)
        if not train or not test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept. "
                             "Increase maxlen.")
    xs = words.limit_vocabulary(train + test, num_words, skip_top, oov_char)
    return ((words.object_array(xs[:len(train)]), y_train),
            (words.object_array(xs[len(train):]), y_test))


def get_word_index(path: str = "imdb_word_index.json") -> Dict[str, int]:
    """The word -> index dictionary of the IMDB reviews (indices before the `index_from` shift)."""
    return words.load_word_index("imdb_word_index.json", path)
