"""HashedCrossing: crosses categorical features (ints or strings) and hashes each cross into bins, with the
hashes of TensorFlow's `tf.sparse.cross_hashed`."""
from typing import Any, Dict, Tuple

import numpy as np
import torch

from torchkeras_api import backend_config
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.keras_tensor import KerasTensor, TensorShape, is_string_dtype
from torchkeras_api.layers.preprocessing import preprocessing_utils as utils
from torchkeras_api.layers.preprocessing.hashing import fingerprint64


def _int64(constant: int) -> int:
    """A uint64 constant as the int64 with the same bits."""
    return constant - (1 << 64) if constant >= 1 << 63 else constant


_HASH_KEY = 0xDECAFCAFFE
"""The default `hash_key` of `tf.sparse.cross_hashed`: the start of every cross's hash."""
_CAT_MUL = _int64(0xC6A4A7935BD1E995)
_INT64_MAX = (1 << 63) - 1
_LOW_17_BITS = (1 << 17) - 1


def _shift_mix(v: torch.Tensor) -> torch.Tensor:
    """v ^ (v >> 47) with a logical (unsigned) shift."""
    return v ^ ((v >> 47) & _LOW_17_BITS)


def fingerprint_cat64(fp1: torch.Tensor, fp2: torch.Tensor) -> torch.Tensor:
    """TensorFlow's FingerprintCat64 of two uint64 fingerprints, held as int64 bits (wrapping arithmetic)."""
    result = fp1 ^ _CAT_MUL
    result = result ^ (_shift_mix(fp2 * _CAT_MUL) * _CAT_MUL)
    result = _shift_mix(result * _CAT_MUL) * _CAT_MUL
    return _shift_mix(result)


def unsigned_remainder(v: torch.Tensor, divisor: int) -> torch.Tensor:
    """The uint64 read from v's int64 bits, modulo `divisor` (1 <= divisor < 2**63), as int64."""
    remainder = torch.remainder(v, divisor)
    wrap = (1 << 64) % divisor
    return torch.where(v < 0, torch.remainder(remainder - (divisor - wrap), divisor), remainder)


def _feature_hashes(feature: Any, device: torch.device) -> torch.Tensor:
    """Each value's hash as int64 bits: an integer's own value, a string's FarmHash Fingerprint64."""
    if isinstance(feature, torch.Tensor):
        return feature.to(device=device, dtype=torch.int64)
    values = np.asarray(feature)
    data = [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in values.reshape(-1)]
    hashes = fingerprint64(data).view(np.int64).reshape(values.shape)
    return torch.as_tensor(hashes, device=device)


def _is_string(feature: Any) -> bool:
    dtype = getattr(feature, "dtype", None)
    if isinstance(feature, KerasTensor):
        return is_string_dtype(dtype)
    return isinstance(feature, (str, bytes)) or (isinstance(dtype, np.dtype) and dtype.kind in "USO")


def _is_integer_dtype(dtype: Any) -> bool:
    return isinstance(dtype, torch.dtype) and not (dtype.is_floating_point or dtype.is_complex or dtype == torch.bool)


class HashedCrossing(Layer):
    """Crosses two or more categorical features (integers or strings, one value per sample) and hashes each
    cross into `num_bins` bins; `output_mode` 'int' gives the bin indices, 'one_hot' one-hot vectors.

    Inputs are a list or tuple of equally shaped features of shape `()`, `(batch,)` or `(batch, 1)`. The bins
    equal `tf.sparse.cross_hashed`'s (num_bins 0 gives the raw hash modulo 2**63 - 1).
    """

    def __init__(self, num_bins: int, output_mode: str = "int", sparse: bool = False, **kwargs: Any):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == utils.INT else backend_config.floatx()
        super().__init__(**kwargs)
        if output_mode == utils.INT and not _is_integer_dtype(self._compute_dtype):
            raise ValueError("When `output_mode='int'`, `dtype` should be an integer type. "
                             f"Received: dtype={kwargs['dtype']}")
        utils.validate_string_arg(output_mode, (utils.INT, utils.ONE_HOT), "HashedCrossing", "output_mode")
        if sparse and output_mode == utils.ONE_HOT:
            raise NotImplementedError("HashedCrossing(output_mode='one_hot', sparse=True) is not supported: "
                                      "torchkeras_api has no sparse tensors. Use sparse=False.")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def _convert_inputs(self, inputs: Any) -> Any:
        """Each feature converted as a layer input; Python lists of values become arrays first."""
        convert = super()._convert_inputs
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(convert(np.asarray(x) if isinstance(x, (list, tuple)) else x) for x in inputs)
        return convert(inputs)

    def _divisor(self) -> int:
        if self.num_bins is None:
            raise TypeError("Expected int for argument 'num_buckets' not None.")
        num_bins = int(self.num_bins)
        if num_bins < 0:
            raise ValueError(f"Value for attr 'num_buckets' of {num_bins} must be at least minimum 0 "
                             f"(layer {self.name}).")
        return num_bins or _INT64_MAX

    def call(self, inputs: Any) -> torch.Tensor:
        shape = self._check_inputs(inputs)
        divisor = self._divisor()
        device = next((x.device for x in inputs if isinstance(x, torch.Tensor)), self._device())
        hashed = torch.full(shape, _HASH_KEY, dtype=torch.int64, device=device)
        for feature in inputs:
            hashed = fingerprint_cat64(hashed, _feature_hashes(feature, device))
        bins = unsigned_remainder(hashed, divisor)
        if self.output_mode == utils.INT:
            return bins.to(self._compute_dtype)
        return utils.encode_categorical_inputs(bins, utils.ONE_HOT, int(self.num_bins), self._compute_dtype)

    @staticmethod
    def _check_inputs(inputs: Any) -> Tuple:
        """The common input shape, after tf.keras's checks of the inputs' structure, shapes and dtypes."""
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"`HashedCrossing` should be called on a list or tuple of inputs. Received: "
                             f"inputs={inputs}")
        if len(inputs) < 2:
            raise ValueError(f"`HashedCrossing` should be called on at least two inputs. Received: "
                             f"inputs={inputs}")
        shapes = [tuple(x.shape) if hasattr(x, "shape") else np.shape(x) for x in inputs]
        if any(shape != shapes[0] for shape in shapes):
            raise ValueError("All `HashedCrossing` inputs should have equal shape. Received: "
                             f"inputs={list(inputs)}")
        if len(shapes[0]) > 2 or (len(shapes[0]) == 2 and shapes[0][1] != 1):
            raise ValueError("All `HashedCrossing` inputs should have shape `[]`, `[batch_size]` or "
                             f"`[batch_size, 1]`. Received: inputs={list(inputs)}")
        if not all(_is_string(x) or _is_integer_dtype(getattr(x, "dtype", None)) for x in inputs):
            raise ValueError(f"All `HashedCrossing` inputs should have an integer or string dtype. Received: "
                             f"inputs={list(inputs)}")
        return shapes[0]

    def compute_output_signature(self, input_signature: Any) -> KerasTensor:
        shape = list(self._check_inputs(input_signature))
        if self.output_mode == utils.ONE_HOT:
            shape = shape[:1] + [self.num_bins]
        return KerasTensor(TensorShape(shape), self._compute_dtype)

    def get_config(self) -> Dict[str, Any]:
        return super().get_config() | {"num_bins": self.num_bins, "output_mode": self.output_mode,
                                       "sparse": self.sparse}
