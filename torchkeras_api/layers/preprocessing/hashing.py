"""Hashing: values to bins with TensorFlow's string hashes (FarmHash Fingerprint64, or SipHash-2-4 with a salt)."""
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np
import torch

from torchkeras_api import backend_config
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.keras_tensor import KerasTensor, TensorShape
from torchkeras_api.layers.preprocessing import preprocessing_utils as utils

_U64 = np.uint64
_K0, _K1, _K2 = _U64(0xC3A5C85C97CB3127), _U64(0xB492B66FBE98F273), _U64(0x9AE16A3B2F90404F)


def _byte_words(data: Sequence[bytes]) -> Tuple[np.ndarray, np.ndarray]:
    """(words, lengths): words[i, j] is the little-endian uint64 made of bytes j..j+7 of data[i] (zero past its
    end), for every j up to the longest length."""
    lengths = np.fromiter((len(b) for b in data), dtype=np.int64, count=len(data))
    width = int(lengths.max(initial=0)) + 8
    buf = np.zeros((len(data), width), dtype=np.uint8)
    flat = np.frombuffer(b"".join(data), dtype=np.uint8)
    rows = np.repeat(np.arange(len(data)), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    buf[rows, np.arange(flat.size) - starts] = flat
    words = np.zeros((len(data), width - 7), dtype=_U64)
    for k in range(8):
        words |= buf[:, k:k + width - 7].astype(_U64) << _U64(8 * k)
    return words, lengths


def _rotate(v: np.ndarray, shift: int) -> np.ndarray:
    return (v >> _U64(shift)) | (v << _U64(64 - shift))


def _shift_mix(v: np.ndarray) -> np.ndarray:
    return v ^ (v >> _U64(47))


def _hash_len16(u: np.ndarray, v: np.ndarray, mul: np.ndarray) -> np.ndarray:
    a = _shift_mix((u ^ v) * mul)
    b = _shift_mix((v ^ a) * mul)
    return b * mul


class _Reader:
    """Fetches 64- and 32-bit little-endian words at per-row byte offsets."""

    def __init__(self, words: np.ndarray):
        self.words = words
        self.rows = np.arange(words.shape[0])

    def u64(self, offset: np.ndarray) -> np.ndarray:
        return self.words[self.rows, np.clip(offset, 0, self.words.shape[1] - 1)]

    def u32(self, offset: np.ndarray) -> np.ndarray:
        return self.u64(offset) & _U64(0xFFFFFFFF)


def _fingerprint_0_to_16(r: _Reader, n: np.ndarray) -> np.ndarray:
    un = n.astype(_U64)
    mul = _K2 + un * _U64(2)
    zero = np.zeros_like(n)
    a8 = r.u64(zero) + _K2
    b8 = r.u64(n - 8)
    long8 = _hash_len16(_rotate(b8, 37) * mul + a8, (_rotate(a8, 25) + b8) * mul, mul)
    long4 = _hash_len16(un + (r.u32(zero) << _U64(3)), r.u32(n - 4), mul)
    first = r.u64(zero) & _U64(0xFF)
    middle = r.u64(n >> 1) & _U64(0xFF)
    last = r.u64(n - 1) & _U64(0xFF)
    y = first + (middle << _U64(8))
    z = un + (last << _U64(2))
    short = _shift_mix((y * _K2) ^ (z * _K0)) * _K2
    return np.where(n >= 8, long8, np.where(n >= 4, long4, np.where(n > 0, short, _K2)))


def _fingerprint_17_to_32(r: _Reader, n: np.ndarray) -> np.ndarray:
    mul = _K2 + n.astype(_U64) * _U64(2)
    zero = np.zeros_like(n)
    a = r.u64(zero) * _K1
    b = r.u64(zero + 8)
    c = r.u64(n - 8) * mul
    d = r.u64(n - 16) * _K2
    return _hash_len16(_rotate(a + b, 43) + _rotate(c, 30) + d, a + _rotate(b + _K2, 18) + c, mul)


def _fingerprint_33_to_64(r: _Reader, n: np.ndarray) -> np.ndarray:
    mul = _K2 + n.astype(_U64) * _U64(2)
    zero = np.zeros_like(n)
    a = r.u64(zero) * _K2
    b = r.u64(zero + 8)
    c = r.u64(n - 8) * mul
    d = r.u64(n - 16) * _K2
    y = _rotate(a + b, 43) + _rotate(c, 30) + d
    z = _hash_len16(y, a + _rotate(b + _K2, 18) + c, mul)
    e = r.u64(zero + 16) * mul
    f = r.u64(zero + 24)
    g = (y + r.u64(n - 32)) * mul
    h = (z + r.u64(n - 24)) * mul
    return _hash_len16(_rotate(e + f, 43) + _rotate(g, 30) + h, e + _rotate(f + a, 18) + g, mul)


def _weak_hash_32(r: _Reader, s: np.ndarray, a: np.ndarray, b: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    w, x, y, z = r.u64(s), r.u64(s + 8), r.u64(s + 16), r.u64(s + 24)
    a = a + w
    b = _rotate(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rotate(a, 44)
    return a + z, b + c


def _fingerprint_over_64(r: _Reader, n: np.ndarray) -> np.ndarray:
    seed = _U64(81)
    zero = np.zeros_like(n)
    x = np.full(n.shape, seed, dtype=_U64) * _K2 + r.u64(zero)
    y = np.full(n.shape, seed * _K1 + _U64(113), dtype=_U64)
    z = _shift_mix(y * _K2 + _U64(113)) * _K2
    v0, v1, w0, w1 = (np.zeros(n.shape, dtype=_U64) for _ in range(4))
    blocks = (n - 1) // 64
    for i in range(int(blocks.max(initial=0))):
        active = i < blocks
        s = zero + 64 * i
        nx = _rotate(x + y + v0 + r.u64(s + 8), 37) * _K1
        ny = _rotate(y + v1 + r.u64(s + 48), 42) * _K1
        nx = nx ^ w1
        ny = ny + v0 + r.u64(s + 40)
        nz = _rotate(z + w0, 33) * _K1
        nv0, nv1 = _weak_hash_32(r, s, v1 * _K1, nx + w0)
        nw0, nw1 = _weak_hash_32(r, s + 32, nz + w1, ny + r.u64(s + 16))
        x, y, z = np.where(active, nz, x), np.where(active, ny, y), np.where(active, nx, z)
        v0, v1 = np.where(active, nv0, v0), np.where(active, nv1, v1)
        w0, w1 = np.where(active, nw0, w0), np.where(active, nw1, w1)
    mul = _K1 + ((z & _U64(0xFF)) << _U64(1))
    s = blocks * 64 + ((n - 1) & 63) - 63
    w0 = w0 + ((n - 1) & 63).astype(_U64)
    v0 = v0 + w0
    w0 = w0 + v0
    x = _rotate(x + y + v0 + r.u64(s + 8), 37) * mul
    y = _rotate(y + v1 + r.u64(s + 48), 42) * mul
    x = x ^ (w1 * _U64(9))
    y = y + v0 * _U64(9) + r.u64(s + 40)
    z = _rotate(z + w0, 33) * mul
    v0, v1 = _weak_hash_32(r, s, v1 * mul, x + w0)
    w0, w1 = _weak_hash_32(r, s + 32, z + w1, y + r.u64(s + 16))
    x, z = z, x
    return _hash_len16(_hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z, _hash_len16(v1, w1, mul) + x, mul)


def fingerprint64(data: Sequence[bytes]) -> np.ndarray:
    """FarmHash Fingerprint64 of each byte string (what `tf.strings.to_hash_bucket_fast` uses), as uint64."""
    out = np.zeros(len(data), dtype=_U64)
    if not len(data):
        return out
    lengths = np.fromiter((len(b) for b in data), dtype=np.int64, count=len(data))
    groups = ((lengths <= 16, _fingerprint_0_to_16), ((lengths > 16) & (lengths <= 32), _fingerprint_17_to_32),
              ((lengths > 32) & (lengths <= 64), _fingerprint_33_to_64), (lengths > 64, _fingerprint_over_64))
    with np.errstate(over="ignore"):
        for selected, fn in groups:
            index = np.flatnonzero(selected)
            if index.size:
                words, n = _byte_words([data[i] for i in index])
                out[index] = fn(_Reader(words), n)
    return out


def _sip_round(v0: np.ndarray, v1: np.ndarray, v2: np.ndarray, v3: np.ndarray) -> Tuple[np.ndarray, ...]:
    v0 = v0 + v1
    v1 = _rotate(v1, 64 - 13) ^ v0
    v0 = _rotate(v0, 32)
    v2 = v2 + v3
    v3 = _rotate(v3, 64 - 16) ^ v2
    v0 = v0 + v3
    v3 = _rotate(v3, 64 - 21) ^ v0
    v2 = v2 + v1
    v1 = _rotate(v1, 64 - 17) ^ v2
    v2 = _rotate(v2, 32)
    return v0, v1, v2, v3


def siphash24(data: Sequence[bytes], key: Sequence[int]) -> np.ndarray:
    """SipHash-2-4 of each byte string with the 128-bit key `(k0, k1)` (what
    `tf.strings.to_hash_bucket_strong` uses), as uint64."""
    if not len(data):
        return np.zeros(0, dtype=_U64)
    k0, k1 = (_U64(int(k) & 0xFFFFFFFFFFFFFFFF) for k in key)
    words, n = _byte_words(data)
    rows = np.arange(len(data))
    with np.errstate(over="ignore"):
        v = [np.full(n.shape, k0 ^ _U64(0x736F6D6570736575), dtype=_U64),
             np.full(n.shape, k1 ^ _U64(0x646F72616E646F6D), dtype=_U64),
             np.full(n.shape, k0 ^ _U64(0x6C7967656E657261), dtype=_U64),
             np.full(n.shape, k1 ^ _U64(0x7465646279746573), dtype=_U64)]
        full_blocks = n // 8
        for i in range(int(full_blocks.max(initial=0)) + 1):
            last = i == full_blocks
            active = i <= full_blocks
            m = words[rows, np.minimum(8 * i, words.shape[1] - 1)]
            m = np.where(last, m | ((n.astype(_U64) & _U64(0xFF)) << _U64(56)), m)
            state = list(v)
            state[3] = state[3] ^ m
            state = list(_sip_round(*_sip_round(*state)))
            state[0] = state[0] ^ m
            v = [np.where(active, new, old) for new, old in zip(state, v)]
        v[2] = v[2] ^ _U64(0xFF)
        for _ in range(4):
            v = list(_sip_round(*v))
        return v[0] ^ v[1] ^ v[2] ^ v[3]


def hash_to_buckets(strings: np.ndarray, num_buckets: int, salt: Optional[Sequence[int]] = None,
                    encoding: str = "utf-8") -> np.ndarray:
    """int64 bucket of each string of an object array (same shape): Fingerprint64, or SipHash with `salt`."""
    data = [s.encode(encoding) for s in strings.reshape(-1)]
    hashes = fingerprint64(data) if salt is None else siphash24(data, salt)
    return (hashes % _U64(num_buckets)).astype(np.int64).reshape(strings.shape)


class Hashing(Layer):
    """Hashes strings or integers (via their decimal text) into `num_bins` bins, as `tf.keras.layers.Hashing`.

    Bin 0 is reserved for `mask_value` when it is set. With `salt`, SipHash-2-4 keyed by the salt is used instead
    of FarmHash. Outputs int64 bin indices, or one-hot / multi-hot / count vectors.
    """

    def __init__(self, num_bins: int, mask_value: Any = None, salt: Any = None, output_mode: str = "int",
                 sparse: bool = False, **kwargs: Any):
        if num_bins is None or num_bins <= 0:
            raise ValueError("The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                             f"Received: num_bins={num_bins}.")
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == utils.INT else backend_config.floatx()
        elif output_mode == utils.INT and not str(kwargs["dtype"]).replace("torch.", "").startswith(("int", "uint")):
            kwargs["dtype"] = "int64"
        super().__init__(**kwargs)
        utils.validate_string_arg(output_mode, (utils.INT, utils.ONE_HOT, utils.MULTI_HOT, utils.COUNT),
                                  "Hashing", "output_mode")
        if sparse and output_mode == utils.INT:
            raise ValueError('`sparse` may only be true if `output_mode` is `"one_hot"`, `"multi_hot"`, or '
                             f'`"count"`. Received: sparse={sparse} and output_mode={output_mode}')
        if sparse:
            raise NotImplementedError("Hashing(sparse=True) is not supported: torchkeras_api has no sparse "
                                      "tensors. Use sparse=False.")
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError("The `salt` argument for `Hashing` can only be a tuple of size 2 integers, or a "
                                 f"single integer. Received: salt={salt}.")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.salt = salt
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs: Any) -> torch.Tensor:
        device = self._device()
        if utils.is_string_like(inputs):
            strings = utils.to_string_array(inputs, self.name)
            mask = (strings == self.mask_value) if self.mask_value is not None else None
        else:
            strings, mask = self._integer_strings(inputs)
        hash_bins = self.num_bins
        if mask is not None and hash_bins > 1:
            hash_bins -= 1
        else:
            mask = None
        bins = hash_to_buckets(strings, hash_bins, self.salt)
        if mask is not None:
            bins = np.where(np.asarray(mask, dtype=bool), 0, bins + 1)
        indices = torch.as_tensor(bins, dtype=torch.int64, device=device)
        if self.output_mode == utils.INT:
            return indices.to(self._compute_dtype)
        return utils.encode_categorical_inputs(indices, self.output_mode, self.num_bins, self._compute_dtype)

    def _integer_strings(self, inputs: Any) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        values = inputs.detach().cpu().numpy() if isinstance(inputs, torch.Tensor) else np.asarray(inputs)
        if values.dtype.kind not in "iu":
            raise ValueError(f"Layer {self.name} hashes strings or integers, but received inputs of dtype "
                             f"{values.dtype}. Cast them to integers or strings first.")
        mask = values == self.mask_value if self.mask_value is not None else None
        return values.astype(str).astype(object), mask

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        shape = list(input_shape)
        if self.output_mode == utils.INT:
            return TensorShape(shape)
        if not shape:
            return TensorShape([self.num_bins])
        if self.output_mode == utils.ONE_HOT and shape[-1] != 1:
            return TensorShape(shape + [self.num_bins])
        return TensorShape(shape[:-1] + [self.num_bins])

    def compute_output_signature(self, input_signature: KerasTensor) -> KerasTensor:
        return KerasTensor(self.compute_output_shape(input_signature.shape), self._compute_dtype)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "salt": self.salt, "mask_value": self.mask_value,
                       "output_mode": self.output_mode, "sparse": self.sparse})
        return config
