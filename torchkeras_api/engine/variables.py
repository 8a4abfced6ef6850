"""Keras weights as torch Parameters: a Keras `.name`, `.numpy()` in tf.keras layout, `assign`."""
from typing import Any, Callable, Optional

import numpy as np
import torch


class Layout:
    """Converts a weight between its torch storage layout and tf.keras's layout."""

    def __init__(self, to_keras: Callable[[torch.Tensor], torch.Tensor],
                 from_keras: Callable[[torch.Tensor], torch.Tensor], keras_shape: Callable[[tuple], tuple]):
        self.to_keras = to_keras
        self.from_keras = from_keras
        self.keras_shape = keras_shape


class Variable(torch.nn.Parameter):
    """A layer weight. Stored in torch layout; `numpy()`/`assign()` speak tf.keras layout."""

    def __new__(cls, data: torch.Tensor, trainable: bool = True, name: Optional[str] = None,
                layout: Optional[Layout] = None) -> "Variable":
        var = super().__new__(cls, data, requires_grad=trainable and data.is_floating_point())
        var._keras_name = name
        var._keras_trainable = trainable
        var._layout = layout
        var.constraint = None
        var.regularizer = None
        return var

    @property
    def name(self) -> str:
        return self._keras_name

    @property
    def trainable(self) -> bool:
        return self._keras_trainable

    @property
    def keras_shape(self) -> tuple:
        """Shape in tf.keras layout."""
        shape = tuple(self.shape)
        return self._layout.keras_shape(shape) if self._layout is not None else shape

    def keras_value(self) -> torch.Tensor:
        """The value in tf.keras layout (a detached tensor)."""
        value = self.detach()
        return self._layout.to_keras(value) if self._layout is not None else value

    def numpy(self) -> np.ndarray:
        """A copy of the value in tf.keras layout (later updates do not change it)."""
        return self.keras_value().cpu().numpy().copy()

    def value(self) -> torch.Tensor:
        return self

    read_value = value

    def _torch_layout(self, value: Any) -> torch.Tensor:
        """`value` (tf.keras layout, broadcastable) as a tensor in this variable's storage layout."""
        if not isinstance(value, torch.Tensor):
            value = torch.as_tensor(np.asarray(value))
        value = value.to(device=self.device, dtype=self.dtype, non_blocking=True)
        if self._layout is not None and value.ndim:
            value = self._layout.from_keras(value.expand(self.keras_shape))
        return value

    def assign(self, value: Any) -> "Variable":
        """Sets the value from a tf.keras-layout array or tensor (no host round trip for tensors)."""
        shape = tuple(value.shape) if hasattr(value, "shape") else np.shape(value)
        if tuple(shape) != self.keras_shape:
            raise ValueError(f"Cannot assign value of shape {tuple(shape)} to variable '{self.name}' "
                             f"of shape {self.keras_shape}.")
        with torch.no_grad():
            self.copy_(self._torch_layout(value))
        return self

    def assign_add(self, delta: Any) -> "Variable":
        with torch.no_grad():
            self.add_(self._torch_layout(delta))
        return self

    def assign_sub(self, delta: Any) -> "Variable":
        with torch.no_grad():
            self.sub_(self._torch_layout(delta))
        return self

    def __repr__(self) -> str:
        dtype = str(self.dtype).replace("torch.", "")
        return f"<Variable '{self.name}' shape={self.keras_shape} dtype={dtype}, numpy=\n{self.numpy()}>"

    def __deepcopy__(self, memo: dict) -> "Variable":
        if id(self) in memo:
            return memo[id(self)]
        result = Variable(self.data.clone(memory_format=torch.preserve_format), self._keras_trainable,
                          self._keras_name, self._layout)
        result.requires_grad_(self.requires_grad)
        result.constraint = self.constraint
        result.regularizer = self.regularizer
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto: int) -> Any:
        return (_rebuild_variable, (self.data, self._keras_trainable, self._keras_name, self.requires_grad,
                                    self._layout))


def _rebuild_variable(data: torch.Tensor, trainable: bool, name: str, requires_grad: bool,
                      layout: Optional[Layout] = None) -> Variable:
    var = Variable(data, trainable, name, layout)
    var.requires_grad_(requires_grad)
    return var
