"""Device strings as tf.distribute takes them ('/gpu:0', 'GPU:1', '/job:localhost/device:CPU:0') to torch."""
from typing import Any, List, Optional, Sequence

import torch

from torchkeras_api.engine import device as device_lib


def to_torch_device(spec: Any) -> torch.device:
    """A torch device from a tf device string, a torch device, or a LogicalDevice/PhysicalDevice."""
    if isinstance(spec, torch.device):
        return spec
    name = getattr(spec, "name", spec)
    if not isinstance(name, str):
        raise TypeError(f"A device must be a string such as '/gpu:0', got {spec!r}")
    last = name.rstrip("/").split("/")[-1].replace("device:", "").replace("physical_device:", "")
    kind, _, index = last.partition(":")
    kind = kind.lower()
    if kind in ("gpu", "cuda"):
        return torch.device("cuda", int(index or 0))
    if kind == "cpu":
        return torch.device("cpu")
    raise ValueError(f"Unknown device {name!r}: expected a CPU or GPU device such as '/gpu:0' or '/cpu:0'.")


def default_replica_devices(devices: Optional[Sequence[Any]]) -> List[torch.device]:
    """The given devices (each once), or all usable GPUs, or the CPU."""
    if devices is not None:
        resolved = [to_torch_device(d) for d in devices]
        if not resolved:
            raise ValueError("`devices` cannot be empty")
        if len(set(resolved)) != len(resolved):
            raise ValueError(f"No duplicates allowed in `devices` argument: {list(devices)}")
        return resolved
    count = device_lib.gpu_count()
    if count:
        return [torch.device("cuda", i) for i in range(count)]
    return [torch.device("cpu")]
