"""tf.keras.optimizers.schedules: learning rates as functions of the training step.

`schedule(step)` accepts a Python number, a numpy scalar or a torch tensor (an optimizer passes its
int64 `iterations` tensor) and returns a 0-d float32 tensor on the step's device, computed with tensor
ops only, so a schedule on a device step never waits for the device.
"""
import math
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np
import torch

from torchkeras_api.saving.serialization import deserialize_keras_object, serialize_keras_object

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay",
    "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize",
]


def _as_step(step: Any) -> torch.Tensor:
    """The step as a float32 tensor, on the step's own device when it is a tensor."""
    if isinstance(step, torch.Tensor):
        return step.detach().to(torch.float32)
    return torch.tensor(float(np.asarray(step)), dtype=torch.float32)


class LearningRateSchedule:
    """Base class: `schedule(step)` returns the learning rate for that step."""

    _keras_module = "keras.optimizers.schedules"

    def __call__(self, step: Any) -> torch.Tensor:
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override "
                                  "`__call__(self, step)`.")

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments that recreate this schedule."""
        raise NotImplementedError(f"Learning rate schedule '{type(self).__name__}' must override `get_config()` "
                                  "in order to be serializable.")

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "LearningRateSchedule":
        """A schedule from its `get_config()` dict."""
        return cls(**config)


class _RateDecay(LearningRateSchedule):
    """A decay driven by `decay_rate` and the progress `step / decay_steps` (floored if `staircase`)."""

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float, staircase: bool = False,
                 name: Optional[str] = None):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step: Any) -> torch.Tensor:
        p = _as_step(step) / self.decay_steps
        return torch.floor(p) if self.staircase else p

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_RateDecay):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`; the exponent floored if `staircase`."""

    def __call__(self, step: Any) -> torch.Tensor:
        return self.initial_learning_rate * torch.pow(self.decay_rate, self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` on `(boundaries[i-1], boundaries[i]]`, then
    `values[-1]`."""

    def __init__(self, boundaries: Sequence[float], values: Sequence[float], name: Optional[str] = None):
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of values. Received: "
                             f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of length "
                             f"{len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name
        self._tables: Dict[torch.device, tuple] = {}

    def _table(self, device: torch.device) -> tuple:
        """(boundaries, values) as tensors on `device`, made once per device."""
        if device not in self._tables:
            integral = all(isinstance(b, (int, np.integer)) for b in self.boundaries)
            bounds = torch.tensor(list(self.boundaries), device=device,
                                  dtype=torch.int64 if integral else torch.float32)
            self._tables[device] = bounds, torch.tensor(list(self.values), dtype=torch.float32, device=device)
        return self._tables[device]

    def __call__(self, step: Any) -> torch.Tensor:
        step = step.detach() if isinstance(step, torch.Tensor) else torch.as_tensor(np.asarray(step))
        bounds, values = self._table(step.device)
        index = torch.bucketize(step.to(bounds.dtype), bounds)
        return torch.take(values, index)

    def get_config(self) -> Dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, held at `end` after `decay_steps`, or
    restarted with a longer period when `cycle`."""

    def __init__(self, initial_learning_rate: float, decay_steps: float, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: Optional[str] = None):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> torch.Tensor:
        step = _as_step(step)
        if self.cycle:
            periods = torch.ceil(step / self.decay_steps)
            decay_steps = self.decay_steps * torch.where(step == 0, torch.ones_like(periods), periods)
        else:
            step = torch.clamp(step, max=float(self.decay_steps))
            decay_steps = self.decay_steps
        remaining = torch.pow(1 - step / decay_steps, self.power)
        return (self.initial_learning_rate - self.end_learning_rate) * remaining + self.end_learning_rate

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class InverseTimeDecay(_RateDecay):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`; the ratio floored if `staircase`."""

    def __call__(self, step: Any) -> torch.Tensor:
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


def _cosine(fraction: torch.Tensor, alpha: float) -> torch.Tensor:
    """Half a cosine from 1 (fraction 0) down to `alpha` (fraction 1)."""
    return (1 - alpha) * (0.5 * (1.0 + torch.cos(math.pi * fraction))) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay to `alpha * initial` over `decay_steps`, after an optional linear warmup from
    `initial_learning_rate` to `warmup_target` over `warmup_steps` (the decay then starts from the target)."""

    def __init__(self, initial_learning_rate: float, decay_steps: float, alpha: float = 0.0,
                 name: Optional[str] = None, warmup_target: Optional[float] = None, warmup_steps: float = 0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step: Any) -> torch.Tensor:
        step = _as_step(step)
        if self.warmup_target is None:
            step = torch.clamp(step, max=float(self.decay_steps))
            return self.initial_learning_rate * _cosine(step / self.decay_steps, self.alpha)
        step = torch.clamp(step, max=float(self.decay_steps + self.warmup_steps))
        warmup = (self.warmup_target - self.initial_learning_rate) * (step / self.warmup_steps) \
            + self.initial_learning_rate
        decay = self.warmup_target * _cosine((step - self.warmup_steps) / self.decay_steps, self.alpha)
        return torch.where(step < self.warmup_steps, warmup, decay)

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): period `first_decay_steps`, each next period `t_mul` times
    longer and its peak `m_mul` times lower."""

    def __init__(self, initial_learning_rate: float, first_decay_steps: float, t_mul: float = 2.0,
                 m_mul: float = 1.0, alpha: float = 0.0, name: Optional[str] = None):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self.t_mul = t_mul
        self.m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step: Any) -> torch.Tensor:
        fraction = _as_step(step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restarts = torch.floor(fraction)
            fraction = fraction - restarts
        else:
            restarts = torch.floor(torch.log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(self.t_mul))
            done = (1.0 - torch.pow(self.t_mul, restarts)) / (1.0 - self.t_mul)
            fraction = (fraction - done) / torch.pow(self.t_mul, restarts)
        peak = torch.pow(self.m_mul, restarts)
        cosine = 0.5 * peak * (1.0 + torch.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_ALL_SCHEDULES: Dict[str, Any] = {cls.__name__: cls for cls in (
    LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay, CosineDecay,
    CosineDecayRestarts)}


def serialize(learning_rate_schedule: LearningRateSchedule) -> Dict[str, Any]:
    """The tf.keras config dict `{'module', 'class_name', 'config', 'registered_name'}`."""
    return serialize_keras_object(learning_rate_schedule)


def deserialize(config: Union[Dict[str, Any], str],
                custom_objects: Optional[Dict[str, Any]] = None) -> LearningRateSchedule:
    """A schedule from its config dict."""
    schedule = deserialize_keras_object(config, _ALL_SCHEDULES, custom_objects, "learning rate schedule")
    if isinstance(schedule, type):
        raise ValueError(f"Could not deserialize learning rate schedule {config!r}: a config dict with "
                         "'class_name' and 'config' is expected.")
    return schedule
