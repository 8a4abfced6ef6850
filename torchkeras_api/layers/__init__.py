"""tf.keras.layers."""
from torchkeras_api.engine.base_layer import Layer
from torchkeras_api.engine.input_layer import Input, InputLayer
from torchkeras_api.engine.input_spec import InputSpec
from torchkeras_api.layers.core import Dense
from torchkeras_api.layers.core import ActivityRegularization, Activation, Dropout, Lambda, Masking
from torchkeras_api.layers.embedding import Embedding
from torchkeras_api.layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from torchkeras_api.layers.serialization import deserialize, serialize
from torchkeras_api.layers.merging import (Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract, add,
                                           average, concatenate, dot, maximum, minimum, multiply, subtract)
