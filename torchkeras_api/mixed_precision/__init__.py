"""tf.keras.mixed_precision: dtype policies and loss scaling."""
import importlib

from torchkeras_api.mixed_precision.policy import Policy, global_policy, set_global_policy


def __getattr__(name: str):
    """`LossScaleOptimizer` and `experimental` load on first use (they need the optimizers, which need layers)."""
    if name == "LossScaleOptimizer":
        return importlib.import_module(f"{__name__}.loss_scale_optimizer").LossScaleOptimizer
    if name == "experimental":
        return importlib.import_module(f"{__name__}.experimental")
    raise AttributeError(f"module 'torchkeras_api.mixed_precision' has no attribute {name!r}")


__all__ = ["Policy", "global_policy", "set_global_policy", "LossScaleOptimizer"]
