"""tf.keras.utils.pad_sequences: a list of variable-length sequences as one padded numpy array."""
from typing import Any, Optional

import numpy as np


def _lengths_and_sample_shape(sequences: Any) -> tuple:
    """Each sequence's length, and the shape of one timestep (from the first non-empty sequence)."""
    lengths = []
    sample_shape: tuple = ()
    found = False
    for sequence in sequences:
        try:
            lengths.append(len(sequence))
        except TypeError as error:
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {sequence}") from error
        if not found and len(sequence):
            sample_shape = np.asarray(sequence).shape[1:]
            found = True
    return lengths, sample_shape


def pad_sequences(sequences: Any, maxlen: Optional[int] = None, dtype: Any = "int32", padding: str = "pre",
                  truncating: str = "pre", value: Any = 0.0) -> np.ndarray:
    """A `(len(sequences), maxlen, *timestep_shape)` array: sequences longer than `maxlen` (default: the longest
    length) lose timesteps at the start (`truncating='pre'`) or end ('post'); shorter ones are filled with `value`
    before ('pre') or after ('post')."""
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    lengths, sample_shape = _lengths_and_sample_shape(sequences)
    if maxlen is None:
        maxlen = np.max(lengths)
    if isinstance(value, str) and dtype != object and not np.issubdtype(dtype, np.str_):
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
                         "You should set `dtype=object` for variable length strings.")
    padded = np.full((len(sequences), maxlen) + sample_shape, value, dtype=dtype)
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        if truncating == "pre":
            kept = sequence[-maxlen:]
        elif truncating == "post":
            kept = sequence[:maxlen]
        else:
            raise ValueError(f'Truncating type "{truncating}" not understood')
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"Shape of sample {kept.shape[1:]} of sequence at position {index} is different from "
                             f"expected shape {sample_shape}")
        if padding == "post":
            padded[index, :len(kept)] = kept
        elif padding == "pre":
            padded[index, -len(kept):] = kept
        else:
            raise ValueError(f'Padding type "{padding}" not understood')
    return padded
