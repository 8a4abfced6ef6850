"""tf.dtypes: TF dtype names bound to torch dtypes (tensors are torch tensors, so `x.dtype == tf.float32`)."""
import builtins
from typing import Any

import torch

from torchkeras_api.engine.keras_tensor import STRING
from torchkeras_api.tf._support import module_getattr, torch_dtype

DType = torch.dtype
"""tf.DType: torch dtypes stand in for TF dtypes."""

float16 = half = torch.float16
bfloat16 = torch.bfloat16
float32 = torch.float32
float64 = double = torch.float64
int8 = torch.int8
int16 = torch.int16
int32 = torch.int32
int64 = torch.int64
uint8 = torch.uint8
uint16 = torch.uint16
uint32 = torch.uint32
uint64 = torch.uint64
complex64 = torch.complex64
complex128 = torch.complex128
bool = torch.bool  # noqa: A001 - the TF name
string = STRING
"""tf.string names string data (numpy arrays of str); torch has no string tensors."""


def as_dtype(type_value: Any) -> Any:
    """The dtype for a TF/numpy/torch dtype or its name ('string' stays 'string')."""
    if type_value == STRING or type_value in (builtins.str, builtins.bytes):
        return STRING
    return torch_dtype(type_value)


__getattr__ = module_getattr("tensorflow.dtypes")
