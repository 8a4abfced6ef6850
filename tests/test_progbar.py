"""keras.utils.Progbar: what it prints, how it averages, and that it reads device values only to print."""
import time

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api.utils import progbar as progbar_module
from torchkeras_api.utils.progbar import print_msg, sync_to_python


@pytest.fixture
def clock(monkeypatch):
    """time.time() fixed at 1000 s; tests move it by hand."""
    now = [1000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


@pytest.fixture
def syncs(monkeypatch):
    """Counts the progress bar's reads of values back to the host."""
    calls = []

    def counting(structure):
        calls.append(structure)
        return sync_to_python(structure)

    monkeypatch.setattr(progbar_module, "sync_to_python", counting)
    return calls


def _lines(text):
    """The successive redraws of a live bar, without the control characters."""
    return [line.strip("\b") for line in text.replace("\b", "").split("\r") if line]


def test_exported_from_utils():
    assert keras.utils.Progbar is progbar_module.Progbar


def test_live_bar_eta_and_final_time_per_step(clock, capsys):
    bar = keras.utils.Progbar(10)
    clock[0] += 0.3
    bar.update(3, [("loss", 0.2345), ("acc", 0.5)])
    clock[0] += 1.4
    bar.update(10, [("loss", 0.1), ("acc", 0.75)])
    assert _lines(capsys.readouterr().out) == [
        " 3/10 [========>.....................] - ETA: 0s - loss: 0.2345 - acc: 0.5000",
        "10/10 [==============================] - 2s 170ms/step - loss: 0.1404 - acc: 0.6750\n"]


def test_redraw_erases_the_previous_line(clock, capsys):
    bar = keras.utils.Progbar(2)
    clock[0] += 1
    bar.update(1, [("loss", 1.0)])
    clock[0] += 1
    bar.update(2, [("loss", 1.0)])
    first, second = capsys.readouterr().out.split("\n")[0].split("\r")[1:]
    assert second.startswith("2/2") and first.endswith("\b" * len(first.rstrip("\b")))


def test_verbose_2_prints_one_line_at_the_end(clock, capsys):
    bar = keras.utils.Progbar(4, verbose=2)
    for step in range(1, 5):
        clock[0] += 0.5
        bar.update(step, [("loss", float(step)), ("neg", -1.0)])
        if step < 4:
            assert capsys.readouterr().out == ""
    assert capsys.readouterr().out == "4/4 - 2s - loss: 2.5000 - neg: -1.0000e+00 - 2s/epoch - 500ms/step\n"


def test_verbose_0_is_silent(clock, capsys):
    bar = keras.utils.Progbar(3, verbose=0)
    for step in (1, 2, 3):
        bar.update(step, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_averages_weighted_by_steps_and_stateful_shown_as_given(clock, capsys):
    bar = keras.utils.Progbar(4, stateful_metrics=["acc"])
    bar.update(1, [("loss", 1.0), ("acc", 0.1)])
    clock[0] += 1
    bar.update(4, [("loss", 2.0), ("acc", 0.9)])
    final = _lines(capsys.readouterr().out)[-1]
    assert final.endswith("loss: 1.7500 - acc: 0.9000\n")


def test_small_values_in_scientific_notation(clock, capsys):
    bar = keras.utils.Progbar(1)
    bar.update(1, [("lr", 1e-5), ("zero", 0.0), ("neg", -2e-4)])
    assert capsys.readouterr().out.endswith("lr: 1.0000e-05 - zero: 0.0000e+00 - neg: -2.0000e-04\n")


def test_unknown_target_counts_up(clock, capsys):
    bar = keras.utils.Progbar(None)
    clock[0] += 0.25
    bar.update(5, [("loss", 0.5)])
    assert _lines(capsys.readouterr().out) == ["      5/Unknown - 0s 50ms/step - loss: 0.5000"]


def test_eta_formats(clock, capsys):
    bar = keras.utils.Progbar(1000, interval=0)
    clock[0] += 4
    bar.update(1)
    clock[0] += 4
    bar.update(2)
    clock[0] += 3956
    bar.update(991)
    assert [line.split(" - ")[1].strip() for line in _lines(capsys.readouterr().out)] == [
        "ETA: 1:06:36", "ETA: 1:06:32", "ETA: 36s"]


def test_interval_limits_redraws_but_not_the_last(clock, capsys):
    bar = keras.utils.Progbar(5, interval=1.0)
    for step in range(1, 6):
        clock[0] += 0.1
        bar.update(step, [("loss", 1.0)])
    assert [line[:3] for line in _lines(capsys.readouterr().out)] == ["1/5", "5/5"]


def test_finalize_argument(clock, capsys):
    bar = keras.utils.Progbar(3)
    bar.update(3, finalize=False)
    assert not capsys.readouterr().out.endswith("\n")
    bar.update(2, finalize=True)
    assert capsys.readouterr().out.endswith("\n")


def test_add_advances_by_n(clock, capsys):
    bar = keras.utils.Progbar(4, verbose=2)
    bar.add(1, [("loss", 4.0)])
    bar.add(3, [("loss", 0.0)])
    assert capsys.readouterr().out.startswith("4/4 - 0s - loss: 1.0000")


def test_unit_name_and_width(clock, capsys):
    bar = keras.utils.Progbar(2, width=4, unit_name="sample")
    clock[0] += 2
    bar.update(2)
    assert _lines(capsys.readouterr().out) == ["2/2 [====] - 2s 1s/sample\n"]


def test_tensor_values_read_only_when_printing(clock, capsys, syncs):
    bar = keras.utils.Progbar(100, interval=10.0, stateful_metrics=["acc"])
    for step in range(1, 101):
        clock[0] += 0.01
        bar.update(step, [("loss", torch.tensor(0.5, requires_grad=True) * 1), ("acc", torch.tensor(0.25))])
    assert len(syncs) == 2
    assert capsys.readouterr().out.endswith("loss: 0.5000 - acc: 0.2500\n")


def test_tensor_sums_in_float64_like_python_floats(clock, capsys):
    values = [0.1, 0.7, 1 / 3, 2 / 7]
    ours, plain = keras.utils.Progbar(4, verbose=0), keras.utils.Progbar(4, verbose=0)
    for step, v in enumerate(values, 1):
        ours.update(step, [("x", torch.tensor(v))])
        plain.update(step, [("x", float(np.float32(v)))])
    assert ours._averages() == plain._averages()


def test_sync_to_python_structures():
    out = sync_to_python({"loss": torch.tensor(0.1), "n": torch.tensor(3), "flag": torch.tensor(True),
                          "outputs": [torch.ones(2, requires_grad=True), (torch.tensor(2.5, dtype=torch.float64),)],
                          "plain": 1.5, "array": np.zeros(1)})
    assert out["loss"] == float(np.float32(0.1)) and type(out["loss"]) is float
    assert out["n"] == 3 and type(out["n"]) is int
    assert out["flag"] is True
    np.testing.assert_array_equal(out["outputs"][0], [1.0, 1.0])
    assert isinstance(out["outputs"][0], np.ndarray) and out["outputs"][1] == (2.5,)
    assert out["plain"] == 1.5 and isinstance(out["array"], np.ndarray)
    assert sync_to_python(torch.tensor(2.0)) == 2.0
    assert sync_to_python({}) == {}


def test_print_msg_writes_to_current_stdout(capsys):
    print_msg("a")
    print_msg("b", line_break=False)
    assert capsys.readouterr().out == "a\nb"
