"""Layer: a torch.nn.Module with tf.keras's layer API."""
import functools
import inspect
import numbers
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from torchkeras_api import backend_config
from torchkeras_api.engine import call_context, naming, shape_inference
from torchkeras_api.engine.device import default_device, log_weight_placement
from torchkeras_api.engine.input_spec import assert_input_compatibility
from torchkeras_api.engine.keras_tensor import (STRING, KerasTensor, TensorShape, as_shapes, has_keras_tensor,
                                                is_string_dtype)
from torchkeras_api.engine.node import Node
from torchkeras_api.engine.tracking import track_value, tracked_layers, untrack
from torchkeras_api.engine.variables import Layout, Variable
from torchkeras_api.mixed_precision import policy as dtype_policy
from torchkeras_api.mixed_precision.autocast import call_with_policy
from torchkeras_api.utils import nest

_ALLOWED_KWARGS = {"input_dim", "input_shape", "batch_input_shape", "batch_size", "weights",
                   "activity_regularizer", "autocast", "implementation", "dynamic"}


def to_torch_dtype(dtype: Any) -> torch.dtype:
    """torch dtype for 'float32', np.float32, torch.float32, ..."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype is None:
        dtype = backend_config.floatx()
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    if name is None:
        name = np.dtype(dtype).name
    result = getattr(torch, str(name), None)
    if not isinstance(result, torch.dtype):
        raise ValueError(f"Unknown dtype: {dtype!r}")
    return result


_CALL_SPECS: Dict[Callable, Dict[str, Any]] = {}


def _call_spec(call_fn: Callable) -> Dict[str, Any]:
    """Which of `training`/`mask`/`**kwargs` a `call` method accepts (cached per function)."""
    spec = _CALL_SPECS.get(call_fn)
    if spec is None:
        spec = _CALL_SPECS[call_fn] = _inspect_call(call_fn)
    return spec


def _inspect_call(call_fn: Callable) -> Dict[str, Any]:
    params = inspect.signature(call_fn).parameters
    var_kw = any(p.kind == p.VAR_KEYWORD for p in params.values())
    return {"training": "training" in params, "mask": "mask" in params, "var_kw": var_kw,
            "training_default": params["training"].default if "training" in params else None}


class Layer(torch.nn.Module):
    """Base class of all layers: weights, lazy build, symbolic and eager calls, config, masks."""

    _keras_module = "keras.layers"
    _policy_cast: Optional[torch.dtype] = None

    def __init__(self, trainable: bool = True, name: Optional[str] = None, dtype: Any = None,
                 dynamic: bool = False, **kwargs: Any):
        super().__init__()
        for kwarg in kwargs:
            if kwarg not in _ALLOWED_KWARGS:
                raise TypeError(f"Keyword argument not understood: {kwarg!r} (layer {type(self).__name__})")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"`name` of a layer must be a string, got {name!r}")
        self._name = name or self._default_name()
        self._trainable = trainable
        policy = dtype_policy.get(dtype)
        if policy is None and is_string_dtype(dtype):
            self._dtype_name, self._compute_dtype = STRING, STRING
        elif policy is not None and policy.is_mixed:
            self._dtype_name, self._compute_dtype = policy.variable_dtype, to_torch_dtype(policy.compute_dtype)
            self._dtype_policy = policy
        else:
            dtype = policy.name if policy is not None else dtype
            self._dtype_name = str(getattr(dtype, "name", None) or str(dtype).replace("torch.", ""))
            self._compute_dtype = to_torch_dtype(self._dtype_name)
        if (policy is not None and policy.is_mixed or dtype_policy.global_policy_is_mixed()) and \
                isinstance(self._compute_dtype, torch.dtype) and self._compute_dtype.is_floating_point:
            self._policy_cast = self._compute_dtype
        self._autocast = kwargs.get("autocast", True)
        self.built = False
        self.supports_masking = False
        self.input_spec: Any = None
        self._inbound_nodes: List[Node] = []
        self._outbound_nodes: List[Node] = []
        self._own_variables: List[Variable] = []
        self._losses: List[torch.Tensor] = []
        self._loss_call_id = -1
        self._outer_call_id = 0
        self._callable_losses: List[Callable[[], torch.Tensor]] = []
        self._activity_regularizer = None
        if kwargs.get("activity_regularizer") is not None:
            self.activity_regularizer = kwargs["activity_regularizer"]
        self._initial_weights = kwargs.get("weights")
        batch_input_shape = kwargs.get("batch_input_shape")
        if batch_input_shape is None and ("input_shape" in kwargs or "input_dim" in kwargs):
            input_shape = kwargs.get("input_shape") or (kwargs["input_dim"],)
            batch_input_shape = (kwargs.get("batch_size"),) + tuple(input_shape)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
            self._batch_input_dtype = dtype

    def _default_name(self) -> str:
        return naming.unique_object_name(naming.to_snake_case(type(self).__name__))

    # ---- identity and settings -------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> str:
        return self._dtype_name

    @property
    def compute_dtype(self) -> str:
        return str(self._compute_dtype).replace("torch.", "")

    @property
    def variable_dtype(self) -> str:
        return self._dtype_name

    @property
    def dtype_policy(self) -> Any:
        """The layer's `mixed_precision.Policy`."""
        return self.__dict__.get("_dtype_policy") or dtype_policy.Policy(self._dtype_name)

    @property
    def dynamic(self) -> bool:
        return False

    @property
    def stateful(self) -> bool:
        return False

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self._flatten_layers():
            layer._trainable = bool(value)
            for var in layer._own_variables:
                var.requires_grad_(var._keras_trainable and bool(value) and var.is_floating_point())

    @property
    def activity_regularizer(self) -> Any:
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, regularizer: Any) -> None:
        from torchkeras_api import regularizers
        self._activity_regularizer = regularizers.get(regularizer)

    # ---- attribute tracking ----------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_") or "_modules" not in self.__dict__:
            if name in self.__dict__ and not isinstance(value, (torch.Tensor, torch.nn.Module)):
                object.__setattr__(self, name, value)
            else:
                super().__setattr__(name, value)
            return
        untrack(self, name)
        if isinstance(value, Variable):
            for key, param in list(self._parameters.items()):
                if param is value and key != name:
                    del self._parameters[key]
        value, container = track_value(value)
        super().__setattr__(name, value)
        if container is not None:
            self._modules[name] = container

    def __getattr__(self, name: str) -> Any:
        params = self.__dict__.get("_parameters")
        if params is not None and name in params:
            return params[name]
        try:
            return super().__getattr__(name)
        except AttributeError:
            prop = getattr(type(self), name, None)
            if isinstance(prop, property):
                return prop.fget(self)
            raise

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> List["Layer"]:
        """This layer (optionally) and the Keras layers it holds, depth first, each once."""
        seen = set()
        out: List[Layer] = []

        def visit(layer: "Layer", add: bool) -> None:
            if id(layer) in seen:
                return
            seen.add(id(layer))
            if add:
                out.append(layer)
            if recursive or layer is self:
                for sub in layer._tracked_layers():
                    visit(sub, True)

        visit(self, include_self)
        return out

    def _tracked_layers(self) -> List["Layer"]:
        """Direct sub-layers in the order they were assigned."""
        return tracked_layers(self)

    # ---- weights ---------------------------------------------------------------------------
    def add_weight(self, name: Optional[str] = None, shape: Optional[Sequence[int]] = None, dtype: Any = None,
                   initializer: Any = None, regularizer: Any = None, trainable: Optional[bool] = None,
                   constraint: Any = None, layout: Optional[Layout] = None, **kwargs: Any) -> Variable:
        """Creates a weight (an nn.Parameter) registered on this layer, named `<scope>/<layer>/<name>:0`."""
        from torchkeras_api import constraints, initializers, regularizers
        shape = tuple(int(d) for d in (shape or ()))
        torch_dtype = to_torch_dtype(dtype if dtype is not None else self._dtype_name)
        if initializer is None:
            initializer = "glorot_uniform" if torch_dtype.is_floating_point else "zeros"
        init = initializers.get(initializer)
        trainable = True if trainable is None else bool(trainable)
        with call_context.building():
            value = init(shape, dtype=torch_dtype)
            value = torch.as_tensor(value, dtype=torch_dtype).to(default_device())
            if layout is not None:
                value = layout.from_keras(value).contiguous()
        name = name or "Variable"
        var = Variable(value, trainable=trainable, name=self._weight_name(name), layout=layout)
        var.requires_grad_(trainable and self._trainable and torch_dtype.is_floating_point)
        var.constraint = constraints.get(constraint)
        var.regularizer = regularizers.get(regularizer)
        self.register_parameter(self._free_param_key(name), var)
        self._own_variables.append(var)
        log_weight_placement(var.name, var.device)
        if var.regularizer is not None:
            self._callable_losses.append(functools.partial(_weight_penalty, var))
        return var

    def _weight_name(self, name: str) -> str:
        scopes = call_context.state.scopes
        prefix = scopes if scopes and scopes[-1] == self.name else scopes + [self.name]
        return "/".join(prefix + [name]) + ":0"

    def _free_param_key(self, name: str) -> str:
        base = name.replace(".", "_").replace("/", "_") or "weight"
        key, index = base, 1
        while key in self._parameters or key in self._modules or key in self.__dict__ or hasattr(type(self), key):
            key, index = f"{base}_{index}", index + 1
        return key

    def _own_trainable(self) -> List[Variable]:
        return [v for v in self._own_variables if v._keras_trainable]

    def _own_non_trainable(self) -> List[Variable]:
        return [v for v in self._own_variables if not v._keras_trainable]

    @property
    def trainable_weights(self) -> List[Variable]:
        if not self.trainable:
            return []
        weights = self._own_trainable()
        for layer in self._tracked_layers():
            weights += layer.trainable_weights
        return _dedup(weights)

    @property
    def non_trainable_weights(self) -> List[Variable]:
        if self.trainable:
            weights = self._own_non_trainable()
            for layer in self._tracked_layers():
                weights += layer.non_trainable_weights
        else:
            weights = self._own_trainable() + self._own_non_trainable()
            for layer in self._tracked_layers():
                weights += layer.weights
        return _dedup(weights)

    @property
    def weights(self) -> List[Variable]:
        return _dedup(self.trainable_weights + self.non_trainable_weights)

    @property
    def variables(self) -> List[Variable]:
        return self.weights

    @property
    def trainable_variables(self) -> List[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> List[Variable]:
        return self.non_trainable_weights

    def get_weights(self) -> List[np.ndarray]:
        """Weight values as numpy arrays, in tf.keras's order and layout."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets weights from numpy arrays in tf.keras's order and layout; nothing changes on a mismatch."""
        params = self.weights
        weights = list(weights)
        if len(params) != len(weights):
            raise ValueError(
                f'You called `set_weights(weights)` on layer "{self.name}" with a weight list of length '
                f"{len(weights)}, but the layer was expecting {len(params)} weights. "
                f"Provided weights: {str(weights)[:50]}...")
        values = []
        for param, value in zip(params, weights):
            value = np.asarray(value)
            if tuple(value.shape) != param.keras_shape:
                raise ValueError(f"Layer {self.name} weight shape {param.keras_shape} is not compatible with "
                                 f"provided weight shape {tuple(value.shape)}.")
            values.append(value)
        for param, value in zip(params, values):
            param.assign(value)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer {self.name}, but the layer isn't "
                             f"built. You can build it manually via: `{self.name}.build(batch_input_shape)`.")
        return int(sum(int(np.prod(w.keras_shape)) for w in self.weights))

    # ---- build -----------------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Creates the weights; subclasses override. `input_shape` has None for unknown dims."""
        self.built = True

    def _maybe_build(self, input_shapes: Any) -> None:
        if self.built:
            return
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, nest.map_structure(_ShapeOnly, input_shapes), self.name)
        state = call_context.state
        with call_context.building():
            state.scopes.append(self.name)
            try:
                self.build(input_shapes)
            finally:
                state.scopes.pop()
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    # ---- calling ---------------------------------------------------------------------------
    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return inputs

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            if "inputs" not in kwargs:
                raise ValueError(f"Layer {self.name} was called without inputs.")
            args = (kwargs.pop("inputs"),)
        if has_keras_tensor(args, kwargs):
            return self._symbolic_call(args, kwargs)
        args = (self._convert_inputs(args[0]),) + args[1:]
        return self._eager_call(args, kwargs)

    def _device(self) -> torch.device:
        """Where this layer's weights live (the default device before any exist)."""
        for param in self.parameters():
            return param.device
        return default_device()

    def _convert_inputs(self, inputs: Any) -> Any:
        """numpy/Python numbers to tensors; floats cast to the compute dtype; all on the weights' device.
        Strings (str, lists and numpy arrays of them) pass through unchanged."""
        dtype = self._compute_dtype if self._autocast and isinstance(self._compute_dtype, torch.dtype) else None
        if dtype is not None and not dtype.is_floating_point:
            dtype = None
        device = self._device()

        def convert(x: Any) -> Any:
            if isinstance(x, torch.Tensor):
                if x.device != device:
                    x = x.to(device, non_blocking=True)
                if dtype is not None and x.is_floating_point() and x.dtype != dtype:
                    return x.to(dtype)
                return x
            if isinstance(x, (np.ndarray, np.generic, numbers.Number)) and not isinstance(x, bool):
                arr = np.asarray(x)
                if arr.dtype.kind == "f" and dtype is not None:
                    return torch.as_tensor(arr, dtype=dtype, device=device)
                if arr.dtype.kind in "biuf":
                    return torch.as_tensor(arr, device=device)
            return x

        if isinstance(inputs, (torch.Tensor, np.ndarray)):
            return convert(inputs)
        return nest.map_structure(convert, inputs)

    def _eager_call(self, args: tuple, kwargs: dict, check_inputs: bool = True) -> Any:
        """Runs `call` on real tensors: build, training flag, masks, name scope, losses.
        `check_inputs=False` skips the input_spec check (for graphs whose shapes were checked symbolically)."""
        inputs = args[0]
        state = call_context.state
        if not self.built:
            self._maybe_build(nest.map_structure(_shape_of, inputs))
        elif check_inputs and self.input_spec is not None:
            assert_input_compatibility(self.input_spec, inputs, self.name)
        spec = _call_spec(type(self).call)
        mask_aware = self.supports_masking or spec["mask"] or _overrides(self, "compute_mask")
        input_mask = kwargs.get("mask")
        if input_mask is None and mask_aware:
            input_mask = _collect_masks(inputs)
            if input_mask is not None and spec["mask"]:
                kwargs["mask"] = input_mask
        if "mask" in kwargs and not spec["mask"] and not spec["var_kw"]:
            kwargs.pop("mask")
        training = kwargs.get("training")
        if spec["training"]:
            if training is None:
                training = state.training
                if training is not None:
                    kwargs["training"] = training
        elif "training" in kwargs and not spec["var_kw"]:
            kwargs.pop("training")
        saved_training = state.training
        if training is not None:
            state.training = bool(training)
        if state.depth == 0 and not state.inferring:
            state.call_id += 1
            self._outer_call_id = state.call_id
        state.depth += 1
        state.scopes.append(self.name)
        try:
            outputs = self.call(*args, **kwargs) if self._policy_cast is None else \
                call_with_policy(self, args, kwargs)
        except Exception as e:
            raise _with_layer_context(e, self) from None
        finally:
            state.scopes.pop()
            state.depth -= 1
            state.training = saved_training
        if self._activity_regularizer is not None and not state.inferring:
            for out in nest.flatten(outputs):
                self._record_loss(self._activity_regularizer(out) / out.shape[0])
        if mask_aware:
            out_mask = self.compute_mask(inputs, input_mask)
            if out_mask is not None:
                _attach_masks(outputs, out_mask)
            elif state.inferring:
                _drop_masks(outputs)
        return outputs

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        inputs = args[0]
        if not self.built:
            self._maybe_build(nest.map_structure(_shape_of, inputs))
        assert_input_compatibility(self.input_spec, inputs, self.name)
        try:
            if _overrides(self, "compute_output_signature"):
                outputs = self.compute_output_signature(inputs)
            else:
                outputs = shape_inference.infer_outputs(self._eager_call, args, kwargs)
        except Exception as e:
            if not _overrides(self, "compute_output_shape"):
                raise _with_layer_context(e, self) from None
            try:
                outputs = self._outputs_from_compute_output_shape(inputs)
            except Exception as fallback_error:
                raise _with_layer_context(fallback_error, self) from None
        mask_aware = self.supports_masking or _overrides(self, "compute_mask") or _call_spec(type(self).call)["mask"]
        for i, kt in enumerate(nest.flatten(outputs)):
            kt.name = self.name if i == 0 else f"{self.name}/{i}"
            if not mask_aware:
                kt._keras_mask = None
        Node(self, args, kwargs, outputs)
        return outputs

    def _outputs_from_compute_output_shape(self, inputs: Any) -> Any:
        """Output KerasTensors from `compute_output_shape`, with the inputs' dtype and the computed mask."""
        shapes = as_shapes(self.compute_output_shape(nest.map_structure(_shape_of, inputs)))
        dtype = next((t.dtype for t in nest.flatten(inputs) if isinstance(t, KerasTensor)), self._compute_dtype)
        outputs = nest.map_structure(lambda shape: KerasTensor(shape, dtype), shapes)
        masks = nest.map_structure(lambda t: getattr(t, "_keras_mask", None), inputs)
        if any(m is not None for m in nest.flatten(masks)):
            try:
                out_mask = shape_inference.infer_outputs(lambda a, k: self.compute_mask(*a), (inputs, masks), {})
            except Exception:  # noqa: BLE001 - a mask that cannot be inferred is left unknown
                out_mask = None
            if out_mask is not None:
                for out, mask in zip(nest.flatten(outputs), nest.flatten(out_mask) * len(nest.flatten(outputs))):
                    out._keras_mask = mask
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for `input_shape`, found by running `call` on placeholders."""
        input_shape = as_shapes(input_shape)
        if not self.built:
            self._maybe_build(input_shape)
        inputs = nest.map_structure(lambda shape: KerasTensor(shape, self._compute_dtype), input_shape)
        outputs = shape_inference.infer_outputs(self._eager_call, (inputs,), {})
        return nest.map_structure(lambda kt: kt.shape, outputs)

    def compute_output_signature(self, input_signature: Any) -> Any:
        """Output KerasTensor(s) (shape and dtype) for input KerasTensor(s). By default found by running `call` on
        placeholders; layers whose `call` cannot run on placeholders (string inputs) override it."""
        return shape_inference.infer_outputs(self._eager_call, (input_signature,), {})

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Output mask; by default the input mask passes through layers that support masking."""
        if not self.supports_masking:
            return None
        return mask

    # ---- losses ----------------------------------------------------------------------------
    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Adds losses to `self.losses`: tensors computed in `call` (replaced at each call), zero-argument
        callables, KerasTensors of a functional model, or constants (kept until removed)."""
        for loss in nest.flatten(losses):
            if loss is None:
                continue
            if callable(loss) and not isinstance(loss, (torch.Tensor, KerasTensor)):
                self._callable_losses.append(loss)
            elif isinstance(loss, KerasTensor):
                self._add_symbolic_loss(loss)
            elif call_context.state.depth > 0:
                self._record_loss(loss if isinstance(loss, torch.Tensor) else torch.as_tensor(loss))
            else:
                value = torch.as_tensor(loss, dtype=torch.float32)
                self._callable_losses.append(lambda: value)

    def _record_loss(self, loss: torch.Tensor) -> None:
        """Adds a loss of the call in progress, dropping those of this layer's earlier calls."""
        call_id = call_context.state.call_id
        if self._loss_call_id != call_id:
            self._losses = []
            self._loss_call_id = call_id
        self._losses.append(loss)

    def _add_symbolic_loss(self, loss: KerasTensor) -> None:
        raise ValueError(f"Layer {self.name} cannot add a symbolic loss computed from Keras inputs; "
                         "add it to a functional `Model` built on those inputs.")

    @property
    def losses(self) -> List[torch.Tensor]:
        """Losses from the last call (add_loss, activity regularizers) and weight regularization."""
        return self._collect_losses(self._flatten_layers())

    def _collect_losses(self, layers: List["Layer"]) -> List[torch.Tensor]:
        out: List[torch.Tensor] = []
        for layer in layers:
            if layer._losses and layer._loss_call_id >= self._outer_call_id:
                out += layer._losses
            if layer._callable_losses:
                out += [fn() for fn in layer._callable_losses]
        return out

    # ---- graph connectivity ----------------------------------------------------------------
    def _node_attribute(self, attr: str, what: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no {what} to return.")
        values = [getattr(node, attr) for node in self._inbound_nodes]
        if any(v is not values[0] for v in values[1:]) and what in ("input", "output"):
            raise AttributeError(f"Layer {self.name} has multiple inbound nodes, hence the notion of "
                                 f'"layer {what}" is ill-defined. Use `get_{what}_at(node_index)` instead.')
        return values[0]

    @property
    def input(self) -> Any:
        return self._node_attribute("input_tensors", "input")

    @property
    def output(self) -> Any:
        return self._node_attribute("outputs", "output")

    def _shapes_of(self, attr: str, what: str) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f'The layer "{self.name}" has never been called and thus has no defined '
                                 f"{what} shape.")
        shapes = [nest.map_structure(lambda t: tuple(t.shape), getattr(n, attr)) for n in self._inbound_nodes]
        if any(s != shapes[0] for s in shapes[1:]):
            raise AttributeError(f'The layer "{self.name}" has multiple inbound nodes, with different {what} '
                                 f'shapes. Hence the notion of "{what} shape" is ill-defined for the layer. '
                                 f"Use `get_{what}_shape_at(node_index)` instead.")
        return shapes[0]

    @property
    def input_shape(self) -> Any:
        return self._shapes_of("input_tensors", "input")

    @property
    def output_shape(self) -> Any:
        return self._shapes_of("outputs", "output")

    def _node_at(self, node_index: int) -> Node:
        if node_index >= len(self._inbound_nodes):
            raise ValueError(f"Asked to get an inbound node at node_index={node_index}, but the layer has only "
                             f"{len(self._inbound_nodes)} inbound nodes.")
        return self._inbound_nodes[node_index]

    def get_input_at(self, node_index: int) -> Any:
        return self._node_at(node_index).input_tensors

    def get_output_at(self, node_index: int) -> Any:
        return self._node_at(node_index).outputs

    def get_input_shape_at(self, node_index: int) -> Any:
        return nest.map_structure(lambda t: tuple(t.shape), self.get_input_at(node_index))

    def get_output_shape_at(self, node_index: int) -> Any:
        return nest.map_structure(lambda t: tuple(t.shape), self.get_output_at(node_index))

    @property
    def input_mask(self) -> Any:
        return nest.map_structure(lambda t: t._keras_mask, self.input)

    @property
    def output_mask(self) -> Any:
        return nest.map_structure(lambda t: t._keras_mask, self.output)

    # ---- config ----------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        """tf.keras's base config: name, trainable, dtype (and batch_input_shape when set)."""
        policy = self.__dict__.get("_dtype_policy")
        config: Dict[str, Any] = {"name": self.name, "trainable": self.trainable,
                                  "dtype": self.dtype if policy is None else dtype_policy.serialize(policy)}
        if hasattr(self, "_batch_input_shape"):
            config["batch_input_shape"] = self._batch_input_shape
        if type(self).get_config is Layer.get_config:
            extra = [p for p in inspect.signature(type(self).__init__).parameters
                     if p not in ("self", "args", "kwargs", "trainable", "name", "dtype", "dynamic")]
            if extra:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} has arguments {extra} in `__init__` and therefore must "
                    "override `get_config()`.")
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Layer":
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"


class _ShapeOnly:
    """Stands for a tensor of a given shape in input checks."""

    def __init__(self, shape: Any):
        self.shape = tuple(shape.shape) if hasattr(shape, "shape") else tuple(shape)


def _shape_of(x: Any) -> Any:
    if hasattr(x, "shape"):
        shape = tuple(x.shape)
        if call_context.state.inferring and not isinstance(x, KerasTensor) and shape:
            shape = (None,) + shape[1:]
        return TensorShape(shape)
    return x


def _overrides(layer: Layer, method: str) -> bool:
    return getattr(type(layer), method) is not getattr(Layer, method)


def _collect_masks(inputs: Any) -> Any:
    if isinstance(inputs, torch.Tensor):
        return getattr(inputs, "_keras_mask", None)
    masks = nest.map_structure(lambda t: getattr(t, "_keras_mask", None), inputs)
    return None if all(m is None for m in nest.flatten(masks)) else masks


def _attach_masks(outputs: Any, masks: Any) -> None:
    if isinstance(outputs, torch.Tensor):
        outputs._keras_mask = masks if not isinstance(masks, (list, tuple)) else masks[0]
        return
    flat_outputs = nest.flatten(outputs)
    flat_masks = nest.flatten(masks) if isinstance(masks, (list, tuple, dict)) else [masks] * len(flat_outputs)
    for out, mask in zip(flat_outputs, flat_masks):
        if isinstance(out, torch.Tensor) and mask is not None:
            out._keras_mask = mask


def _drop_masks(outputs: Any) -> None:
    """Removes masks that outputs carry over from inputs returned unchanged."""
    for out in nest.flatten(outputs):
        if isinstance(out, torch.Tensor) and hasattr(out, "_keras_mask"):
            del out._keras_mask


def _weight_penalty(var: Variable) -> torch.Tensor:
    return var.regularizer(var._layout.to_keras(var) if var._layout is not None else var)


def _dedup(weights: List[Variable]) -> List[Variable]:
    seen = set()
    out = []
    for w in weights:
        if id(w) not in seen:
            seen.add(id(w))
            out.append(w)
    return out


def _with_layer_context(error: Exception, layer: Layer) -> Exception:
    """The same error type, its message prefixed with the layer, as tf.keras reports call errors."""
    message = str(error)
    marker = "Exception encountered when calling layer"
    if marker in message:
        return error
    text = f'{marker} "{layer.name}" (type {type(layer).__name__}).\n\n{message}'
    try:
        new = type(error)(text)
    except Exception:  # noqa: BLE001 - error types whose constructor takes other arguments
        return error
    new.__traceback__ = error.__traceback__
    return new
