"""Seed 002: what a model and its layers expose: layers, name, class name, get_weights, weights,
trainable, output, get_layer, trainable_variables, trainable_weights and each weight's name."""
import numpy as np

import torchkeras_api as keras
from torchkeras_api.layers import Dense, Input
from torchkeras_api.models import Model

input_tensor = Input(shape=(10,), name="features")
x = Dense(units=10, activation='sigmoid', name="hidden")(input_tensor)
output = Dense(units=20, activation='sigmoid', name="scores")(x)
model = Model(inputs=input_tensor, outputs=output)

# layers: a list; a functional model lists its InputLayer first
layers = model.layers
print("layers:", layers)
assert isinstance(layers, list) and len(layers) == 3

# name
for layer in layers:
    print(layer.name)
assert [layer.name for layer in layers] == ["features", "hidden", "scores"]

# __class__.__name__
for layer in layers:
    print(layer.__class__.__name__)
assert [layer.__class__.__name__ for layer in layers] == ["InputLayer", "Dense", "Dense"]

# get_weights: numpy arrays in tf.keras layout, kernel is (input_dim, units)
w, b = model.layers[1].get_weights()
print("kernel", w.shape, "bias", b.shape)
assert isinstance(w, np.ndarray) and w.shape == (10, 10) and b.shape == (10,)
assert np.all(b == 0.0)  # bias_initializer='zeros'
w, b = model.get_layer("scores").get_weights()
assert w.shape == (10, 20) and b.shape == (20,)

# weights: each layer's weight variables
for layer in layers:
    print(layer.name, [tuple(v.shape) for v in layer.weights])
assert len(model.layers[0].weights) == 0
assert len(model.layers[1].weights) == 2

# trainable: layers are trainable by default; freezing one drops its weights from trainable_weights
for layer in layers:
    assert layer.trainable
assert len(model.trainable_weights) == 4
model.get_layer("hidden").trainable = False
assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
for layer in layers:
    layer.trainable = True
assert len(model.trainable_weights) == 4

# output: the symbolic tensor a layer produced
for layer in layers:
    output = layer.output
    print(layer.name, "output shape:", tuple(output.shape))
assert model.get_layer("scores").output is model.output
assert tuple(model.get_layer("hidden").output.shape) == (None, 10)

# get_layer by name (and by index)
layer = model.get_layer("hidden")
assert layer is model.layers[1]
assert model.get_layer(index=2).name == "scores"

# trainable_variables: kernels and biases, in layer order
print("trainable_variables:", [v.name for v in model.trainable_variables])
assert len(model.trainable_variables) == 4

# trainable_weights and w.name
for w in model.trainable_weights:
    print(w.name, tuple(w.shape))
assert [w.name for w in model.trainable_weights] == [
    "hidden/kernel:0", "hidden/bias:0", "scores/kernel:0", "scores/bias:0"]

# model.input / model.output of a multi-input, multi-output model are lists
a = Input(shape=(3,), name="a")
b = Input(shape=(4,), name="b")
ya = Dense(2, name="from_a")(a)
yb = Dense(5, name="from_b")(b)
two_way = keras.Model(inputs=[a, b], outputs=[ya, yb])
input_list = two_way.input
output_list = two_way.output
assert isinstance(input_list, list) and input_list[0] is a and input_list[1] is b
assert isinstance(output_list, list) and output_list[0] is ya and output_list[1] is yb
outs = two_way([np.ones((2, 3), "float32"), np.ones((2, 4), "float32")])
assert [tuple(o.shape) for o in outs] == [(2, 2), (2, 5)]
print("layer attributes: OK")
