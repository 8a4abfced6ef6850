"""Helpers shared by the categorical and text preprocessing layers: argument checks, string arrays and the
encoding of integer indices as one-hot / multi-hot / count / tf-idf vectors."""
from typing import Any, Optional, Sequence

import numpy as np
import torch

INT, ONE_HOT, MULTI_HOT, COUNT, TF_IDF = "int", "one_hot", "multi_hot", "count", "tf_idf"


def validate_string_arg(value: Any, allowed: Sequence[str], layer_name: str, arg_name: str,
                        allow_none: bool = False, allow_callables: bool = False) -> None:
    """Raises tf.keras's ValueError unless `value` is one of `allowed` (or None / a callable when allowed)."""
    if (allow_none and value is None) or (allow_callables and callable(value)):
        return
    if isinstance(value, str) and value in allowed:
        return
    options = ("`None`, " if allow_none else "") + ("a `Callable`, " if allow_callables else "")
    options += f"or one of the following values: {tuple(allowed)}"
    raise ValueError(f"Unkown value for `{arg_name}` argument of layer {layer_name}. Allowed values are: "
                     f"{options}. Received: {value}")


def listify(value: Any) -> Any:
    """Arrays and tensors as (nested) lists, for configs."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def is_string_like(value: Any) -> bool:
    """Whether `value` holds strings: a str/bytes, a numpy array of str/bytes/objects, or a list of those."""
    if isinstance(value, (str, bytes)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "USO"
    if isinstance(value, (list, tuple)):
        while isinstance(value, (list, tuple)) and value:
            value = value[0]
        return isinstance(value, (str, bytes))
    return False


def to_string_array(value: Any, layer_name: str, encoding: str = "utf-8") -> np.ndarray:
    """A numpy object array of Python str from strings, bytes, lists or arrays of them (bytes decoded)."""
    if not is_string_like(value):
        dtype = getattr(value, "dtype", type(value).__name__)
        raise ValueError(f"Layer {layer_name} expects string inputs (a numpy array or list of str or bytes), "
                         f"but received inputs of dtype {dtype}.")
    array = np.asarray(value)
    if array.dtype.kind == "U":
        return array.astype(object)
    out = np.empty(array.shape, dtype=object)
    flat = out.reshape(-1)
    for i, item in enumerate(array.reshape(-1)):
        flat[i] = item.decode(encoding) if isinstance(item, bytes) else str(item)
    return out


def encode_categorical_inputs(inputs: torch.Tensor, output_mode: str, depth: int, dtype: torch.dtype,
                              count_weights: Optional[torch.Tensor] = None,
                              idf_weights: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Integer indices (scalar, `(n,)` or `(batch, n)`) to `(depth,)` / `(batch, depth)` vectors; indices
    outside `[0, depth)` are dropped, as tf.keras's bincount drops them."""
    original_shape = tuple(inputs.shape)
    if inputs.ndim == 0:
        inputs = inputs.unsqueeze(-1)
    if output_mode == ONE_HOT and inputs.shape[-1] != 1:
        inputs = inputs.unsqueeze(-1)
    if inputs.ndim > 2:
        raise ValueError("When output_mode is not `'int'`, maximum supported output rank is 2. Received "
                         f"output_mode {output_mode} and input shape {original_shape}, which would result in "
                         f"output rank {inputs.ndim}.")
    single = inputs.ndim == 1
    rows = inputs.reshape(1, -1) if single else inputs
    valid = (rows >= 0) & (rows < depth)
    weights = valid.to(dtype)
    if count_weights is not None and output_mode == COUNT:
        weights = weights * count_weights.reshape(rows.shape).to(dtype)
    counts = torch.zeros(rows.shape[0], depth, dtype=dtype, device=rows.device)
    counts.scatter_add_(1, torch.where(valid, rows, torch.zeros_like(rows)).long(), weights)
    if output_mode in (ONE_HOT, MULTI_HOT):
        counts = (counts > 0).to(dtype)
    if output_mode == TF_IDF:
        counts = counts * idf_weights.to(dtype)
    return counts[0] if single else counts
