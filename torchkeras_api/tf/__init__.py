"""The `tensorflow` facade: `import tensorflow as tf` scripts on torch (see `torchkeras_api.importer`).

`tf.keras` is torchkeras_api and `tf.data` is torchkeras_api.data; tensors are torch tensors and dtypes torch
dtypes. `__version__` is a TF-2.x-like string for scripts that check it; it is not a TensorFlow install.
Names the facade does not have raise AttributeError saying they are not supported.
"""
import torchkeras_api as keras
from torchkeras_api import data, initializers, losses, metrics, optimizers
from torchkeras_api.tf import compat, debugging, dtypes, errors, image, io, linalg, nn, random, train
from torchkeras_api.tf import math_ops as math
from torchkeras_api.tf._support import module_getattr as _module_getattr
from torchkeras_api.tf.array_ops import (argsort, boolean_mask, broadcast_to, concat, expand_dims, gather, gather_nd,
                                         meshgrid, one_hot, pad, repeat, reshape, reverse, sequence_mask, slice,
                                         sort, split, squeeze, stack, tile, transpose, unique, unstack, where)
from torchkeras_api.tf.compat.v1 import (ConfigProto, GPUOptions, Session, enable_eager_execution, get_variable,
                                        global_variables_initializer)
from torchkeras_api.tf.context import device, executing_eagerly, get_logger
from torchkeras_api.tf.context import print_ as print  # noqa: A001 - the TF name
from torchkeras_api.tf.dtypes import (DType, as_dtype, bfloat16, bool, complex64, complex128, double, float16,
                                      float32, float64, half, int8, int16, int32, int64, string, uint8, uint16,
                                      uint32, uint64)
from torchkeras_api.tf.function import function, numpy_function, py_function
from torchkeras_api.tf.gradient_tape import GradientTape, UnconnectedGradients
from torchkeras_api.tf.linalg import norm
from torchkeras_api.tf.math_ops import (abs, add, add_n, argmax, argmin, clip_by_global_norm, clip_by_norm,
                                        clip_by_value, cos, cumsum, divide, einsum, equal, exp, floor, greater,
                                        greater_equal, less, less_equal, logical_and, logical_not, logical_or,
                                        matmul, maximum, minimum, multiply, negative, not_equal, pow, reduce_all,
                                        reduce_any, reduce_logsumexp, reduce_max, reduce_mean, reduce_min,
                                        reduce_prod, reduce_sum, round, sigmoid, sign, sin, sqrt, square, subtract,
                                        tanh, tensordot, truediv)
from torchkeras_api.tf.tensors import (Tensor, TensorShape, TensorSpec, Variable, cast, constant, convert_to_tensor,
                                       eye, fill, identity, is_tensor, linspace, ones, ones_like, range, rank,
                                       shape, size, stop_gradient, zeros, zeros_like)

__version__ = "2.15.0"
"""A TF-2.x-like version string for scripts that check it (this is not TensorFlow)."""

newaxis = None
random_normal_initializer = initializers.RandomNormal
random_uniform_initializer = initializers.RandomUniform
constant_initializer = initializers.Constant
zeros_initializer = initializers.Zeros
ones_initializer = initializers.Ones

__getattr__ = _module_getattr("tensorflow", lazy={"config": "torchkeras_api.config",
                                                 "distribute": "torchkeras_api.distribute"})
