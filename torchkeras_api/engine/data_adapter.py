"""What `fit`/`evaluate`/`predict` accept as data, turned into batches of torch tensors on the model's device: one
adapter per input kind (arrays and tensors, generators, `Sequence`s, torch `Dataset`s and other iterables)."""
import itertools
import math
from typing import Any, Iterator, Optional, Tuple, Type

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

from torchkeras_api import backend_config
from torchkeras_api.utils import nest
from torchkeras_api.utils.data_utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, batch_order

# The share of a CUDA device's free memory that array data may take to be moved there once.
DEVICE_DATA_FRACTION = 0.5
DEFAULT_BATCH_SIZE = 32


def unpack_x_y_sample_weight(data: Any) -> Tuple[Any, Any, Any]:
    """`(x, y, sample_weight)` from `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`; `None` for what is absent."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) in (1, 2, 3):
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                     f"found: {data}")


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """The tuple `fit` uses: `x` alone (`(x,)` when `x` is a tuple or list), `(x, y)` or `(x, y, sample_weight)`."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return x, y
    return x, y, sample_weight


def _is_array(value: Any) -> bool:
    """numpy arrays, torch tensors and what numpy can read as an array (`__array__`: tf tensors, pandas frames)."""
    return isinstance(value, (np.ndarray, torch.Tensor)) or hasattr(value, "__array__")


def train_validation_split(arrays: Any, validation_split: float) -> Tuple[Any, Any]:
    """Splits nested arrays/tensors into `(train, validation)`; the last `validation_split` of the samples validate."""
    flat = nest.flatten(arrays)
    unsplittable = [type(t) for t in flat if t is not None and not _is_array(t)]
    if unsplittable:
        raise ValueError("`validation_split` is only supported for Tensors or NumPy arrays, found following types "
                         f"in the input: {unsplittable}")
    present = [t for t in flat if t is not None]
    if not present:
        return arrays, arrays
    num_samples = int(present[0].shape[0])
    split_at = int(math.floor(num_samples * (1.0 - validation_split)))
    if split_at in (0, num_samples):
        raise ValueError(f"Training data contains {num_samples} samples, which is not sufficient to split it into a "
                         f"validation and training set as specified by `validation_split={validation_split}`. Either "
                         "provide more data, or a different value for the `validation_split` argument.")
    train = nest.map_structure(lambda t: None if t is None else t[:split_at], arrays)
    validation = nest.map_structure(lambda t: None if t is None else t[split_at:], arrays)
    return train, validation


# ---- tensors -----------------------------------------------------------------------------------------------------
def _floatx() -> torch.dtype:
    return getattr(torch, backend_config.floatx())


def _is_scalar_list(value: Any) -> bool:
    """A (nested) list or tuple of Python numbers or strings: one array, not a structure of arrays."""
    if not isinstance(value, (list, tuple)):
        return False
    while isinstance(value, (list, tuple)) and value:
        value = value[0]
    return isinstance(value, (int, float, np.number, str, bytes)) and not isinstance(value, bool)


def _to_tensor(value: Any) -> Any:
    """A torch tensor for an array-like; numpy floats become floatx, as tf.keras casts them. Arrays of strings
    (torch has none) stay numpy arrays."""
    if value is None or isinstance(value, torch.Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind in "USO":
        return array
    if not array.flags.writeable or any(stride < 0 for stride in array.strides):
        array = array.copy()
    tensor = torch.from_numpy(array)
    return tensor.to(_floatx()) if tensor.is_floating_point() else tensor


def _convert(structure: Any) -> Any:
    """Every array-like leaf of a nested structure as a torch tensor; lists of numbers become one tensor."""
    if structure is None or _is_scalar_list(structure) or not nest.is_nested(structure):
        return _to_tensor(structure)
    if isinstance(structure, dict):
        return {k: _convert(v) for k, v in structure.items()}
    items = [_convert(v) for v in structure]
    return type(structure)(*items) if hasattr(structure, "_fields") else type(structure)(items)


def _to_device(structure: Any, device: torch.device) -> Any:
    return nest.map_structure(
        lambda t: t.to(device, non_blocking=True) if isinstance(t, torch.Tensor) and t.device != device else t,
        structure)


def _check_data_cardinality(x: Any, y: Any, sample_weight: Any) -> None:
    sizes = [(label, [int(t.shape[0]) for t in nest.flatten(part) if t is not None])
             for label, part in (("x", x), ("y", y), ("sample_weight", sample_weight)) if part is not None]
    if len({n for _, part_sizes in sizes for n in part_sizes}) > 1:
        lines = "".join(f"  {label} sizes: {', '.join(map(str, part_sizes))}\n" for label, part_sizes in sizes)
        raise ValueError(f"Data cardinality is ambiguous:\n{lines}Make sure all arrays contain the same number of "
                         "samples.")


def _fill_partial_sample_weights(sample_weight: Any) -> Any:
    """A list of per-output sample weights with `None`s gets weights of 1 for those outputs, as tf.keras does."""
    if not isinstance(sample_weight, (list, tuple)):
        return sample_weight
    given = [w for w in sample_weight if w is not None]
    if not given:
        return None
    ones = torch.ones(int(given[0].shape[0]), dtype=_floatx(), device=given[0].device)
    return type(sample_weight)(ones if w is None else w for w in sample_weight)


# ---- class weights -----------------------------------------------------------------------------------------------
def class_weight_table(class_weight: dict) -> torch.Tensor:
    """The weight of each class id 0..n-1 as a tensor; the keys must be exactly those ids."""
    class_ids = sorted(class_weight)
    if class_ids != list(range(len(class_ids))):
        raise ValueError("Expected `class_weight` to be a dict with keys from 0 to one less than the number of "
                         f"classes, found {class_weight}")
    return torch.tensor([float(class_weight[c]) for c in class_ids], dtype=_floatx())


def apply_class_weight(y: Any, sample_weight: Any, table: torch.Tensor) -> Any:
    """Per-sample weights from the class of each target (sparse ids, or one-hot along the last axis), multiplied
    into `sample_weight` when it is given."""
    if nest.is_nested(y):
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    if y.dim() >= 2 and y.shape[-1] > 1:
        classes = y.argmax(-1)
    else:
        classes = y.squeeze(-1) if y.dim() >= 2 else y
        classes = (classes.round() if classes.is_floating_point() else classes).long()
    if classes.device.type == "cpu" and classes.numel():
        low, high = int(classes.min()), int(classes.max())
        if low < 0 or high >= len(table):
            raise ValueError(f"`class_weight` has weights for classes 0 to {len(table) - 1}, but the targets contain "
                             f"class {low if low < 0 else high}.")
    weights = table.to(classes.device)[classes]
    if sample_weight is None:
        return weights
    weights = weights.to(sample_weight.dtype)
    sample_weight = sample_weight.reshape(sample_weight.shape + (1,) * (weights.dim() - sample_weight.dim()))
    return sample_weight * weights


# ---- adapters ----------------------------------------------------------------------------------------------------
class DataAdapter:
    """Turns one kind of input into batches `x`, `(x, y)` or `(x, y, sample_weight)` of tensors on `device`."""

    def __init__(self, device: torch.device, class_weight: Optional[dict]):
        self._device = device
        self._class_weight = class_weight_table(class_weight) if class_weight else None

    def get_size(self) -> Optional[int]:
        """Batches per epoch, or None when unknown."""
        raise NotImplementedError

    def should_recreate_iterator(self) -> bool:
        """Whether each epoch starts a new `stream()` (else one stream runs through all epochs)."""
        raise NotImplementedError

    def stream(self) -> Iterator[Any]:
        """The batches: of one epoch when `should_recreate_iterator()`, else of all of them."""
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        """Called after each epoch."""

    def close(self) -> None:
        """Releases background workers."""

    def _standardize(self, batch: Any) -> Any:
        """A batch as the user's code produced it, validated, as tensors on the device with class weights applied."""
        x, y, sample_weight = (_convert(part) for part in unpack_x_y_sample_weight(batch))
        if self._class_weight is not None and y is not None:
            sample_weight = apply_class_weight(y, sample_weight, self._class_weight)
        return _to_device(pack_x_y_sample_weight(x, y, sample_weight), self._device)


def _is_array_structure(structure: Any) -> bool:
    if _is_array(structure) or _is_scalar_list(structure):
        return True
    if isinstance(structure, dict):
        return bool(structure) and all(v is None or _is_array_structure(v) for v in structure.values())
    if isinstance(structure, (list, tuple)):
        return bool(structure) and all(v is None or _is_array_structure(v) for v in structure)
    return False


def _fits_on(device: torch.device, num_bytes: int) -> bool:
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return num_bytes <= free * DEVICE_DATA_FRACTION


class ArrayDataAdapter(DataAdapter):
    """Nested numpy arrays / torch tensors: converted once and moved to the device once when they fit there, then
    batched by slicing (or gathering shuffled indices) on the device; larger data stays in host memory and each
    batch is copied over from pinned memory on a side stream, overlapping the step before it."""

    @staticmethod
    def can_handle(x: Any, y: Any = None, sample_weight: Any = None) -> bool:
        return _is_array_structure(x) and all(p is None or _is_array_structure(p) for p in (y, sample_weight))

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: Optional[int] = None,
                 steps: Optional[int] = None, epochs: int = 1, shuffle: Any = False,
                 class_weight: Optional[dict] = None, device: torch.device = torch.device("cpu"), **_: Any):
        super().__init__(device, class_weight)
        x, y = _convert(x), _convert(y)
        sample_weight = _fill_partial_sample_weights(_convert(sample_weight))
        _check_data_cardinality(x, y, sample_weight)
        if self._class_weight is not None and y is not None:
            sample_weight = apply_class_weight(y, sample_weight, self._class_weight)
        data = pack_x_y_sample_weight(x, y, sample_weight)
        leaves = [t for t in nest.flatten(data) if t is not None]
        self._num_samples = int(leaves[0].shape[0])
        if not batch_size:
            batch_size = math.ceil(self._num_samples / steps) if steps and steps > 0 else DEFAULT_BATCH_SIZE
        self._batch_size = int(batch_size)
        self._epochs = epochs
        self._shuffle = shuffle.lower() if isinstance(shuffle, str) else shuffle
        self._on_device = _fits_on(device, sum(t.numel() * t.element_size() for t in leaves
                                               if isinstance(t, torch.Tensor) and t.device != device))
        self._data = _to_device(data, device) if self._on_device else _to_device(data, torch.device("cpu"))
        self._copy_stream = None if self._on_device else torch.cuda.Stream(device)

    def get_size(self) -> int:
        return math.ceil(self._num_samples / self._batch_size)

    def should_recreate_iterator(self) -> bool:
        return False

    def stream(self) -> Iterator[Any]:
        for _ in range(self._epochs):
            for index in self._epoch_indices():
                yield nest.map_structure(lambda t: self._take(t, index), self._data)

    def _epoch_indices(self) -> list:
        """Each batch's sample positions for one epoch: slices in order, or index tensors when shuffling."""
        n, size = self._num_samples, self._batch_size
        device = self._device if self._on_device else torch.device("cpu")
        if self._shuffle == "batch":
            full, rest = divmod(n, size)
            blocks = list((torch.rand(full, size, device=device).argsort(dim=1)
                           + torch.arange(0, full * size, size, device=device)[:, None]).unbind(0))
            if rest:
                blocks.append(torch.randperm(rest, device=device) + full * size)
            return [blocks[i] for i in torch.randperm(len(blocks)).tolist()]
        if self._shuffle:
            return list(torch.randperm(n, device=device).split(size))
        return [slice(start, min(start + size, n)) for start in range(0, n, size)]

    def _take(self, tensor: Optional[torch.Tensor], index: Any) -> Optional[torch.Tensor]:
        if tensor is None:
            return None
        if isinstance(tensor, np.ndarray):
            return tensor[index if isinstance(index, slice) else index.cpu().numpy()]
        batch = tensor[index] if isinstance(index, slice) else tensor.index_select(0, index)
        return batch if self._on_device else _copy_on_stream(batch, self._device, self._copy_stream)


def _copy_on_stream(batch: torch.Tensor, device: torch.device, stream: Any) -> torch.Tensor:
    """`batch` copied to the CUDA `device` from pinned memory on `stream`; work queued later on the current
    stream waits for the copy, work queued before it runs alongside."""
    with torch.cuda.stream(stream):
        copy = batch.pin_memory().to(device, non_blocking=True)
    current = torch.cuda.current_stream(device)
    current.wait_stream(stream)
    copy.record_stream(current)
    return copy


def _reject_y_and_sample_weight(y: Any, sample_weight: Any, input_kind: str) -> None:
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None and nest.flatten(value):
            raise ValueError(f"`{name}` argument is not supported when using {input_kind} as input.")


class TensorDatasetAdapter(ArrayDataAdapter):
    """A torch `TensorDataset` of `(x,)`, `(x, y)` or `(x, y, sample_weight)` tensors, batched as arrays."""

    @staticmethod
    def can_handle(x: Any, y: Any = None, sample_weight: Any = None) -> bool:
        return isinstance(x, TensorDataset)

    def __init__(self, x: TensorDataset, y: Any = None, sample_weight: Any = None, **kwargs: Any):
        _reject_y_and_sample_weight(y, sample_weight, "dataset")
        super().__init__(*unpack_x_y_sample_weight(tuple(x.tensors)), **kwargs)


class GeneratorDataAdapter(DataAdapter):
    """A Python generator or iterator of batches; drawn in a background thread when `workers > 1` or
    `use_multiprocessing`. It runs once: later epochs continue where the previous one stopped."""

    @staticmethod
    def can_handle(x: Any, y: Any = None, sample_weight: Any = None) -> bool:
        return hasattr(x, "__next__") and hasattr(x, "__iter__") and not isinstance(x, Sequence)

    def __init__(self, x: Iterator[Any], y: Any = None, sample_weight: Any = None, class_weight: Optional[dict] = None,
                 workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10,
                 device: torch.device = torch.device("cpu"), **_: Any):
        _reject_y_and_sample_weight(y, sample_weight, "python generator")
        super().__init__(device, class_weight)
        try:
            first = self._standardize(next(x))
        except StopIteration:
            raise ValueError("Expected input data to be non-empty.") from None
        self._source = x
        self._first: list = [first]
        self._parallel = workers > 1 or use_multiprocessing
        self._workers, self._max_queue_size = workers, max_queue_size
        self._enqueuer: Optional[GeneratorEnqueuer] = None

    def get_size(self) -> None:
        return None

    def should_recreate_iterator(self) -> bool:
        return False

    def stream(self) -> Iterator[Any]:
        source = self._source
        if self._parallel:
            self.close()
            self._enqueuer = GeneratorEnqueuer(source)
            self._enqueuer.start(self._workers, self._max_queue_size)
            source = self._enqueuer.get()
        first, self._first = self._first, []
        return itertools.chain(first, (self._standardize(batch) for batch in source))

    def close(self) -> None:
        if self._enqueuer is not None:
            self._enqueuer.stop()
            self._enqueuer = None


class SequenceDataAdapter(DataAdapter):
    """A `keras.utils.Sequence`: every batch once per epoch (in random order when shuffling), fetched in order by
    `workers` threads (processes with `use_multiprocessing`); `on_epoch_end` after each epoch."""

    @staticmethod
    def can_handle(x: Any, y: Any = None, sample_weight: Any = None) -> bool:
        return isinstance(x, Sequence)

    def __init__(self, x: Sequence, y: Any = None, sample_weight: Any = None, shuffle: Any = False,
                 class_weight: Optional[dict] = None, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10, device: torch.device = torch.device("cpu"), **_: Any):
        _reject_y_and_sample_weight(y, sample_weight, "`keras.utils.Sequence`")
        super().__init__(device, class_weight)
        self._sequence = x
        self._shuffle = bool(shuffle)
        self._parallel = workers > 1 or use_multiprocessing
        self._workers, self._use_multiprocessing, self._max_queue_size = workers, use_multiprocessing, max_queue_size
        self._enqueuer: Optional[OrderedEnqueuer] = None
        if len(x):
            self._standardize(x[0])

    def get_size(self) -> int:
        return len(self._sequence)

    def should_recreate_iterator(self) -> bool:
        return True

    def stream(self) -> Iterator[Any]:
        if self._parallel:
            self.close()
            self._enqueuer = OrderedEnqueuer(self._sequence, self._use_multiprocessing, self._shuffle)
            self._enqueuer.start(self._workers, self._max_queue_size)
            batches = self._enqueuer.get()
        else:
            batches = (self._sequence[i] for i in batch_order(len(self._sequence), self._shuffle))
        return (self._standardize(batch) for batch in batches)

    def on_epoch_end(self) -> None:
        self.close()
        self._sequence.on_epoch_end()

    def close(self) -> None:
        if self._enqueuer is not None:
            self._enqueuer.stop()
            self._enqueuer = None


def _is_reiterable(x: Any) -> bool:
    return (hasattr(x, "__iter__") and not hasattr(x, "__next__")
            and not isinstance(x, (str, bytes, bytearray, dict, list, tuple, set, frozenset, np.ndarray, torch.Tensor)))


class IterableDataAdapter(DataAdapter):
    """A re-iterable of batches (a torch `DataLoader`, a `tf.data.Dataset`, ...): a new pass each epoch unless
    `steps` asks for a different number of batches than one pass holds."""

    @staticmethod
    def can_handle(x: Any, y: Any = None, sample_weight: Any = None) -> bool:
        return _is_reiterable(x) and not isinstance(x, Dataset)

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, steps: Optional[int] = None,
                 class_weight: Optional[dict] = None, device: torch.device = torch.device("cpu"), **_: Any):
        _reject_y_and_sample_weight(y, sample_weight, "dataset")
        super().__init__(device, class_weight)
        self._iterable = x
        try:
            self._size: Optional[int] = len(x)
        except TypeError:
            self._size = None
        self._recreate = steps is None or steps == self._size

    def get_size(self) -> Optional[int]:
        return self._size

    def should_recreate_iterator(self) -> bool:
        return self._recreate

    def stream(self) -> Iterator[Any]:
        return (self._standardize(batch) for batch in self._iterable)


class TfDatasetAdapter(IterableDataAdapter):
    """A `tf.data.Dataset` (`torchkeras_api.data.Dataset`) of batches: iterated afresh each epoch, its cardinality
    giving the steps when finite; an infinite one needs `steps`."""

    @staticmethod
    def can_handle(x: Any, y: Any = None, sample_weight: Any = None) -> bool:
        from torchkeras_api.data import Dataset as TfDataset
        return isinstance(x, TfDataset)

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, steps: Optional[int] = None, **kwargs: Any):
        from torchkeras_api.data import INFINITE_CARDINALITY
        if steps in (None, -1) and int(x.cardinality()) == INFINITE_CARDINALITY:
            raise ValueError("When providing an infinite dataset, you must specify the number of steps to run (if you "
                             "did not intend to create an infinite dataset, make sure to not call `repeat()` on the "
                             "dataset).")
        super().__init__(x, y, sample_weight, steps=steps, **kwargs)


class TorchDatasetAdapter(IterableDataAdapter):
    """A torch `Dataset` of samples, batched by a `DataLoader` (`batch_size`, `shuffle`; `workers` processes with
    `use_multiprocessing`)."""

    @staticmethod
    def can_handle(x: Any, y: Any = None, sample_weight: Any = None) -> bool:
        return isinstance(x, Dataset) and not isinstance(x, TensorDataset)

    def __init__(self, x: Dataset, y: Any = None, sample_weight: Any = None, batch_size: Optional[int] = None,
                 shuffle: Any = False, workers: int = 1, use_multiprocessing: bool = False,
                 device: torch.device = torch.device("cpu"), **kwargs: Any):
        _reject_y_and_sample_weight(y, sample_weight, "dataset")
        loader = DataLoader(x, batch_size=batch_size or DEFAULT_BATCH_SIZE,
                            shuffle=bool(shuffle) and not isinstance(x, IterableDataset),
                            num_workers=workers if use_multiprocessing else 0, pin_memory=device.type == "cuda")
        super().__init__(loader, device=device, **kwargs)


_ADAPTERS = (SequenceDataAdapter, TensorDatasetAdapter, TorchDatasetAdapter, TfDatasetAdapter, GeneratorDataAdapter,
             ArrayDataAdapter, IterableDataAdapter)


def _type_name(x: Any) -> str:
    if isinstance(x, dict):
        return (f"({type(x)} containing {set(map(_type_name, x))} keys and {set(map(_type_name, x.values()))} "
                "values)")
    if isinstance(x, (list, tuple)):
        return f"({type(x)} containing values of types {set(map(_type_name, x))})"
    return str(type(x))


def select_data_adapter(x: Any, y: Any = None, sample_weight: Any = None) -> Type[DataAdapter]:
    """The adapter class for this kind of input."""
    for adapter in _ADAPTERS:
        if adapter.can_handle(x, y, sample_weight):
            return adapter
    raise ValueError(f"Failed to find data adapter that can handle input: {_type_name(x)}, {_type_name(y)}")


def __getattr__(name: str) -> Any:
    """`DataHandler` is defined in data_handler.py, which builds on this module, and is importable from here too."""
    if name == "DataHandler":
        from torchkeras_api.engine.data_handler import DataHandler
        return DataHandler
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
