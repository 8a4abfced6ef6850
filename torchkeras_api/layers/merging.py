"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, and their functions."""
import functools
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch

from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.keras_tensor import TensorShape

Shape = Tuple[Optional[int], ...]

# Result dtype of tf's true division of integers.
_INT_DIVISION_DTYPES = {torch.int8: torch.float32, torch.uint8: torch.float32, torch.int16: torch.float32,
                        torch.uint16: torch.float32, torch.int32: torch.float64, torch.int64: torch.float64}


def _is_shape_list(input_shape: Any) -> bool:
    return (isinstance(input_shape, (list, tuple)) and not isinstance(input_shape, TensorShape)
            and all(isinstance(s, (list, tuple)) for s in input_shape))


def _broadcast_dim(a: Optional[int], b: Optional[int]) -> Optional[int]:
    """Broadcast of two dimensions (None: unknown); raises ValueError when they cannot broadcast."""
    if a == 1 or (a is None and b != 1):
        return b
    if b == 1 or b is None or a == b:
        return a
    raise ValueError(f"{a} != {b}")


class _Merge(Layer):
    """Base of the merge layers: list-of-inputs checks, a common dtype, and the merged mask.

    Subclasses implement `_merge_function`; the base is the elementwise merge, which aligns ranks by
    inserting axes after the batch axis and then broadcasts, as tf.keras does.
    """

    _arity: Optional[int] = None  # exact number of inputs, or None for one or more

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True

    def _merge_function(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def _arity_error(self, what: str, received: Any) -> ValueError:
        expected = f"exactly {self._arity}" if self._arity else "at least 1"
        return ValueError(f'Layer "{self.name}" (type {type(self).__name__}) should be called on a list of '
                          f"{expected} input(s). Received: {what}={received}")

    def _check_count(self, items: Sequence[Any], what: str) -> None:
        if not items or (self._arity is not None and len(items) != self._arity):
            raise self._arity_error(what, items)

    def build(self, input_shape: Any) -> None:
        if not _is_shape_list(input_shape):
            raise ValueError(f'Layer "{self.name}" (type {type(self).__name__}) should be called on a list of '
                             f"inputs. Received: input_shape={input_shape} (not a list of shapes)")
        self._check_count(input_shape, "input_shape")
        self._check_shapes([tuple(s) for s in input_shape])
        self.built = True

    def _check_shapes(self, shapes: List[Shape]) -> None:
        """Raises ValueError unless the shapes have one batch size and broadcast together."""
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(f'Layer "{self.name}" cannot merge tensors with different batch sizes. '
                             f"Got tensors with shapes {shapes}")
        if len({len(s) for s in shapes}) > 1 and not all(shapes):
            raise ValueError(f'Layer "{self.name}" cannot merge a scalar with tensors of higher rank. '
                             f"Got tensors with shapes {shapes}")
        self._broadcast_shapes(shapes)

    def _broadcast_shapes(self, shapes: List[Shape]) -> Shape:
        rank = max(len(s) for s in shapes)
        aligned = [s[:1] + (1,) * (rank - len(s)) + s[1:] if s else s for s in shapes]
        result = aligned[0]
        for shape in aligned[1:]:
            try:
                result = tuple(map(_broadcast_dim, result, shape))
            except ValueError:
                raise ValueError(f'Layer "{self.name}" received inputs with incompatible shapes: cannot '
                                 f"broadcast {result} with {shape}. Received shapes {shapes}") from None
        return result

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        """Broadcast shape of the inputs, ranks aligned after the batch axis."""
        if not _is_shape_list(input_shape):
            raise ValueError(f'Layer "{self.name}" expects a list of input shapes. Received: {input_shape}')
        return TensorShape(self._broadcast_shapes([tuple(s) for s in input_shape]))

    def _check_inputs(self, inputs: Any) -> List[torch.Tensor]:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f'Layer "{self.name}" (type {type(self).__name__}) should be called on a list of '
                             f"inputs. Received: inputs={inputs} (not a list of tensors)")
        self._check_count(inputs, "inputs")
        dtypes = {x.dtype for x in inputs}
        if len(dtypes) > 1:
            raise TypeError(f'Layer "{self.name}" expects inputs of one dtype. Received inputs with dtypes '
                            f"{[str(x.dtype).replace('torch.', '') for x in inputs]}")
        return list(inputs)

    def call(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        inputs = self._check_inputs(inputs)
        rank = max(x.ndim for x in inputs)
        inputs = [x if x.ndim == rank else x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:])
                  for x in inputs]
        return self._merge_function(inputs)

    def _check_masks(self, inputs: Any, mask: Any) -> Optional[List[Optional[torch.Tensor]]]:
        """The list of input masks, or None when no input has one."""
        if mask is None:
            return None
        if not isinstance(mask, (list, tuple)):
            raise ValueError(f'Layer "{self.name}": `mask` should be a list. Received: mask={mask}')
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f'Layer "{self.name}": `inputs` should be a list. Received: inputs={inputs}')
        if len(mask) != len(inputs):
            raise ValueError(f'Layer "{self.name}": the lists `inputs` and `mask` should have the same length. '
                             f"Received {len(inputs)} inputs and {len(mask)} masks")
        return None if all(m is None for m in mask) else list(mask)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Optional[torch.Tensor]:
        """Logical AND of the input masks (inputs without a mask do not restrict it)."""
        masks = self._check_masks(inputs, mask)
        if masks is None:
            return None
        return functools.reduce(torch.logical_and, [m for m in masks if m is not None])


class Add(_Merge):
    """Elementwise sum of a list of inputs."""

    def _merge_function(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.add, inputs)


class Subtract(_Merge):
    """`inputs[0] - inputs[1]`, for exactly two inputs."""

    _arity = 2

    def _merge_function(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        return torch.sub(inputs[0], inputs[1])


class Multiply(_Merge):
    """Elementwise product of a list of inputs."""

    def _merge_function(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(torch.mul, inputs)


class Average(_Merge):
    """Elementwise mean of a list of inputs; integers give floats as tf's true division does."""

    def _merge_function(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        total = functools.reduce(torch.add, inputs)
        if not total.is_floating_point():
            total = total.to(_INT_DIVISION_DTYPES.get(total.dtype, torch.float64))
        return total / len(inputs)


def _maximum(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # Ties send the gradient to `x` (as tf.maximum does); torch.maximum keeps NaNs.
    return torch.where(x >= y, x, torch.maximum(x, y))


def _minimum(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.where(x <= y, x, torch.minimum(x, y))


class Maximum(_Merge):
    """Elementwise maximum of a list of inputs."""

    def _merge_function(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(_maximum, inputs)


class Minimum(_Merge):
    """Elementwise minimum of a list of inputs."""

    def _merge_function(self, inputs: List[torch.Tensor]) -> torch.Tensor:
        return functools.reduce(_minimum, inputs)


class Concatenate(_Merge):
    """Concatenation of a list of inputs along `axis`; all other dimensions must match."""

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = axis

    def _check_shapes(self, shapes: List[Shape]) -> None:
        """Raises ValueError unless the shapes have one rank and agree off the concatenation axis."""
        reduced = []
        for shape in shapes:
            if not -len(shape) <= self.axis < len(shape):
                raise IndexError(f'Layer "{self.name}": axis {self.axis} is out of range for an input of '
                                 f"rank {len(shape)}. Received: input_shape={shapes}")
            axis = self.axis % len(shape)
            reduced.append(shape[:axis] + shape[axis + 1:])
        if len({len(s) for s in reduced}) > 1 or any(
                len({d for d in dims if d is not None}) > 1 for dims in zip(*reduced)):
            raise ValueError(f'A `Concatenate` layer "{self.name}" requires inputs with matching shapes except '
                             f"for the concatenation axis {self.axis}. Received: input_shape={shapes}")

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        """Sizes along `axis` summed (None if any is unknown); other dimensions from the known ones."""
        if not _is_shape_list(input_shape) or not input_shape:
            raise ValueError(f'A `Concatenate` layer "{self.name}" should be called on a list of inputs. '
                             f"Received: input_shape={input_shape}")
        shapes = [tuple(s) for s in input_shape]
        axis = self.axis % len(shapes[0])
        output = []
        for i, dims in enumerate(zip(*shapes)):
            known = [d for d in dims if d is not None]
            if i == axis:
                output.append(sum(known) if len(known) == len(dims) else None)
            else:
                output.append(known[0] if known else None)
        return TensorShape(output)

    def call(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        return torch.cat(self._check_inputs(inputs), dim=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Optional[torch.Tensor]:
        """The masks, broadcast to their inputs' shapes (all True where missing), concatenated and
        reduced with AND over the last axis."""
        masks = self._check_masks(inputs, mask)
        if masks is None:
            return None
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                m = torch.ones((), dtype=torch.bool, device=x.device)
            elif m.ndim < x.ndim:
                m = m.unsqueeze(-1)
            full.append(m.expand(x.shape))
        return torch.cat(full, dim=self.axis).all(dim=-1)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["axis"] = self.axis
        return config


def _l2_normalize(x: torch.Tensor, axis: int) -> torch.Tensor:
    """`x / sqrt(max(sum(x**2, axis), 1e-12))`, as tf.math.l2_normalize."""
    return x * torch.rsqrt(torch.clamp_min(x.square().sum(dim=axis, keepdim=True), 1e-12))


def batch_dot(x: torch.Tensor, y: torch.Tensor, axes: Tuple[int, int]) -> torch.Tensor:
    """Per-sample dot product of x and y over x's axis axes[0] and y's axis axes[1] (both non-negative).

    The result has x's remaining axes then y's, after the batch axis; a result of rank 1 gets a
    trailing axis of size 1 (tf.keras's `batch_dot`).
    """
    x = torch.movedim(x, axes[0], -1)
    y = torch.movedim(y, axes[1], 1)
    x_rest, y_rest = x.shape[1:-1], y.shape[2:]
    batch, depth = x.shape[0], x.shape[-1]
    out = torch.bmm(x.reshape(batch, math.prod(x_rest), depth), y.reshape(batch, depth, math.prod(y_rest)))
    out = out.reshape((batch,) + x_rest + y_rest)
    return out.unsqueeze(1) if out.ndim == 1 else out


class Dot(_Merge):
    """Per-sample dot product of two inputs along `axes` (an int or one axis per input), optionally of
    their l2-normalized values (cosine proximity)."""

    _arity = 2

    def __init__(self, axes: Union[int, Sequence[int]], normalize: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(f"Invalid type for argument `axes` of Dot: it should be a list or an int. "
                                f"Received: axes={axes}")
            if len(axes) != 2:
                raise ValueError(f"Invalid format for argument `axes` of Dot: it should contain two elements. "
                                 f"Received: axes={axes}")
            if not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Invalid format for argument `axes` of Dot: list elements should be "
                                 f"integers. Received: axes={axes}")
        self.axes = axes
        self.normalize = normalize

    def _resolve_axes(self, ranks: Sequence[int]) -> Tuple[int, int]:
        """Non-negative axis of each input (an int `axes` counts from the end when negative)."""
        axes = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        return axes[0] % ranks[0] if axes[0] < 0 else axes[0], axes[1] % ranks[1] if axes[1] < 0 else axes[1]

    def _check_shapes(self, shapes: List[Shape]) -> None:
        """Raises ValueError unless the two dot axes have the same (possibly unknown) size."""
        shape1, shape2 = shapes
        axis1, axis2 = self._resolve_axes((len(shape1), len(shape2)))
        if max(axis1 - len(shape1), axis2 - len(shape2)) >= 0:
            raise ValueError(f'Layer "{self.name}": axes {self.axes} are out of range for inputs of shapes '
                             f"{shape1}, {shape2}")
        if shape1[axis1] != shape2[axis2]:
            raise ValueError(f'Layer "{self.name}": incompatible input shapes: axis values {shape1[axis1]} (at '
                             f"axis {axis1}) != {shape2[axis2]} (at axis {axis2}). Full input shapes: "
                             f"{shape1}, {shape2}")

    def compute_output_shape(self, input_shape: Any) -> TensorShape:
        """x's shape without its dot axis, then y's without its batch and dot axes (at least rank 2)."""
        if not _is_shape_list(input_shape) or len(input_shape) != 2:
            raise self._arity_error("input_shape", input_shape)
        shape1, shape2 = (tuple(s) for s in input_shape)
        axis1, axis2 = self._resolve_axes((len(shape1), len(shape2)))
        output = shape1[:axis1] + shape1[axis1 + 1:] + shape2[1:axis2] + shape2[axis2 + 1:]
        return TensorShape(output if len(output) > 1 else output + (1,))

    def call(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor:
        x, y = self._check_inputs(inputs)
        if x.ndim < 2 or y.ndim < 2:
            raise ValueError(f'Layer "{self.name}" cannot do batch_dot on inputs with rank < 2. Received inputs '
                             f"with shapes {tuple(x.shape)} and {tuple(y.shape)}.")
        if x.shape[0] != y.shape[0]:
            raise ValueError(f'Layer "{self.name}" cannot do batch_dot on inputs with different batch sizes. '
                             f"Received inputs with shapes {tuple(x.shape)} and {tuple(y.shape)}.")
        axes = self._resolve_axes((x.ndim, y.ndim))
        if 0 in axes:
            raise ValueError(f'Layer "{self.name}" cannot perform batch_dot over axis 0 (axes={self.axes}). If '
                             "your inputs are not batched, add a batch dimension of size 1.")
        if self.normalize:
            if not x.is_floating_point():
                raise TypeError(f'Layer "{self.name}" with normalize=True needs floating-point inputs. '
                                f"Received dtype {str(x.dtype).replace('torch.', '')}")
            x, y = _l2_normalize(x, axes[0]), _l2_normalize(y, axes[1])
        return batch_dot(x, y, axes)

    def compute_mask(self, inputs: Any, mask: Any = None) -> None:
        return None

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def add(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """`Add(**kwargs)(inputs)`."""
    return Add(**kwargs)(inputs)


def subtract(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """`Subtract(**kwargs)(inputs)`."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """`Multiply(**kwargs)(inputs)`."""
    return Multiply(**kwargs)(inputs)


def average(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """`Average(**kwargs)(inputs)`."""
    return Average(**kwargs)(inputs)


def maximum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """`Maximum(**kwargs)(inputs)`."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: Sequence[Any], **kwargs: Any) -> Any:
    """`Minimum(**kwargs)(inputs)`."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: Sequence[Any], axis: int = -1, **kwargs: Any) -> Any:
    """`Concatenate(axis=axis, **kwargs)(inputs)`."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: Sequence[Any], axes: Union[int, Sequence[int]], normalize: bool = False, **kwargs: Any) -> Any:
    """`Dot(axes=axes, normalize=normalize, **kwargs)(inputs)`."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
