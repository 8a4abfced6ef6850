"""The torch.distributed side of MultiWorkerMirroredStrategy: the process group (started by `torchrun`:
RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), the gradient all-reduce, metric and weight sync."""
import atexit
import datetime
import os
from typing import Any, List, Sequence

import torch
import torch.distributed as dist

from torchkeras_api.engine.device import default_device


def env_world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", 1))


def env_rank() -> int:
    return int(os.environ.get("RANK", 0))


def ensure_process_group() -> None:
    """Joins the workers' process group on first use: NCCL when this worker computes on a GPU, else gloo."""
    if not dist.is_available():
        raise RuntimeError("MultiWorkerMirroredStrategy needs torch.distributed, which this torch build lacks.")
    if dist.is_initialized():
        return
    missing = [k for k in ("MASTER_ADDR", "MASTER_PORT") if k not in os.environ]
    if missing and env_world_size() > 1:
        raise RuntimeError(f"MultiWorkerMirroredStrategy with WORLD_SIZE={env_world_size()} needs the environment "
                           f"variables {missing}: start the workers with `torchrun --nproc_per_node=N script.py`.")
    device = default_device()
    if device.type == "cuda":
        torch.cuda.set_device(device)
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=env_rank(),
                            world_size=env_world_size())
    atexit.register(_leave_process_group)


def _leave_process_group() -> None:
    """Waits (at most a minute on gloo) for every worker, then tears the group down before interpreter exit, so
    no worker aborts while a peer still holds its connections; a peer that already failed is not waited for."""
    if not dist.is_initialized():
        return
    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=datetime.timedelta(seconds=60))
        else:
            dist.barrier()
    except RuntimeError:
        pass
    dist.destroy_process_group()


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else env_world_size()


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else env_rank()


def _flat(tensors: Sequence[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.reshape(-1).to(torch.float64 if t.dtype == torch.float64 else torch.float32)
                      for t in tensors])


def _unflat(flat: torch.Tensor, tensors: Sequence[torch.Tensor]) -> None:
    offset = 0
    for t in tensors:
        n = t.numel()
        t.copy_(flat[offset:offset + n].view_as(t))
        offset += n


@torch.no_grad()
def average_gradients(variables: Sequence[torch.Tensor], local_size: int) -> None:
    """Sets each `.grad` to the mean gradient over all workers' samples: the local (batch-mean) gradients,
    weighted by the local batch sizes, summed in one all-reduce with the sizes, divided by the total size."""
    params = [v for v in variables if v.grad is not None]
    grads = [p.grad for p in params]
    device = grads[0].device if grads else default_device()
    flat = torch.cat([_flat(grads), torch.ones(1, dtype=torch.float32, device=device)]) if grads else \
        torch.ones(1, dtype=torch.float32, device=device)
    flat.mul_(float(local_size))
    dist.all_reduce(flat)
    if grads:
        flat = flat[:-1] / flat[-1]
        _unflat(flat, grads)


@torch.no_grad()
def sum_metric_states(metrics: Sequence[Any]) -> None:
    """Replaces each metric's state variables by their sums over all workers (one all-reduce)."""
    states: List[torch.Tensor] = [v for m in metrics for v in m.variables if isinstance(v, torch.Tensor)]
    if not states:
        return
    flat = torch.cat([s.detach().reshape(-1).to(torch.float64) for s in states])
    dist.all_reduce(flat)
    _unflat(flat.to(states[0].device), states)


@torch.no_grad()
def broadcast_weights(variables: Sequence[torch.Tensor]) -> None:
    """Copies worker 0's values of `variables` to every worker."""
    for var in variables:
        dist.broadcast(var.data, src=0)
