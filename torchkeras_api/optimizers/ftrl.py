"""FTRL-Proximal, as tf.keras.optimizers.Ftrl."""
from typing import Any, Dict, List

import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


def _non_negative(name: str, value: float) -> None:
    if value < 0.0:
        raise ValueError(f"`{name}` needs to be positive or zero. Received: {name}={value}.")


class Ftrl(Optimizer):
    """Follow The Regularized Leader with L1, L2 and L2-shrinkage regularization (the weights are solved
    from the `linear` and `accumulator` slots each step). Takes the common optimizer arguments as keywords."""

    def __init__(self, learning_rate: LearningRate = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0, l2_shrinkage_regularization_strength: float = 0.0,
                 beta: float = 0.0, name: str = "Ftrl", **kwargs: Any):
        super().__init__(name=name, learning_rate=learning_rate, **kwargs)
        _non_negative("initial_accumulator_value", initial_accumulator_value)
        if learning_rate_power > 0.0:
            raise ValueError("`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        _non_negative("l1_regularization_strength", l1_regularization_strength)
        _non_negative("l2_regularization_strength", l2_regularization_strength)
        _non_negative("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        for var in var_list:
            self._add_slots([var], "accumulator", initial_value=self.initial_accumulator_value)
            self._add_slots([var], "linear")

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        accumulators, linears = slots["accumulator"], slots["linear"]
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        shrinkage = self.l2_shrinkage_regularization_strength
        shrunk = torch._foreach_add(grads, params, alpha=2 * shrinkage) if shrinkage else grads
        new_accumulators = torch._foreach_addcmul(accumulators, grads, grads)
        new_powers = torch._foreach_pow(new_accumulators, power)
        sigmas = torch._foreach_sub(new_powers, torch._foreach_pow(accumulators, power))
        torch._foreach_div_(sigmas, lr)
        torch._foreach_mul_(sigmas, params)
        torch._foreach_add_(linears, shrunk)
        torch._foreach_sub_(linears, sigmas)
        torch._foreach_div_(new_powers, lr)
        torch._foreach_add_(new_powers, 2 * l2)
        solutions = torch._foreach_clamp_min(linears, -l1)
        torch._foreach_clamp_max_(solutions, l1)
        torch._foreach_sub_(solutions, linears)
        torch._foreach_div_(solutions, new_powers)
        torch._foreach_copy_(params, solutions)
        torch._foreach_copy_(accumulators, new_accumulators)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
