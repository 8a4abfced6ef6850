"""TextVectorization: strings to token indices or bag-of-words vectors, as `tf.keras.layers.TextVectorization`."""
import re
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch

from torchkeras_api.engine.keras_tensor import STRING, KerasTensor, TensorShape
from torchkeras_api.layers.preprocessing import preprocessing_utils as utils
from torchkeras_api.layers.preprocessing.base import PreprocessingLayer
from torchkeras_api.layers.preprocessing.categorical import StringLookup, _adapt_maybe_build
from torchkeras_api.layers.preprocessing.preprocessing_utils import COUNT, INT, MULTI_HOT, TF_IDF

LOWER_AND_STRIP_PUNCTUATION = "lower_and_strip_punctuation"
LOWER = "lower"
STRIP_PUNCTUATION = "strip_punctuation"
WHITESPACE = "whitespace"
CHARACTER = "character"

DEFAULT_STRIP_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'
"""The ASCII punctuation tf.keras strips."""
_STRIP = re.compile(DEFAULT_STRIP_REGEX)
_TOKEN = re.compile(r"[^ \t\n\r\v\f]+")
"""A whitespace token: TensorFlow splits on ASCII whitespace only."""
_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
"""`tf.strings.lower` (no encoding given) lowers ASCII letters only."""


def _standardize(strings: np.ndarray, standardize: Union[str, Callable, None]) -> np.ndarray:
    if standardize in (LOWER, LOWER_AND_STRIP_PUNCTUATION):
        strings = np.array([s.translate(_ASCII_LOWER) for s in strings.reshape(-1)], dtype=object
                           ).reshape(strings.shape)
    if standardize in (STRIP_PUNCTUATION, LOWER_AND_STRIP_PUNCTUATION):
        strings = np.array([_STRIP.sub("", s) for s in strings.reshape(-1)], dtype=object).reshape(strings.shape)
    if callable(standardize):
        strings = np.asarray(standardize(strings), dtype=object)
    return strings


def _ngrams(tokens: List[str], widths: Sequence[int]) -> List[str]:
    """All n-grams of each width in turn, words joined by a space, as `tf.strings.ngrams`."""
    out: List[str] = []
    for width in widths:
        out.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
    return out


class TextVectorization(PreprocessingLayer):
    """Standardizes and splits strings into tokens, then maps them to vocabulary indices (`output_mode='int'`,
    0 is padding and 1 out-of-vocabulary) or to multi-hot / count / tf-idf vectors over the vocabulary.

    Inputs are numpy arrays or lists of str/bytes of shape `(batch,)` or `(batch, 1)`. Callable `standardize`
    receives and returns a numpy object array of str; callable `split` receives a 1-D one and returns one token
    list per string.
    """

    def __init__(self, max_tokens: Optional[int] = None,
                 standardize: Union[str, Callable, None] = LOWER_AND_STRIP_PUNCTUATION,
                 split: Union[str, Callable, None] = WHITESPACE, ngrams: Union[int, tuple, None] = None,
                 output_mode: Optional[str] = INT, output_sequence_length: Optional[int] = None,
                 pad_to_max_tokens: bool = False, vocabulary: Any = None, idf_weights: Any = None,
                 sparse: bool = False, ragged: bool = False, encoding: str = "utf-8", **kwargs: Any):
        if kwargs.get("dtype", STRING) != STRING:
            raise ValueError(f"`TextVectorization` may only have a dtype of string. Received dtype: {kwargs['dtype']}.")
        kwargs["dtype"] = STRING
        utils.validate_string_arg(standardize, (LOWER_AND_STRIP_PUNCTUATION, LOWER, STRIP_PUNCTUATION),
                                  "TextVectorization", "standardize", allow_none=True, allow_callables=True)
        utils.validate_string_arg(split, (WHITESPACE, CHARACTER), "TextVectorization", "split", allow_none=True,
                                  allow_callables=True)
        output_mode = {"binary": MULTI_HOT, "tf-idf": TF_IDF}.get(output_mode, output_mode)
        utils.validate_string_arg(output_mode, (INT, COUNT, MULTI_HOT, TF_IDF), "TextVectorization", "output_mode",
                                  allow_none=True)
        if not (ngrams is None or isinstance(ngrams, int)
                or isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams)):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. Received: ngrams={ngrams}")
        if output_mode == INT and not (output_sequence_length is None or isinstance(output_sequence_length, int)):
            raise ValueError("`output_sequence_length` must be either None or an integer when `output_mode` is "
                             f"'int'. Received: output_sequence_length={output_sequence_length}")
        if output_mode != INT and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if `output_mode` is not 'int'. Received "
                             f"output_sequence_length={output_sequence_length}.")
        if ragged and output_mode != INT:
            raise ValueError(f"`ragged` must not be true if `output_mode` is `'int'`. Received: ragged={ragged} and "
                             f"output_mode={output_mode}")
        if ragged and output_sequence_length is not None:
            raise ValueError("`output_sequence_length` must not be set if ragged is True. Received: "
                             f"ragged={ragged} and output_sequence_length={output_sequence_length}")
        if ragged:
            raise NotImplementedError("TextVectorization(ragged=True) is not supported: torchkeras_api has no ragged "
                                      "tensors. Use `output_sequence_length` or the default padding instead.")
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(**kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._has_input_vocabulary = has_input_vocabulary
        self._lookup_layer = StringLookup(max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
                                          pad_to_max_tokens=pad_to_max_tokens, mask_token="",
                                          output_mode=output_mode if output_mode is not None else INT, sparse=sparse,
                                          has_input_vocabulary=has_input_vocabulary, encoding=encoding,
                                          vocabulary_size=vocabulary_size)

    # ---- vocabulary ------------------------------------------------------------------------------------------
    def get_vocabulary(self, include_special_tokens: bool = True) -> List[str]:
        """The vocabulary in index order; with `include_special_tokens`, padding ('') and OOV tokens first."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """Size of the vocabulary, padding and OOV indices included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the vocabulary (a sequence, array, or the path of a file with one token a line) and, for
        `output_mode='tf_idf'`, the idf weights."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ---- adapt -----------------------------------------------------------------------------------------------
    def update_state(self, data: Any) -> None:
        if self._has_input_vocabulary:
            raise ValueError("Cannot adapt StringLookup layer after setting a static vocabulary via init argument "
                             "or `set_vocabulary`.")
        _adapt_maybe_build(self, data, STRING)
        tokens = self._preprocess(data)
        if self._split is None and not isinstance(tokens, list):
            tokens = [tokens.reshape(-1).tolist()] if tokens.ndim <= 1 else tokens.reshape(len(tokens), -1).tolist()
        self._lookup_layer.update_documents(tokens)

    def reset_state(self) -> None:
        self._lookup_layer.reset_state()

    def finalize_state(self) -> None:
        self._lookup_layer.finalize_state()

    # ---- calling ---------------------------------------------------------------------------------------------
    def _preprocess(self, inputs: Any) -> Union[np.ndarray, List[List[str]]]:
        """Standardized strings (an object array) when `split` is None, else one token list per string."""
        strings = _standardize(utils.to_string_array(inputs, self.name, self._encoding), self._standardize)
        if self._split is None:
            return strings
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError("When using `TextVectorization` to tokenize strings, the input rank must be 1 or "
                                 f"the last shape dimension must be 1. Received: inputs.shape={strings.shape} with "
                                 f"rank={strings.ndim}")
            strings = strings[..., 0]
        flat = strings.reshape(-1)
        if self._split == WHITESPACE:
            tokens = [_TOKEN.findall(s) for s in flat]
        elif self._split == CHARACTER:
            tokens = [list(s) for s in flat]
        else:
            tokens = [[str(t) for t in row] for row in self._split(flat)]
        if self._ngrams is not None:
            tokens = [_ngrams(row, self._ngrams) for row in tokens]
        return tokens

    def call(self, inputs: Any) -> Any:
        scalar = isinstance(inputs, (str, bytes)) or np.ndim(inputs) == 0
        tokens = self._preprocess([inputs] if scalar else inputs)
        if self._output_mode is None:
            return tokens[0] if scalar else tokens
        lookup = self._lookup_layer
        if isinstance(tokens, np.ndarray):
            indices = lookup(tokens)
            if self._output_mode == INT:
                indices = self._fit_length(indices)
        else:
            indices = self._padded_indices(tokens)
            if self._output_mode != INT:
                indices = lookup.encode(indices)
        return indices[0] if scalar else indices

    def _padded_indices(self, tokens: List[List[str]]) -> torch.Tensor:
        """`(batch, length)` indices of the token lists, padded with 0 (or -1 outside int mode, which the
        encoding drops) to `output_sequence_length` or the longest list."""
        lookup = self._lookup_layer
        lengths = np.fromiter((len(row) for row in tokens), dtype=np.int64, count=len(tokens))
        flat = np.empty(int(lengths.sum()), dtype=object)
        flat[:] = [token for row in tokens for token in row]
        values = lookup.lookup_tokens(flat)
        length = self._output_sequence_length
        if length is None or self._output_mode != INT:
            length = int(lengths.max(initial=0))
        rows = np.repeat(np.arange(len(tokens)), lengths)
        cols = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        keep = torch.from_numpy(cols < length).to(values.device)
        device = values.device
        fill = 0 if self._output_mode == INT else -1
        out = torch.full((len(tokens), length), fill, dtype=values.dtype, device=device)
        out[torch.from_numpy(rows).to(device)[keep], torch.from_numpy(cols).to(device)[keep]] = values[keep]
        return out.to(lookup._compute_dtype) if self._output_mode == INT else out

    def _fit_length(self, indices: torch.Tensor) -> torch.Tensor:
        length = self._output_sequence_length
        if length is None:
            return indices
        indices = indices[..., :length]
        return torch.nn.functional.pad(indices, (0, length - indices.shape[-1]))

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        if self._output_mode == INT:
            return TensorShape([input_shape[0] if len(input_shape) else None, self._output_sequence_length])
        if self._split is None:
            shape = tuple(input_shape) + ((1,) if len(input_shape) <= 1 else ())
        else:
            shape = tuple(input_shape) + (None,)
        return self._lookup_layer.compute_output_shape(shape)

    def compute_output_signature(self, input_signature: KerasTensor) -> KerasTensor:
        return KerasTensor(self.compute_output_shape(input_signature.shape), self._lookup_layer._compute_dtype)

    def get_config(self) -> Dict[str, Any]:
        lookup = self._lookup_layer
        config = super().get_config()
        config.update({"max_tokens": lookup.max_tokens, "standardize": self._standardize, "split": self._split,
                       "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                       "output_sequence_length": self._output_sequence_length,
                       "pad_to_max_tokens": lookup.pad_to_max_tokens, "sparse": lookup.sparse,
                       "ragged": self._ragged, "vocabulary": utils.listify(lookup._input_vocabulary),
                       "idf_weights": utils.listify(lookup._input_idf_weights), "encoding": self._encoding,
                       "vocabulary_size": self.vocabulary_size()})
        return config
