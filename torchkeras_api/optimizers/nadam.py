"""Nadam (Adam with Nesterov momentum), as tf.keras.optimizers.Nadam."""
from typing import Any, Dict, List, Optional

import numpy as np
import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


def _complement32(beta: float) -> float:
    """`1 - beta` in float32 arithmetic, as tf.keras's Nadam computes its moving-average weights."""
    return float(np.float32(1) - np.float32(beta))


class Nadam(Optimizer):
    """Adam whose first moment looks one step ahead, with the momentum schedule
    `u_t = beta_1 * (1 - 0.5 * 0.96 ** t)` and its running product. Takes the common optimizer
    arguments as keywords."""

    def __init__(self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str = "Nadam", **kwargs: Any):
        super().__init__(name=name, learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._u_product: Optional[torch.Tensor] = None

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        if self._u_product is None:
            self._u_product = torch.ones((), dtype=var_list[0].dtype, device=var_list[0].device)
        self._add_slots(var_list, "m", "v")

    def _momentum(self, step: torch.Tensor) -> torch.Tensor:
        return self.beta_1 * (1.0 - 0.5 * torch.pow(0.96, step))

    def _begin_step(self) -> None:
        self._u_product.mul_(self._momentum(self._local_step(self._u_product)))

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        m, v = slots["m"], slots["v"]
        step = self._local_step(lr)
        u_t, u_next = self._momentum(step), self._momentum(step + 1)
        u_product = self._u_product.to(lr.dtype)
        weight_2 = _complement32(self.beta_2)
        torch._foreach_lerp_(m, grads, _complement32(self.beta_1))
        torch._foreach_mul_(v, 1 - weight_2)
        torch._foreach_addcmul_(v, grads, grads, value=weight_2)
        momentum_scale = u_next / (1 - u_product * u_next)
        steps = torch._foreach_mul(grads, (1 - u_t) / (1 - u_product) / momentum_scale)
        torch._foreach_add_(steps, m)
        denominators = torch._foreach_div(v, 1 - torch.pow(self.beta_2, step))
        torch._foreach_sqrt_(denominators)
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_div_(denominators, lr * momentum_scale)
        torch._foreach_addcdiv_(params, steps, denominators, value=-1.0)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
