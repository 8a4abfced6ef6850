"""Adagrad, as tf.keras.optimizers.Adagrad."""
from typing import Any, Dict, List

import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


class Adagrad(Optimizer):
    """`accumulator += g**2`, then `w -= lr * g / sqrt(accumulator + epsilon)`; the accumulators start at
    `initial_accumulator_value`. Takes the common optimizer arguments as keywords."""

    def __init__(self, learning_rate: LearningRate = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, name: str = "Adagrad", **kwargs: Any):
        super().__init__(name=name, learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        self._add_slots(var_list, "accumulator", initial_value=self.initial_accumulator_value)

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        accumulators = slots["accumulator"]
        torch._foreach_addcmul_(accumulators, grads, grads)
        denominators = torch._foreach_add(accumulators, self.epsilon)
        torch._foreach_sqrt_(denominators)
        torch._foreach_div_(denominators, lr)
        torch._foreach_addcdiv_(params, grads, denominators, value=-1.0)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
