"""Progbar and ProgbarLogger print exactly what tf.keras prints, with the clock mocked in both."""
import contextlib
import io
import sys
import time

import numpy as np
import pytest
import torch

import torchkeras_api as keras


class Clock:
    """A time.time() that moves only when told."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


def _printed(clock, make, steps):
    """stdout of make() then, for each (seconds, method, args) step, the clock moved and the call made."""
    clock.now = 1000.0
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bar = make()
        for seconds, method, args in steps:
            clock.now += seconds
            getattr(bar, method)(*args)
    return out.getvalue()


def _same_output(tfk, clock, steps, tensor_values=False, **kwargs):
    theirs = _printed(clock, lambda: tfk.utils.Progbar(**kwargs), steps)
    if tensor_values:
        steps = [(s, m, (a[0], [(k, torch.tensor(v)) for k, v in a[1]]) + a[2:]) for s, m, a in steps]
    ours = _printed(clock, lambda: keras.utils.Progbar(**kwargs), steps)
    assert ours == theirs
    return ours


def _training(values):
    """Updates at steps 1, 2, 5, 8, 10 with times that cover the ETA formats."""
    times = [0.3, 0.01, 0.2, 75.0, 4000.0]
    return [(t, "update", (step, list(v))) for t, step, v in zip(times, [1, 2, 5, 8, 10], values)]


_VALUES = [[("loss", 0.5), ("acc", 0.25)], [("loss", 0.4), ("acc", 0.3)], [("loss", 0.0001), ("acc", -0.3)],
           [("loss", 0.3), ("acc", 0.3)], [("loss", 0.2), ("acc", 0.9)]]


@pytest.mark.parametrize("kwargs", [{"target": 10}, {"target": 10, "verbose": 2},
                                    {"target": 10, "stateful_metrics": ["acc"]},
                                    {"target": 10, "stateful_metrics": ["acc"], "verbose": 2},
                                    {"target": 10, "width": 12, "unit_name": "sample"},
                                    {"target": 10, "verbose": 0}])
def test_progbar_output_matches(tfk, clock, kwargs):
    out = _same_output(tfk, clock, _training(_VALUES), **kwargs)
    assert bool(out) == (kwargs.get("verbose", 1) != 0)


def test_live_bar_shape(tfk, clock):
    out = _same_output(tfk, clock, _training(_VALUES), target=10)
    assert out.startswith("\r 1/10 [==>...........................] - ETA: 2s - loss: 0.5000 - acc: 0.2500\b")
    assert "\r 8/10 [=======================>......] - ETA: 21s - loss: 0.2250 - acc: 0.0688\b" in out
    assert out.endswith("\r10/10 [==============================] - 4076s 453s/step - loss: 0.2200 - acc: 0.2350\n")


def test_epoch_line_verbose_2(tfk, clock):
    out = _same_output(tfk, clock, _training(_VALUES), target=10, verbose=2)
    assert out == "10/10 - 4076s - loss: 0.2200 - acc: 0.2350 - 4076s/epoch - 408s/step\n"


def test_eta_in_hours_and_shorter_lines_padded(tfk, clock):
    steps = [(5000.0, "update", (1, [("loss", 1.0)])), (1.0, "update", (2, [("loss", 1.0)])),
             (0.001, "update", (4, [("loss", 1.0)], True))]
    out = _same_output(tfk, clock, steps, target=4)
    assert "ETA: 4:10:00" in out


def test_unknown_target(tfk, clock):
    steps = [(0.5, "update", (1, [("loss", 2.0)])), (0.002, "update", (2, [("loss", 1.0)])),
             (0.5, "update", (3, [("loss", 3.0)])), (0.1, "update", (3, [("loss", 3.0)], True))]
    out = _same_output(tfk, clock, steps, target=None)
    assert "      1/Unknown - 0s 500ms/step - loss: 2.0000" in out


@pytest.mark.parametrize("verbose", [1, 2])
def test_small_negative_and_zero_values(tfk, clock, verbose):
    steps = [(0.1, "update", (1, [("a", 1e-5), ("b", -0.5), ("c", 0.0), ("d", -2e-7)])),
             (0.1, "update", (2, [("a", 3e-5), ("b", -0.25), ("c", 0.0), ("d", 1e-3)]))]
    out = _same_output(tfk, clock, steps, target=2, verbose=verbose)
    assert "a: 2.0000e-05" in out


def test_interval_skips_lines_and_add_advances(tfk, clock):
    steps = [(0.01, "add", (1, [("loss", 1.0)])), (0.01, "add", (1, [("loss", 0.5)])),
             (0.06, "add", (2, [("loss", 0.25)])), (0.001, "add", (1, [("loss", 0.125)])),
             (0.5, "add", (1, [("loss", 0.0625)]))]
    out = _same_output(tfk, clock, steps, target=6, interval=0.05)
    assert out.count("\r") == 3


def test_tensor_values_print_like_floats(tfk, clock):
    values = [[(k, float(np.float32(v))) for k, v in step] for step in _VALUES]
    _same_output(tfk, clock, _training(values), tensor_values=True, target=10)
    _same_output(tfk, clock, _training(values), tensor_values=True, target=10, verbose=2,
                 stateful_metrics=["acc"])


def test_array_values_are_averaged(tfk, clock):
    steps = [(0.1, "update", (1, [("v", np.array([1.0, 2.0]))])), (0.1, "update", (3, [("v", np.array([3.0, 5.0]))]))]
    _same_output(tfk, clock, steps, target=3)


def test_newline_display_without_a_terminal(tfk, clock, monkeypatch):
    """With no tty, notebook or posix, both start each line with a newline instead of redrawing."""
    monkeypatch.delitem(sys.modules, "posix", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    out = _same_output(tfk, clock, _training(_VALUES), target=10)
    assert out.startswith("\n 1/10") and "\b" not in out


class _FakeMetric:
    def __init__(self, name):
        self.name = name


class _FakeModel:
    """What ProgbarLogger reads from a model: its metrics' names."""

    def __init__(self):
        self.metrics = [_FakeMetric("loss"), _FakeMetric("mae")]
        self.stop_training = False


def _batch_logs(step, tensors):
    loss, mae = 1.0 / (step + 1), 0.5 / (step + 2)
    if tensors:
        return {"loss": torch.tensor(loss), "mae": torch.tensor(mae)}
    return {"loss": float(np.float32(loss)), "mae": float(np.float32(mae))}


def _run_logger(module, clock, tensors, verbose, steps, epochs=2, known_steps=True):
    """fit (with validation), then evaluate, then predict, as the trainers drive a CallbackList."""
    clock.now = 1000.0
    out = io.StringIO()
    model = _FakeModel()
    cbks = module.callbacks
    with contextlib.redirect_stdout(out):
        fit = cbks.CallbackList(None, add_history=True, add_progbar=True, model=model, verbose=verbose,
                                epochs=epochs, steps=steps if known_steps else None)
        fit.on_train_begin()
        for epoch in range(epochs):
            fit.on_epoch_begin(epoch)
            for step in range(steps):
                fit.on_train_batch_begin(step)
                clock.now += 0.02 * (step + 1)
                fit.on_train_batch_end(step, _batch_logs(step, tensors))
            fit.on_test_begin()
            for step in range(2):
                fit.on_test_batch_begin(step)
                fit.on_test_batch_end(step, _batch_logs(step, tensors))
            fit.on_test_end({"loss": 0.25, "mae": 0.125})
            fit.on_epoch_end(epoch, {"loss": 0.5, "mae": 0.75, "val_loss": 0.25, "val_mae": 0.125})
        fit.on_train_end({"loss": 0.5})
        for mode in ("test", "predict"):
            run = cbks.CallbackList(None, add_progbar=True, model=model, verbose=verbose, epochs=1, steps=3)
            getattr(run, f"on_{mode}_begin")()
            for step in range(3):
                clock.now += 0.004
                getattr(run, f"on_{mode}_batch_end")(step, _batch_logs(step, tensors))
            getattr(run, f"on_{mode}_end")({"loss": 0.25, "mae": 0.125} if mode == "test" else None)
    return out.getvalue(), model.history.history


@pytest.mark.parametrize("verbose", [1, 2])
@pytest.mark.parametrize("known_steps", [True, False])
def test_progbar_logger_matches_fit_evaluate_predict(tfk, clock, verbose, known_steps):
    theirs = _run_logger(tfk, clock, False, verbose, steps=4, known_steps=known_steps)
    ours = _run_logger(keras, clock, True, verbose, steps=4, known_steps=known_steps)
    assert ours == theirs
    assert ours[0].startswith("Epoch 1/2\n")


def test_progbar_logger_single_epoch_has_no_header(tfk, clock):
    theirs = _run_logger(tfk, clock, False, 1, steps=3, epochs=1)
    ours = _run_logger(keras, clock, True, 1, steps=3, epochs=1)
    assert ours == theirs
    assert "Epoch" not in ours[0]
