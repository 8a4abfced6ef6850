"""Adam and AdamW, as tf.keras.optimizers.Adam / AdamW."""
from typing import Any, Dict, List, Optional

import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


class Adam(Optimizer):
    """Adam: moving averages `m` of the gradient and `v` of its square, then
    `w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`.

    `amsgrad` uses the running maximum of `v`; `adaptive_epsilon` adds epsilon to the bias-corrected
    `sqrt(v)` instead (Algorithm 1 of the paper). Takes the common optimizer arguments as keywords.
    """

    def __init__(self, learning_rate: LearningRate = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, adaptive_epsilon: bool = False, amsgrad: bool = False, name: str = "Adam",
                 **kwargs: Any):
        super().__init__(name=name, learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.adaptive_epsilon = adaptive_epsilon
        self.amsgrad = amsgrad

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        self._add_slots(var_list, "m", "v")
        if self.amsgrad:
            self._add_slots(var_list, "vhat")

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        m, v = slots["m"], slots["v"]
        torch._foreach_lerp_(m, grads, 1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - self.beta_2)
        if self.amsgrad:
            torch._foreach_maximum_(slots["vhat"], v)
            v = slots["vhat"]
        step = self._local_step(lr)
        bias_1 = 1 - torch.pow(self.beta_1, step)
        bias_2 = 1 - torch.pow(self.beta_2, step)
        if self.adaptive_epsilon:
            denominators = torch._foreach_div(v, bias_2)
            torch._foreach_sqrt_(denominators)
            scale = lr / bias_1
        else:
            denominators = torch._foreach_sqrt(v)
            scale = lr * torch.sqrt(bias_2) / bias_1
        torch._foreach_add_(denominators, self.epsilon)
        torch._foreach_div_(denominators, scale)
        torch._foreach_addcdiv_(params, m, denominators, value=-1.0)

    def get_config(self) -> Dict[str, Any]:
        config = {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                  "amsgrad": self.amsgrad}
        if self.adaptive_epsilon:
            config["adaptive_epsilon"] = True
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (`weight_decay`, 0.004 by default, is required)."""

    def __init__(self, learning_rate: LearningRate = 0.001, weight_decay: Optional[float] = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 name: str = "AdamW", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         name=name, weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Missing value of `weight_decay` which is required and must be a float value.")
