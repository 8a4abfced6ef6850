"""Core layers: Dense, Activation, Dropout, ActivityRegularization, Masking, Lambda, Identity."""
import base64
import binascii
import inspect
import marshal
import numbers
import sys
import types
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from torchkeras_api import activations, constraints, initializers, regularizers
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.engine.keras_tensor import TensorShape, as_shapes
from torchkeras_api.layers.seed_generator import SeedGenerator
from torchkeras_api.saving.safe_mode import in_safe_mode
from torchkeras_api.saving.serialization import deserialize_keras_object
from torchkeras_api.utils import nest


class Dense(Layer):
    """`activation(inputs @ kernel + bias)`; kernel of shape (input_dim, units) as in tf.keras."""

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.units = int(units) if not isinstance(units, int) else units
        if self.units < 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. "
                             f"Received: units={units}")
        set_kernel_bias_arguments(self, activation, use_bias, kernel_initializer, bias_initializer,
                                  kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        if not (self._compute_dtype.is_floating_point or self._compute_dtype.is_complex):
            raise TypeError("A Dense layer can only be built with a floating-point dtype. "
                            f"Received: dtype={self.dtype}")
        last_dim = input_shape[-1]
        if last_dim is None:
            raise ValueError("The last dimension of the inputs to a Dense layer should be defined. Found None. "
                             f"Full input shape received: {tuple(input_shape)}")
        self.input_spec = InputSpec(min_ndim=2, axes={-1: last_dim})
        self.kernel = self.add_weight("kernel", shape=(last_dim, self.units), initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight("bias", shape=(self.units,), initializer=self.bias_initializer,
                                    regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self.built = True

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype != self.kernel.dtype:
            inputs = inputs.to(self.kernel.dtype)
        outputs = F.linear(inputs, self.kernel.t(), self.bias)
        return self.activation(outputs) if self.activation is not None else outputs

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["units"] = self.units
        config.update(kernel_bias_config(self))
        return config


def set_kernel_bias_arguments(layer: Layer, activation: Any, use_bias: bool, kernel_initializer: Any,
                              bias_initializer: Any, kernel_regularizer: Any, bias_regularizer: Any,
                              kernel_constraint: Any, bias_constraint: Any) -> None:
    """Sets the activation, `use_bias` and the kernel/bias initializers, regularizers and constraints (resolved
    from names or configs) of a layer with a kernel and a bias."""
    layer.activation = activations.get(activation)
    layer.use_bias = use_bias
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)
    layer.kernel_constraint = constraints.get(kernel_constraint)
    layer.bias_constraint = constraints.get(bias_constraint)


def kernel_bias_config(layer: Layer) -> Dict[str, Any]:
    """The config entries, in tf.keras's order, of a layer with an activation, a kernel and a bias."""
    return {
        "activation": activations.serialize(layer.activation),
        "use_bias": layer.use_bias,
        "kernel_initializer": initializers.serialize(layer.kernel_initializer),
        "bias_initializer": initializers.serialize(layer.bias_initializer),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
        "activity_regularizer": regularizers.serialize(layer.activity_regularizer),
        "kernel_constraint": constraints.serialize(layer.kernel_constraint),
        "bias_constraint": constraints.serialize(layer.bias_constraint),
    }


class Activation(Layer):
    """Applies an activation function (a name, config or callable) to its input."""

    def __init__(self, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.activation(inputs)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs and scales the rest by 1 / (1 - rate), only when training.

    `noise_shape` (None entries take the input's size) sets the shape of the keep mask, broadcast over the
    input. With a `seed`, the layer draws its masks from its own generator, so they are reproducible.
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: Optional[int] = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not isinstance(rate, numbers.Real):
            raise TypeError(f"Invalid value {rate!r} received for `rate` of Dropout layer {self.name}, expected "
                            "a float between 0 and 1.")
        if not 0 <= rate <= 1:
            raise ValueError(f"Invalid value {rate} received for `rate`, expected a value between 0 and 1.")
        self.rate = rate
        self.noise_shape = noise_shape
        self.seed = seed
        self.supports_masking = True
        self._generator = SeedGenerator(seed)

    def call(self, inputs: torch.Tensor, training: Optional[bool] = None) -> torch.Tensor:
        if not training or self.rate == 0:
            return inputs
        if self.rate >= 1:
            raise ValueError("`rate` must be a scalar tensor or a float in the range [0, 1). "
                             f"Received: rate={self.rate}")
        shape = self._noise_shape(inputs.shape)
        if shape is None and self.seed is None:
            return F.dropout(inputs, self.rate, training=True)
        keep = torch.empty(inputs.shape if shape is None else shape, dtype=inputs.dtype, device=inputs.device)
        keep.bernoulli_(1 - self.rate, generator=self._generator(inputs.device))
        return inputs * keep.div_(1 - self.rate)

    def _noise_shape(self, shape: Sequence[int]) -> Optional[Sequence[int]]:
        """The keep mask's shape (broadcast over the inputs), or None for the inputs' own shape."""
        if self.noise_shape is None:
            return None
        return [shape[i] if dim is None else dim for i, dim in enumerate(self.noise_shape)]

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"rate": self.rate, "noise_shape": self.noise_shape, "seed": self.seed})
        return config


class ActivityRegularization(Layer):
    """Identity that adds an L1/L2 penalty on its output to `losses`."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any):
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config.update({"l1": self.l1, "l2": self.l2})
        return config


class Masking(Layer):
    """Masks timesteps whose features all equal `mask_value`: they are zeroed and masked out downstream."""

    def __init__(self, mask_value: float = 0.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mask_value = mask_value

    def _keep(self, inputs: torch.Tensor, keepdim: bool) -> torch.Tensor:
        return torch.any(inputs != self.mask_value, dim=-1, keepdim=keepdim)

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs * self._keep(inputs, keepdim=True).to(inputs.dtype)

    def compute_mask(self, inputs: torch.Tensor, mask: Any = None) -> torch.Tensor:
        return self._keep(inputs, keepdim=False)

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config


class Lambda(Layer):
    """Wraps `function(inputs, **arguments)` as a layer.

    The function also receives `mask` and `training` when its signature names them. `output_shape` (a shape
    without the batch axis, or a function of the input shape) is used where the output shape cannot be found
    by running the function. `mask` is a function `(inputs, mask) -> mask` or a fixed output mask.
    """

    def __init__(self, function: Callable, output_shape: Any = None, mask: Any = None,
                 arguments: Optional[Dict[str, Any]] = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"The `function` of a Lambda layer must be callable. Received: function={function!r}")
        self.arguments = arguments or {}
        self.function = function
        self.supports_masking = True
        self.mask = mask
        self._output_shape = output_shape
        params = _parameter_names(function)
        self._fn_expects_mask_arg = "mask" in params
        self._fn_expects_training_arg = "training" in params

    def call(self, inputs: Any, mask: Any = None, training: Optional[bool] = None) -> Any:
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        input_shape = as_shapes(input_shape)
        if callable(self._output_shape):
            return as_shapes(self._output_shape(input_shape))
        flat = nest.flatten(input_shape)
        batch_size = flat[0][0] if flat and flat[0] else None
        return nest.map_structure(lambda shape: TensorShape((batch_size,) + tuple(shape)),
                                  as_shapes(self._output_shape))

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        for key, module_key, type_key, value, allow_raw in (
                ("function", "module", "function_type", self.function, False),
                ("output_shape", "output_shape_module", "output_shape_type", self._output_shape, True),
                ("mask", "mask_module", "mask_type", self.mask, False)):
            if key == "mask" and value is None:
                continue
            config[key], config[type_key], config[module_key] = _serialize_callable(value, allow_raw)
        config["arguments"] = self.arguments
        return config

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> "Lambda":
        config = dict(config)
        config["function"] = _deserialize_callable(config, "function", "module", "function_type", custom_objects)
        config["output_shape"] = _deserialize_callable(config, "output_shape", "output_shape_module",
                                                       "output_shape_type", custom_objects)
        if "mask" in config:
            config["mask"] = _deserialize_callable(config, "mask", "mask_module", "mask_type", custom_objects)
        arguments = dict(config.get("arguments") or {})
        for key, value in arguments.items():
            if isinstance(value, dict) and value.get("type") == "ndarray":
                arguments[key] = np.array(value["value"])
        config["arguments"] = arguments
        return cls(**config)


def _parameter_names(function: Callable) -> Tuple[str, ...]:
    try:
        return tuple(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return ()


def _dump_lambda(function: types.FunctionType) -> Tuple[str, Any, Any]:
    """(base64 of the marshalled bytecode, defaults, closure values): how tf.keras stores a lambda."""
    code = base64.b64encode(marshal.dumps(function.__code__)).decode("ascii")
    closure = tuple(cell.cell_contents for cell in function.__closure__) if function.__closure__ else None
    return code, function.__defaults__, closure


def _load_lambda(stored: Any, module: Optional[str], custom_objects: Optional[Dict[str, Any]]) -> Callable:
    """A function from `_dump_lambda`'s stored form (runs code from the file: callers check safe mode)."""
    code, defaults, closure = stored if isinstance(stored, (list, tuple)) else (stored, None, None)
    try:
        compiled = marshal.loads(base64.b64decode(code.encode("ascii")))
    except (ValueError, TypeError, EOFError, binascii.Error) as e:
        raise ValueError("Could not load the Python code of a Lambda layer's `lambda` from the saved config (it "
                         "was written by another Python version, or is damaged). Recreate the Lambda layer with a "
                         "named function and pass that function in `custom_objects`.") from e
    scope: Dict[str, Any] = dict(vars(sys.modules[module])) if module in sys.modules else {}
    scope.update(custom_objects or {})
    scope.setdefault("__builtins__", __builtins__)
    cells = tuple(types.CellType(value) for value in closure) if closure else None
    return types.FunctionType(compiled, scope, compiled.co_name, tuple(defaults) if defaults else None, cells)


def _serialize_callable(value: Any, allow_raw: bool) -> Tuple[Any, str, Optional[str]]:
    """(value, type, module) as tf.keras's Lambda config stores them: a lambda as its bytecode, a named
    function by name."""
    if isinstance(value, types.LambdaType) and value.__name__ == "<lambda>":
        return _dump_lambda(value), "lambda", value.__module__
    if callable(value):
        name = getattr(value, "__name__", None)
        if name is None:
            raise ValueError(f"Invalid input for serialization in a Lambda layer: {value!r} is a callable "
                             "without a `__name__`; use a named function.")
        return name, "function", getattr(value, "__module__", None)
    if allow_raw:
        return value, "raw", None
    raise ValueError(f"Invalid input for serialization, type: {type(value)}")


def _deserialize_callable(config: Dict[str, Any], key: str, module_key: str, type_key: str,
                          custom_objects: Optional[Dict[str, Any]]) -> Any:
    """Pops `module_key` and `type_key` from config and returns the object `config[key]` stands for."""
    module = config.pop(module_key, None)
    kind = config.pop(type_key)
    if kind == "raw":
        return config[key]
    if kind == "function":
        module_objects = vars(sys.modules[module]) if module in sys.modules else None
        return deserialize_keras_object(config[key], module_objects=module_objects, custom_objects=custom_objects,
                                        printable_module_name="function in Lambda layer")
    if kind == "lambda":
        if in_safe_mode():
            raise ValueError(
                f"Requested the deserialization of a Lambda layer with a Python `lambda` inside it (`{key}`). This "
                "carries a potential risk of arbitrary code execution and thus it is disallowed by default. If you "
                "trust the source of the saved model, you can pass `safe_mode=False` to the loading function "
                "(`load_model(..., safe_mode=False)`) in order to allow Lambda layer loading. Otherwise build the "
                "Lambda layer on a named function, passed in `custom_objects` or registered with "
                "`register_keras_serializable`.")
        return _load_lambda(config[key], module, custom_objects)
    raise TypeError(f"Unsupported value for `{type_key}` argument. Received: {type_key}={kind}. "
                    "Expected one of ['function', 'lambda', 'raw']")


class Identity(Layer):
    """Returns its inputs unchanged (a placeholder layer)."""

    def call(self, inputs: Any) -> Any:
        return inputs
