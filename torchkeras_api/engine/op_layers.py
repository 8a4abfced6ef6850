"""Layers made by applying tensor operations to KerasTensors (`x + y`, `x[:, 0]`, `K.mean(x)`)."""
from typing import Any, Callable, Dict, Optional, Sequence, Union

from torchkeras_api.engine import naming
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.keras_tensor import TF_OPS


class TFOpLambda(Layer):
    """One tensor function applied to KerasTensors, named after the TensorFlow op as in tf.keras.

    `function` is a callable (with its TF `symbol`) or, from a config, a TF symbol such as 'math.multiply'.
    """

    def __init__(self, function: Union[Callable, str], symbol: Optional[str] = None,
                 arg_names: Optional[Sequence[str]] = None, **kwargs: Any):
        if isinstance(function, str):
            if function not in TF_OPS:
                raise ValueError(f"The TensorFlow op 'tf.{function}' of layer {kwargs.get('name')!r} is not "
                                 "supported by torchkeras_api.")
            symbol = "tf." + function
            function, arg_names = TF_OPS[function]
        elif arg_names is None:
            arg_names = TF_OPS.get(symbol.replace("tf.", "", 1), (None, ()))[1]
        super().__init__(name=kwargs.pop("name", None) or naming.unique_object_name(symbol), **kwargs)
        self.function = function
        self.symbol = symbol
        self.arg_names = tuple(arg_names)
        self._autocast = False
        self.built = True

    def call(self, *args: Any, **kwargs: Any) -> Any:
        args = list(args)
        for name in self.arg_names[len(args):]:
            if name not in kwargs:
                break
            args.append(kwargs.pop(name))
        return self.function(*args, **kwargs)

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                "function": self.symbol.replace("tf.", "", 1)}


class SlicingOpLambda(TFOpLambda):
    """`x[...]` on a KerasTensor."""
