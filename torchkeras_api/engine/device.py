"""Where weights and batches live: cuda:0 when CUDA is usable, else the CPU."""
import functools

import torch


@functools.lru_cache(maxsize=None)
def default_device() -> torch.device:
    """cuda:0 when CUDA is available (CUDA_VISIBLE_DEVICES=-1 hides it), else cpu."""
    return torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")
