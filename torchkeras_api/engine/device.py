"""Where weights and batches live: this process's CUDA device when CUDA is usable and visible, else the CPU;
and TensorFlow's device-placement log of the weights created there."""
import functools
import os
import sys

import torch

_hidden_gpus = False
_log_placement = False


def hide_gpus(hidden: bool) -> None:
    """Makes (or stops making) `default_device()` the CPU although CUDA is available."""
    global _hidden_gpus
    _hidden_gpus = bool(hidden)
    default_device.cache_clear()


def gpus_hidden() -> bool:
    return _hidden_gpus


def gpu_count() -> int:
    """The number of CUDA devices this process may use."""
    return 0 if _hidden_gpus or not torch.cuda.is_available() else torch.cuda.device_count()


@functools.lru_cache(maxsize=None)
def default_device() -> torch.device:
    """cuda:LOCAL_RANK (cuda:0 outside `torchrun`) when CUDA is available and not hidden (CUDA_VISIBLE_DEVICES=-1,
    `tf.config.set_visible_devices([], 'GPU')`), else cpu."""
    count = gpu_count()
    if not count:
        return torch.device("cpu")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)) % count)


def tf_device_name(device: torch.device) -> str:
    """TensorFlow's full name of a torch device: /job:localhost/replica:0/task:0/device:GPU:0."""
    kind = "GPU" if device.type == "cuda" else "CPU"
    return f"/job:localhost/replica:0/task:0/device:{kind}:{device.index or 0}"


def set_log_device_placement(enabled: bool) -> None:
    """Turns on (or off) one stderr line per weight created, naming its device in TensorFlow's format."""
    global _log_placement
    _log_placement = bool(enabled)


def log_weight_placement(name: str, device: torch.device) -> None:
    """Writes `name: (VarHandleOp): <device>` to stderr when placement logging is on."""
    if _log_placement:
        print(f"{name}: (VarHandleOp): {tf_device_name(device)}", file=sys.stderr)
