"""SpectralNormalization: a wrapper that divides a layer's kernel by its spectral norm in training calls."""
from typing import Any, Dict, Optional

import torch

from torchkeras_api import initializers
from torchkeras_api.engine import call_context
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.engine.keras_tensor import as_shapes
from torchkeras_api.engine.variables import Variable
from torchkeras_api.layers.wrappers import Wrapper


class SpectralNormalization(Wrapper):
    """Wraps a layer with a `kernel` (or an Embedding's `embeddings`) and, in training calls, replaces that
    kernel by itself divided by its largest singular value, estimated with `power_iterations` steps of power
    iteration from the non-trainable `vector_u` (which keeps the estimate between calls).

    The kernel is viewed as a matrix whose columns run along tf.keras's last kernel axis. Inference calls use
    the kernel as it is.
    """

    def __init__(self, layer: Any, power_iterations: int = 1, **kwargs: Any):
        super().__init__(layer, **kwargs)
        if power_iterations <= 0:
            raise ValueError("`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = power_iterations
        self._kernel_attribute: Optional[str] = None
        self._column_axis = -1

    @property
    def kernel(self) -> Variable:
        """The wrapped layer's kernel (its `embeddings` for an Embedding); set once built."""
        if self._kernel_attribute is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute 'kernel' before it is built")
        return getattr(self.layer, self._kernel_attribute)

    @property
    def kernel_shape(self) -> list:
        """The kernel's shape in tf.keras's layout."""
        return list(self.kernel.keras_shape)

    def build(self, input_shape: Any) -> None:
        input_shape = as_shapes(input_shape)
        super().build(input_shape)
        self.input_spec = InputSpec(shape=(None,) + tuple(input_shape)[1:])
        self._kernel_attribute = _kernel_attribute(self.layer)
        kernel = self.kernel
        self._column_axis = _column_axis(kernel)
        self.vector_u = self.add_weight("vector_u", shape=(1, kernel.keras_shape[-1]), dtype=kernel.dtype,
                                        initializer=initializers.TruncatedNormal(stddev=0.02), trainable=False)
        self.built = True

    def call(self, inputs: Any, training: Optional[bool] = None) -> Any:
        if training and not call_context.state.inferring:
            self._normalize_kernel()
        return self.layer(inputs)

    def _normalize_kernel(self) -> None:
        """Divides the kernel by its estimated spectral norm and stores the new `vector_u`; an all-zero kernel
        leaves both unchanged."""
        kernel = self.kernel
        with torch.no_grad():
            matrix = _as_matrix(kernel, self._column_axis)
            vector_u = self.vector_u
            for _ in range(self.power_iterations):
                vector_v = _l2_normalize(vector_u @ matrix.t())
                vector_u = _l2_normalize(vector_v @ matrix)
            sigma = ((vector_v @ matrix) @ vector_u.t()).reshape(())
            all_zero = (kernel == 0).all()
            self.vector_u.copy_(torch.where(all_zero, self.vector_u, vector_u))
            kernel.copy_(torch.where(sigma == 0, torch.zeros_like(sigma), kernel / sigma))

    def get_config(self) -> Dict[str, Any]:
        return super().get_config() | {"power_iterations": self.power_iterations}


def _kernel_attribute(layer: Any) -> str:
    """The name of the weight that a layer's spectral normalization divides: `kernel`, else `embeddings`."""
    for attribute in ("kernel", "embeddings"):
        if getattr(layer, attribute, None) is not None:
            return attribute
    raise ValueError(f"{type(layer).__name__} object has no attribute 'kernel' nor 'embeddings'")


def _l2_normalize(x: torch.Tensor) -> torch.Tensor:
    """x over its L2 norm, the squared norm floored at 1e-12 (as tf.math.l2_normalize)."""
    return x * torch.rsqrt(torch.clamp_min((x * x).sum(), 1e-12))


def _column_axis(kernel: Variable) -> int:
    """The storage axis of `kernel` that is tf.keras's last kernel axis (found from the layout's view strides)."""
    if kernel._layout is None:
        return kernel.ndim - 1
    probe = torch.empty(kernel.shape, device="meta")
    keras_view = kernel._layout.to_keras(probe)
    for axis in range(probe.ndim):
        if probe.shape[axis] == keras_view.shape[-1] and probe.stride(axis) == keras_view.stride(-1):
            return axis
    raise ValueError(f"Cannot locate the output axis of kernel '{kernel.name}' in its storage layout.")


def _as_matrix(kernel: torch.Tensor, column_axis: int) -> torch.Tensor:
    """The kernel as a (rows, columns) matrix, columns along `column_axis`; a view for a first or last axis.
    Its rows are in storage order, which leaves the spectral norm and `vector_u` unchanged."""
    columns = kernel.shape[column_axis]
    if column_axis == kernel.ndim - 1:
        return kernel.reshape(-1, columns)
    return kernel.movedim(column_axis, 0).reshape(columns, -1).t()
