"""Adam and AdamW, as tf.keras.optimizers.Adam / AdamW."""
import math
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch

from torchkeras_api.optimizers.base import LearningRate, Optimizer


_FUSED_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


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
        self._step_tensors: Dict[torch.device, torch.Tensor] = {}

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        self._add_slots(var_list, "m", "v")
        if self.amsgrad:
            self._add_slots(var_list, "vhat")

    def has_fused_kernel(self, variables: Sequence[torch.Tensor]) -> bool:
        return not (self.amsgrad or self.adaptive_epsilon) and all(v.dtype in _FUSED_DTYPES for v in variables)

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        m, v = slots["m"], slots["v"]
        if not _in_graph(params[0]) and self.has_fused_kernel(params):
            self._fused_update(params, grads, m, v, lr)
            return
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

    def _fused_update(self, params: List[torch.Tensor], grads: List[torch.Tensor], m: List[torch.Tensor],
                      v: List[torch.Tensor], lr: torch.Tensor) -> None:
        """The same update in torch's fused Adam kernel, which computes
        `lr' / c1 * m / (sqrt(v) / sqrt(c2) + eps')` with `c = 1 - beta**t` in double precision; tf.keras's
        `lr * sqrt(b2) / b1 * m / (sqrt(v) + epsilon)` (with `b = 1 - beta**t` in the weights' dtype) follows from
        `eps' = epsilon / sqrt(c2)` and `lr' = lr * sqrt(b2) / b1 * c1 / sqrt(c2)`."""
        t = self._host_iterations() + 1
        device = params[0].device
        step = self._step_tensors.get(device)
        if step is None:
            step = self._step_tensors[device] = torch.zeros((), dtype=torch.float32, device=device)
        step.fill_(t)
        c1, c2 = 1.0 - self.beta_1 ** t, 1.0 - self.beta_2 ** t
        b1, b2 = _bias_corrections(self.beta_1, self.beta_2, t, params[0].dtype)
        rate = lr * (math.sqrt(b2) / b1 * c1 / math.sqrt(c2))
        torch._fused_adam_(params, grads, m, v, [], [step] * len(params), lr=rate, beta1=self.beta_1,
                           beta2=self.beta_2, weight_decay=0.0, eps=self.epsilon / math.sqrt(c2), amsgrad=False,
                           maximize=False)

    def get_config(self) -> Dict[str, Any]:
        config = {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                  "amsgrad": self.amsgrad}
        if self.adaptive_epsilon:
            config["adaptive_epsilon"] = True
        return config


def _in_graph(param: torch.Tensor) -> bool:
    """Whether the update is being traced by torch.compile or captured in a CUDA graph, where the fused
    kernel's host-side step count would be frozen."""
    return torch.compiler.is_compiling() or (param.is_cuda and torch.cuda.is_current_stream_capturing())


def _bias_corrections(beta_1: float, beta_2: float, t: int, dtype: torch.dtype) -> tuple:
    """`1 - beta**t` for both betas, rounded as tf.keras computes them in the weights' dtype."""
    if dtype == torch.float64:
        return 1.0 - beta_1 ** t, 1.0 - beta_2 ** t
    one, step = np.float32(1.0), np.float32(t)
    return float(one - np.float32(beta_1) ** step), float(one - np.float32(beta_2) ** step)


class AdamW(Adam):
    """Adam with decoupled weight decay (`weight_decay`, 0.004 by default, is required)."""

    def __init__(self, learning_rate: LearningRate = 0.001, weight_decay: Optional[float] = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False,
                 name: str = "AdamW", **kwargs: Any):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         name=name, weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError("Missing value of `weight_decay` which is required and must be a float value.")
