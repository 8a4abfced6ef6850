"""tf.math: element-wise math, comparisons, reductions and matrix products on torch tensors."""
import builtins
import collections
from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F

from torchkeras_api import backend as K
from torchkeras_api.tf._support import axis_arg, module_getattr, tensor, tf_op, torch_dtype

TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def _pair(x: Any, y: Any) -> tuple:
    """Both operands as tensors; a python number takes the other operand's dtype, as TF does."""
    if isinstance(x, torch.Tensor) and not isinstance(y, torch.Tensor):
        return x, tensor(y, x.dtype if isinstance(y, (int, float)) else None).to(x.device)
    if isinstance(y, torch.Tensor) and not isinstance(x, torch.Tensor):
        return tensor(x, y.dtype if isinstance(x, (int, float)) else None).to(y.device), y
    return tensor(x), tensor(y)


def _unary(tf_name: str, fn: Any, doc: str) -> Any:
    def op(x: Any, name: Optional[str] = None) -> torch.Tensor:
        return fn(tensor(x))

    op.__name__ = op.__qualname__ = tf_name.rsplit(".", 1)[1]
    op.__doc__ = doc
    return tf_op(tf_name)(op)


def _binary(tf_name: str, fn: Any, doc: str) -> Any:
    def op(x: Any, y: Any, name: Optional[str] = None) -> torch.Tensor:
        return fn(*_pair(x, y))

    op.__name__ = op.__qualname__ = tf_name.rsplit(".", 1)[1]
    op.__doc__ = doc
    return tf_op(tf_name)(op)


def _float_for_division(x: torch.Tensor) -> torch.Tensor:
    """Integers as TF's truediv converts them: 8/16-bit to float32, 32/64-bit to float64."""
    if x.dtype.is_floating_point or x.dtype.is_complex:
        return x
    return x.to(torch.float32 if x.dtype in (torch.int8, torch.uint8, torch.int16, torch.bool) else torch.float64)


add = _binary("tf.math.add", torch.add, "Element-wise x + y.")
subtract = _binary("tf.math.subtract", torch.sub, "Element-wise x - y.")
multiply = _binary("tf.math.multiply", torch.mul, "Element-wise x * y.")
truediv = _binary("tf.math.truediv", lambda x, y: _float_for_division(x) / _float_for_division(y),
                  "Element-wise x / y; integers are converted to floats first, as TF does.")
divide = _binary("tf.math.divide", lambda x, y: _float_for_division(x) / _float_for_division(y),
                 "Element-wise x / y (same as truediv).")
floordiv = _binary("tf.math.floordiv", lambda x, y: torch.div(x, y, rounding_mode="floor"),
                   "Element-wise floor(x / y).")
floormod = _binary("tf.math.floormod", torch.remainder, "Element-wise remainder with the sign of y.")
mod = floormod
maximum = _binary("tf.math.maximum", torch.maximum, "Element-wise maximum.")
minimum = _binary("tf.math.minimum", torch.minimum, "Element-wise minimum.")
pow = _binary("tf.math.pow", torch.pow, "Element-wise x ** y.")
squared_difference = _binary("tf.math.squared_difference", lambda x, y: torch.square(x - y),
                             "Element-wise (x - y) ** 2.")
divide_no_nan = _binary("tf.math.divide_no_nan",
                        lambda x, y: torch.where(y == 0, 0, x / torch.where(y == 0, 1, y)),
                        "Element-wise x / y, 0 where y is 0.")
equal = _binary("tf.math.equal", torch.eq, "Element-wise x == y (bool).")
not_equal = _binary("tf.math.not_equal", torch.ne, "Element-wise x != y (bool).")
less = _binary("tf.math.less", torch.lt, "Element-wise x < y (bool).")
less_equal = _binary("tf.math.less_equal", torch.le, "Element-wise x <= y (bool).")
greater = _binary("tf.math.greater", torch.gt, "Element-wise x > y (bool).")
greater_equal = _binary("tf.math.greater_equal", torch.ge, "Element-wise x >= y (bool).")
logical_and = _binary("tf.math.logical_and", torch.logical_and, "Element-wise x and y.")
logical_or = _binary("tf.math.logical_or", torch.logical_or, "Element-wise x or y.")
logical_xor = _binary("tf.math.logical_xor", torch.logical_xor, "Element-wise x xor y.")
atan2 = _binary("tf.math.atan2", torch.atan2, "Element-wise atan(y / x) of (y, x) with the quadrant.")

negative = _unary("tf.math.negative", torch.neg, "Element-wise -x.")
abs = _unary("tf.math.abs", torch.abs, "Element-wise |x|.")
sign = _unary("tf.math.sign", torch.sign, "Element-wise sign (-1, 0 or 1).")
square = _unary("tf.math.square", torch.square, "Element-wise x ** 2.")
sqrt = _unary("tf.math.sqrt", torch.sqrt, "Element-wise square root.")
rsqrt = _unary("tf.math.rsqrt", torch.rsqrt, "Element-wise 1 / sqrt(x).")
reciprocal = _unary("tf.math.reciprocal", torch.reciprocal, "Element-wise 1 / x.")
exp = _unary("tf.math.exp", torch.exp, "Element-wise e ** x.")
expm1 = _unary("tf.math.expm1", torch.expm1, "Element-wise e ** x - 1.")
log = _unary("tf.math.log", torch.log, "Element-wise natural logarithm.")
log1p = _unary("tf.math.log1p", torch.log1p, "Element-wise log(1 + x).")
sin = _unary("tf.math.sin", torch.sin, "Element-wise sine.")
cos = _unary("tf.math.cos", torch.cos, "Element-wise cosine.")
tan = _unary("tf.math.tan", torch.tan, "Element-wise tangent.")
asin = _unary("tf.math.asin", torch.asin, "Element-wise arcsine.")
acos = _unary("tf.math.acos", torch.acos, "Element-wise arccosine.")
atan = _unary("tf.math.atan", torch.atan, "Element-wise arctangent.")
sinh = _unary("tf.math.sinh", torch.sinh, "Element-wise hyperbolic sine.")
cosh = _unary("tf.math.cosh", torch.cosh, "Element-wise hyperbolic cosine.")
tanh = _unary("tf.math.tanh", torch.tanh, "Element-wise hyperbolic tangent.")
sigmoid = _unary("tf.math.sigmoid", torch.sigmoid, "Element-wise 1 / (1 + exp(-x)).")
softplus = _unary("tf.math.softplus", F.softplus, "Element-wise log(exp(x) + 1).")
erf = _unary("tf.math.erf", torch.erf, "Element-wise Gauss error function.")
floor = _unary("tf.math.floor", torch.floor, "Element-wise floor.")
ceil = _unary("tf.math.ceil", torch.ceil, "Element-wise ceiling.")
round = _unary("tf.math.round", torch.round, "Element-wise rounding, ties to even.")
logical_not = _unary("tf.math.logical_not", torch.logical_not, "Element-wise not x.")
is_nan = _unary("tf.math.is_nan", torch.isnan, "Element-wise x is NaN.")
is_inf = _unary("tf.math.is_inf", torch.isinf, "Element-wise x is +-inf.")
is_finite = _unary("tf.math.is_finite", torch.isfinite, "Element-wise x is finite.")


def _reduction(tf_name: str, k_fn: Any, doc: str) -> Any:
    def reduce(input_tensor: Any, axis: Any = None, keepdims: bool = False, name: Optional[str] = None) -> Any:
        return k_fn(tensor(input_tensor), axis_arg(axis), keepdims)

    reduce.__name__ = reduce.__qualname__ = tf_name.rsplit(".", 1)[1]
    reduce.__doc__ = doc
    return tf_op(tf_name)(reduce)


reduce_sum = _reduction("tf.math.reduce_sum", K.sum, "Sum over `axis` (all axes when None).")
reduce_mean = _reduction("tf.math.reduce_mean", K.mean,
                         "Mean over `axis` (all axes when None); integers give the truncated mean, as TF.")
reduce_max = _reduction("tf.math.reduce_max", K.max, "Maximum over `axis` (all axes when None).")
reduce_min = _reduction("tf.math.reduce_min", K.min, "Minimum over `axis` (all axes when None).")
reduce_prod = _reduction("tf.math.reduce_prod", K.prod, "Product over `axis` (all axes when None).")
reduce_variance = _reduction("tf.math.reduce_variance", K.var, "Population variance over `axis`.")
reduce_std = _reduction("tf.math.reduce_std", K.std, "Population standard deviation over `axis`.")
reduce_any = _reduction("tf.math.reduce_any", K.any, "Logical or over `axis`.")
reduce_all = _reduction("tf.math.reduce_all", K.all, "Logical and over `axis`.")


def _dims(axis: Any, rank: int) -> tuple:
    return K._dims(axis_arg(axis), rank)


@tf_op("tf.math.reduce_logsumexp")
def reduce_logsumexp(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                     name: Optional[str] = None) -> torch.Tensor:
    """log(sum(exp(x))) over `axis`, computed stably."""
    x = tensor(input_tensor)
    return torch.logsumexp(x, dim=_dims(axis, x.ndim), keepdim=keepdims)


@tf_op("tf.math.reduce_euclidean_norm")
def reduce_euclidean_norm(input_tensor: Any, axis: Any = None, keepdims: bool = False,
                          name: Optional[str] = None) -> torch.Tensor:
    """sqrt(sum(x ** 2)) over `axis`."""
    x = tensor(input_tensor)
    return torch.sqrt(torch.sum(torch.square(x), dim=_dims(axis, x.ndim), keepdim=keepdims))


@tf_op("tf.math.count_nonzero")
def count_nonzero(input: Any, axis: Any = None, keepdims: bool = False, dtype: Any = torch.int64,
                  name: Optional[str] = None) -> torch.Tensor:
    """The number of non-zero entries over `axis` (int64 unless given)."""
    x = tensor(input)
    return torch.sum(x != 0, dim=_dims(axis, x.ndim), keepdim=keepdims).to(torch_dtype(dtype))


@tf_op("tf.math.argmax")
def argmax(input: Any, axis: Any = None, output_type: Any = torch.int64, name: Optional[str] = None) -> torch.Tensor:
    """Index of the maximum along `axis` (0 when None), int64 unless `output_type` says otherwise."""
    return torch.argmax(tensor(input), dim=0 if axis is None else axis_arg(axis)).to(torch_dtype(output_type))


@tf_op("tf.math.argmin")
def argmin(input: Any, axis: Any = None, output_type: Any = torch.int64, name: Optional[str] = None) -> torch.Tensor:
    """Index of the minimum along `axis` (0 when None), int64 unless `output_type` says otherwise."""
    return torch.argmin(tensor(input), dim=0 if axis is None else axis_arg(axis)).to(torch_dtype(output_type))


def _scan(fn: Any, x: Any, axis: int, exclusive: bool, reverse: bool, identity: int) -> torch.Tensor:
    x = tensor(x)
    axis = axis_arg(axis)
    if reverse:
        x = torch.flip(x, (axis,))
    out = fn(x, dim=axis, dtype=K._integer_dtype(x))
    if exclusive:
        pad = torch.full_like(out.narrow(axis, 0, 1), identity)
        out = torch.cat([pad, out.narrow(axis, 0, out.shape[axis] - 1)], dim=axis)
    return torch.flip(out, (axis,)) if reverse else out


@tf_op("tf.math.cumsum")
def cumsum(x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False,
           name: Optional[str] = None) -> torch.Tensor:
    """Cumulative sum along `axis` (optionally exclusive and/or from the end)."""
    return _scan(torch.cumsum, x, axis, exclusive, reverse, 0)


@tf_op("tf.math.cumprod")
def cumprod(x: Any, axis: int = 0, exclusive: bool = False, reverse: bool = False,
            name: Optional[str] = None) -> torch.Tensor:
    """Cumulative product along `axis` (optionally exclusive and/or from the end)."""
    return _scan(torch.cumprod, x, axis, exclusive, reverse, 1)


@tf_op("tf.math.add_n")
def add_n(inputs: Sequence[Any], name: Optional[str] = None) -> torch.Tensor:
    """The element-wise sum of a list of same-shape tensors."""
    tensors = [tensor(t) for t in inputs]
    if not tensors:
        raise ValueError("inputs must be a list of at least one Tensor with the same dtype and shape")
    return builtins.sum(tensors[1:], tensors[0])


@tf_op("tf.linalg.matmul")
def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False, adjoint_a: bool = False,
           adjoint_b: bool = False, a_is_sparse: bool = False, b_is_sparse: bool = False, output_type: Any = None,
           name: Optional[str] = None) -> torch.Tensor:
    """a @ b over the last two axes, optionally transposing (or conjugate-transposing) either one."""
    a, b = tensor(a), tensor(b)
    if transpose_a or adjoint_a:
        a = a.mT.conj() if adjoint_a else a.mT
    if transpose_b or adjoint_b:
        b = b.mT.conj() if adjoint_b else b.mT
    out = torch.matmul(a, b)
    return out if output_type is None else out.to(torch_dtype(output_type))


@tf_op("tf.tensordot")
def tensordot(a: Any, b: Any, axes: Any, name: Optional[str] = None) -> torch.Tensor:
    """Sum of products over `axes` (an int, or a pair of axis lists)."""
    axes = axis_arg(axes)
    if not isinstance(axes, int):
        axes = [[axes[0]] if isinstance(axes[0], int) else list(axes[0]),
                [axes[1]] if isinstance(axes[1], int) else list(axes[1])]
    return torch.tensordot(tensor(a), tensor(b), dims=axes)


@tf_op("tf.einsum")
def einsum(equation: str, *inputs: Any, **kwargs: Any) -> torch.Tensor:
    """Einstein summation over the inputs."""
    return torch.einsum(equation, *[tensor(t) for t in inputs])


@tf_op("tf.math.l2_normalize")
def l2_normalize(x: Any, axis: Any = None, epsilon: float = 1e-12, name: Optional[str] = None,
                 dim: Any = None) -> torch.Tensor:
    """x / sqrt(max(sum(x ** 2, axis), epsilon))."""
    x = tensor(x)
    squares = torch.sum(torch.square(x), dim=_dims(dim if axis is None else axis, x.ndim), keepdim=True)
    return x * torch.rsqrt(torch.clamp_min(squares, epsilon))


def top_k(input: Any, k: int = 1, sorted: bool = True, name: Optional[str] = None) -> TopKV2:
    """The k largest entries of the last axis and their int32 indices."""
    values, indices = torch.topk(tensor(input), int(k), dim=-1, sorted=True)
    return TopKV2(values, indices.to(torch.int32))


def in_top_k(targets: Any, predictions: Any, k: int, name: Optional[str] = None) -> torch.Tensor:
    """Whether each target is among the k highest predictions of its row."""
    return K.in_top_k(predictions, targets, k)


def confusion_matrix(labels: Any, predictions: Any, num_classes: Optional[int] = None, weights: Any = None,
                     dtype: Any = torch.int32, name: Optional[str] = None) -> torch.Tensor:
    """counts[i, j]: how many (weighted) examples have label i and prediction j."""
    labels, predictions = tensor(labels).long().reshape(-1), tensor(predictions).long().reshape(-1)
    if num_classes is None:
        num_classes = int(torch.maximum(labels.max(), predictions.max())) + 1
    values = torch.ones_like(labels) if weights is None else tensor(weights).reshape(-1)
    out = torch.zeros(num_classes * num_classes, dtype=values.dtype, device=labels.device)
    out.index_add_(0, labels * num_classes + predictions, values)
    return out.reshape(num_classes, num_classes).to(torch_dtype(dtype))


@tf_op("tf.clip_by_value")
def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any, name: Optional[str] = None) -> torch.Tensor:
    """t limited to [clip_value_min, clip_value_max] element-wise."""
    t = tensor(t)
    low = clip_value_min if not isinstance(clip_value_min, torch.Tensor) else clip_value_min.to(t.dtype)
    high = clip_value_max if not isinstance(clip_value_max, torch.Tensor) else clip_value_max.to(t.dtype)
    return torch.clamp(t, min=low, max=high)


@tf_op("tf.clip_by_norm")
def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: Optional[str] = None) -> torch.Tensor:
    """t scaled down so that its L2 norm over `axes` (all when None) is at most clip_norm."""
    t = tensor(t)
    norm = torch.sqrt(torch.sum(torch.square(t), dim=_dims(axes, t.ndim), keepdim=True))
    return t * clip_norm / torch.maximum(norm, torch.as_tensor(clip_norm, dtype=t.dtype, device=t.device))


def global_norm(t_list: Sequence[Any], name: Optional[str] = None) -> torch.Tensor:
    """sqrt(sum of squares of every entry of every tensor in t_list); None entries are skipped."""
    squares = [torch.sum(torch.square(tensor(t))) for t in t_list if t is not None]
    if not squares:
        return torch.tensor(0.0)
    return torch.sqrt(builtins.sum(squares[1:], squares[0]))


def clip_by_global_norm(t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None,
                        name: Optional[str] = None) -> tuple:
    """(t_list scaled by clip_norm / max(global_norm, clip_norm), global_norm); None entries stay None."""
    norm = global_norm(t_list) if use_norm is None else tensor(use_norm)
    scale = clip_norm / torch.maximum(norm, torch.as_tensor(clip_norm, dtype=norm.dtype))
    return [None if t is None else tensor(t) * scale.to(tensor(t).dtype) for t in t_list], norm


__getattr__ = module_getattr("tensorflow.math")
