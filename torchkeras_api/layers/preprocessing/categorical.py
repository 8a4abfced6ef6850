"""Categorical preprocessing: CategoryEncoding, and the vocabulary lookups IntegerLookup and StringLookup."""
import collections
import os
from typing import Any, Dict, Iterable, List, Optional, Sequence

import numpy as np
import torch

from torchkeras_api import backend_config
from torchkeras_api.engine import call_context
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.keras_tensor import STRING, KerasTensor, TensorShape
from torchkeras_api.layers.preprocessing import preprocessing_utils as utils
from torchkeras_api.layers.preprocessing.base import PreprocessingLayer
from torchkeras_api.layers.preprocessing.hashing import hash_to_buckets
from torchkeras_api.layers.preprocessing.preprocessing_utils import COUNT, INT, MULTI_HOT, ONE_HOT, TF_IDF

_DROPPED = np.iinfo(np.int64).max
"""Index of masked tokens in non-int output modes: outside every depth, so the encoding drops it."""


def _encoded_shape(shape: Sequence[Optional[int]], output_mode: str, depth: Optional[int]) -> TensorShape:
    shape = list(shape)
    if not shape:
        return TensorShape([depth])
    if output_mode == ONE_HOT and shape[-1] != 1:
        return TensorShape(shape + [depth])
    return TensorShape(shape[:-1] + [depth])


class CategoryEncoding(Layer):
    """Integer category ids to one-hot, multi-hot or count vectors of length `num_tokens`."""

    def __init__(self, num_tokens: Optional[int] = None, output_mode: str = MULTI_HOT, sparse: bool = False,
                 **kwargs: Any):
        if "max_tokens" in kwargs:
            num_tokens = kwargs.pop("max_tokens")
        kwargs.setdefault("dtype", backend_config.floatx())
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = MULTI_HOT
        utils.validate_string_arg(output_mode, (COUNT, ONE_HOT, MULTI_HOT), "CategoryEncoding", "output_mode")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens is not known "
                             "beforehand, use the IntegerLookup layer instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise NotImplementedError("CategoryEncoding(sparse=True) is not supported: torchkeras_api has no "
                                      "sparse tensors. Use sparse=False.")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs: Any, count_weights: Any = None) -> torch.Tensor:
        inputs = _integer_tensor(inputs, self.name, self._device())
        if count_weights is not None:
            if self.output_mode != COUNT:
                raise ValueError("`count_weights` is not used when `output_mode` is not `'count'`. Received "
                                 "`count_weights={count_weights}`.")
            count_weights = torch.as_tensor(count_weights, dtype=self._compute_dtype, device=inputs.device)
        if inputs.device.type == "cpu" and inputs.numel() and not call_context.state.inferring:
            if int(inputs.min()) < 0 or int(inputs.max()) >= self.num_tokens:
                raise ValueError("Input values must be in the range 0 <= values < num_tokens with "
                                 f"num_tokens={self.num_tokens}")
        return utils.encode_categorical_inputs(inputs, self.output_mode, self.num_tokens, self._compute_dtype,
                                               count_weights=count_weights)

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        return _encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode, "sparse": self.sparse})
        return config


def _integer_tensor(inputs: Any, layer_name: str, device: Any) -> torch.Tensor:
    """Integer inputs (tensor, array, list or number) as a tensor on `device`; anything else raises."""
    if not isinstance(inputs, torch.Tensor):
        array = np.asarray(inputs)
        if array.dtype.kind not in "iub":
            raise ValueError(f"Layer {layer_name} expects integer inputs, but received inputs of dtype "
                             f"{array.dtype}.")
        inputs = torch.as_tensor(array)
    elif inputs.is_floating_point() or inputs.is_complex():
        raise ValueError(f"Layer {layer_name} expects integer inputs, but received inputs of dtype "
                         f"{str(inputs.dtype).replace('torch.', '')}.")
    return inputs.to(device=device, dtype=torch.int64)


class IndexLookup(PreprocessingLayer):
    """Maps tokens to indices of a vocabulary (or back, with `invert`): index 0 is the mask token when there is
    one, then `num_oov_indices` out-of-vocabulary indices, then the vocabulary. The vocabulary is given or learnt
    by `adapt` (most frequent first, ties broken by the larger token)."""

    def __init__(self, max_tokens: Optional[int], num_oov_indices: int, mask_token: Any, oov_token: Any,
                 vocabulary_dtype: str, vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = INT, sparse: bool = False, pad_to_max_tokens: bool = False, **kwargs: Any):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError("`num_oov_indices` must be greater than or equal to 0. Received: "
                             f"num_oov_indices={num_oov_indices}")
        output_mode = {"binary": MULTI_HOT, "tf-idf": TF_IDF}.get(output_mode, output_mode)
        utils.validate_string_arg(output_mode, (INT, ONE_HOT, MULTI_HOT, COUNT, TF_IDF), type(self).__name__,
                                  "output_mode")
        if invert and output_mode != INT:
            raise ValueError("`output_mode` must be `'int'` when `invert` is true. Received: "
                             f"output_mode={output_mode}")
        if sparse and output_mode == INT:
            raise ValueError("`sparse` may only be true if `output_mode` is `'one_hot'`, `'multi_hot'`, `'count'` or "
                             f"`'tf_idf'`. Received: sparse={sparse} and output_mode={output_mode}")
        if sparse:
            raise NotImplementedError(f"{type(self).__name__}(sparse=True) is not supported: torchkeras_api has no "
                                      "sparse tensors. Use sparse=False.")
        if idf_weights is not None and output_mode != TF_IDF:
            raise ValueError("`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                             f"idf_weights={idf_weights} and output_mode={output_mode}")
        frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("has_static_table", None)
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == INT else backend_config.floatx()
        super().__init__(**kwargs)
        if output_mode == INT and (self._compute_dtype.is_floating_point or self._compute_dtype == torch.bool):
            raise ValueError(f"When `output_mode='int'`, `dtype` should be an integer type. Received: "
                             f"dtype={kwargs['dtype']}")
        self._frozen_vocab_size = frozen_vocab_size
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self._input_vocabulary = vocabulary
        self._input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens: List[Any] = []
        self.register_buffer("idf_weights", None, persistent=False)
        self.reset_state()
        self._set_tokens([])
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # ---- token conversion: overridden by StringLookup / IntegerLookup -------------------------------------------
    def _token_array(self, values: Any) -> np.ndarray:
        """Tokens of the vocabulary's kind as a numpy array."""
        raise NotImplementedError

    def _lookup(self, inputs: Any) -> torch.Tensor:
        """int64 indices of the tokens in `inputs`: mask, OOV and vocabulary indices."""
        raise NotImplementedError

    def _inverse_lookup(self, inputs: Any) -> Any:
        """Tokens for the indices in `inputs`."""
        raise NotImplementedError

    def _set_tokens(self, tokens: List[Any]) -> None:
        """Stores the vocabulary (without special tokens) in the form `_lookup` uses."""
        self._tokens = list(tokens)

    # ---- indices -----------------------------------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == INT else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def _mask_index(self) -> int:
        return 0 if self.output_mode == INT else _DROPPED

    def _special_tokens(self) -> List[Any]:
        return [self.mask_token] * self._oov_start_index() + [self.oov_token] * self.num_oov_indices

    def get_vocabulary(self, include_special_tokens: bool = True) -> List[Any]:
        """The vocabulary in index order; with `include_special_tokens`, mask and OOV tokens first."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == INT:
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[self._token_start_index():]

    def vocabulary_size(self) -> int:
        """Size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    # ---- setting the vocabulary --------------------------------------------------------------------------------
    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Sets the vocabulary (a sequence, array, tensor, or the path of a file with one token a line) and, for
        `output_mode='tf_idf'`, the idf weights."""
        if self.output_mode == TF_IDF:
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is TF_IDF")
        elif idf_weights is not None:
            raise ValueError("`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                             f"output_mode={self.output_mode} and idf_weights={idf_weights}")
        if isinstance(vocabulary, str):
            self._set_vocabulary_file(vocabulary)
            return
        vocabulary = self._token_array(vocabulary.detach().cpu().numpy() if isinstance(vocabulary, torch.Tensor)
                                       else vocabulary)
        if vocabulary.size == 0:
            raise ValueError(f"Cannot set an empty vocabulary, you passed {vocabulary}.")
        token_start = self._token_start_index()
        special = self._special_tokens()
        found_special = len(vocabulary) >= token_start and list(vocabulary[:token_start]) == special
        tokens = list(vocabulary[token_start:] if found_special else vocabulary)
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError("The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                             f"The repeated terms are {repeated}")
        for token, name, check in ((self.mask_token, "mask_token", True), (self.oov_token, "oov_token", self.invert)):
            if check and token is not None and token in tokens:
                index = [i for i, t in enumerate(vocabulary) if t == token][-1]
                raise ValueError("Found reserved {0} token at unexpected location in `vocabulary`. Note that passed "
                                 "`vocabulary` does not need to include the OOV and mask tokens. Either remove all "
                                 "mask and OOV tokens, or include them only at the start of the vocabulary in "
                                 f"precisely this order: {special}. Received: {name}={token} at vocabulary index "
                                 f"[{index}]".format("mask" if name == "mask_token" else "OOV"))
        if self.max_tokens is not None and token_start + len(tokens) > self.max_tokens:
            raise ValueError("Attempted to set a vocabulary larger than the maximum vocab size. Passed vocab size is "
                             f"{token_start + len(tokens)}, max vocab size is {self.max_tokens}.")
        self._set_tokens(tokens)
        self._record_vocabulary_size()
        if self.output_mode == TF_IDF and idf_weights is not False:
            self._set_idf_weights(idf_weights, len(vocabulary), 0 if found_special else token_start)

    def _set_vocabulary_file(self, path: str) -> None:
        if not os.path.exists(path):
            raise ValueError(f"Vocabulary file {path} does not exist.")
        if self.output_mode == TF_IDF:
            raise ValueError("output_mode `'tf_idf'` does not support loading a vocabulary from file.")
        with open(path, encoding=getattr(self, "encoding", "utf-8")) as f:
            lines = f.read().splitlines()
        self._set_tokens(list(self._token_array(lines)))
        self._record_vocabulary_size()

    def _set_idf_weights(self, idf_weights: Any, vocab_length: int, front: int) -> None:
        if isinstance(idf_weights, torch.Tensor):
            idf_weights = idf_weights.detach().cpu().numpy()
        idf_weights = np.asarray(idf_weights)
        if len(idf_weights) != vocab_length:
            raise ValueError("`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                             f"{len(idf_weights)}, len(vocabulary) is {vocab_length}")
        if idf_weights.ndim != 1:
            raise ValueError(f"TF-IDF data must be a 1-index array, but received {type(idf_weights)}")
        back = self.max_tokens - front - len(idf_weights) if self.pad_to_max_tokens else 0
        weights = np.pad(idf_weights, (front, back), "constant",
                         constant_values=(np.average(idf_weights) if front else 0, 0))
        self.idf_weights = torch.as_tensor(weights, dtype=self._compute_dtype, device=self._device())

    def _record_vocabulary_size(self) -> None:
        if self.output_mode != INT and not self.pad_to_max_tokens:
            size = self.vocabulary_size()
            if self._frozen_vocab_size is not None and size != self._frozen_vocab_size:
                raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, the "
                                   "vocabulary size cannot be changed after the layer is called. Old vocab size is "
                                   f"{self._frozen_vocab_size}, new vocab size is {size}")
        self._frozen_vocab_size = self.vocabulary_size()

    # ---- adapt -------------------------------------------------------------------------------------------------
    def reset_state(self) -> None:
        self._token_counts: collections.Counter = collections.Counter()
        self._document_counts: collections.Counter = collections.Counter()
        self._num_documents = 0

    def update_state(self, data: Any) -> None:
        """Counts the tokens of a batch: an array (a 1-D one is one document) or a list of token sequences."""
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt {type(self).__name__} layer after setting a static vocabulary via init "
                             "argument or `set_vocabulary`.")
        _adapt_maybe_build(self, data, self.vocabulary_dtype)
        self.update_documents(self._documents(data))

    def update_documents(self, documents: Iterable[Sequence[Any]]) -> None:
        """Counts the tokens of documents given as sequences of tokens."""
        for document in documents:
            self._token_counts.update(document)
            if self.output_mode == TF_IDF:
                self._document_counts.update(set(document))
                self._num_documents += 1

    def _documents(self, data: Any) -> List[List[Any]]:
        array = self._token_array(data.detach().cpu().numpy() if isinstance(data, torch.Tensor) else data)
        if array.ndim <= 1:
            return [array.reshape(-1).tolist()]
        return array.reshape(array.shape[0], -1).tolist()

    def finalize_state(self) -> None:
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(special, None)
        ranked = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        if self.max_tokens:
            ranked = ranked[:max(self.max_tokens - self._token_start_index(), 0)]
        tokens = [token for token, _ in ranked]
        self._set_tokens(tokens)
        if self.output_mode == TF_IDF:
            self._learn_idf_weights(tokens)
        self.reset_state()
        self._record_vocabulary_size()

    def _learn_idf_weights(self, tokens: List[Any]) -> None:
        document_counts = np.array([self._document_counts[t] for t in tokens], dtype=np.float64)
        idf = np.log(1.0 + self._num_documents / (1.0 + document_counts)).astype(np.float32)
        mean = idf.mean() if idf.size else np.float32("nan")
        weights = np.concatenate([np.full(self._token_start_index(), mean, dtype=np.float32), idf])
        if self.pad_to_max_tokens and self.max_tokens is not None:
            weights = np.pad(weights, (0, self.max_tokens - weights.size))
        self.idf_weights = torch.as_tensor(weights, dtype=self._compute_dtype, device=self._device())

    # ---- calling -----------------------------------------------------------------------------------------------
    def call(self, inputs: Any) -> Any:
        if self.invert:
            return self._inverse_lookup(inputs)
        indices = self._lookup(inputs)
        if self.output_mode == INT:
            return indices.to(self._compute_dtype)
        return self.encode(indices)

    def encode(self, indices: torch.Tensor) -> torch.Tensor:
        """Vocabulary indices as one-hot / multi-hot / count / tf-idf vectors."""
        if not self.pad_to_max_tokens and self._frozen_vocab_size is None:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, you must "
                               "set the layer's vocabulary before calling it. Either pass a `vocabulary` argument to "
                               "the layer, or call `adapt` with some sample data.")
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        idf = self.idf_weights if self.output_mode == TF_IDF else None
        if idf is not None and idf.device != indices.device:
            idf = self.idf_weights = idf.to(indices.device)
        return utils.encode_categorical_inputs(indices, self.output_mode, depth, self._compute_dtype,
                                               idf_weights=idf)

    def _resolve_oov(self, indices: torch.Tensor, oov_buckets: Any, values: Any) -> torch.Tensor:
        """Replaces the -1 of out-of-vocabulary tokens by their OOV index (`oov_buckets()` gives the bucket of
        each token when there are several OOV indices)."""
        if self.num_oov_indices == 1:
            return torch.where(indices == -1, torch.full_like(indices, self._oov_start_index()), indices)
        if self.num_oov_indices > 1:
            return torch.where(indices == -1, oov_buckets() + self._oov_start_index(), indices)
        missing = indices == -1
        if indices.device.type == "cpu" and not call_context.state.inferring and bool(missing.any()):
            found = values[missing.numpy()] if isinstance(values, np.ndarray) else values[missing.to(values.device)]
            raise ValueError(f"When `num_oov_indices=0` all inputs should be in vocabulary, found OOV values "
                             f"{found.tolist()}, consider setting `num_oov_indices=1`.")
        return indices

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        if self.output_mode == INT:
            return TensorShape(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        return TensorShape([input_shape[0] if len(input_shape) else None, depth])

    def compute_output_signature(self, input_signature: KerasTensor) -> KerasTensor:
        dtype = self._vocabulary_torch_dtype() if self.invert else self._compute_dtype
        return KerasTensor(self.compute_output_shape(input_signature.shape), dtype)

    def _vocabulary_torch_dtype(self) -> Any:
        raise NotImplementedError

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"invert": self.invert, "max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                       "oov_token": self.oov_token, "mask_token": self.mask_token, "output_mode": self.output_mode,
                       "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                       "vocabulary_dtype": self.vocabulary_dtype, "idf_weights": utils.listify(self._input_idf_weights),
                       "vocabulary": utils.listify(self._input_vocabulary), "vocabulary_size": self._frozen_vocab_size})
        return config


def _adapt_maybe_build(layer: Layer, data: Any, input_dtype: Any) -> None:
    """As tf.keras's adapt: the first batch builds the layer and sets its input rank (`batch_input_shape`), here
    with the dtype of its inputs so that the layer can start a Sequential model."""
    if layer.built:
        return
    if not hasattr(layer, "_batch_input_shape") and isinstance(data, (np.ndarray, torch.Tensor, list, tuple)):
        try:
            rank = np.ndim(data)
        except ValueError:
            rank = None
        if rank is not None:
            layer._batch_input_shape = (None,) * rank
            layer._batch_input_dtype = input_dtype
    layer.built = True


class StringLookup(IndexLookup):
    """Maps strings to integer indices of a vocabulary (or indices back to strings with `invert=True`).

    Inputs are numpy arrays or lists of str/bytes; index outputs are int64 tensors, inverted outputs numpy object
    arrays of str. OOV tokens hash (FarmHash, as TensorFlow) into `num_oov_indices` buckets.
    """

    def __init__(self, max_tokens: Optional[int] = None, num_oov_indices: int = 1, mask_token: Optional[str] = None,
                 oov_token: str = "[UNK]", vocabulary: Any = None, idf_weights: Any = None, encoding: str = "utf-8",
                 invert: bool = False, output_mode: str = INT, sparse: bool = False, pad_to_max_tokens: bool = False,
                 **kwargs: Any):
        if kwargs.get("dtype") == STRING:
            del kwargs["dtype"]
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary=vocabulary, vocabulary_dtype=STRING,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, **kwargs)

    def _token_array(self, values: Any) -> np.ndarray:
        return utils.to_string_array(values, self.name, self.encoding)

    def _set_tokens(self, tokens: List[Any]) -> None:
        super()._set_tokens(tokens)
        start = self._token_start_index()
        self._table = {token: start + i for i, token in enumerate(tokens)}

    def lookup_tokens(self, tokens: np.ndarray) -> torch.Tensor:
        """int64 indices (on the layer's device) of an object array of str."""
        flat = tokens.reshape(-1)
        table = self._table
        indices = np.fromiter((table.get(t, -1) for t in flat), dtype=np.int64, count=flat.size)
        if self.mask_token is not None:
            indices[flat == self.mask_token] = self._mask_index()
        result = torch.from_numpy(indices.reshape(tokens.shape))
        result = self._resolve_oov(result, lambda: torch.from_numpy(
            hash_to_buckets(tokens, self.num_oov_indices, encoding=self.encoding)), tokens)
        return result.to(self._device())

    def _lookup(self, inputs: Any) -> torch.Tensor:
        return self.lookup_tokens(self._token_array(inputs))

    def _inverse_lookup(self, inputs: Any) -> np.ndarray:
        indices = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else np.asarray(inputs)
        table = np.array(self.get_vocabulary(), dtype=object)
        valid = (indices >= 0) & (indices < len(table))
        out = np.where(valid, table[np.where(valid, indices, 0)] if len(table) else self.oov_token, self.oov_token)
        return out.astype(object)

    def _vocabulary_torch_dtype(self) -> Any:
        return STRING

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        del config["vocabulary_dtype"]
        config["encoding"] = self.encoding
        return config


class IntegerLookup(IndexLookup):
    """Maps integers to indices of a vocabulary (or back with `invert=True`); OOV values go to bucket
    `value mod num_oov_indices`, as in TensorFlow."""

    def __init__(self, max_tokens: Optional[int] = None, num_oov_indices: int = 1, mask_token: Optional[int] = None,
                 oov_token: int = -1, vocabulary: Any = None, vocabulary_dtype: str = "int64", idf_weights: Any = None,
                 invert: bool = False, output_mode: str = INT, sparse: bool = False, pad_to_max_tokens: bool = False,
                 **kwargs: Any):
        vocabulary_dtype = str(vocabulary_dtype).replace("torch.", "")
        if not vocabulary_dtype.startswith(("int", "uint")):
            raise ValueError(f"`vocabulary_dtype` must be an integer dtype. Received: {vocabulary_dtype}")
        if output_mode != INT and kwargs.get("dtype") in ("int64", torch.int64):
            del kwargs["dtype"]
        for old, new in (("max_values", "max_tokens"), ("mask_value", "mask_token"), ("oov_value", "oov_token")):
            if old in kwargs:
                value = kwargs.pop(old)
                max_tokens = value if new == "max_tokens" else max_tokens
                mask_token = value if new == "mask_token" else mask_token
                oov_token = value if new == "oov_token" else oov_token
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError("If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. Received: "
                             f"max_tokens={max_tokens}.")
        if num_oov_indices < 0:
            raise ValueError("The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. Received "
                             f"num_oov_indices={num_oov_indices}.")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=None if mask_token is None else int(mask_token),
                         oov_token=None if oov_token is None else int(oov_token), vocabulary=vocabulary,
                         vocabulary_dtype=vocabulary_dtype, idf_weights=idf_weights, invert=invert,
                         output_mode=output_mode, sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, **kwargs)

    def _token_array(self, values: Any) -> np.ndarray:
        array = np.asarray(values)
        if array.dtype.kind in "USO":
            try:
                array = array.astype(np.int64)
            except (TypeError, ValueError):
                raise ValueError(f"Layer {self.name} expects integer tokens, but received {values!r}.") from None
        elif array.dtype.kind not in "iub":
            raise ValueError(f"Layer {self.name} expects integer inputs, but received inputs of dtype {array.dtype}.")
        return array.astype(np.int64)

    def _set_tokens(self, tokens: List[Any]) -> None:
        super()._set_tokens([int(t) for t in tokens])
        keys = torch.tensor(self._tokens, dtype=torch.int64)
        order = torch.argsort(keys)
        device = self._device()
        tables = {"_sorted_keys": keys[order], "_sorted_indices": order + self._token_start_index(),
                  "_inverse_table": torch.tensor(self.get_vocabulary(), dtype=torch.int64)}
        for name, table in tables.items():
            if name in self._buffers:
                setattr(self, name, table.to(device))
            else:
                self.register_buffer(name, table.to(device), persistent=False)

    def _lookup(self, inputs: Any) -> torch.Tensor:
        values = _integer_tensor(inputs, self.name, self._device())
        keys = self._sorted_keys.to(values.device)
        if keys.numel():
            position = torch.searchsorted(keys, values).clamp(max=keys.numel() - 1)
            found = keys[position] == values
            indices = torch.where(found, self._sorted_indices.to(values.device)[position], -1)
        else:
            indices = torch.full_like(values, -1)
        if self.mask_token is not None:
            indices = torch.where(values == self.mask_token, self._mask_index(), indices)
        return self._resolve_oov(indices, lambda: torch.remainder(values, self.num_oov_indices), values)

    def _inverse_lookup(self, inputs: Any) -> torch.Tensor:
        indices = _integer_tensor(inputs, self.name, self._device())
        table = self._inverse_table.to(indices.device)
        valid = (indices >= 0) & (indices < table.numel())
        gathered = table[torch.where(valid, indices, 0)] if table.numel() else torch.zeros_like(indices)
        return torch.where(valid, gathered, torch.full_like(indices, self.oov_token))

    def _vocabulary_torch_dtype(self) -> Any:
        return torch.int64

