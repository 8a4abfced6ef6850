"""Adadelta, as tf.keras.optimizers.Adadelta."""
from typing import Any, Dict, List

import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


class Adadelta(Optimizer):
    """Moving averages of `g**2` and of the squared updates; the update is
    `delta = sqrt(acc_delta + eps) / sqrt(acc_grad + eps) * g` and `w -= lr * delta`. Takes the common
    optimizer arguments as keywords."""

    def __init__(self, learning_rate: LearningRate = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 name: str = "Adadelta", **kwargs: Any):
        super().__init__(name=name, learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        self._add_slots(var_list, "accumulated_grad", "accumulated_delta_var")

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        accumulated_grad, accumulated_delta = slots["accumulated_grad"], slots["accumulated_delta_var"]
        torch._foreach_mul_(accumulated_grad, self.rho)
        torch._foreach_addcmul_(accumulated_grad, grads, grads, value=1 - self.rho)
        deltas = torch._foreach_add(accumulated_delta, self.epsilon)
        torch._foreach_sqrt_(deltas)
        torch._foreach_mul_(deltas, grads)
        denominators = torch._foreach_add(accumulated_grad, self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_div_(deltas, denominators)
        torch._foreach_mul_(accumulated_delta, self.rho)
        torch._foreach_addcmul_(accumulated_delta, deltas, deltas, value=1 - self.rho)
        torch._foreach_mul_(deltas, lr)
        torch._foreach_sub_(params, deltas)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
