"""tf.keras.mixed_precision.experimental (TF 2.1-2.3): `Policy`, `set_policy`, `global_policy` and the
`LossScaleOptimizer(optimizer, loss_scale)` signature of those versions."""
from typing import Any

from torchkeras_api.mixed_precision.loss_scale_optimizer import LossScaleOptimizer as _LossScaleOptimizer
from torchkeras_api.mixed_precision.policy import Policy as _Policy
from torchkeras_api.mixed_precision.policy import global_policy, set_global_policy


class Policy(_Policy):
    """The TF 2.1-2.3 Policy, which also took a `loss_scale` ('auto', 'dynamic', a number or None)."""

    def __init__(self, name: str, loss_scale: Any = "auto"):
        super().__init__(name)
        self.loss_scale = loss_scale


def set_policy(policy: Any) -> None:
    """The global policy (TF 2.1-2.3 name of `set_global_policy`)."""
    set_global_policy(policy)


def LossScaleOptimizer(optimizer: Any, loss_scale: Any = "dynamic") -> _LossScaleOptimizer:  # noqa: N802
    """A LossScaleOptimizer from the TF 2.1-2.3 arguments: `loss_scale` 'dynamic' or a fixed number."""
    if loss_scale == "dynamic":
        return _LossScaleOptimizer(optimizer)
    return _LossScaleOptimizer(optimizer, dynamic=False, initial_scale=float(loss_scale))


__all__ = ["Policy", "set_policy", "global_policy", "LossScaleOptimizer"]
