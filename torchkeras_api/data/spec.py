"""Type specs of dataset elements: `TensorSpec` (shape and dtype of a tensor) and `DatasetSpec` (of a dataset)."""
from typing import Any, Optional, Sequence

import torch

from torchkeras_api.data import elements
from torchkeras_api.engine.base_layer import to_torch_dtype
from torchkeras_api.engine.keras_tensor import STRING, TensorShape, is_string_dtype


def as_shape(shape: Any) -> Optional[TensorShape]:
    """A TensorShape (None for unknown dimensions) from a list, tuple or shape object; None for an unknown rank."""
    if shape is None:
        return None
    if hasattr(shape, "as_list"):
        if getattr(shape, "rank", 0) is None:
            return None
        shape = shape.as_list()
    if isinstance(shape, int):
        shape = [shape]
    return TensorShape(None if d is None or int(d) < 0 else int(d) for d in shape)


def as_dtype(dtype: Any) -> Any:
    """A torch dtype, or `STRING` for strings (`tf.string`, 'string', str, bytes)."""
    return STRING if is_string_dtype(dtype) else to_torch_dtype(dtype)


def _dtype_repr(dtype: Any) -> str:
    return f"tf.{dtype}" if dtype == STRING else str(dtype)


class TensorSpec:
    """The shape (None for unknown dimensions; None for an unknown rank) and dtype of a tensor."""

    def __init__(self, shape: Any, dtype: Any = torch.float32, name: Optional[str] = None):
        self.shape = as_shape(shape)
        self.dtype = as_dtype(dtype)
        self.name = name

    @classmethod
    def from_tensor(cls, tensor: Any, name: Optional[str] = None) -> "TensorSpec":
        """The spec of a tensor (or string leaf)."""
        return cls(elements.shape_of(tensor), elements.dtype_of(tensor), name)

    def is_compatible_with(self, other: Any) -> bool:
        """Whether `other` (a spec or a tensor) has this dtype and a shape that fits this one."""
        if not isinstance(other, TensorSpec):
            other = TensorSpec.from_tensor(other)
        if other.dtype != self.dtype:
            return False
        if self.shape is None or other.shape is None:
            return True
        return len(self.shape) == len(other.shape) and all(
            a is None or b is None or a == b for a, b in zip(self.shape, other.shape))

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, TensorSpec)
                and (self.shape, self.dtype, self.name) == (other.shape, other.dtype, other.name))

    def __hash__(self) -> int:
        return hash((self.shape, str(self.dtype), self.name))

    def __repr__(self) -> str:
        shape = "<unknown>" if self.shape is None else self.shape
        return f"TensorSpec(shape={shape}, dtype={_dtype_repr(self.dtype)}, name={self.name!r})"


class DatasetSpec:
    """The element spec of a dataset that is itself an element (as the windows of `window`)."""

    def __init__(self, element_spec: Any, dataset_shape: Sequence[Optional[int]] = ()):
        self.element_spec = element_spec
        self.dataset_shape = TensorShape(dataset_shape)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DatasetSpec) and (self.element_spec, self.dataset_shape) == (
            other.element_spec, other.dataset_shape)

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        return f"DatasetSpec({self.element_spec!r}, TensorShape({list(self.dataset_shape)}))"


def map_specs(fn: Any, structure: Any) -> Any:
    """`fn` applied to each leaf of an element or element spec, keeping the structure."""
    if isinstance(structure, dict):
        return {k: map_specs(fn, v) for k, v in structure.items()}
    if isinstance(structure, tuple) and hasattr(structure, "_fields"):
        return type(structure)(*(map_specs(fn, v) for v in structure))
    if isinstance(structure, tuple):
        return tuple(map_specs(fn, v) for v in structure)
    return fn(structure)


def spec_of(element: Any) -> Any:
    """The element spec of an element."""
    return map_specs(lambda leaf: DatasetSpec(leaf.element_spec) if elements.is_dataset(leaf)
                     else TensorSpec.from_tensor(leaf), element)


def batched(spec: Any, batch_dim: Optional[int]) -> Any:
    """The spec of batches of elements of `spec`, with `batch_dim` (None when unknown) first."""
    return map_specs(lambda s: TensorSpec(None if s.shape is None else (batch_dim,) + tuple(s.shape), s.dtype), spec)


def unbatched(spec: Any) -> Any:
    """The spec of the rows of elements of `spec`; ValueError for a scalar component."""
    def row(s: TensorSpec) -> TensorSpec:
        if s.shape is not None and len(s.shape) == 0:
            raise ValueError("Cannot unbatch an input with scalar components.")
        return TensorSpec(None if s.shape is None else s.shape[1:], s.dtype)
    return map_specs(row, spec)
