"""Lion (evolved sign momentum), as tf.keras.optimizers.Lion."""
from typing import Any, Dict, List

import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


class Lion(Optimizer):
    """`w -= lr * sign(beta_1 * m + (1 - beta_1) * g)`, then `m = beta_2 * m + (1 - beta_2) * g`. Takes the common
    optimizer arguments as keywords."""

    def __init__(self, learning_rate: LearningRate = 0.0001, beta_1: float = 0.9, beta_2: float = 0.99,
                 name: str = "Lion", **kwargs: Any):
        super().__init__(name=name, learning_rate=learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(f"`beta_1`={beta_1} must be between ]0, 1]. Otherwise, the optimizer degenerates to "
                             "SignSGD.")
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        self._add_slots(var_list, "m")

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        m = slots["m"]
        steps = torch._foreach_mul(m, self.beta_1)
        torch._foreach_add_(steps, grads, alpha=1 - self.beta_1)
        torch._foreach_sign_(steps)
        torch._foreach_mul_(steps, lr)
        torch._foreach_sub_(params, steps)
        torch._foreach_mul_(m, self.beta_2)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_2)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
