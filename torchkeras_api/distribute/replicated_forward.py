"""Single-process data parallelism (MirroredStrategy over several GPUs): each global batch is split along
its first axis, each slice runs through the model on its own device with that device's copy of the
weights, and the outputs are gathered on the first device, where the loss and metrics see the whole batch.
Gradients flow back through the copies into the weights on the first device (as torch DataParallel does,
without its threads: the devices run asynchronously as the forward passes are queued)."""
import contextlib
from typing import Any, Dict, Iterator, List, Tuple

import torch

from torchkeras_api.utils import nest


def _split(batch: Any, pieces: int) -> List[Any]:
    flat = nest.flatten(batch)
    parts = [t.tensor_split(pieces) if isinstance(t, torch.Tensor) else [t] * pieces for t in flat]
    return [nest.pack_sequence_as(batch, [p[i] for p in parts]) for i in range(pieces)]


def _to(structure: Any, device: torch.device) -> Any:
    return nest.map_structure(
        lambda t: t.to(device, non_blocking=True) if isinstance(t, torch.Tensor) else t, structure)


class ReplicatedForward:
    """`model._eager_call` over `devices`: the first slice runs where the weights and the batch are, the
    others on `devices[1:]`."""

    def __init__(self, model: Any, devices: List[torch.device]):
        self._model = model
        self._devices = devices

    def _slots(self) -> List[Tuple[Dict[str, Any], str, torch.Tensor]]:
        """Every (parameter dict, key, parameter) of the model's modules."""
        return [(module._parameters, key, param) for module in self._model.modules()
                for key, param in module._parameters.items() if param is not None]

    @contextlib.contextmanager
    def _weights_on(self, device: torch.device, slots: List[Tuple[Dict[str, Any], str, torch.Tensor]]
                    ) -> Iterator[None]:
        """The model's parameters replaced by copies on `device` (differentiable for trainable ones)."""
        copies: Dict[int, torch.Tensor] = {}
        for params, key, param in slots:
            if id(param) not in copies:
                copies[id(param)] = param.to(device, non_blocking=True) if param.requires_grad else \
                    param.detach().to(device, non_blocking=True)
            params[key] = copies[id(param)]
        try:
            yield
        finally:
            for params, key, param in slots:
                params[key] = param

    def __call__(self, x: Any, training: bool) -> Any:
        size = len(nest.flatten(x)[0])
        pieces = min(len(self._devices), max(size, 1))
        if pieces == 1:
            return self._model._eager_call((x,), {"training": training})
        first = nest.flatten(x)[0].device
        slots = self._slots()
        outputs = []
        for index, (device, part) in enumerate(zip(self._devices, _split(x, pieces))):
            if index == 0:
                outputs.append(self._model._eager_call((part,), {"training": training}))
                continue
            with self._weights_on(device, slots):
                outputs.append(self._model._eager_call((_to(part, device),), {"training": training}))
        flat = [nest.flatten(out) for out in outputs]
        merged = [torch.cat([f[i].to(first) for f in flat]) for i in range(len(flat[0]))]
        return nest.pack_sequence_as(outputs[0], merged)
