"""tf.distribute strategies for Keras training on torch: the default strategy, OneDeviceStrategy,
MirroredStrategy (one process, one or more GPUs) and MultiWorkerMirroredStrategy (one process per
device, started by `torchrun`)."""
import contextlib
import enum
from typing import Any, Callable, Iterator, List, Optional, Sequence

import torch

from torchkeras_api.distribute import collective, scope
from torchkeras_api.distribute.devices import default_replica_devices, to_torch_device
from torchkeras_api.engine.device import default_device, tf_device_name
from torchkeras_api.utils import nest


class ReduceOp(enum.Enum):
    """How `Strategy.reduce` combines the replicas' values."""
    SUM = "SUM"
    MEAN = "MEAN"


class InputContext:
    """What `distribute_datasets_from_function`'s function learns about its input pipeline."""

    def __init__(self, num_input_pipelines: int = 1, input_pipeline_id: int = 0, num_replicas_in_sync: int = 1):
        self.num_input_pipelines = num_input_pipelines
        self.input_pipeline_id = input_pipeline_id
        self.num_replicas_in_sync = num_replicas_in_sync

    def get_per_replica_batch_size(self, global_batch_size: int) -> int:
        if global_batch_size % self.num_replicas_in_sync:
            raise ValueError(f"The `global_batch_size` {global_batch_size} is not divisible by "
                             f"`num_replicas_in_sync` {self.num_replicas_in_sync}")
        return global_batch_size // self.num_replicas_in_sync


class StrategyExtended:
    """`strategy.extended`: the devices the strategy runs on."""

    def __init__(self, devices: List[torch.device]):
        self._devices = devices

    @property
    def worker_devices(self) -> tuple:
        return tuple(tf_device_name(d) for d in self._devices)

    @property
    def parameter_devices(self) -> tuple:
        return self.worker_devices


class Strategy:
    """Base class: `scope()`, `num_replicas_in_sync`, `run`, `reduce` and the dataset helpers."""

    def __init__(self, devices: List[torch.device]):
        self._devices = devices
        self.extended = StrategyExtended(devices)

    @property
    def num_replicas_in_sync(self) -> int:
        return len(self._devices)

    @property
    def cluster_resolver(self) -> Any:
        return None

    @contextlib.contextmanager
    def scope(self) -> Iterator["Strategy"]:
        """Models (and their optimizers and metrics) created and compiled inside train with this strategy."""
        scope.push(self)
        try:
            yield self
        finally:
            scope.pop()

    def run(self, fn: Callable[..., Any], args: Sequence[Any] = (), kwargs: Optional[dict] = None,
            options: Any = None) -> Any:
        """Calls `fn` (the replicas of a Keras model run inside `fit`; custom code runs once per process)."""
        return fn(*args, **(kwargs or {}))

    def reduce(self, reduce_op: Any, value: Any, axis: Optional[int] = None) -> Any:
        """`value` combined over the replicas of this process (and `axis` when given)."""
        op = ReduceOp(getattr(reduce_op, "value", reduce_op))
        if axis is None:
            return value
        tensor = torch.as_tensor(value)
        return tensor.sum(axis) if op is ReduceOp.SUM else tensor.mean(axis)

    def experimental_distribute_dataset(self, dataset: Any, options: Any = None) -> Any:
        """The dataset as is: `fit` splits each global batch over the replicas."""
        return dataset

    def distribute_datasets_from_function(self, dataset_fn: Callable[[InputContext], Any],
                                          options: Any = None) -> Any:
        return dataset_fn(InputContext(num_replicas_in_sync=self.num_replicas_in_sync))

    experimental_distribute_datasets_from_function = distribute_datasets_from_function

    def experimental_local_results(self, value: Any) -> tuple:
        return (value,)

    def gather(self, value: Any, axis: int) -> Any:
        return value

    # ---- hooks used by the trainer --------------------------------------------------------------
    def _replicated_forward(self, model: Any) -> Optional[Callable[[Any, bool], Any]]:
        """The forward pass over several devices, or None when the model runs as is."""
        return None

    def _is_multi_worker(self) -> bool:
        return False


class _DefaultDistributionStrategy(Strategy):
    """The strategy outside any scope: one device, no replication."""

    def __init__(self) -> None:
        super().__init__([default_device()])


class OneDeviceStrategy(Strategy):
    """All computation on one device ('/gpu:0', '/cpu:0')."""

    def __init__(self, device: Any):
        super().__init__([to_torch_device(device)])


class MirroredStrategy(Strategy):
    """Synchronous data parallelism over the GPUs of this machine (all visible GPUs by default; the CPU when
    there is none). `batch_size` is the global batch, split over the devices; one device runs as is."""

    def __init__(self, devices: Optional[Sequence[Any]] = None, cross_device_ops: Any = None):
        super().__init__(default_replica_devices(devices))
        self._cross_device_ops = cross_device_ops

    def _replicated_forward(self, model: Any) -> Optional[Callable[[Any, bool], Any]]:
        if len(self._devices) < 2:
            return None
        from torchkeras_api.distribute.replicated_forward import ReplicatedForward
        return ReplicatedForward(model, self._devices)


class CommunicationOptions:
    """Accepted for compatibility (torch.distributed chooses NCCL or gloo)."""

    def __init__(self, bytes_per_pack: int = 0, timeout_seconds: Optional[float] = None,
                 implementation: Any = None):
        self.bytes_per_pack = bytes_per_pack
        self.timeout_seconds = timeout_seconds
        self.implementation = implementation


class MultiWorkerMirroredStrategy(Strategy):
    """Synchronous data parallelism over processes (`torchrun --nproc_per_node=N script.py`, possibly on
    several machines): each worker reads its slice of every global batch, gradients are averaged over all
    workers' samples, metrics are summed over the workers, and only worker 0 prints and writes checkpoints.
    The process group (NCCL on GPUs, gloo on CPUs) starts on first use."""

    def __init__(self, communication_options: Any = None, cluster_resolver: Any = None):
        super().__init__([default_device()])
        self._communication_options = communication_options
        self._cluster_resolver = cluster_resolver

    @property
    def num_replicas_in_sync(self) -> int:
        return collective.world_size()

    @property
    def cluster_resolver(self) -> Any:
        return self._cluster_resolver

    @property
    def worker_index(self) -> int:
        """This worker's rank (0 is the chief)."""
        return collective.rank()

    @property
    def is_chief(self) -> bool:
        return self.worker_index == 0

    def _is_multi_worker(self) -> bool:
        return True

    def reduce(self, reduce_op: Any, value: Any, axis: Optional[int] = None) -> Any:
        """`value` combined over all workers (and over `axis` when given)."""
        op = ReduceOp(getattr(reduce_op, "value", reduce_op))
        collective.ensure_process_group()
        tensor = torch.as_tensor(value, device=default_device())
        count = torch.tensor(float(tensor.shape[axis]) if axis is not None else 1.0, device=tensor.device)
        if axis is not None:
            tensor = tensor.sum(axis)
        tensor = tensor.clone()
        torch.distributed.all_reduce(tensor)
        if op is ReduceOp.MEAN:
            torch.distributed.all_reduce(count)
            tensor = tensor / count
        return tensor

    def gather(self, value: Any, axis: int) -> Any:
        collective.ensure_process_group()
        tensor = torch.as_tensor(value, device=default_device())
        parts = [torch.empty_like(tensor) for _ in range(collective.world_size())]
        torch.distributed.all_gather(parts, tensor.contiguous())
        return torch.cat(parts, dim=axis)

    def distribute_datasets_from_function(self, dataset_fn: Callable[[InputContext], Any],
                                          options: Any = None) -> Any:
        return dataset_fn(InputContext(collective.world_size(), collective.rank(), collective.world_size()))

    experimental_distribute_datasets_from_function = distribute_datasets_from_function


def shard_batch(batch: Any, rank: int, world: int) -> Any:
    """Worker `rank`'s slice of a global batch (the slices of all workers make up the batch)."""
    flat = nest.flatten(batch)
    size = next((len(t) for t in flat if isinstance(t, torch.Tensor)), None)
    if size is not None and size < world:
        raise ValueError(f"A global batch of {size} sample(s) cannot be split over {world} workers: use a batch "
                         f"size (and a dataset size modulo the batch size) of at least {world}.")
    return nest.pack_sequence_as(batch, [t.tensor_split(world)[rank] if isinstance(t, torch.Tensor) else t
                                         for t in flat])
