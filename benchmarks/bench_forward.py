"""Forward-pass overhead: a torchkeras_api model call vs the same network as hand-written torch modules
(and Keras 3's torch backend when installed), timed alternately in one process.

Run: python benchmarks/bench_forward.py [--rounds 15] [--calls 200]
Prints the median microseconds per call of each contender and its ratio to hand-written torch.
"""
import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import torch

import torchkeras_api as tka


def _ours(sizes, functional):
    if functional:
        inp = tka.Input((sizes[0],))
        x = inp
        for units in sizes[1:-1]:
            x = tka.layers.Dense(units, activation="relu")(x)
        return tka.Model(inp, tka.layers.Dense(sizes[-1])(x))
    layers = [tka.layers.Dense(u, activation="relu") for u in sizes[1:-1]] + [tka.layers.Dense(sizes[-1])]
    model = tka.Sequential(layers)
    model.build((None, sizes[0]))
    return model


def _torch(sizes):
    mods = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        mods += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    mods.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    return torch.nn.Sequential(*mods)


def _keras3(sizes):
    try:
        import keras
    except ImportError:
        return None
    if not keras.__version__.startswith("3") or keras.backend.backend() != "torch":
        return None
    inp = keras.Input((sizes[0],))
    x = inp
    for units in sizes[1:-1]:
        x = keras.layers.Dense(units, activation="relu")(x)
    return keras.Model(inp, keras.layers.Dense(sizes[-1])(x))


def _time(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cases = [("tiny MLP 20-32-10, batch 32", (20, 32, 10), 32),
             ("MLP 784-512-512-10, batch 128", (784, 512, 512, 10), 128)]
    print(f"torch {torch.__version__}, {args.threads} thread(s), device {tka.layers.Dense(1)._device()}")
    for title, sizes, batch in cases:
        x = torch.randn(batch, sizes[0], device=tka.layers.Dense(1)._device())
        contenders = {"torch (hand-written)": _torch(sizes).to(x.device),
                      "torchkeras_api Sequential": _ours(sizes, functional=False),
                      "torchkeras_api functional": _ours(sizes, functional=True)}
        keras3 = _keras3(sizes)
        if keras3 is not None:
            contenders["keras 3 (torch backend)"] = keras3
        times = {name: [] for name in contenders}
        with torch.no_grad():
            for name, model in contenders.items():
                _time(lambda: model(x), 20)
            for _ in range(args.rounds):
                for name, model in contenders.items():
                    times[name].append(_time(lambda: model(x), args.calls))
        base = statistics.median(times["torch (hand-written)"])
        print(f"\n{title}")
        for name, values in times.items():
            med = statistics.median(values)
            print(f"  {name:28s} {med:9.1f} us/call   x{med / base:5.2f}")


if __name__ == "__main__":
    main()
