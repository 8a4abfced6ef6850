"""tf.keras.layers."""
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_layer import Input, InputLayer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.layers.core import Dense
