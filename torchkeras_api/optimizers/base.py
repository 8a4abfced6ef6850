"""The tf.keras optimizer base class on torch.

An optimizer keeps its state in `Variable`s on the weights' device: `iterations` (int64), the learning
rate, and per-weight slots created by `build`. `step(variables)` (the trainer's hot path) and
`apply_gradients` both run `_apply`: clip, decoupled weight decay, the subclass's multi-tensor
`_update`, the weights' moving average, `iterations += 1`, then the weights' constraints, without
reading anything back to the host.
"""
import re
import sys
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from torchkeras_api.backend_config import floatx
from torchkeras_api.engine.device import default_device
from torchkeras_api.engine.variables import Variable
from torchkeras_api.optimizers import clipping, schedules

LearningRate = Union[float, Callable[[], float], schedules.LearningRateSchedule]


class CallableList(list):
    """A list that returns itself when called: `optimizer.variables` and `optimizer.variables()` both work."""

    def __call__(self) -> "CallableList":
        return self


class _Group:
    """The weights of one update that share a device and dtype, with their slots."""

    __slots__ = ("positions", "params", "slots", "decayed")

    def __init__(self, positions: Optional[List[int]], params: List[torch.Tensor], slots: Dict[str, list],
                 decayed: List[torch.Tensor]):
        self.positions = positions
        self.params = params
        self.slots = slots
        self.decayed = decayed


def _scalar(name: str, value: Any, dtype: torch.dtype, device: Optional[torch.device] = None) -> Variable:
    return Variable(torch.tensor(value, dtype=dtype, device=device or default_device()), trainable=False,
                    name=f"{name}:0")


def _base_name(var: torch.Tensor) -> str:
    """A weight's name without the ':0' suffix ('Variable' for unnamed tensors)."""
    name = getattr(var, "name", None) or "Variable"
    return name[:-2] if name.endswith(":0") else name


def _rate(value: Any) -> float:
    """A constant learning rate from a number, a 0-d tensor or a zero-argument callable."""
    if callable(value) and not isinstance(value, torch.Tensor):
        value = value()
    if isinstance(value, (str, bytes)):
        raise TypeError("`learning_rate` must be a float, a callable returning a float or a "
                        f"`keras.optimizers.schedules.LearningRateSchedule`. Received: learning_rate={value!r}")
    try:
        return float(np.asarray(value.detach().cpu() if isinstance(value, torch.Tensor) else value))
    except (TypeError, ValueError) as error:
        raise TypeError("`learning_rate` must be a float, a callable returning a float or a "
                        "`keras.optimizers.schedules.LearningRateSchedule`. "
                        f"Received: learning_rate={value!r}") from error


def _outside_stacklevel() -> int:
    """The `stacklevel` that attributes a warning to the first caller outside this package."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("torchkeras_api.optimizers"):
        frame, level = frame.f_back, level + 1
    return level


def _legacy_arguments(name: str, learning_rate: Any, kwargs: Dict[str, Any]) -> Tuple[Any, float]:
    """The learning rate and legacy time decay after the Keras 2.0-2.4 keywords `lr` and `decay`."""
    if "lr" in kwargs:
        warnings.warn("The `lr` argument is deprecated, use `learning_rate` instead.", DeprecationWarning,
                      stacklevel=_outside_stacklevel())
        learning_rate = kwargs.pop("lr")
    decay = kwargs.pop("decay", 0.0) or 0.0
    if decay:
        warnings.warn("The `decay` argument is deprecated, use a `keras.optimizers.schedules.InverseTimeDecay` "
                      "learning rate instead.", DeprecationWarning, stacklevel=_outside_stacklevel())
    for ignored in ("is_legacy_optimizer", "mesh"):
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(f"{sorted(kwargs)[0]} is not a valid argument for optimizer {name}: the optimizer arguments "
                        "are its documented ones (and the deprecated `lr` and `decay`).")
    return learning_rate, float(decay)


class Optimizer:
    """Base class of the tf.keras optimizers.

    Args:
        name: prefix of the slot variables' names.
        learning_rate: a float, a zero-argument callable (read once) or a `LearningRateSchedule`.
        weight_decay: if set, each step first scales the weights by `1 - learning_rate * weight_decay`.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to `[-clipvalue, clipvalue]`.
        global_clipnorm: clip all gradients together to this global L2 norm.
        use_ema: keep a moving average of the weights (`ema_momentum`), copied into them every
            `ema_overwrite_frequency` steps and by `finalize_variable_values`.
        jit_compile: accepted for compatibility; updates run as eager multi-tensor ops.
    """

    _keras_module = "keras.optimizers"

    def __init__(self, name: str, learning_rate: LearningRate = 0.001, weight_decay: Optional[float] = None,
                 clipnorm: Optional[float] = None, clipvalue: Optional[float] = None,
                 global_clipnorm: Optional[float] = None, use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: Optional[int] = None, jit_compile: bool = True, **kwargs: Any):
        learning_rate, self.decay = _legacy_arguments(type(self).__name__, learning_rate, kwargs)
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError("At most one of `clipnorm` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, global_clipnorm={global_clipnorm}.")
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency is not None and not isinstance(ema_overwrite_frequency, int):
                raise ValueError("`ema_overwrite_frequency` must be an integer > 1 or None. Received: "
                                 f"ema_overwrite_frequency={ema_overwrite_frequency}")
        self.name = name if name is not None else type(self).__name__
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.jit_compile = jit_compile
        self._iterations = _scalar("iteration", 0, torch.int64)
        self._variables: List[Variable] = [self._iterations]
        self._host_count = 0
        self._host_version = self._iterations._version
        self._trainable_variables: List[torch.Tensor] = []
        self._index_dict: Dict[int, int] = {}
        self._slots: Dict[str, List[Variable]] = {}
        self._plans: Dict[tuple, List[_Group]] = {}
        self._excluded_ids: set = set()
        self._excluded_names: List[str] = []
        self._learning_rate: Any = None
        self._current_learning_rate: Optional[Variable] = None
        self._set_learning_rate(learning_rate)

    # ---- learning rate and iterations -----------------------------------------------------------
    def _set_learning_rate(self, value: Any) -> None:
        if isinstance(value, schedules.LearningRateSchedule):
            self._learning_rate = value
            if self._current_learning_rate is None:
                self._current_learning_rate = _scalar("current_learning_rate", 0.0, getattr(torch, floatx()),
                                                      self._iterations.device)
            self._current_learning_rate.assign(value(self._iterations))
        elif isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
                            "constructor argument, hence its learning rate is not settable. If you need the learning "
                            "rate to be settable, you should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        elif self._learning_rate is None:
            self._learning_rate = _scalar("learning_rate", _rate(value), getattr(torch, floatx()),
                                          self._iterations.device)
        else:
            self._learning_rate.assign(_rate(value))

    @property
    def learning_rate(self) -> Variable:
        """The learning rate variable (`float()`, `.numpy()`, `.assign()`); with a schedule, the rate the latest
        step used."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._current_learning_rate
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: LearningRate) -> None:
        self._set_learning_rate(value)

    lr = learning_rate

    @property
    def iterations(self) -> Variable:
        """The number of steps taken (an int64 variable)."""
        return self._iterations

    @iterations.setter
    def iterations(self, value: Any) -> None:
        if self._trainable_variables:
            raise RuntimeError(f"Cannot set `iterations` to a new Variable after the Optimizer weights have been "
                               f"created. Here it is attempting to set `iterations` to {value}. Usually this means "
                               "you are trying to set `iterations` after calling `apply_gradients()`. Please set "
                               "`iterations` before calling `apply_gradients()`.")
        self._iterations.assign(value)

    def _host_iterations(self) -> int:
        """`iterations` as a Python int; read from the device only after `iterations` was set from outside."""
        if self._iterations._version != self._host_version:
            self._host_count = int(self._iterations.detach().cpu())
            self._host_version = self._iterations._version
        return self._host_count

    def has_fused_kernel(self, variables: Sequence[torch.Tensor]) -> bool:
        """Whether `step(variables)` runs one fused kernel that reads the step count from the host (outside a
        CUDA graph, faster than a compiled update)."""
        return False

    def host_step_stale(self) -> None:
        """Marks the host's copy of `iterations` stale after updates that ran without it (compiled or
        replayed steps); the next step that needs it reads it from the device once."""
        self._host_version = None

    def _step_learning_rate(self) -> torch.Tensor:
        """The learning rate for the step about to run, as a device tensor."""
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            value = self._learning_rate(self._iterations)
            current = self._current_learning_rate
            current.copy_(value) if isinstance(value, torch.Tensor) else current.fill_(value)
            rate = current
        else:
            rate = self._learning_rate
        if self.decay:
            rate = rate / (1.0 + self.decay * self._iterations)
        return rate

    def _local_step(self, like: torch.Tensor) -> torch.Tensor:
        """`iterations + 1` (the 1-based number of the running step) in `like`'s dtype and device."""
        return (self._iterations + 1).to(device=like.device, dtype=like.dtype)

    # ---- state --------------------------------------------------------------------------------
    @property
    def variables(self) -> CallableList:
        """`iterations`, then the slot variables in creation order (callable, as in tf.keras)."""
        return CallableList(self._variables)

    def build(self, var_list: Sequence[torch.Tensor]) -> None:
        """Creates the state (slots) of the weights in `var_list` not seen before."""
        new = []
        for var in var_list:
            if id(var) not in self._index_dict:
                self._index_dict[id(var)] = len(self._trainable_variables)
                self._trainable_variables.append(var)
                new.append(var)
        if not new:
            return
        if len(new) == len(self._trainable_variables):
            self._place_scalars(new[0].device)
        if self.use_ema:
            for var in new:
                self._slots.setdefault("average", []).append(
                    self.add_variable_from_reference(var, "average", initial_value=var.detach()))
        self._build_slots(new)
        self._plans.clear()

    def _build_slots(self, var_list: List[torch.Tensor]) -> None:
        """Creates the subclass's slots for new weights (see `_add_slots`)."""

    def _place_scalars(self, device: torch.device) -> None:
        """Moves the step counter and learning rate next to the weights, keeping the objects."""
        for scalar in (self._iterations, self._learning_rate, self._current_learning_rate):
            if isinstance(scalar, torch.Tensor) and scalar.device != device:
                scalar.data = scalar.data.to(device)

    def _add_slots(self, var_list: Iterable[torch.Tensor], *names: str, initial_value: float = 0.0) -> None:
        """For each weight in turn, one slot per name (named `<optimizer>/<slot>/<weight>`)."""
        for var in var_list:
            for name in names:
                self._slots.setdefault(name, []).append(
                    self.add_variable_from_reference(var, name, initial_value=initial_value))

    def add_variable_from_reference(self, model_variable: torch.Tensor, variable_name: str,
                                    initial_value: Any = None) -> Variable:
        """A state variable shaped like `model_variable` (zeros, a constant or a tensor's copy)."""
        reference = model_variable.detach()
        if initial_value is None:
            value = torch.zeros_like(reference)
        elif isinstance(initial_value, torch.Tensor):
            value = initial_value.detach().to(device=reference.device, dtype=reference.dtype).clone()
        else:
            value = torch.full_like(reference, initial_value)
        var = Variable(value, trainable=False, name=f"{self.name}/{variable_name}/{_base_name(model_variable)}:0",
                       layout=getattr(model_variable, "_layout", None))
        self._variables.append(var)
        return var

    def exclude_from_weight_decay(self, var_list: Optional[Iterable[torch.Tensor]] = None,
                                  var_names: Optional[Iterable[str]] = None) -> None:
        """Exempts weights from weight decay: by object, or by a name regex found in the weight's name."""
        if self._trainable_variables:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the optimizer is built.")
        self._excluded_ids = {id(var) for var in var_list or ()}
        self._excluded_names = list(var_names or ())

    def _use_weight_decay(self, variable: torch.Tensor) -> bool:
        if id(variable) in self._excluded_ids:
            return False
        name = getattr(variable, "name", None) or ""
        return not any(re.search(pattern, name) for pattern in self._excluded_names)

    # ---- applying gradients -------------------------------------------------------------------
    @torch.no_grad()
    def step(self, variables: Sequence[torch.Tensor]) -> None:
        """Applies the gradients in the variables' `.grad` (skipping None) and advances `iterations`."""
        params = [var for var in variables if var.grad is not None]
        if not params:
            if variables:
                raise ValueError(f"No gradients provided for any variable: {[_base_name(v) for v in variables]}.")
            return
        self._apply(params, [var.grad for var in params], variables)

    @torch.no_grad()
    def apply_gradients(self, grads_and_vars: Iterable[Tuple[Any, torch.Tensor]], name: Optional[str] = None,
                        skip_gradients_aggregation: bool = False, **kwargs: Any) -> Variable:
        """Applies (gradient, variable) pairs; None gradients are skipped. Returns `iterations`.

        `name` and `skip_gradients_aggregation` are accepted for compatibility and have no effect.
        """
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        variables = [var for _, var in pairs]
        kept = [(grad, var) for grad, var in pairs if grad is not None]
        if not kept:
            raise ValueError(f"No gradients provided for any variable: {[_base_name(v) for v in variables]}.")
        if len(kept) < len(pairs):
            missing = [_base_name(var) for grad, var in pairs if grad is None]
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the loss. If you're using "
                          "`model.compile()`, did you forget to provide a `loss` argument?", stacklevel=3)
        self._apply([var for _, var in kept], [_as_gradient(grad, var) for grad, var in kept], variables)
        return self._iterations

    def compute_gradients(self, loss: Any, var_list: Any, tape: Any = None) -> List[Tuple[Any, torch.Tensor]]:
        """(gradient, variable) pairs of `loss` (a tensor or a zero-argument callable) by torch autograd, or by
        `tape.gradient` when a tape is given."""
        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        if tape is not None:
            if callable(loss):
                with tape:
                    loss = loss()
            return list(zip(tape.gradient(loss, var_list), var_list))
        with torch.enable_grad():
            loss = loss() if callable(loss) else loss
        if not isinstance(loss, torch.Tensor):
            raise TypeError(f"`loss` must be a torch tensor or a callable returning one. Received: loss={loss!r}")
        wanted = [var for var in var_list if var.requires_grad]
        grads: Dict[int, Any] = {}
        if wanted and loss.requires_grad:
            found = torch.autograd.grad(loss.sum(), wanted, allow_unused=True)
            grads = {id(var): grad for var, grad in zip(wanted, found)}
        return [(grads.get(id(var)), var) for var in var_list]

    def minimize(self, loss: Any, var_list: Any, tape: Any = None) -> None:
        """Computes the gradients of `loss` with respect to `var_list` and applies them."""
        self.apply_gradients(self.compute_gradients(loss, var_list, tape))

    def _plan(self, params: List[torch.Tensor], variables: Sequence[torch.Tensor]) -> List[_Group]:
        """The cached device/dtype groups for this set of weights (building state for new weights)."""
        key = tuple(map(id, params))
        groups = self._plans.get(key)
        if groups is None:
            self.build(variables)
            if len(self._plans) >= 16:
                self._plans.clear()
            groups = self._plans[key] = self._make_groups(params)
        return groups

    def _make_groups(self, params: List[torch.Tensor]) -> List[_Group]:
        by_kind: Dict[tuple, List[int]] = {}
        for position, param in enumerate(params):
            by_kind.setdefault((param.device, param.dtype), []).append(position)
        groups = []
        for positions in by_kind.values():
            index = [self._index_dict[id(params[p])] for p in positions]
            members = [params[p] for p in positions]
            groups.append(_Group(positions if len(by_kind) > 1 else None, members,
                                 {name: [slots[i] for i in index] for name, slots in self._slots.items()},
                                 [param for param in members if self._use_weight_decay(param)]))
        return groups

    def _clip(self, grads: List[torch.Tensor]) -> List[torch.Tensor]:
        if self.clipnorm and self.clipnorm > 0:
            return clipping.clip_by_norm(grads, self.clipnorm)
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            return clipping.clip_by_value(grads, self.clipvalue)
        return grads

    def _apply(self, params: List[torch.Tensor], grads: List[torch.Tensor],
               variables: Sequence[torch.Tensor]) -> None:
        count = self._host_iterations() + 1
        self._apply_groups(self._plan(params, variables), params, grads)
        self._host_count, self._host_version = count, self._iterations._version

    def prepare_compiled_update(self, variables: Sequence[torch.Tensor]) -> Callable[[List[torch.Tensor]], None]:
        """An update of `variables` from a list of their gradients that reads nothing from the host (the
        bias corrections and schedules from the device step counter), for use under `torch.compile` or
        in a CUDA graph. Builds the state of the variables first."""
        params = list(variables)
        groups = self._plan(params, params)

        def update(grads: List[torch.Tensor]) -> None:
            with torch.no_grad():
                self._apply_groups(groups, params, grads)

        return update

    def _apply_groups(self, groups: List[_Group], params: List[torch.Tensor], grads: List[torch.Tensor]) -> None:
        """Clip, decay, update, moving average, `iterations += 1` and constraints, all as device ops."""
        grads = self._clip(grads)
        rate = self._step_learning_rate()
        self._begin_step()
        for group in groups:
            group_grads = grads if group.positions is None else [grads[p] for p in group.positions]
            first = group.params[0]
            group_rate = rate.to(device=first.device, dtype=first.dtype)
            if self.weight_decay and group.decayed:
                torch._foreach_mul_(group.decayed, 1.0 - group_rate * self.weight_decay)
            self._update(group.params, group_grads, group.slots, group_rate)
            if self.use_ema:
                self._update_average(group)
        self._iterations.add_(1)
        _apply_constraints(params)

    def _begin_step(self) -> None:
        """Per-step state shared by all weights (Nadam's momentum product); nothing by default."""

    def _update(self, params: List[torch.Tensor], grads: List[torch.Tensor], slots: Dict[str, list],
                lr: torch.Tensor) -> None:
        """The optimizer's update of same-device, same-dtype weights, in place."""
        raise NotImplementedError(f"Optimizer {type(self).__name__} must implement `_update`.")

    def _update_average(self, group: _Group) -> None:
        averages = group.slots["average"]
        torch._foreach_lerp_(averages, group.params, 1.0 - self.ema_momentum)
        if self.ema_overwrite_frequency:
            due = (self._local_step(self._iterations) % self.ema_overwrite_frequency == 0).to(group.params[0].dtype)
            shift = torch._foreach_sub(averages, group.params)
            torch._foreach_mul_(shift, due)
            torch._foreach_add_(group.params, shift)

    @torch.no_grad()
    def finalize_variable_values(self, var_list: Sequence[torch.Tensor]) -> None:
        """With `use_ema`, copies the moving averages into the weights (tf.keras's fit does it at the end)."""
        if not self.use_ema:
            return
        for var in var_list:
            index = self._index_dict.get(id(var))
            if index is not None:
                var.copy_(self._slots["average"][index])

    # ---- weights and config ---------------------------------------------------------------------
    def get_weights(self) -> List[np.ndarray]:
        """The values of `variables()` as numpy arrays."""
        return [var.numpy() for var in self._variables]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets `variables()` from numpy arrays (in tf.keras layout), in order."""
        if len(weights) != len(self._variables):
            raise ValueError(f"You called `set_weights(weights)` on optimizer {self.name} with a weight list of length "
                             f"{len(weights)}, but the optimizer was expecting {len(self._variables)} weights.")
        for var, value in zip(self._variables, weights):
            var.assign(value)

    def save_own_variables(self, store: Dict[str, Any]) -> None:
        """Writes `variables()` into `store` under the keys '0', '1', ..."""
        for i, var in enumerate(self._variables):
            store[str(i)] = var.numpy()

    def load_own_variables(self, store: Dict[str, Any]) -> None:
        """Reads `variables()` back from a `save_own_variables` store."""
        self.set_weights([store[str(i)] for i in range(len(store))])

    def _learning_rate_config(self) -> Any:
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return schedules.serialize(self._learning_rate)
        return float(self._learning_rate.detach().cpu())

    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments, in tf.keras's format."""
        config = {
            "name": self.name, "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue, "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum, "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "jit_compile": False, "is_legacy_optimizer": False, "learning_rate": self._learning_rate_config(),
        }
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> "Optimizer":
        """An optimizer from its `get_config()` dict (a schedule given as its config dict)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)


def _as_gradient(grad: Any, var: torch.Tensor) -> torch.Tensor:
    """A gradient as a tensor in the weight's storage layout, dtype and device."""
    grad = grad.detach() if isinstance(grad, torch.Tensor) else torch.as_tensor(np.asarray(grad))
    layout = getattr(var, "_layout", None)
    if layout is not None and grad.shape != var.shape:
        grad = layout.from_keras(grad)
    if grad.shape != var.shape:
        raise ValueError(f"Gradient of shape {tuple(grad.shape)} does not match variable '{_base_name(var)}' of "
                         f"shape {tuple(getattr(var, 'keras_shape', var.shape))}.")
    return grad.to(device=var.device, dtype=var.dtype)


def _apply_constraints(params: List[torch.Tensor]) -> None:
    """Projects each weight with its `.constraint`, which sees the value in tf.keras layout."""
    for var in params:
        constraint = getattr(var, "constraint", None)
        if constraint is None:
            continue
        layout = getattr(var, "_layout", None)
        if layout is None:
            var.copy_(constraint(var))
        else:
            var.copy_(layout.from_keras(constraint(layout.to_keras(var))))
