"""tf.keras.preprocessing.text: the legacy text utilities (Tokenizer, word splitting and word hashing)."""
import collections
import hashlib
import json
import warnings
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Union

import numpy as np

__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence", "tokenizer_from_json"]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text: str, filters: str = DEFAULT_FILTERS, lower: bool = True,
                          split: str = " ") -> List[str]:
    """The words of `input_text`: lowercased (with `lower`), each character of `filters` replaced by `split`,
    then split on `split`, empty pieces dropped."""
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({char: split for char in filters}))
    return [word for word in input_text.split(split) if word]


def _md5_hash(word: str) -> int:
    return int(hashlib.md5(word.encode()).hexdigest(), 16)


def hashing_trick(text: str, n: int, hash_function: Union[None, str, Callable[[str], int]] = None,
                  filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " ",
                  analyzer: Optional[Callable[[str], List[str]]] = None) -> List[int]:
    """The words of `text` hashed to indices in `[1, n)`. `hash_function` None is Python's `hash` (salted per
    process, so not reproducible across runs), 'md5' is stable, or any callable from str to int."""
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5_hash
    words = analyzer(text) if analyzer is not None else text_to_word_sequence(text, filters, lower, split)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(input_text: str, n: int, filters: str = DEFAULT_FILTERS, lower: bool = True, split: str = " ",
            analyzer: Optional[Callable[[str], List[str]]] = None) -> List[int]:
    """The words of `input_text` hashed with Python's `hash` to indices in `[1, n)` (not one-hot vectors)."""
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower, split=split,
                         analyzer=analyzer)


class Tokenizer:
    """Maps words (or characters, with `char_level`) to integer indices ranked by frequency, and texts to
    sequences of those indices or to bag-of-words matrices. Index 0 is never used; `oov_token`, when given,
    takes index 1 and replaces unknown words. Only the `num_words - 1` most frequent words are kept in
    sequences and matrices."""

    def __init__(self, num_words: Optional[int] = None, filters: str = DEFAULT_FILTERS, lower: bool = True,
                 split: str = " ", char_level: bool = False, oov_token: Optional[str] = None,
                 analyzer: Optional[Callable[[str], List[str]]] = None, document_count: int = 0,
                 **kwargs: Any):
        if "nb_words" in kwargs:
            warnings.warn("The `nb_words` argument in `Tokenizer` has been renamed `num_words`.")
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError("Unrecognized keyword arguments: " + str(kwargs))
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.analyzer = analyzer
        self.document_count = document_count
        self.word_counts: Dict[str, int] = collections.OrderedDict()
        self.word_docs: Dict[str, int] = collections.defaultdict(int)
        self.index_docs: Dict[int, int] = collections.defaultdict(int)
        self.word_index: Dict[str, int] = {}
        self.index_word: Dict[int, str] = {}

    def _tokens(self, text: Union[str, List[str]]) -> Sequence[str]:
        """The tokens of one text: its characters (with `char_level`) or the items of a list, else its words."""
        if self.char_level or isinstance(text, list):
            if not self.lower:
                return text
            return [item.lower() for item in text] if isinstance(text, list) else text.lower()
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower, split=self.split)

    def fit_on_texts(self, texts: Iterable[Union[str, List[str]]]) -> None:
        """Counts the tokens of `texts` (strings, or lists of tokens) and rebuilds `word_index`: most frequent
        first, ties in order of first appearance."""
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        ranked = sorted(self.word_counts, key=self.word_counts.__getitem__, reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + ranked
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in list(self.word_docs.items()):
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences: Sequence[Sequence[int]]) -> None:
        """Counts, for `tfidf` matrices, the documents each index occurs in."""
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def _kept_index(self, index: int) -> Optional[int]:
        """`index`, the OOV index when `num_words` drops it, or None when it is dropped without OOV token."""
        if self.num_words and index >= self.num_words:
            return self.word_index.get(self.oov_token)
        return index

    def texts_to_sequences(self, texts: Iterable[Union[str, List[str]]]) -> List[List[int]]:
        """Each text as the list of the indices of its tokens."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts: Iterable[Union[str, List[str]]]) -> Iterator[List[int]]:
        """Yields each text as the list of the indices of its tokens."""
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            sequence = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is not None:
                    index = self._kept_index(index)
                    if index is not None:
                        sequence.append(index)
                elif self.oov_token is not None:
                    sequence.append(oov_index)
            yield sequence

    def sequences_to_texts(self, sequences: Iterable[Sequence[int]]) -> List[str]:
        """Each sequence of indices as the text of its words joined by spaces."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences: Iterable[Sequence[int]]) -> Iterator[str]:
        """Yields each sequence of indices as the text of its words joined by spaces."""
        oov_index = self.word_index.get(self.oov_token)
        for sequence in sequences:
            words = []
            for index in sequence:
                if index in self.index_word:
                    kept = self._kept_index(index)
                    if kept is not None:
                        words.append(self.index_word[kept])
                elif self.oov_token is not None:
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    def texts_to_matrix(self, texts: Iterable[Union[str, List[str]]], mode: str = "binary") -> np.ndarray:
        """A `(len(texts), num_words)` float64 matrix of the texts' tokens, see `sequences_to_matrix`."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences: Sequence[Sequence[int]], mode: str = "binary") -> np.ndarray:
        """A `(len(sequences), num_words)` float64 matrix: per index, 1 ('binary'), its count ('count'), its
        count over the sequence length ('freq'), or `(1 + log(count)) * log(1 + documents / (1 +
        documents with the index))` ('tfidf'). Indices `>= num_words` are ignored."""
        if mode not in MATRIX_MODES:
            raise ValueError(f"Unknown vectorization mode: {mode}. Expected one of {MATRIX_MODES}.")
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError("Specify a dimension (`num_words` argument), or fit on some text data first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")
        matrix = np.zeros((len(sequences), width))
        for row, sequence in enumerate(sequences):
            counts = collections.Counter(index for index in sequence if index < width)
            for index, count in counts.items():
                matrix[row, index] = self._matrix_value(mode, count, len(sequence), index)
        return matrix

    def _matrix_value(self, mode: str, count: int, length: int, index: int) -> float:
        if mode == "binary":
            return 1.0
        if mode == "count":
            return count
        if mode == "freq":
            return count / length
        documents = self.index_docs.get(index, 0)
        return (1 + np.log(count)) * np.log(1 + self.document_count / (1 + documents))

    def get_config(self) -> Dict[str, Any]:
        """The settings and, as JSON strings, the counts and indices (the format of tf.keras)."""
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower, "split": self.split,
                "char_level": self.char_level, "oov_token": self.oov_token, "document_count": self.document_count,
                "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
                "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
                "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs: Any) -> str:
        """The tokenizer as a JSON string for `tokenizer_from_json`; `kwargs` go to `json.dumps`."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string: str) -> Tokenizer:
    """A Tokenizer from the JSON string of `Tokenizer.to_json` (ours or tf.keras's)."""
    config = dict(json.loads(json_string).get("config"))
    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    index_docs = {int(key): value for key, value in json.loads(config.pop("index_docs")).items()}
    index_word = {int(key): value for key, value in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = word_docs
    tokenizer.index_docs = index_docs
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer
