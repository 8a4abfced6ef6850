"""InputLayer and `Input()`: the entry points of a functional graph."""
from typing import Any, Dict, Optional, Sequence

from torchkeras_api import backend_config
from torchkeras_api.engine import naming
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.keras_tensor import KerasTensor
from torchkeras_api.engine.node import Node


class InputLayer(Layer):
    """Holds the KerasTensor a graph starts from."""

    def __init__(self, input_shape: Optional[Sequence[Optional[int]]] = None, batch_size: Optional[int] = None,
                 dtype: Any = None, input_tensor: Any = None, sparse: Optional[bool] = None,
                 name: Optional[str] = None, ragged: Optional[bool] = None, type_spec: Any = None,
                 **kwargs: Any):
        batch_input_shape = kwargs.pop("batch_input_shape", None) or kwargs.pop("batch_shape", None)
        if kwargs.pop("optional", False):
            raise NotImplementedError("Optional inputs are not supported by torchkeras_api.")
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {list(kwargs)}")
        if sparse or ragged:
            raise NotImplementedError("Sparse and ragged inputs are not supported by torchkeras_api.")
        if input_shape is not None and batch_input_shape is not None:
            raise ValueError("Only provide the input_shape OR batch_input_shape argument to InputLayer, not both.")
        if input_tensor is not None:
            batch_input_shape = tuple(input_tensor.shape)
        elif batch_input_shape is None:
            if input_shape is None:
                raise ValueError("Please provide to Input a `shape` or a `tensor` or a `type_spec` argument. "
                                 "Note that `shape` does not include the batch dimension.")
            if isinstance(input_shape, int):
                input_shape = (input_shape,)
            batch_input_shape = (batch_size,) + tuple(input_shape)
        super().__init__(name=name or naming.unique_object_name("input", zero_based=False),
                         dtype=backend_config.floatx() if dtype is None else dtype)
        self._batch_input_shape = tuple(None if d is None else int(d) for d in batch_input_shape)
        self.built = True
        self.is_placeholder = input_tensor is None
        self._sparse = bool(sparse)
        self._ragged = bool(ragged)
        tensor = input_tensor if input_tensor is not None else KerasTensor(
            self._batch_input_shape, self._compute_dtype, name=self.name)
        Node(self, (), {}, tensor)

    @property
    def output_shape(self) -> Any:
        return [self._batch_input_shape]

    def get_config(self) -> Dict[str, Any]:
        return {"batch_input_shape": self._batch_input_shape, "dtype": self.dtype, "sparse": self._sparse,
                "ragged": self._ragged, "name": self.name, "optional": False}


def Input(shape: Optional[Sequence[Optional[int]]] = None, batch_size: Optional[int] = None,
          name: Optional[str] = None, dtype: Any = None, sparse: Optional[bool] = None, tensor: Any = None,
          ragged: Optional[bool] = None, type_spec: Any = None, **kwargs: Any) -> KerasTensor:
    """A symbolic input of the given shape (batch dimension excluded), as `tf.keras.Input`."""
    batch_shape = kwargs.pop("batch_shape", None) or kwargs.pop("batch_input_shape", None)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {list(kwargs)}")
    if shape is not None and batch_shape is not None:
        raise ValueError("Only provide the `shape` OR `batch_shape` argument to Input, not both at the same time.")
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype, sparse=sparse,
                       input_tensor=tensor, ragged=ragged, batch_input_shape=batch_shape)
    return layer._inbound_nodes[0].outputs
