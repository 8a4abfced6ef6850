"""Seed 000/001: an MLP built with the functional API (Input -> Dense -> Dense -> Model).

The tf.keras script, with `import tensorflow as tf` / `tf.keras` swapped for `torchkeras_api`.
(The seed's typos are fixed: `shape(None, 16)` -> `shape=(None, 16)`,
`tf.keras.activation.relu` -> `keras.activations.relu`, `tf.keras.Dense` -> `keras.layers.Dense`.)
"""
import numpy as np

import torchkeras_api as keras

# MLP on inputs of shape (batch, steps, 16); the number of steps is left open.
input = keras.Input(shape=(None, 16))
x = keras.layers.Dense(4, activation=keras.activations.relu)(input)
output = keras.layers.Dense(2, activation=keras.activations.softmax)(x)
# specify the input tensor and output tensor here. then a complete model is established.
model = keras.Model(inputs=input, outputs=output)

print("input shape: ", input.shape)
print("output shape:", output.shape)
assert tuple(input.shape) == (None, None, 16)
assert tuple(output.shape) == (None, None, 2)
assert model.input_shape == (None, None, 16)
assert model.output_shape == (None, None, 2)

batch = np.random.RandomState(0).normal(size=(8, 5, 16)).astype("float32")
probs = model(batch)
print("model(batch) shape:", tuple(probs.shape))
assert tuple(probs.shape) == (8, 5, 2)
# softmax over the last axis: each row sums to one
assert abs(float(probs[0, 0, 0] + probs[0, 0, 1]) - 1.0) < 1e-5

# Seed 001: the same MLP on plain feature vectors.
input = keras.Input(shape=(3,))
x = keras.layers.Dense(4, activation=keras.activations.relu)(input)
output = keras.layers.Dense(2, activation=keras.activations.softmax)(x)
model = keras.Model(inputs=input, outputs=output)
assert model.output_shape == (None, 2)
assert model.count_params() == (3 * 4 + 4) + (4 * 2 + 2)
print("MLP on (None, 3) inputs has", model.count_params(), "parameters")

# Named inputs, and an input with a fixed batch size (the seeds' RNN-style input).
model_input = keras.layers.Input(shape=(None, 16), name="model_input")
assert model_input.name == "model_input"
batch_size, time_steps, feature_dims = 32, 10, 42
model_input = keras.layers.Input(batch_shape=(batch_size, time_steps, feature_dims), name="model_input_rnn")
assert tuple(model_input.shape) == (32, 10, 42)
image = keras.Input(shape=(224, 224, 3), name="input_image")
assert tuple(image.shape) == (None, 224, 224, 3)
image = keras.Input(shape=(None, None, 3), name="input_image_any_size")
assert tuple(image.shape) == (None, None, None, 3)
print("functional MLP: OK")
