"""What `compile` sets up on a model for its distribution strategy and dtype policy: the loss scale
optimizer (mixed_float16), the forward pass over several devices (MirroredStrategy), and for
MultiWorkerMirroredStrategy the batch sharding, the gradient all-reduce and worker 0's privileges.
The trainer reads these attributes; they stay None (nothing per step) without a strategy or policy."""
from typing import Any, Callable, Optional

import torch

from torchkeras_api.distribute import collective, scope
from torchkeras_api.distribute.strategies import shard_batch
from torchkeras_api.utils import nest


def configure(model: Any, optimizer: Any) -> Any:
    """Records the model's strategy and returns the optimizer to train with (wrapped in a
    LossScaleOptimizer under a mixed_float16 policy, as tf.keras does)."""
    from torchkeras_api.mixed_precision.loss_scale_optimizer import LossScaleOptimizer
    strategy = scope.current() or model.__dict__.get("_distribution_strategy")
    model.__dict__["_distribution_strategy"] = strategy
    if model.dtype_policy.name == "mixed_float16" and not isinstance(optimizer, LossScaleOptimizer):
        optimizer = LossScaleOptimizer(optimizer)
    model._keras_replicas = strategy._replicated_forward(model) if strategy is not None else None
    multi_worker = strategy is not None and strategy._is_multi_worker()
    if multi_worker:
        collective.ensure_process_group()
    world, rank = (collective.world_size(), collective.rank()) if multi_worker else (1, 0)
    model._keras_shard = (lambda batch: shard_batch(batch, rank, world)) if world > 1 else None
    model._keras_sync_metrics = world > 1
    model._keras_chief = rank == 0
    model._keras_backward = _backward(model, optimizer, world > 1)
    return optimizer


def _backward(model: Any, optimizer: Any, all_reduce: bool) -> Optional[Callable[[Any, list, Any], None]]:
    from torchkeras_api.mixed_precision.loss_scale_optimizer import LossScaleOptimizer
    scaled = isinstance(optimizer, LossScaleOptimizer)
    if not scaled and not all_reduce:
        return None

    def backward(loss: torch.Tensor, variables: list, x: Any) -> None:
        (model.optimizer.get_scaled_loss(loss) if scaled else loss).backward()
        if all_reduce:
            if not model.__dict__.get("_keras_weights_synced"):
                before_training(model)
            collective.average_gradients(variables, len(nest.flatten(x)[0]))

    return backward


def before_training(model: Any) -> None:
    """Gives every worker worker 0's weights before multi-worker training starts (for a model built in its
    first step, right after that step's backward pass)."""
    if model._keras_shard is not None and model.built and not model.__dict__.get("_keras_weights_synced"):
        collective.broadcast_weights(model.weights)
        model.__dict__["_keras_weights_synced"] = True


def sync_metrics(model: Any) -> None:
    """Sums the metrics' states over the workers (before they are read at the end of an epoch/evaluation)."""
    if model._keras_sync_metrics:
        collective.sum_metric_states(model.metrics)


def is_chief(model: Any) -> bool:
    """Whether this process prints progress and writes checkpoints (worker 0, or the only process)."""
    return getattr(model, "_keras_chief", True)
