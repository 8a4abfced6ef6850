"""tf.random: seeded random tensors from torch's generators (same seed, same numbers; not TF's numbers)."""
from typing import Any, Optional, Sequence

import numpy as np
import torch

from torchkeras_api import backend as K
from torchkeras_api.engine.device import default_device
from torchkeras_api.tf._support import module_getattr, tensor, torch_dtype


def _generator(seed: Optional[int]) -> Optional[torch.Generator]:
    if seed is None:
        return None
    generator = torch.Generator(device=default_device())
    generator.manual_seed(int(seed))
    return generator


def set_seed(seed: int) -> None:
    """Seeds torch's global generator (used by every unseeded op, layer initializers included)."""
    torch.manual_seed(int(seed))


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = torch.float32,
           seed: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """Samples from N(mean, stddev ** 2)."""
    out = torch.empty(K._shape_tuple(shape), dtype=torch_dtype(dtype), device=default_device())
    return out.normal_(float(mean), float(stddev), generator=_generator(seed))


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = torch.float32,
                     seed: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """Samples from N(mean, stddev ** 2) redrawn until within two standard deviations."""
    out = torch.empty(K._shape_tuple(shape), dtype=torch_dtype(dtype), device=default_device())
    return torch.nn.init.trunc_normal_(out, float(mean), float(stddev), float(mean) - 2 * float(stddev),
                                       float(mean) + 2 * float(stddev), generator=_generator(seed))


def uniform(shape: Any, minval: Any = 0, maxval: Any = None, dtype: Any = torch.float32,
            seed: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """Samples from [minval, maxval) (maxval defaults to 1 for floats; integers need it)."""
    dtype = torch_dtype(dtype)
    shape = K._shape_tuple(shape)
    if not dtype.is_floating_point:
        if maxval is None:
            raise ValueError(f"Must specify maxval for integer dtype {dtype}.")
        return torch.randint(int(minval), int(maxval), shape, dtype=dtype, device=default_device(),
                             generator=_generator(seed))
    out = torch.empty(shape, dtype=dtype, device=default_device())
    return out.uniform_(float(minval), 1.0 if maxval is None else float(maxval), generator=_generator(seed))


def shuffle(value: Any, seed: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """value with its first axis randomly permuted."""
    value = tensor(value)
    order = torch.randperm(value.shape[0], generator=_generator(seed), device=default_device())
    return value[order.to(value.device)]


def categorical(logits: Any, num_samples: int, dtype: Any = torch.int64, seed: Optional[int] = None,
                name: Optional[str] = None) -> torch.Tensor:
    """For each row of (batch, classes) logits, `num_samples` class indices drawn from softmax(logits)."""
    probabilities = torch.softmax(tensor(logits).to(torch.float64), dim=-1)
    draws = torch.multinomial(probabilities, int(num_samples), replacement=True, generator=_generator(seed))
    return draws.to(torch_dtype(dtype))


def stateless_normal(shape: Any, seed: Sequence[int], mean: float = 0.0, stddev: float = 1.0,
                     dtype: Any = torch.float32, name: Optional[str] = None) -> torch.Tensor:
    """normal() determined by the pair `seed` alone."""
    return normal(shape, mean, stddev, dtype, _pair_seed(seed))


def stateless_uniform(shape: Any, seed: Sequence[int], minval: Any = 0, maxval: Any = None,
                      dtype: Any = torch.float32, name: Optional[str] = None) -> torch.Tensor:
    """uniform() determined by the pair `seed` alone."""
    return uniform(shape, minval, maxval, dtype, _pair_seed(seed))


def _pair_seed(seed: Sequence[int]) -> int:
    first, second = (int(s) for s in np.asarray(tensor(seed).tolist()).reshape(2))
    return (first * 1_000_003 + second) % (2 ** 63)


__getattr__ = module_getattr("tensorflow.random")
