"""Symbolic tensors of the functional API, and graph nodes for ops applied to them."""
import collections
import functools
import inspect
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import torch

from torchkeras_api.utils import nest

KerasHistory = collections.namedtuple("KerasHistory", ["layer", "node_index", "tensor_index"])


class TensorShape(tuple):
    """A shape tuple with None for unknown dimensions; a leaf in nested structures."""

    _nest_leaf = True

    def as_list(self) -> list:
        return list(self)

    @property
    def rank(self) -> int:
        return len(self)

    ndims = rank

    def is_fully_defined(self) -> bool:
        return all(d is not None for d in self)


def as_shapes(structure: Any) -> Any:
    """Nested structure with each tuple of ints/None turned into a TensorShape."""
    if isinstance(structure, (list, tuple)) and all(d is None or isinstance(d, int) for d in structure):
        return TensorShape(structure)
    if isinstance(structure, dict):
        return {k: as_shapes(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(as_shapes(s) for s in structure)
    return structure


STRING = "string"
"""The dtype of string inputs and KerasTensors (torch has no string tensors: the values are numpy arrays of str)."""


def is_string_dtype(dtype: Any) -> bool:
    """Whether `dtype` names strings: 'string', tf.string, str, bytes, numpy str/bytes/object dtypes."""
    if dtype is None or isinstance(dtype, torch.dtype):
        return False
    if dtype in (str, bytes, object) or getattr(dtype, "name", None) == STRING or dtype == STRING:
        return True
    try:
        return np.dtype(dtype).kind in "USO"
    except TypeError:
        return False


def dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


class KerasTensor:
    """Stands for a tensor in a graph of layers: shape (None for unknown), dtype, and where it came from."""

    def __init__(self, shape: Sequence[Optional[int]], dtype: torch.dtype = torch.float32,
                 name: Optional[str] = None):
        self._shape = TensorShape(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.name = name
        self._keras_history: Optional[KerasHistory] = None
        self._keras_mask: Optional["KerasTensor"] = None

    @property
    def shape(self) -> TensorShape:
        return self._shape

    @property
    def ndim(self) -> int:
        return len(self._shape)

    @property
    def node(self) -> Any:
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    def __repr__(self) -> str:
        created = f" (created by layer '{self._keras_history.layer.name}')" if self._keras_history else ""
        return f"<KerasTensor: shape={tuple(self._shape)} dtype={dtype_name(self.dtype)}{created}>"

    def __hash__(self) -> int:
        return id(self)

    def __bool__(self) -> bool:
        raise TypeError("Using a symbolic KerasTensor as a Python `bool` is not allowed: its value is only "
                        "known when the model runs on data.")

    def __len__(self) -> int:
        raise TypeError("Keras symbolic inputs/outputs do not implement `__len__`. Use `x.shape[0]` instead.")

    def __iter__(self) -> Any:
        if not self._shape or self._shape[0] is None:
            raise TypeError(f"Cannot iterate over a KerasTensor with unknown first dimension: {self!r}")
        return iter([self[i] for i in range(self._shape[0])])

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"You are passing {self!r}, an intermediate Keras symbolic input/output, to a function "
                        "that needs real values (numpy). Wrap the computation in a `Lambda` layer or a custom "
                        "layer's `call`.")

    def numpy(self) -> Any:
        raise TypeError(f"{self!r} is symbolic and has no value; call the model on data to get one.")

    @classmethod
    def __torch_function__(cls, func: Callable, types: Any, args: tuple = (), kwargs: Optional[dict] = None) -> Any:
        name = getattr(func, "__name__", "op")
        return op_node(func, f"torch.{name}", args, kwargs or {})

    def __getitem__(self, key: Any) -> "KerasTensor":
        return op_node(_getitem, "tf.__operators__.getitem", (self, key), {}, slicing=True)


def _getitem(tensor: torch.Tensor, slice_spec: Any) -> torch.Tensor:
    return tensor[slice_spec]


TF_OPS: Dict[str, Tuple[Callable, Tuple[str, ...]]] = {"__operators__.getitem": (_getitem, ("tensor", "slice_spec"))}
"""TF symbol (without 'tf.') -> (function, argument names): how TFOpLambda layers are rebuilt from configs."""


def register_tf_op(tf_name: str, fn: Callable, arg_names: Optional[Tuple[str, ...]] = None) -> None:
    if arg_names is None:
        arg_names = tuple(inspect.signature(fn).parameters)
    TF_OPS[tf_name.replace("tf.", "", 1)] = (fn, arg_names)


def _binary(tf_name: str, fn: Callable, reflected: bool = False) -> Callable:
    if reflected:
        def method(self, other):
            return op_node(fn, tf_name, (other, self), {})
    else:
        def method(self, other):
            return op_node(fn, tf_name, (self, other), {})
    return method


def _unary(tf_name: str, fn: Callable) -> Callable:
    def method(self):
        return op_node(fn, tf_name, (self,), {})
    return method


_BINARY_OPS = {
    "add": ("tf.__operators__.add", torch.add),
    "sub": ("tf.math.subtract", torch.sub),
    "mul": ("tf.math.multiply", torch.mul),
    "truediv": ("tf.math.truediv", torch.true_divide),
    "floordiv": ("tf.math.floordiv", torch.floor_divide),
    "mod": ("tf.math.floormod", torch.remainder),
    "pow": ("tf.math.pow", torch.pow),
    "matmul": ("tf.linalg.matmul", torch.matmul),
    "and": ("tf.math.logical_and", torch.logical_and),
    "or": ("tf.math.logical_or", torch.logical_or),
    "xor": ("tf.math.logical_xor", torch.logical_xor),
}
for _op, (_tf_name, _fn) in _BINARY_OPS.items():
    register_tf_op(_tf_name, _fn, ("x", "y"))
    setattr(KerasTensor, f"__{_op}__", _binary(_tf_name, _fn))
    setattr(KerasTensor, f"__r{_op}__", _binary(_tf_name, _fn, reflected=True))
for _op, (_tf_name, _fn) in {"lt": ("tf.math.less", torch.lt), "le": ("tf.math.less_equal", torch.le),
                             "gt": ("tf.math.greater", torch.gt), "ge": ("tf.math.greater_equal", torch.ge)}.items():
    register_tf_op(_tf_name, _fn, ("x", "y"))
    setattr(KerasTensor, f"__{_op}__", _binary(_tf_name, _fn))
for _op, (_tf_name, _fn) in {"neg": ("tf.math.negative", torch.neg), "abs": ("tf.math.abs", torch.abs),
                             "invert": ("tf.math.logical_not", torch.logical_not)}.items():
    register_tf_op(_tf_name, _fn, ("x",))
    setattr(KerasTensor, f"__{_op}__", _unary(_tf_name, _fn))


def has_keras_tensor(args: Sequence[Any], kwargs: Optional[dict] = None) -> bool:
    """Whether any (nested) argument is a KerasTensor."""
    for a in args:
        if isinstance(a, KerasTensor):
            return True
        if isinstance(a, (list, tuple, dict)) and any(isinstance(t, KerasTensor) for t in nest.flatten(a)):
            return True
    if kwargs:
        return has_keras_tensor(tuple(kwargs.values()))
    return False


def op_node(fn: Callable, tf_name: str, args: tuple, kwargs: dict, slicing: bool = False) -> Any:
    """Records `fn(*args, **kwargs)` on KerasTensors as a TFOpLambda layer node."""
    from torchkeras_api.engine.op_layers import SlicingOpLambda, TFOpLambda
    layer_cls = SlicingOpLambda if slicing else TFOpLambda
    return layer_cls(fn, tf_name)(*args, **kwargs)


def keras_op(tf_name: str, replace: bool = True) -> Callable[[Callable], Callable]:
    """Decorator: called on KerasTensors, the function becomes one graph node named like tf.keras's. The
    function becomes the op's implementation (used when a saved graph is rebuilt) unless one is registered
    already and `replace` is False."""

    def decorator(fn: Callable) -> Callable:
        if replace or tf_name.replace("tf.", "", 1) not in TF_OPS:
            register_tf_op(tf_name, fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if has_keras_tensor(args, kwargs):
                return op_node(fn, tf_name, args, kwargs)
            return fn(*args, **kwargs)

        return wrapper

    return decorator
