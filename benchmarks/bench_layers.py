"""Layer speed: forward + backward of Conv2D stacks and recurrent layers, torchkeras_api against the plain torch
modules (`nn.Conv2d` on NCHW, `nn.LSTM`, `nn.GRU`), Keras 3's torch backend and tf-keras (a `tf.function` step),
alternating the contenders round by round in one process.

Run: python benchmarks/bench_layers.py [--rounds 9] [--calls 20] [--threads 1] [--only LSTM]
Prints the median milliseconds per forward+backward call and the ratio to plain torch.
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


def _conv_stack(k, channels):
    return k.Sequential([k.layers.Conv2D(32, 3, padding="same", activation="relu") for _ in range(3)])


def _torch_conv_stack(channels):
    layers = []
    for i in range(3):
        layers += [torch.nn.Conv2d(channels if i == 0 else 32, 32, 3, padding=1), torch.nn.ReLU()]
    return torch.nn.Sequential(*layers)


class _LastOutput(torch.nn.Module):
    """`nn.LSTM`/`nn.GRU` returning the last step's output, as Keras's default `return_sequences=False`."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0][:, -1]


CASES = [
    ("Conv2D x3 (32 filters, 3x3, same, relu) on 32x32x16, batch 32", (32, 32, 32, 16),
     lambda k: _conv_stack(k, 16), lambda: _torch_conv_stack(16), True),
    ("LSTM(64) on 50x32, batch 32", (32, 50, 32), lambda k: k.layers.LSTM(64),
     lambda: _LastOutput(torch.nn.LSTM(32, 64, batch_first=True)), False),
    ("GRU(64) on 50x32, batch 32", (32, 50, 32), lambda k: k.layers.GRU(64),
     lambda: _LastOutput(torch.nn.GRU(32, 64, batch_first=True)), False),
]


def _torch_step(module, x):
    """One forward+backward of a torch module (Keras 3's torch layers and ours are torch modules too)."""
    def step():
        x.grad = None
        module.zero_grad(set_to_none=True)
        module(x).sum().backward()
    return step


def _tf_step(layer, x):
    import tensorflow as tf
    xt = tf.constant(x)
    layer(xt)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            tape.watch(xt)
            total = tf.reduce_sum(layer(xt))
        return tape.gradient(total, [xt] + layer.trainable_weights)
    return step


def _contenders(case, device):
    _, shape, keras_layer, torch_module, nchw = case
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    torch_shape = (x.transpose(0, 3, 1, 2) if nchw else x)
    out = {"torch": _torch_step(torch_module().to(device),
                                torch.tensor(np.ascontiguousarray(torch_shape), device=device, requires_grad=True)),
           "torchkeras_api": _torch_step(keras_layer(tka), torch.tensor(x, device=device, requires_grad=True))}
    try:
        import keras
        if keras.__version__.startswith("3") and keras.backend.backend() == "torch":
            out["keras 3 (torch)"] = _torch_step(keras_layer(keras),
                                                       torch.tensor(x, device=device, requires_grad=True))
    except ImportError:
        pass
    try:
        import tf_keras
        out["tf-keras 2"] = _tf_step(keras_layer(tf_keras), x)
    except ImportError:
        pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=20, help="forward+backward calls per timed round")
    parser.add_argument("--only", default=None, help="run only the cases whose title contains this text")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    use_threads(args.threads)
    device = tka.layers.Dense(1)._device()
    print(f"torch {torch.__version__}, {args.threads} thread(s), device {device}, {args.calls} calls per round")
    for case in CASES:
        title = case[0]
        if args.only and args.only not in title:
            continue
        contenders = _contenders(case, device)
        for step in contenders.values():
            for _ in range(3):
                step()
        times = {name: [] for name in contenders}
        for _ in range(args.rounds):
            for name, step in contenders.items():
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                for _ in range(args.calls):
                    step()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                times[name].append((time.perf_counter() - start) / args.calls * 1e3)
        base = statistics.median(times["torch"])
        print(f"\n{title}")
        for name, values in times.items():
            med = statistics.median(values)
            print(f"  {name:18s} {med:8.3f} ms/call   x{med / base:5.2f}")


if __name__ == "__main__":
    main()
