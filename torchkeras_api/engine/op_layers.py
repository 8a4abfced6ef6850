"""Layers made by applying tensor operations to KerasTensors (`x + y`, `x[:, 0]`, `K.mean(x)`)."""
from typing import Any, Callable, Dict

from torchkeras_api.engine import naming
from torchkeras_api.engine.base_layer import Layer


class TFOpLambda(Layer):
    """Wraps one tensor function applied to KerasTensors; named after the TensorFlow op, as in tf.keras."""

    def __init__(self, function: Callable, symbol: str, **kwargs: Any):
        super().__init__(name=kwargs.pop("name", None) or naming.unique_object_name(symbol), **kwargs)
        self.function = function
        self.symbol = symbol
        self._autocast = False
        self.built = True

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                "function": self.symbol.replace("tf.", "", 1)}


class SlicingOpLambda(TFOpLambda):
    """`x[...]` on a KerasTensor."""
