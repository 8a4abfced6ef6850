"""Where weights and batches live: this process's CUDA device when CUDA is usable and visible, else the CPU."""
import functools
import os

import torch

_hidden_gpus = False


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
