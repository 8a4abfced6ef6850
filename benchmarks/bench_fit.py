"""Training speed: torchkeras_api `fit` vs a hand-written PyTorch loop, Keras 3 (torch backend) and tf-keras,
on the same models and data, alternating the contenders round by round in one process.

Run: python benchmarks/bench_fit.py [--rounds 7] [--steps 100] [--threads 1]
Prints the median milliseconds per training step of each contender and its ratio to the hand-written loop
(on CUDA also the peak GPU memory of its first epoch). The compiled contenders compile during an untimed
first epoch.
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
from harness import use_threads

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


def _compiled(k, keras_model, **kwargs):
    model = keras_model(k)
    model.compile(optimizer=k.optimizers.Adam(learning_rate=1e-3), loss="sparse_categorical_crossentropy", **kwargs)
    return model


class HandLoop:
    """The idiomatic torch loop: data on the device, fused cross-entropy on logits, no per-step sync;
    `torch.optim.Adam` with its default implementation, or with `fused=True` (the kernel our Adam uses);
    with `compiled`, the loss (model and loss function) and the optimizer step under `torch.compile`."""

    def __init__(self, torch_model, x, y, batch, device, fused=None, compiled=False, capturable=False):
        self.model = torch_model().to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7, fused=fused, capturable=capturable)
        self.x, self.y, self.batch = torch.as_tensor(x, device=device), torch.as_tensor(y, device=device), batch
        self.loss = torch.compile(self._loss, dynamic=False) if compiled else self._loss
        self.update = torch.compile(self.opt.step) if compiled else self.opt.step

    def _loss(self, x, y):
        return torch.nn.functional.cross_entropy(self.model(x), y)

    def step(self, x, y):
        loss = self.loss(x, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.update()

    def train_batch(self, x, y):
        self.step(x, y)

    def fit(self, epochs):
        n = len(self.x)
        for _ in range(epochs):
            perm = torch.randperm(n, device=self.x.device)
            for i in range(0, n, self.batch):
                idx = perm[i:i + self.batch]
                self.train_batch(self.x[idx], self.y[idx])


class GraphedHandLoop(HandLoop):
    """The hand-written step captured once in a CUDA graph and replayed on static input buffers (the floor
    of per-step overhead); batches of another size run eagerly."""

    def __init__(self, torch_model, x, y, batch, device):
        super().__init__(torch_model, x, y, batch, device, capturable=True)
        self.static_x, self.static_y = self.x[:batch].clone(), self.y[:batch].clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                self.step(self.static_x, self.static_y)
        torch.cuda.current_stream().wait_stream(side)
        self.opt.zero_grad(set_to_none=True)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            loss = torch.nn.functional.cross_entropy(self.model(self.static_x), self.static_y)
            loss.backward()
            self.opt.step()

    def train_batch(self, x, y):
        if len(x) != self.batch:
            self.opt.zero_grad(set_to_none=True)
            self.step(x, y)
            return
        self.static_x.copy_(x)
        self.static_y.copy_(y)
        self.graph.replay()


def _contenders(case, x, y, batch, device):
    keras_model, torch_model, _ = case
    out = {"torch hand loop": HandLoop(torch_model, x, y, batch, device).fit,
           "  with fused Adam": HandLoop(torch_model, x, y, batch, device, fused=True).fit,
           "  torch.compile": HandLoop(torch_model, x, y, batch, device, compiled=True).fit,
           "torchkeras_api fit": _fit_fn(_compiled(tka, keras_model), x, y, batch),
           "  fit (jit_compile)": _fit_fn(_compiled(tka, keras_model, jit_compile=True), x, y, batch)}
    if device.type == "cuda":
        out["  CUDA graph (floor)"] = GraphedHandLoop(torch_model, x, y, batch, device).fit
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
    use_threads(args.threads)
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
        peaks = {}
        for name, fit in contenders.items():
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            fit(1)
            if device.type == "cuda":
                peaks[name] = f"   {torch.cuda.max_memory_allocated(device) / 2 ** 20:8.1f} MiB peak"
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
            print(f"  {name:22s} {med:8.3f} ms/step   x{med / base:5.2f}{peaks.get(name, '')}")


if __name__ == "__main__":
    main()
