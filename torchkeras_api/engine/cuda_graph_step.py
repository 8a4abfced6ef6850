"""The whole compiled train step captured in one CUDA graph and replayed on static batch buffers.

Warm-up runs (needed before a capture) change the weights, optimizer slots, metric and normalization
state; they are restored afterwards, so the captured graph continues training exactly where the eager
first step left it. Dropout draws from the default CUDA generator, which CUDA graphs advance per replay.
"""
from typing import Any, Callable, Dict, List, Optional

import torch

from torchkeras_api.utils import nest

_WARMUP_STEPS = 3


def _mutable_state(model: Any) -> List[torch.Tensor]:
    """Every tensor a train step writes: weights and statistics, optimizer state, metric accumulators."""
    tensors = list(model.variables) + list(model.optimizer.variables())
    for metric in model.metrics:
        tensors += list(metric.variables)
    tensors += [t for t in vars(model.optimizer).values() if isinstance(t, torch.Tensor)]
    unique = {id(t): t for t in tensors}
    return list(unique.values())


def capture_train_step(model: Any, step: Callable[[Any], Dict[str, Any]], data: Any,
                       compiled: Callable[[], bool]) -> Optional[Callable[[Any], Dict[str, Any]]]:
    """A function replaying `step` (captured on a copy of `data`) for batches of `data`'s signature, or None
    when the step cannot be captured (`compiled()` false after the warm-up: part of it fell back to eager)."""
    static = nest.map_structure(lambda t: t.clone() if isinstance(t, torch.Tensor) else t, data)
    buffers = [t for t in nest.flatten(static) if isinstance(t, torch.Tensor)]
    state = _mutable_state(model)
    saved = [t.detach().clone() for t in state]
    skip_logs = model.__dict__.get("_skip_step_logs")
    model.__dict__["_skip_step_logs"] = False
    try:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(_WARMUP_STEPS):
                step(static)
        torch.cuda.current_stream().wait_stream(side)
        if not compiled():
            return None
        for var in model._trainable_cache():
            var.grad = None
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            logs = step(static)
    finally:
        model.__dict__["_skip_step_logs"] = skip_logs
        with torch.no_grad():
            torch._foreach_copy_(state, saved)

    def replay(batch: Any) -> Dict[str, Any]:
        for buffer, value in zip(buffers, (t for t in nest.flatten(batch) if isinstance(t, torch.Tensor))):
            buffer.copy_(value, non_blocking=True)
        graph.replay()
        model.optimizer.host_step_stale()
        return {} if model.__dict__.get("_skip_step_logs") else dict(logs)

    return replay
