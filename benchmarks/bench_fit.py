"""Training speed: torchkeras_api `fit` vs a hand-written PyTorch loop, Keras 3 (torch backend) and tf-keras,
on the same models and data, alternating the contenders round by round in one process.

Run: python benchmarks/bench_fit.py [--rounds 7] [--steps 100] [--threads 1]
Prints the median milliseconds per training step of each contender and its ratio to the hand-written loop.
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import torch

import torchkeras_api as tka

CASES = [
    ("tiny MLP 20-32-10, batch 32", (20, 32, 10), 32),
    ("MLP 784-512-512-10, batch 128", (784, 512, 512, 10), 128),
]


def _keras_mlp(k, sizes):
    inp = k.Input((sizes[0],))
    x = inp
    for units in sizes[1:-1]:
        x = k.layers.Dense(units, activation="relu")(x)
    model = k.Model(inp, k.layers.Dense(sizes[-1], activation="softmax")(x))
    model.compile(optimizer=k.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
    return model


class HandLoop:
    """The idiomatic torch loop: data on the device, fused cross-entropy on logits, no per-step sync."""

    def __init__(self, sizes, x, y, batch, device):
        mods = []
        for a, b in zip(sizes[:-2], sizes[1:-1]):
            mods += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        mods.append(torch.nn.Linear(sizes[-2], sizes[-1]))
        self.model = torch.nn.Sequential(*mods).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.x, self.y, self.batch = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device), batch

    def fit(self, epochs):
        n = len(self.x)
        for _ in range(epochs):
            perm = torch.randperm(n, device=self.x.device)
            for i in range(0, n, self.batch):
                idx = perm[i:i + self.batch]
                loss = torch.nn.functional.cross_entropy(self.model(self.x[idx]), self.y[idx])
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                self.opt.step()


def _contenders(sizes, x, y, batch, device):
    out = {"torch hand loop": HandLoop(sizes, x, y, batch, device).fit,
           "torchkeras_api fit": _fit_fn(_keras_mlp(tka, sizes), x, y, batch)}
    try:
        import keras
        if keras.__version__.startswith("3") and keras.backend.backend() == "torch":
            out["keras 3 (torch)"] = _fit_fn(_keras_mlp(keras, sizes), x, y, batch)
    except ImportError:
        pass
    try:
        import tf_keras
        out["tf-keras 2"] = _fit_fn(_keras_mlp(tf_keras, sizes), x, y, batch)
    except ImportError:
        pass
    return out


def _fit_fn(model, x, y, batch):
    return lambda epochs: model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, shuffle=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=100, help="training steps per timed epoch")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    try:
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    except ImportError:
        pass
    device = tka.layers.Dense(1)._device()
    print(f"torch {torch.__version__}, {args.threads} thread(s), device {device}, {args.steps} steps per epoch")
    for title, sizes, batch in CASES:
        rng = np.random.RandomState(0)
        x = rng.randn(batch * args.steps, sizes[0]).astype("float32")
        y = rng.randint(0, sizes[-1], len(x)).astype("int64")
        contenders = _contenders(sizes, x, y, batch, device)
        for fit in contenders.values():
            fit(1)
        times = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, fit in contenders.items():
                start = time.perf_counter()
                fit(1)
                times[name].append((time.perf_counter() - start) / args.steps * 1e3)
        base = statistics.median(times["torch hand loop"])
        print(f"\n{title}")
        for name, values in times.items():
            med = statistics.median(values)
            print(f"  {name:22s} {med:8.3f} ms/step   x{med / base:5.2f}")


if __name__ == "__main__":
    main()
