"""EinsumDense: a dense layer whose kernel contraction is an einsum equation."""
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch

from torchkeras_api import activations, constraints, initializers, regularizers
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.layers.core import set_kernel_bias_arguments

Shape = List[Optional[int]]

_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), False),
    (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$"), True),
    (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\.$"), False),
)


def split_equation(equation: str) -> Tuple[str, str, str, bool]:
    """(input spec, kernel spec, output spec, whether the ellipsis leads) of an EinsumDense equation."""
    for pattern, left_elided in _FORMS:
        match = pattern.match(equation)
        if match:
            return match.group(1), match.group(2), match.group(3), left_elided
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def analyze_einsum(equation: str, bias_axes: Optional[str], input_shape: Sequence[Optional[int]],
                   output_shape: Sequence[Optional[int]]) -> Tuple[Shape, Optional[Shape], Shape]:
    """(kernel shape, bias shape or None, full output shape) for an input shape and the output shape
    without the batch axis, as tf.keras's EinsumDense derives them."""
    input_spec, kernel_spec, output_spec, left_elided = split_equation(equation)
    input_shape = list(input_shape)
    elided = len(input_shape) - len(input_spec)
    full_output = [input_shape[0]] + list(output_shape)
    if elided > 0 and left_elided:
        full_output[1:1] = input_shape[1:elided]
    elif elided > 0:
        full_output += input_shape[len(input_shape) - elided:]
    offset = elided if left_elided else 0
    input_axis = {dim: i + offset - (len(input_shape) if left_elided else 0) for i, dim in enumerate(input_spec)}
    output_axis = {dim: i + offset for i, dim in enumerate(output_spec)}

    for dim in input_spec:
        if dim in output_axis:
            size_in, size_out = input_shape[input_axis[dim]], full_output[output_axis[dim]]
            if size_out is not None and size_out != size_in:
                raise ValueError(f"Input shape and output shape do not match at shared dimension '{dim}'. "
                                 f"Input shape is {size_in}, and output shape is {size_out}.")
    for dim in output_spec:
        if dim not in input_spec and dim not in kernel_spec:
            raise ValueError(f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                             f"corresponding dim in the input spec '{input_spec}' or weight spec '{output_spec}'")
    kernel_shape = []
    for dim in kernel_spec:
        if dim in input_axis:
            kernel_shape.append(input_shape[input_axis[dim]])
        elif dim in output_axis:
            kernel_shape.append(full_output[output_axis[dim]])
        else:
            raise ValueError(f"Weight dimension '{dim}' did not have a match in either the input spec "
                             f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the weight "
                             "must be fully specified.")
    if bias_axes is None:
        return kernel_shape, None, full_output
    for dim in bias_axes:
        if dim not in output_spec:
            raise ValueError(f"Bias dimension '{dim}' was requested, but is not part of the output spec "
                             f"'{output_spec}'")
    first = min(output_spec.find(dim) for dim in bias_axes)
    bias_shape = [full_output[output_axis[dim]] if dim in bias_axes else 1 for dim in output_spec[first:]]
    if not left_elided:
        bias_shape += [1] * max(elided, 0)
    return kernel_shape, bias_shape, full_output


class EinsumDense(Layer):
    """`activation(einsum(equation, inputs, kernel) + bias)`; `output_shape` excludes the batch axis and
    `bias_axes` names the output dimensions the bias spans."""

    def __init__(self, equation: str, output_shape: Any, activation: Any = None, bias_axes: Optional[str] = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.equation = equation
        self.partial_output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
        self.bias_axes = bias_axes
        set_kernel_bias_arguments(self, activation, bias_axes is not None, kernel_initializer, bias_initializer,
                                  kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint)

    def build(self, input_shape: Any) -> None:
        kernel_shape, bias_shape, self.full_output_shape = analyze_einsum(
            self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape)
        if any(d is None for d in kernel_shape):
            raise ValueError(f"The kernel of EinsumDense layer {self.name} must have a fully defined shape; "
                             f"equation '{self.equation}' on input shape {tuple(input_shape)} gives {kernel_shape}.")
        self.kernel = self.add_weight("kernel", shape=kernel_shape, initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", shape=bias_shape, initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if bias_shape is not None else None
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        outputs = torch.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self.activation(outputs) if self.activation is not None else outputs

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config
