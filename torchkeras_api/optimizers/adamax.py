"""Adamax (Adam with the infinity norm), as tf.keras.optimizers.Adamax."""
from typing import Any, Dict, List

import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


class Adamax(Optimizer):
    """`m` the moving average of the gradient, `u = max(beta_2 * u, |g|)`, then
    `w -= lr * m / ((1 - beta_1**t) * (u + epsilon))`. Takes the common optimizer arguments as keywords."""

    def __init__(self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str = "Adamax", **kwargs: Any):
        super().__init__(name=name, learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        self._add_slots(var_list, "m", "u")

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        m, u = slots["m"], slots["u"]
        torch._foreach_lerp_(m, grads, 1 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        denominators = torch._foreach_add(u, self.epsilon)
        torch._foreach_mul_(denominators, (1 - torch.pow(self.beta_1, self._local_step(lr))) / lr)
        torch._foreach_addcdiv_(params, m, denominators, value=-1.0)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
