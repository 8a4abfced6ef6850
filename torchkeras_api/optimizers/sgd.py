"""SGD with optional (Nesterov) momentum, as tf.keras.optimizers.SGD."""
from typing import Any, Dict, List

import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


class SGD(Optimizer):
    """Gradient descent: `m = momentum * m - lr * g`, then `w += m` (Nesterov: `w += momentum * m - lr * g`).

    Takes the common optimizer arguments (`weight_decay`, `clipnorm`, `clipvalue`, `global_clipnorm`,
    `use_ema`, ...) as keywords.
    """

    def __init__(self, learning_rate: LearningRate = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 name: str = "SGD", **kwargs: Any):
        super().__init__(name=name, learning_rate=learning_rate, **kwargs)
        if isinstance(momentum, (int, float)) and not 0 <= momentum <= 1:
            raise ValueError(f"`momentum` must be between [0, 1]. Received: momentum={momentum}")
        self.momentum = momentum
        self.nesterov = nesterov

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        self._add_slots(var_list, "m")

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        steps = torch._foreach_mul(grads, lr)
        if not self.momentum:
            torch._foreach_sub_(params, steps)
            return
        m = slots["m"]
        torch._foreach_mul_(m, self.momentum)
        torch._foreach_sub_(m, steps)
        if self.nesterov:
            torch._foreach_add_(params, m, alpha=self.momentum)
            torch._foreach_sub_(params, steps)
        else:
            torch._foreach_add_(params, m)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
