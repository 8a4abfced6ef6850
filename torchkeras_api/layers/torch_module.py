"""TorchModuleWrapper: any torch.nn.Module as a Keras layer."""
from typing import Any, Dict, List, Optional, Tuple

import torch

from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.device import default_device
from torchkeras_api.engine.variables import Variable
from torchkeras_api.utils import nest

_Slot = Tuple[torch.nn.Module, str, str]
"""Where a tensor of the wrapped module lives: (owning sub-module, '_parameters' or '_buffers', key)."""


def _has_lazy_state(module: torch.nn.Module) -> bool:
    return any(torch.nn.parameter.is_lazy(t) for t in list(module.parameters()) + list(module.buffers()))


def _module_dtype(module: torch.nn.Module) -> Optional[torch.dtype]:
    """The dtype of the module's first floating-point parameter or buffer, if any."""
    for tensor in list(module.parameters()) + list(module.buffers()):
        if tensor.is_floating_point() and not torch.nn.parameter.is_lazy(tensor):
            return tensor.dtype
    return None


class TorchModuleWrapper(Layer):
    """Wraps a `torch.nn.Module` as a layer (Keras 3's name).

    The module's parameters become the layer's weights (trainable unless `requires_grad=False`) and its
    persistent buffers, such as batch-norm running statistics, its non-trainable weights, all in the
    module's own layout and order. `training` switches the module between `train()` and `eval()` (no
    `training`, as in `predict` or a plain call, means `eval()`). The module is moved to the default
    device. Lazy modules (`nn.LazyLinear`, ...) are materialized on the first call or symbolic call,
    which needs every non-batch input dimension known. The layer's dtype defaults to the module's.

    The module itself is not serializable: `get_config` raises `NotImplementedError`; save weights
    (`save_weights`, `state_dict`) and rebuild the model in code, or subclass the wrapper with a
    `get_config`/`from_config` that rebuild the module.
    """

    def __init__(self, module: torch.nn.Module, name: Optional[str] = None, **kwargs: Any):
        if not isinstance(module, torch.nn.Module):
            raise TypeError(f"TorchModuleWrapper expects a `torch.nn.Module` instance. Received: module={module!r} "
                            f"of type {type(module).__name__}")
        if isinstance(module, Layer):
            raise TypeError(f"TorchModuleWrapper wraps plain torch modules; {module.name!r} is already a Keras "
                            "layer, use it directly.")
        if kwargs.get("dtype") is None and _module_dtype(module) is not None:
            kwargs["dtype"] = str(_module_dtype(module)).replace("torch.", "")
        super().__init__(name=name, **kwargs)
        self.module = module.to(default_device())
        self._slots: List[_Slot] = []
        if not _has_lazy_state(self.module):
            self._track_module_state()
            self.built = True
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None

    def build(self, input_shape: Any) -> None:
        if _has_lazy_state(self.module):
            self._materialize(input_shape)
        self._track_module_state()
        self.built = True

    def _materialize(self, input_shape: Any) -> None:
        """Runs the module once on zeros of `input_shape` so its lazy parameters get their shapes."""
        shapes = nest.flatten(input_shape)
        if any(dim is None for shape in shapes for dim in tuple(shape)[1:]):
            raise ValueError(f"Layer {self.name} wraps a module with lazy parameters, which needs every input "
                             f"dimension but the batch size to be known to create them. Received: "
                             f"input_shape={input_shape}. Give the input a full shape, or call the module once "
                             "on a real batch before wrapping it.")
        device = next((t.device for t in self.module.parameters()), default_device())
        dtype = self._compute_dtype

        def zeros(shape: Any) -> torch.Tensor:
            return torch.zeros((2,) + tuple(shape)[1:], dtype=dtype, device=device)

        was_training = self.module.training
        self.module.eval()
        try:
            with torch.no_grad():
                self.module(nest.map_structure(zeros, input_shape))
        finally:
            self.module.train(was_training)

    def _track_module_state(self) -> None:
        """Puts Variables in place of the module's parameters and persistent buffers, and lists them."""
        self._own_variables.clear()
        self._slots.clear()
        made: Dict[int, Variable] = {}
        for path, owner in self.module.named_modules(remove_duplicate=False):
            for kind in ("_parameters", "_buffers"):
                for key, tensor in list(getattr(owner, kind).items()):
                    if tensor is None or (kind == "_buffers" and key in owner._non_persistent_buffers_set):
                        continue
                    if id(tensor) not in made:
                        made[id(tensor)] = self._as_variable(tensor, f"{path}.{key}" if path else key,
                                                             trainable=kind == "_parameters" and tensor.requires_grad)
                        self._own_variables.append(made[id(tensor)])
                        self._slots.append((owner, kind, key))
                    self._put(owner, kind, key, made[id(tensor)])

    def _as_variable(self, tensor: torch.Tensor, path: str, trainable: bool) -> Variable:
        if isinstance(tensor, Variable) and tensor.name is not None:
            return tensor
        var = Variable(tensor.detach(), trainable=trainable, name=self._weight_name(path.replace(".", "/")))
        var.requires_grad_(trainable and self.trainable and tensor.is_floating_point())
        return var

    @staticmethod
    def _put(owner: torch.nn.Module, kind: str, key: str, var: Variable) -> None:
        if getattr(owner, kind)[key] is var:
            return
        if kind == "_parameters":
            setattr(owner, key, var)  # modules such as nn.LSTM keep their own references up to date here
        else:
            owner._buffers[key] = var

    def _refresh_variables(self) -> None:
        """Re-wraps module tensors that were replaced since they were tracked (e.g. by `.to()` on buffers)."""
        for index, (owner, kind, key) in enumerate(self._slots):
            current = getattr(owner, kind).get(key)
            var = self._own_variables[index]
            if current is not None and current is not var:
                new = Variable(current.detach(), trainable=var.trainable, name=var.name)
                new.requires_grad_(var.requires_grad)
                self._put(owner, kind, key, new)
                self._own_variables[index] = new

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> "TorchModuleWrapper":
        result = super()._apply(fn, *args, **kwargs)
        self._refresh_variables()
        return result

    def _own_trainable(self) -> List[Variable]:
        self._refresh_variables()
        return super()._own_trainable()

    def _own_non_trainable(self) -> List[Variable]:
        self._refresh_variables()
        return super()._own_non_trainable()

    def call(self, inputs: Any, *args: Any, training: Optional[bool] = None, **kwargs: Any) -> Any:
        mode = bool(training)
        if self.module.training != mode:
            self.module.train(mode)
        return self.module(inputs, *args, **kwargs)

    def get_config(self) -> Dict[str, Any]:
        raise NotImplementedError(
            f"TorchModuleWrapper {self.name!r} cannot put its torch module ({type(self.module).__name__}) in a "
            "config, so the model cannot be saved whole or cloned from its config. Save its weights with "
            "`model.save_weights(...)` (or `model.state_dict()`) and rebuild the model in code, or subclass "
            "TorchModuleWrapper with a `get_config` and `from_config` that rebuild the module and register it "
            "with `keras.saving.register_keras_serializable()`.")
