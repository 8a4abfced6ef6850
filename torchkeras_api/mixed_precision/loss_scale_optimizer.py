"""tf.keras.mixed_precision.LossScaleOptimizer: loss scaling for float16 training."""
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import torch

from torchkeras_api.engine.variables import Variable
from torchkeras_api.optimizers.base import Optimizer


def _scalar(name: str, value: Any, dtype: torch.dtype, device: torch.device) -> Variable:
    return Variable(torch.tensor(value, dtype=dtype, device=device), trainable=False, name=f"{name}:0")


class LossScaleOptimizer(Optimizer):
    """Wraps an optimizer: the loss is multiplied by `loss_scale` before the gradients are computed, and the
    gradients divided by it before they are applied. With `dynamic=True`, a step whose gradients hold an inf
    or NaN is skipped (`iterations` still advances) and halves the scale (down to 1); the scale doubles after
    `dynamic_growth_steps` consecutive finite steps. Everything else is the inner optimizer's.
    """

    _keras_module = "keras.mixed_precision"

    def __init__(self, inner_optimizer: Optimizer, dynamic: bool = True, initial_scale: Optional[float] = None,
                 dynamic_growth_steps: Optional[int] = None):
        if not isinstance(inner_optimizer, Optimizer) or isinstance(inner_optimizer, LossScaleOptimizer):
            kind = "a LossScaleOptimizer" if isinstance(inner_optimizer, LossScaleOptimizer) else "an instance of " \
                "`tf.keras.optimizers.Optimizer`"
            raise TypeError(f'"inner_optimizer" must be {kind} that is not itself a LossScaleOptimizer, but got: '
                            f"{inner_optimizer}.")
        if not isinstance(dynamic, bool):
            raise TypeError(f'"dynamic" argument to LossScaleOptimizer.__init__ must be a bool, but got: {dynamic!r}')
        if dynamic:
            initial_scale = 2.0 ** 15 if initial_scale is None else initial_scale
            dynamic_growth_steps = 2000 if dynamic_growth_steps is None else dynamic_growth_steps
            if dynamic_growth_steps < 1:
                raise ValueError(f'"dynamic_growth_steps" must be a positive integer, but got: {dynamic_growth_steps}')
        else:
            if initial_scale is None:
                raise ValueError('"initial_scale" must be specified if "dynamic" is False')
            if dynamic_growth_steps is not None:
                raise ValueError(f'"dynamic_growth_steps" must be None if "dynamic" is False, but got: '
                                 f"{dynamic_growth_steps}")
        if initial_scale < 1 and dynamic:
            raise ValueError(f'"initial_scale" must be at least 1 for a dynamic loss scale, but got: {initial_scale}')
        self._optimizer = inner_optimizer
        self._dynamic = dynamic
        self._initial_scale = float(initial_scale)
        self._growth_steps = dynamic_growth_steps
        device = inner_optimizer.iterations.device
        self._scale = _scalar("current_loss_scale", self._initial_scale, torch.float32, device)
        self._counter = _scalar("good_steps", 0, torch.int64, device)
        self.name = "LossScaleOptimizer"

    def __getattr__(self, name: str) -> Any:
        if name == "_optimizer":
            raise AttributeError(name)
        return getattr(self._optimizer, name)

    # ---- the loss scale -------------------------------------------------------------------------
    @property
    def inner_optimizer(self) -> Optimizer:
        return self._optimizer

    @property
    def dynamic(self) -> bool:
        return self._dynamic

    @property
    def loss_scale(self) -> Variable:
        """The current loss scale (a float32 scalar)."""
        return self._scale

    @property
    def dynamic_counter(self) -> Optional[Variable]:
        """Consecutive finite steps since the scale last changed (None for a fixed scale)."""
        return self._counter if self._dynamic else None

    @property
    def initial_scale(self) -> float:
        return self._initial_scale

    @property
    def dynamic_growth_steps(self) -> Optional[int]:
        return self._growth_steps

    def get_scaled_loss(self, loss: Any) -> Any:
        """`loss * loss_scale` (a callable returns a callable)."""
        if callable(loss) and not isinstance(loss, torch.Tensor):
            return lambda: self.get_scaled_loss(loss())
        loss = torch.as_tensor(loss)
        return loss * self._scale.to(device=loss.device, dtype=loss.dtype if loss.is_floating_point() else
                                     torch.float32)

    def get_unscaled_gradients(self, grads: Sequence[Any]) -> List[Any]:
        """Each gradient divided by the loss scale (None stays None)."""
        return [None if g is None else torch.as_tensor(g) / self._scale.to(torch.as_tensor(g).device)
                for g in grads]

    def _sync_scale(self, device: torch.device) -> None:
        for var in (self._scale, self._counter):
            if var.device != device:
                var.data = var.data.to(device)

    @torch.no_grad()
    def _apply_or_skip(self, params: List[torch.Tensor], grads: List[torch.Tensor], variables: Sequence[Any],
                       unscale: bool) -> None:
        """Applies unscaled, finite gradients; otherwise skips the update. Then adjusts a dynamic scale."""
        self._sync_scale(params[0].device)
        if unscale:
            torch._foreach_mul_(grads, self._scale.reciprocal())
        finite = bool(torch.stack([g.isfinite().all() for g in grads]).all())
        if finite:
            self._optimizer._apply(params, grads, variables)
        else:
            self._optimizer.build(variables)
            self._optimizer.iterations.add_(1)
        if self._dynamic:
            self._update_scale(finite)

    def _update_scale(self, finite: bool) -> None:
        if not finite:
            self._scale.copy_(torch.clamp(self._scale / 2.0, min=1.0))
            self._counter.zero_()
            return
        self._counter.add_(1)
        if int(self._counter) >= self._growth_steps:
            doubled = self._scale * 2.0
            if bool(doubled.isfinite()):
                self._scale.copy_(doubled)
            self._counter.zero_()

    # ---- applying gradients -------------------------------------------------------------------
    @torch.no_grad()
    def step(self, variables: Sequence[torch.Tensor]) -> None:
        """Unscales the (scaled) gradients in the variables' `.grad` and applies them unless non-finite."""
        params = [var for var in variables if var.grad is not None]
        if not params:
            return self._optimizer.step(variables)
        self._apply_or_skip(params, [var.grad for var in params], variables, unscale=True)
        return None

    @torch.no_grad()
    def apply_gradients(self, grads_and_vars: Iterable[Tuple[Any, torch.Tensor]], name: Optional[str] = None,
                        skip_gradients_aggregation: bool = False, **kwargs: Any) -> Variable:
        """Applies already unscaled gradients, skipping the step when one is not finite."""
        from torchkeras_api.optimizers.base import _as_gradient
        pairs = [(g, v) for g, v in grads_and_vars]
        kept = [(g, v) for g, v in pairs if g is not None]
        if not kept:
            return self._optimizer.apply_gradients(pairs)
        self._apply_or_skip([v for _, v in kept], [_as_gradient(g, v) for g, v in kept], [v for _, v in pairs],
                            unscale=False)
        return self._optimizer.iterations

    def compute_gradients(self, loss: Any, var_list: Any, tape: Any = None) -> List[Tuple[Any, torch.Tensor]]:
        """Gradients of the scaled loss, unscaled."""
        pairs = self._optimizer.compute_gradients(self.get_scaled_loss(loss), var_list, tape)
        grads = self.get_unscaled_gradients([g for g, _ in pairs])
        return [(g, v) for g, (_, v) in zip(grads, pairs)]

    def minimize(self, loss: Any, var_list: Any, tape: Any = None) -> None:
        self.apply_gradients(self.compute_gradients(loss, var_list, tape))

    # ---- delegated state ----------------------------------------------------------------------
    @property
    def iterations(self) -> Variable:
        return self._optimizer.iterations

    @iterations.setter
    def iterations(self, value: Any) -> None:
        self._optimizer.iterations = value

    @property
    def learning_rate(self) -> Any:
        return self._optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        self._optimizer.learning_rate = value

    lr = learning_rate

    @property
    def variables(self) -> Any:
        return self._optimizer.variables

    def build(self, var_list: Sequence[torch.Tensor]) -> None:
        self._optimizer.build(var_list)

    def finalize_variable_values(self, var_list: Sequence[torch.Tensor]) -> None:
        self._optimizer.finalize_variable_values(var_list)

    def get_weights(self) -> List[Any]:
        return self._optimizer.get_weights()

    def set_weights(self, weights: Sequence[Any]) -> None:
        self._optimizer.set_weights(weights)

    def save_own_variables(self, store: Dict[str, Any]) -> None:
        self._optimizer.save_own_variables(store)

    def load_own_variables(self, store: Dict[str, Any]) -> None:
        self._optimizer.load_own_variables(store)

    def get_config(self) -> Dict[str, Any]:
        from torchkeras_api.saving.serialization import serialize_keras_object
        return {"inner_optimizer": serialize_keras_object(self._optimizer), "dynamic": self._dynamic,
                "initial_scale": self._initial_scale, "dynamic_growth_steps": self._growth_steps}

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None
                    ) -> "LossScaleOptimizer":
        from torchkeras_api import optimizers
        config = dict(config)
        inner = config.pop("inner_optimizer")
        inner = optimizers.deserialize(inner, custom_objects=custom_objects) if isinstance(inner, dict) else \
            optimizers.get(inner)
        return cls(inner, **config)
