"""torchkeras_api demo: a tf.keras functional model, trained on a 3-class spiral on PyTorch.

Run: python examples/demo.py
"""
import time

import numpy as np
import torch

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

# Temporary explicit torch training loop, until Model.fit lands.
optimizer = torch.optim.Adam(model.trainable_variables, lr=0.01)
device = model.trainable_variables[0].device  # cuda:0 when available, else cpu
x_t, y_t = torch.from_numpy(x_train).to(device), torch.from_numpy(y_train).to(device)
epochs, batch_size = 20, 64
start = time.time()
for epoch in range(1, epochs + 1):
    perm = torch.randperm(len(x_t), device=device)
    total_loss, correct = 0.0, 0
    for i in range(0, len(x_t), batch_size):
        idx = perm[i:i + batch_size]
        probs = model(x_t[idx], training=True)
        loss = torch.nn.functional.nll_loss(torch.log(probs.clamp_min(1e-7)), y_t[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(idx)
        correct += int((probs.argmax(-1) == y_t[idx]).sum())
    if epoch == 1 or epoch % 5 == 0:
        print(f"Epoch {epoch}/{epochs} - loss: {total_loss / len(x_t):.4f} - accuracy: {correct / len(x_t):.4f}")

with torch.no_grad():
    accuracy = float((model(x_t).argmax(-1) == y_t).float().mean())
print(f"final training accuracy: {accuracy:.4f} ({time.time() - start:.1f}s)")
assert accuracy > 0.90, accuracy
