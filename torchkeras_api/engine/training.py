"""Model: a Layer with sub-layers, build for subclasses, summary and layer lookup."""
from typing import Any, List, Optional

from torchkeras_api.engine import shape_inference
from torchkeras_api.engine.base_layer import Layer, _dedup
from torchkeras_api.engine.keras_tensor import KerasTensor, as_shapes
from torchkeras_api.engine.trainer import Trainer
from torchkeras_api.engine.variables import Variable
from torchkeras_api.utils import nest


def is_functional_init(args: tuple, kwargs: dict) -> bool:
    return len(args) == 2 or len(args) == 1 and "outputs" in kwargs or any(
        k in kwargs for k in ("inputs", "outputs", "input", "output"))


class Model(Trainer, Layer):
    """tf.keras.Model: functional (`Model(inputs, outputs)`) or subclassed (override `call`)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> "Model":
        if cls is Model and is_functional_init(args, kwargs):
            from torchkeras_api.engine.functional import Functional
            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any):
        if is_functional_init(args, kwargs):
            from torchkeras_api.engine.functional import Functional, inject_functional
            inject_functional(self)
            Functional.__init__(self, *args, **kwargs)
            return
        allowed = {"name", "trainable", "dtype", "dynamic", "autocast"}
        for kwarg in kwargs:
            if kwarg not in allowed:
                raise TypeError(f"Keyword argument not understood: {kwarg!r} (Model {type(self).__name__})")
        super().__init__(**kwargs)
        self._build_input_shape = None

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> "Model":
        """A functional model from a functional config; otherwise `cls(**config)`."""
        if "layers" in config and "input_layers" in config:
            from torchkeras_api.engine.functional import Functional
            from torchkeras_api.engine.functional_config import from_functional_config
            return from_functional_config(Functional if cls is Model else cls, config, custom_objects)
        return cls(**config)

    @property
    def layers(self) -> List[Layer]:
        return self._tracked_layers()

    def get_layer(self, name: Optional[str] = None, index: Optional[int] = None) -> Layer:
        """The layer with this name, or at this index of `model.layers`."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: {[l.name for l in self.layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def reset_states(self) -> None:
        """Resets the states of every stateful layer (recurrent layers with `stateful=True`)."""
        for layer in self._flatten_layers(include_self=False):
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    @property
    def weights(self) -> List[Variable]:
        """Each layer's weights in layer order, then the model's own (tf.keras's model order)."""
        weights: List[Variable] = []
        for layer in self._tracked_layers():
            weights += layer.weights
        return _dedup(weights + self._own_trainable() + self._own_non_trainable())

    def _maybe_build(self, input_shapes: Any) -> None:
        if type(self).build is Model.build:
            if not self.built and self._build_input_shape is None:
                self._build_input_shape = input_shapes
            self.built = True
            return
        super()._maybe_build(input_shapes)

    def build(self, input_shape: Any) -> None:
        """Builds a subclassed model's weights by running `call` (outside the model's name scope, as tf.keras
        does) on placeholders of `input_shape`."""
        if self.built and self._build_input_shape is not None:
            return
        if input_shape is None:
            raise ValueError("Input shape must be defined when calling `build()` on a `Model` subclass.")

        inputs = nest.map_structure(lambda shape: KerasTensor(shape, self._compute_dtype), as_shapes(input_shape))
        try:
            shape_inference.infer_outputs(lambda args, kwargs: self.call(*args, **kwargs), (inputs,), {})
        except Exception as e:
            raise ValueError(f"You cannot build your model by calling `build` if your layers do not support "
                             f"float type inputs, or if `call` fails on inputs of shape {input_shape}: {e}") from e
        self._build_input_shape = input_shape
        self.built = True

    def summary(self, line_length: Optional[int] = None, positions: Optional[List[float]] = None,
                print_fn: Any = None, expand_nested: bool = False, show_trainable: bool = False,
                layer_range: Any = None) -> None:
        """Prints tf.keras's summary table of the model."""
        if not self.built:
            raise ValueError("This model has not yet been built. Build the model first by calling `build()` "
                             "or by calling the model on a batch of data.")
        from torchkeras_api.engine.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    def save(self, filepath: Any, overwrite: bool = True, include_optimizer: bool = True,
             save_format: Optional[str] = None, signatures: Any = None, options: Any = None,
             save_traces: bool = True) -> None:
        """Saves the whole model: tf.keras's HDF5 file for `.h5` paths, our native format for `.keras` paths
        and paths without an extension (see `keras.models.save_model`)."""
        from torchkeras_api.saving.save import save_model
        save_model(self, filepath, overwrite=overwrite, include_optimizer=include_optimizer,
                   save_format=save_format, signatures=signatures, options=options, save_traces=save_traces)

    def to_json(self, **kwargs: Any) -> str:
        """The model's config as JSON text (`json.dumps` keyword arguments pass through)."""
        import json
        from torchkeras_api.saving.hdf5_weights import BACKEND, KERAS_VERSION
        from torchkeras_api.saving.model_config import json_default
        config = {"class_name": type(self).__name__, "config": self.get_config(), "keras_version": KERAS_VERSION,
                  "backend": BACKEND}
        return json.dumps(config, default=json_default, **kwargs)

    def to_yaml(self, **kwargs: Any) -> str:
        """Removed in tf.keras (YAML loading could run arbitrary code): always raises RuntimeError."""
        raise RuntimeError("Method `model.to_yaml()` has been removed due to security risk of arbitrary code "
                           "execution. Please use `model.to_json()` instead.")

    def save_weights(self, filepath: Any, overwrite: bool = True, save_format: Optional[str] = None,
                     options: Any = None) -> None:
        """Saves the weights in tf.keras's HDF5 layout (`.h5`/`.hdf5`/`.keras` paths), atomically."""
        from torchkeras_api.saving import hdf5_weights
        hdf5_weights.save_weights(self, filepath, overwrite=overwrite, save_format=save_format, options=options)

    def load_weights(self, filepath: Any, by_name: bool = False, skip_mismatch: bool = False,
                     options: Any = None) -> None:
        """Loads weights from a tf.keras HDF5 weights file (or a whole-model `.h5` file's weights):
        topologically, or by layer name with `by_name=True`. Nothing changes if the file does not fit.
        (Argument order of TF <= 2.12; tf-keras >= 2.13 puts skip_mismatch second.)"""
        from torchkeras_api.saving import hdf5_weights
        hdf5_weights.load_weights(self, filepath, by_name=by_name, skip_mismatch=skip_mismatch, options=options)
