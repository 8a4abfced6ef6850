"""RMSprop, as tf.keras.optimizers.RMSprop."""
from typing import Any, Dict, List, Optional

import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


class RMSprop(Optimizer):
    """`velocity = rho * velocity + (1 - rho) * g**2`, then `w -= lr * g / sqrt(velocity + epsilon)` (minus the
    squared moving average of `g` inside the root when `centered`; through a momentum buffer when
    `momentum > 0`). Takes the common optimizer arguments as keywords; `ema_overwrite_frequency`
    defaults to 100 as in tf.keras."""

    def __init__(self, learning_rate: LearningRate = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, ema_overwrite_frequency: Optional[int] = 100,
                 name: str = "RMSprop", **kwargs: Any):
        super().__init__(name=name, learning_rate=learning_rate, ema_overwrite_frequency=ema_overwrite_frequency,
                         **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        self._add_slots(var_list, "velocity")
        if self.momentum > 0:
            self._add_slots(var_list, "momentum")
        if self.centered:
            self._add_slots(var_list, "average_gradient")

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        velocity = slots["velocity"]
        torch._foreach_mul_(velocity, self.rho)
        torch._foreach_addcmul_(velocity, grads, grads, value=1 - self.rho)
        if self.centered:
            average = slots["average_gradient"]
            torch._foreach_mul_(average, self.rho)
            torch._foreach_add_(average, grads, alpha=1 - self.rho)
            denominators = torch._foreach_addcmul(velocity, average, average, value=-1)
            torch._foreach_add_(denominators, self.epsilon)
        else:
            denominators = torch._foreach_add(velocity, self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_div_(denominators, lr)
        if self.momentum > 0:
            buffers = slots["momentum"]
            torch._foreach_mul_(buffers, self.momentum)
            torch._foreach_addcdiv_(buffers, grads, denominators)
            torch._foreach_sub_(params, buffers)
        else:
            torch._foreach_addcdiv_(params, grads, denominators, value=-1.0)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
