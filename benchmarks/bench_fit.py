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

def _mlp(sizes):
    def keras_model(k):
        inp = k.Input((sizes[0],))
        x = inp
        for units in sizes[1:-1]:
            x = k.layers.Dense(units, activation="relu")(x)
        return k.Model(inp, k.layers.Dense(sizes[-1], activation="softmax")(x))

    def torch_model():
        mods = []
        for a, b in zip(sizes[:-2], sizes[1:-1]):
            mods += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        mods.append(torch.nn.Linear(sizes[-2], sizes[-1]))
        return torch.nn.Sequential(*mods)

    return keras_model, torch_model, (sizes[0],)


def _cnn():
    def keras_model(k):
        L = k.layers
        inp = k.Input((28, 28, 1))
        x = L.MaxPooling2D(2)(L.Conv2D(32, 3, activation="relu")(inp))
        x = L.MaxPooling2D(2)(L.Conv2D(64, 3, activation="relu")(x))
        x = L.Dense(128, activation="relu")(L.Flatten()(x))
        return k.Model(inp, L.Dense(10, activation="softmax")(x))

    def torch_model():
        nn = torch.nn
        return nn.Sequential(_ToNCHW(), nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                             nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(),
                             nn.Linear(128, 10))

    return keras_model, torch_model, (28, 28, 1)


def _lstm():
    def keras_model(k):
        inp = k.Input((50, 32))
        return k.Model(inp, k.layers.Dense(10, activation="softmax")(k.layers.LSTM(64)(inp)))

    class TorchLSTM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(32, 64, batch_first=True)
            self.head = torch.nn.Linear(64, 10)

        def forward(self, x):
            return self.head(self.lstm(x)[0][:, -1])

    return keras_model, TorchLSTM, (50, 32)


class _ToNCHW(torch.nn.Module):
    """NHWC batches (as Keras feeds them) to the NCHW layout of nn.Conv2d."""

    def forward(self, x):
        return x.permute(0, 3, 1, 2)


CASES = [
    ("tiny MLP 20-32-10, batch 32", _mlp((20, 32, 10)), 32, 10),
    ("MLP 784-512-512-10, batch 128", _mlp((784, 512, 512, 10)), 128, 10),
    ("small CNN on 28x28x1, batch 64", _cnn(), 64, 10),
    ("LSTM(64) on 50x32, batch 32", _lstm(), 32, 10),
]


def _compiled(k, keras_model):
    model = keras_model(k)
    model.compile(optimizer=k.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy")
    return model


class HandLoop:
    """The idiomatic torch loop: data on the device, fused cross-entropy on logits, no per-step sync;
    `torch.optim.Adam` with its default implementation, or with `fused=True` (the kernel our Adam uses)."""

    def __init__(self, torch_model, x, y, batch, device, fused=None):
        self.model = torch_model().to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7, fused=fused)
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


def _contenders(case, x, y, batch, device):
    keras_model, torch_model, _ = case
    out = {"torch hand loop": HandLoop(torch_model, x, y, batch, device).fit,
           "  with fused Adam": HandLoop(torch_model, x, y, batch, device, fused=True).fit,
           "torchkeras_api fit": _fit_fn(_compiled(tka, keras_model), x, y, batch)}
    try:
        import keras
        if keras.__version__.startswith("3") and keras.backend.backend() == "torch":
            out["keras 3 (torch)"] = _fit_fn(_compiled(keras, keras_model), x, y, batch)
    except ImportError:
        pass
    try:
        import tf_keras
        out["tf-keras 2"] = _fit_fn(_compiled(tf_keras, keras_model), x, y, batch)
    except ImportError:
        pass
    return out


def _fit_fn(model, x, y, batch):
    return lambda epochs: model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, shuffle=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=100, help="training steps per timed epoch (MLPs; the CNN and "
                        "LSTM use a tenth)")
    parser.add_argument("--only", default=None, help="run only the cases whose title contains this text")
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
    for title, case, batch, classes in CASES:
        if args.only and args.only not in title:
            continue
        steps = args.steps if "MLP" in title else max(args.steps // 10, 2)
        rng = np.random.RandomState(0)
        x = rng.randn(batch * steps, *case[2]).astype("float32")
        y = rng.randint(0, classes, len(x)).astype("int64")
        contenders = _contenders(case, x, y, batch, device)
        for fit in contenders.values():
            fit(1)
        times = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, fit in contenders.items():
                start = time.perf_counter()
                fit(1)
                times[name].append((time.perf_counter() - start) / steps * 1e3)
        base = statistics.median(times["torch hand loop"])
        print(f"\n{title}")
        for name, values in times.items():
            med = statistics.median(values)
            print(f"  {name:22s} {med:8.3f} ms/step   x{med / base:5.2f}")


if __name__ == "__main__":
    main()
