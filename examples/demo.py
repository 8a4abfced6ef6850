"""torchkeras_api demo: a tf.keras functional model, compiled and trained with `fit` on a 3-class
spiral, on PyTorch.

Run: python examples/demo.py
"""
import time

import numpy as np

import torchkeras_api as keras
from torchkeras_api import layers


def make_spirals(n_points=3000, n_classes=3, turns=6.0, noise=0.05, seed=0):
    """Three interleaved noisy 2-D spiral arms, one class per arm."""
    rng = np.random.RandomState(seed)
    per_class = n_points // n_classes
    xs, ys = [], []
    for c in range(n_classes):
        r = np.linspace(0.05, 1.0, per_class)
        theta = turns * r + c * 2 * np.pi / n_classes
        arm = np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1)
        xs.append(arm + rng.normal(0, noise, arm.shape))
        ys.append(np.full(per_class, c))
    x = np.concatenate(xs).astype("float32")
    y = np.concatenate(ys).astype("int64")
    order = rng.permutation(len(x))
    return x[order], y[order]


x_train, y_train = make_spirals()
print(f"data: x {x_train.shape}, y {y_train.shape}, classes {np.bincount(y_train).tolist()}")

# The model: plain tf.keras functional API.
keras.utils.set_random_seed(0)
inputs = keras.Input(shape=(2,), name="points")
x = layers.Dense(64, activation="relu")(inputs)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(3, activation="softmax", name="probs")(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="spiral_classifier")
model.summary()

model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

# Training: the last 20% of the data is held out for validation; verbose=2 prints one line per epoch.
start = time.time()
history = model.fit(x_train, y_train, validation_split=0.2, epochs=20, batch_size=64, verbose=2)
print(f"trained in {time.time() - start:.1f}s")

loss, accuracy = model.evaluate(x_train, y_train, batch_size=256, verbose=0)
print(f"evaluate on all {len(x_train)} points: loss {loss:.4f}, accuracy {accuracy:.4f}")

probs = model.predict(x_train[:5], verbose=0)
for point, p, label in zip(x_train[:5], probs, y_train[:5]):
    print(f"  point ({point[0]:+.2f}, {point[1]:+.2f}) -> class {p.argmax()} (p={p.max():.2f}), label {label}")

assert history.history["loss"][-1] < history.history["loss"][0]
assert history.history["val_accuracy"][-1] > 0.90, history.history["val_accuracy"]
assert accuracy > 0.90, accuracy
