"""Where torchkeras_api and tf-keras 2.21 part ways on purpose (the README's "Differences" list):

1. `lr=` sets the learning rate, with a DeprecationWarning, as in TF 2.0-2.4, which the seed
   notes were written against (`SGD(lr = 0.01)`, `Adam(lr=0.0001)`). tf-keras 2.21 logs a
   warning and keeps the default rate.
2. `decay=` (the TF 2.0-2.4 time decay, `lr / (1 + decay * iterations)`) works; tf-keras 2.21
   raises a ValueError and asks for `keras.optimizers.legacy`.
3. `fit(..., shuffle='batch')` shuffles batch-sized chunks and keeps every input with its target.
   tf-keras 2.21 shuffles the inputs and the targets of each batch separately, so the pairs no
   longer match and the model does not learn.
4. `model(x)` returns torch tensors.

This script is not run under tf-keras (tests/test_examples.py skips it).
"""
import warnings

import numpy as np
import torch

import torchkeras_api as keras

rng = np.random.RandomState(0)
x = rng.normal(size=(512, 4)).astype('float32')
y = (x @ np.array([[1.0], [-2.0], [0.5], [1.5]], 'float32')).astype('float32')


def train(optimizer, epochs=3, shuffle=False):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)               # the same initial weights every time
    model = keras.Sequential([keras.layers.Dense(8, activation='tanh', input_shape=(4,)),
                              keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss='mse')
    history = model.fit(x, y, batch_size=32, epochs=epochs, shuffle=shuffle, verbose=0)
    return model, history


# 1. lr= is the learning rate
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter('always')
    legacy = keras.optimizers.Adam(lr=0.05)
assert any(issubclass(w.category, DeprecationWarning) and '`lr`' in str(w.message) for w in caught)
print("Adam(lr=0.05).learning_rate =", round(float(legacy.learning_rate), 6))
assert abs(float(legacy.learning_rate) - 0.05) < 1e-7
model_a, _ = train(legacy)
model_b, _ = train(keras.optimizers.Adam(learning_rate=0.05))
for a, b in zip(model_a.get_weights(), model_b.get_weights()):
    np.testing.assert_array_equal(a, b)         # the same training, step for step

# 2. decay= is InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)
with warnings.catch_warnings():
    warnings.simplefilter('ignore', DeprecationWarning)
    decayed = keras.optimizers.SGD(learning_rate=0.1, decay=0.01)
model_a, history_a = train(decayed)
schedule = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.01)
model_b, history_b = train(keras.optimizers.SGD(learning_rate=schedule))
for a, b in zip(model_a.get_weights(), model_b.get_weights()):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
print("SGD(decay=0.01) losses:", np.round(history_a.history['loss'], 4).tolist())
assert int(decayed.iterations) == 3 * 16

# 3. shuffle='batch' keeps the pairs: the model learns as with shuffle=True
model, history = train(keras.optimizers.Adam(0.01), epochs=10, shuffle='batch')
print("shuffle='batch' losses:", np.round(history.history['loss'], 3).tolist())
assert history.history['loss'][-1] < 0.1 * history.history['loss'][0]

# 4. model(x) is a torch tensor; detach it before .numpy() (it depends on trainable weights)
out = model(x[:3])
print("model(x):", type(out).__name__, tuple(out.shape))
assert isinstance(out, torch.Tensor)
np.testing.assert_allclose(out.detach().numpy(), model.predict(x[:3], verbose=0), rtol=1e-5, atol=1e-6)
print("differences from tf-keras: OK")
