"""keras.callbacks, driven through a CallbackList as the trainer drives it, with a small stand-in model."""
import csv
import json
import logging
import re
import types

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api.callbacks import callback_list as callback_list_module
from torchkeras_api.utils.progbar import sync_to_python

cbks = keras.callbacks


class FakeModel:
    """What callbacks use of a model; get_weights returns views, as the engine does on the CPU."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.weights = [np.zeros(2, np.float32)]
        self.optimizer = types.SimpleNamespace(learning_rate=torch.tensor(lr))
        self.metrics = []

    def get_weights(self):
        return list(self.weights)

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


class Recorder(cbks.Callback):
    """Records every hook call with its arguments."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def __getattribute__(self, name):
        attr = super().__getattribute__(name)
        if name.startswith("on_"):
            calls = super().__getattribute__("calls")

            def record(*args, **kwargs):
                calls.append((name,) + args + tuple(kwargs.values()))
                return attr(*args, **kwargs)
            return record
        return attr


def _train(callbacks, epoch_logs, model=None, steps=2, batch_logs=None):
    """Runs the fit protocol: one epoch per entry of epoch_logs, `steps` batches each; stops on stop_training."""
    model = model or FakeModel()
    callbacks = cbks.CallbackList(callbacks, add_history=True, model=model, verbose=0,
                                  epochs=len(epoch_logs), steps=steps)
    callbacks.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        callbacks.on_epoch_begin(epoch)
        for step in range(steps):
            callbacks.on_train_batch_begin(step)
            callbacks.on_train_batch_end(step, dict(batch_logs or {"loss": torch.tensor(0.5)}))
            if model.stop_training:
                break
        callbacks.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    callbacks.on_train_end(dict(epoch_logs[-1]))
    return model


# ---- Callback -------------------------------------------------------------------------------------------


def test_callback_defaults_and_setters():
    cb = cbks.Callback()
    assert cb.model is None and cb.validation_data is None and cb.params == {}
    model = FakeModel()
    cb.set_model(model)
    cb.set_params({"verbose": 1, "epochs": 2, "steps": 3})
    assert cb.model is model and cb.params == {"verbose": 1, "epochs": 2, "steps": 3}
    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
                 "on_predict_end"):
        assert getattr(cb, hook)({}) is None
    for hook in ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_train_batch_begin",
                 "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                 "on_predict_batch_end"):
        assert getattr(cb, hook)(0, {}) is None


def test_train_batch_hooks_call_the_on_batch_aliases():
    seen = []

    class Old(cbks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs))

    callbacks = cbks.CallbackList([Old()])
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": torch.tensor(2.0)})
    callbacks.on_batch_end(1, {"loss": 3.0})
    assert seen == [("begin", 0), ("end", 0, {"loss": 2.0}), ("end", 1, {"loss": 3.0})]


# ---- CallbackList ---------------------------------------------------------------------------------------


def test_callback_list_adds_history_then_progbar_and_sets_model_and_params():
    user = cbks.Callback()
    model = FakeModel()
    callbacks = cbks.CallbackList([user], add_history=True, add_progbar=True, model=model, verbose=1, epochs=3,
                                  steps=5)
    assert [type(cb) for cb in callbacks] == [cbks.Callback, cbks.History, cbks.ProgbarLogger]
    assert model.history is callbacks.callbacks[1]
    assert all(cb.model is model for cb in callbacks)
    assert all(cb.params == {"verbose": 1, "epochs": 3, "steps": 5} for cb in callbacks)
    assert callbacks.callbacks[2].use_steps


def test_callback_list_keeps_given_history_and_progbar():
    history, progbar = cbks.History(), cbks.ProgbarLogger()
    model = FakeModel()
    callbacks = cbks.CallbackList([[progbar], history], add_history=True, add_progbar=True, model=model)
    assert callbacks.callbacks == [progbar, history] and model.history is history


def test_callback_list_append_and_single_callback():
    first, second = cbks.Callback(), Recorder()
    callbacks = cbks.CallbackList(first)
    assert list(callbacks) == [first] and not callbacks.calls_batch_hooks("train")
    callbacks.append(second)
    assert list(callbacks) == [first, second]
    callbacks.on_predict_batch_end(0, {"outputs": torch.ones(2)})
    assert second.calls[0][0] == "on_predict_batch_end"


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(AttributeError, match="must be a `keras.callbacks.Callback`; got 3 of type int"):
        cbks.CallbackList([cbks.Callback(), 3])


def test_every_hook_reaches_every_callback_in_order():
    first, second = Recorder(), Recorder()
    callbacks = cbks.CallbackList([first, second])
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": 1.0})
    callbacks.on_test_begin()
    callbacks.on_test_batch_begin(0)
    callbacks.on_test_batch_end(0, {"loss": 1.0})
    callbacks.on_test_end({"loss": 1.0})
    callbacks.on_epoch_end(0, {"loss": 1.0})
    callbacks.on_train_end()
    callbacks.on_predict_begin()
    callbacks.on_predict_batch_begin(0)
    callbacks.on_predict_batch_end(0, {"outputs": 1})
    callbacks.on_predict_end()
    expected = ["on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_batch_begin", "on_train_batch_end",
                "on_batch_end", "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
                "on_epoch_end", "on_train_end", "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
                "on_predict_end"]
    assert [c[0] for c in first.calls] == expected == [c[0] for c in second.calls]
    assert first.calls[0] == ("on_train_begin", {})


def test_batch_hooks_called_only_where_overridden():
    class TestEnd(cbks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            pass

    assert not cbks.CallbackList([cbks.Callback(), cbks.History()], add_history=True).needs_batch_logs
    callbacks = cbks.CallbackList([TestEnd()])
    assert [callbacks.calls_batch_hooks(m) for m in ("train", "test", "predict")] == [False, True, False]
    assert callbacks.needs_batch_logs
    lam = cbks.CallbackList([cbks.LambdaCallback(on_batch_end=lambda batch, logs: None)])
    assert lam.calls_batch_hooks("train") and not lam.calls_batch_hooks("test")
    with pytest.raises(ValueError, match="Unknown mode: 'eval'"):
        callbacks.calls_batch_hooks("eval")


@pytest.mark.parametrize("verbose,steps,expected", [(1, 5, [True, True, True]), (2, 5, [False, False, False]),
                                                    (2, None, [True, True, True]), ("auto", 5, [True, True, True])])
def test_progbar_listens_to_batches_when_it_prints_or_counts(verbose, steps, expected):
    callbacks = cbks.CallbackList(None, add_progbar=True, model=FakeModel(), verbose=verbose, epochs=1, steps=steps)
    assert [callbacks.calls_batch_hooks(m) for m in ("train", "test", "predict")] == expected


def test_validation_inside_fit_needs_no_batch_logs():
    callbacks = cbks.CallbackList(None, add_history=True, add_progbar=True, model=FakeModel(), verbose=1,
                                  epochs=1, steps=2)
    assert callbacks.calls_batch_hooks("test")
    callbacks.on_train_begin()
    assert callbacks.calls_batch_hooks("train") and not callbacks.calls_batch_hooks("test")


@pytest.fixture
def list_syncs(monkeypatch):
    """Counts CallbackList's reads of logs back to python values."""
    calls = []

    def counting(structure):
        calls.append(structure)
        return sync_to_python(structure)

    monkeypatch.setattr(callback_list_module, "sync_to_python", counting)
    return calls


def test_batch_logs_stay_tensors_when_only_the_progbar_listens(list_syncs, capsys):
    model = FakeModel()
    callbacks = cbks.CallbackList(None, add_history=True, add_progbar=True, model=model, verbose=1, epochs=1,
                                  steps=50)
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    for step in range(50):
        callbacks.on_train_batch_end(step, {"loss": torch.tensor(0.5)})
    assert list_syncs == []
    callbacks.on_epoch_end(0, {"loss": torch.tensor(0.25)})
    assert model.history.history == {"loss": [0.25]} and type(model.history.history["loss"][0]) is float
    assert "50/50" in capsys.readouterr().out


def test_unheard_batch_hooks_do_not_touch_logs(list_syncs):
    callbacks = cbks.CallbackList([cbks.EarlyStopping()], add_history=True, model=FakeModel())
    for step in range(10):
        callbacks.on_train_batch_begin(step)
        callbacks.on_train_batch_end(step, {"loss": torch.tensor(float("nan"))})
        callbacks.on_test_batch_end(step, {"loss": torch.tensor(0.0)})
        callbacks.on_predict_batch_end(step, {"outputs": torch.ones(3)})
    assert list_syncs == []


def test_listeners_get_python_values_and_see_earlier_changes(capsys):
    seen = []

    class AddsValue(cbks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(dict(logs))
            logs["extra"] = 7.0

    callbacks = cbks.CallbackList([AddsValue()], add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=1)
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": torch.tensor(0.5, requires_grad=True) * 1})
    assert seen == [{"loss": 0.5}] and type(seen[0]["loss"]) is float
    assert "loss: 0.5000 - extra: 7.0000" in capsys.readouterr().out


def test_epoch_logs_are_a_python_copy_shared_by_all_callbacks():
    class AddsLr(cbks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["lr"] = 0.5

    model = FakeModel()
    logs = {"loss": torch.tensor(1.5)}
    callbacks = cbks.CallbackList([AddsLr()], add_history=True, model=model)
    callbacks.on_epoch_end(0, logs)
    assert model.history.history == {"loss": [1.5], "lr": [0.5]} and set(logs) == {"loss"}


# ---- History ----------------------------------------------------------------------------------------------


def test_history_records_epochs_params_and_model():
    model = _train([], [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.0}])
    history = model.history
    assert isinstance(history, cbks.History) and history.model is model
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.0]}
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 2}


def test_history_keeps_values_across_runs_but_restarts_epochs():
    history, model = cbks.History(), FakeModel()
    _train([history], [{"loss": 1.0}], model=model)
    _train([history], [{"loss": 2.0}], model=model)
    assert history.history == {"loss": [1.0, 2.0]} and history.epoch == [0]


# ---- ProgbarLogger ---------------------------------------------------------------------------------------


def test_progbar_logger_count_mode_errors_and_auto():
    with pytest.raises(ValueError, match=r"Unknown `count_mode`: batches"):
        cbks.ProgbarLogger(count_mode="batches")
    logger = cbks.ProgbarLogger()
    logger.set_params({"verbose": "auto", "epochs": 2, "steps": 4})
    assert (logger.verbose, logger.epochs, logger.target, logger.use_steps) == (1, 2, 4, True)


def test_progbar_logger_prints_epochs_and_stays_quiet_during_validation(capsys):
    model = FakeModel()
    callbacks = cbks.CallbackList(None, add_progbar=True, model=model, verbose=2, epochs=2, steps=1)
    callbacks.on_train_begin()
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_train_batch_end(0, {"loss": torch.tensor(0.5)})
        callbacks.on_test_begin()
        callbacks.on_test_batch_end(0, {"loss": 9.0})
        callbacks.on_test_end({"loss": 9.0})
        callbacks.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 9.0})
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert lines[1].startswith("1/1 - 0s - loss: 0.5000 - val_loss: 9.0000 - ")


def test_progbar_logger_model_metrics_are_shown_as_given(capsys):
    model = FakeModel()
    model.metrics = [types.SimpleNamespace(name="loss")]
    callbacks = cbks.CallbackList(None, add_progbar=True, model=model, verbose=1, epochs=1, steps=2)
    callbacks.on_epoch_begin(0)
    callbacks.on_train_batch_end(0, {"loss": torch.tensor(4.0), "other": torch.tensor(4.0)})
    callbacks.on_train_batch_end(1, {"loss": torch.tensor(2.0), "other": torch.tensor(2.0)})
    callbacks.on_epoch_end(0, {"loss": 2.0, "other": 2.0})
    assert capsys.readouterr().out.endswith("loss: 2.0000 - other: 2.6667\n")


def test_progbar_logger_samples_mode(capsys):
    callbacks = cbks.CallbackList([cbks.ProgbarLogger(count_mode="samples")], model=FakeModel(), verbose=1,
                                  epochs=1, samples=10)
    callbacks.on_predict_begin()
    callbacks.on_predict_batch_end(0, {"size": 6})
    callbacks.on_predict_end()
    assert "10/10 [" in capsys.readouterr().out


def test_progbar_logger_unknown_steps_learns_them_in_the_first_epoch(capsys):
    model = FakeModel()
    callbacks = cbks.CallbackList(None, add_progbar=True, model=model, verbose=1, epochs=2, steps=None)
    for epoch in range(2):
        callbacks.on_epoch_begin(epoch)
        for step in range(3):
            callbacks.on_train_batch_end(step, {"loss": 1.0})
        callbacks.on_epoch_end(epoch, {"loss": 1.0})
    out = capsys.readouterr().out
    assert "1/Unknown" in out and out.count("3/3 [") == 2 and callbacks.callbacks[0].target == 3


# ---- EarlyStopping ---------------------------------------------------------------------------------------


def _epochs(values, key="val_loss"):
    return [{"loss": 0.0, key: v} for v in values]


@pytest.mark.parametrize("kwargs,values,ran,stopped", [
    ({"patience": 0}, [1.0, 0.9, 0.95, 0.5], 3, 2),
    ({"patience": 2}, [1.0, 0.9, 0.95, 0.91, 0.92, 0.1], 4, 3),
    ({"patience": 1, "min_delta": 0.2}, [1.0, 0.85, 0.7, 0.1], 2, 1),
    ({"patience": 2, "baseline": 0.5}, [1.0, 1.0, 0.1], 2, 1),
    ({"patience": 0, "start_from_epoch": 3}, [1.0, 2.0, 3.0, 4.0, 5.0], 5, 4),
    ({"patience": 0, "mode": "max"}, [1.0, 2.0, 1.5], 3, 2),
])
def test_early_stopping_stops_when_no_improvement(kwargs, values, ran, stopped):
    es = cbks.EarlyStopping(**kwargs)
    model = _train([es], _epochs(values))
    assert len(model.history.epoch) == ran and es.stopped_epoch == stopped and model.stop_training


def test_early_stopping_auto_mode_maximizes_accuracy():
    for name in ("val_acc", "val_accuracy", "auc"):
        assert cbks.EarlyStopping(monitor=name).monitor_op is np.greater
    es = cbks.EarlyStopping(monitor="val_accuracy", patience=0)
    model = _train([es], _epochs([0.5, 0.6, 0.55, 0.9], "val_accuracy"))
    assert model.history.epoch == [0, 1, 2] and es.best == 0.6


def test_early_stopping_restores_best_weights_and_reports(capsys):
    es = cbks.EarlyStopping(patience=1, restore_best_weights=True, verbose=1)
    model = FakeModel()
    callbacks = cbks.CallbackList([es], model=model)
    callbacks.on_train_begin()
    for epoch, value in enumerate([1.0, 0.5, 0.7, 0.8]):
        model.weights[0][:] = epoch
        callbacks.on_epoch_end(epoch, {"val_loss": value})
        if model.stop_training:
            break
    callbacks.on_train_end()
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    assert es.best_epoch == 1
    assert capsys.readouterr().out == ("Epoch 3: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 2.\n")


def test_early_stopping_missing_monitor_warns_and_continues(caplog):
    es = cbks.EarlyStopping(monitor="val_auc")
    with caplog.at_level(logging.WARNING):
        model = _train([es], [{"loss": 1.0}] * 3)
    assert len(model.history.epoch) == 3 and not model.stop_training
    assert "Early stopping conditioned on metric `val_auc` which is not available. " \
           "Available metrics are: loss" in caplog.text


def test_early_stopping_unknown_mode_falls_back_to_auto(caplog):
    with caplog.at_level(logging.WARNING):
        es = cbks.EarlyStopping(mode="smallest")
    assert es.monitor_op is np.less and "EarlyStopping mode smallest is unknown" in caplog.text


def test_early_stopping_reset_between_runs():
    es = cbks.EarlyStopping(monitor="loss", patience=0)
    model = _train([es], [{"loss": 1.0}, {"loss": 2.0}])
    assert es.stopped_epoch == 1
    model = _train([es], [{"loss": 5.0}, {"loss": 4.0}])
    assert es.stopped_epoch == 0 and es.best == 4.0 and not model.stop_training


# ---- learning rate ---------------------------------------------------------------------------------------


def test_learning_rate_scheduler_sets_rate_each_epoch_and_logs_it(capsys):
    model = _train([cbks.LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr, verbose=1)],
                   [{"loss": 1.0}] * 3, model=FakeModel(lr=0.4))
    np.testing.assert_allclose(model.history.history["lr"], [0.4, 0.2, 0.1], rtol=1e-6)
    assert isinstance(model.history.history["lr"][0], np.float32)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)
    assert capsys.readouterr().out.splitlines()[1:3] == [
        "Epoch 1: LearningRateScheduler setting learning rate to 0.4000000059604645.", ""]


def test_learning_rate_scheduler_old_one_argument_schedule():
    model = _train([cbks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], [{"loss": 1.0}] * 2)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)


def test_learning_rate_scheduler_accepts_float_tensors_and_numpy():
    model = _train([cbks.LearningRateScheduler(lambda epoch, lr: torch.tensor(0.25))], [{"loss": 1.0}])
    assert float(model.optimizer.learning_rate) == 0.25
    model = _train([cbks.LearningRateScheduler(lambda epoch, lr: np.float32(0.125))], [{"loss": 1.0}])
    assert float(model.optimizer.learning_rate) == 0.125


@pytest.mark.parametrize("output,message", [(1, 'The output of the "schedule" function should be float. Got: 1'),
                                            (torch.tensor(1), "The dtype of `lr` Tensor should be float.")])
def test_learning_rate_scheduler_bad_schedule(output, message):
    with pytest.raises(ValueError, match=message):
        _train([cbks.LearningRateScheduler(lambda epoch, lr: output)], [{"loss": 1.0}])


def test_learning_rate_callbacks_need_an_optimizer_rate():
    model = FakeModel()
    model.optimizer = None
    with pytest.raises(ValueError, match='Optimizer must have a "learning_rate" attribute; got None'):
        _train([cbks.LearningRateScheduler(lambda epoch, lr: lr)], [{"loss": 1.0}], model=model)


def test_reduce_lr_on_plateau_reduces_with_cooldown_and_floor(capsys):
    rlr = cbks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=1, min_lr=0.03, verbose=1)
    model = _train([rlr], [{"loss": 1.0}] * 6, model=FakeModel(lr=0.1))
    np.testing.assert_allclose(model.history.history["lr"], [0.1, 0.1, 0.05, 0.03, 0.03, 0.03], rtol=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.03)
    assert capsys.readouterr().out == ("\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.\n"
                                       "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.03.\n")


def test_reduce_lr_on_plateau_improvement_resets_wait():
    rlr = cbks.ReduceLROnPlateau(monitor="val_acc", factor=0.1, patience=2, min_delta=0.01)
    model = _train([rlr], _epochs([0.5, 0.505, 0.6, 0.6, 0.6], "val_acc"), model=FakeModel(lr=1.0))
    assert model.history.history["lr"] == [1.0] * 5 and rlr.best == 0.6
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1)


def test_reduce_lr_on_plateau_argument_errors(caplog):
    with pytest.raises(ValueError, match=r"does not support a factor >= 1.0. Got 1.5"):
        cbks.ReduceLROnPlateau(factor=1.5)
    with caplog.at_level(logging.WARNING):
        rlr = cbks.ReduceLROnPlateau(epsilon=0.5, mode="up")
    assert rlr.min_delta == 0.5 and rlr.mode == "auto"
    assert "`epsilon` argument is deprecated" in caplog.text and "mode up is unknown" in caplog.text
    with caplog.at_level(logging.WARNING):
        _train([cbks.ReduceLROnPlateau()], [{"loss": 1.0}])
    assert "Learning rate reduction is conditioned on metric `val_loss`" in caplog.text


# ---- CSVLogger, TerminateOnNaN, LambdaCallback, RemoteMonitor --------------------------------------------


def test_csv_logger_writes_sorted_columns_and_na(tmp_path):
    path = tmp_path / "log.csv"
    _train([cbks.CSVLogger(path)], [{"loss": 0.5, "acc": np.float32(0.25)}, {"loss": 0.25, "acc": 0.5,
                                                                            "val_loss": 0.125}])
    assert path.read_bytes() == (b"epoch,acc,loss,val_acc,val_loss\r\n0,0.25,0.5,NA,NA\r\n"
                                 b"1,0.5,0.25,NA,0.125\r\n")


def test_csv_logger_append_separator_and_lists(tmp_path):
    path = str(tmp_path / "log.tsv")
    for _ in range(2):
        _train([cbks.CSVLogger(path, separator="\t", append=True)],
               [{"val_loss": 1.0, "vec": np.array([1, 2]), "name": "a"}])
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    assert rows == [["epoch", "name", "val_loss", "vec"], ["0", "a", "1.0", '"[1, 2]"'], ["0", "a", "1.0", '"[1, 2]"']]


def test_terminate_on_nan_stops_at_the_bad_batch(capsys):
    for bad in (float("nan"), float("inf")):
        model = _train([cbks.TerminateOnNaN()], [{"loss": 1.0}] * 3, steps=3,
                       batch_logs={"loss": torch.tensor(bad)})
        assert model.stop_training and model.history.epoch == [0]
        assert capsys.readouterr().out == "Batch 0: Invalid loss, terminating training\n"
    model = _train([cbks.TerminateOnNaN()], [{"loss": 1.0}] * 2)
    assert not model.stop_training and model.history.epoch == [0, 1]


def test_lambda_callback_calls_functions_positionally():
    calls = []
    lam = cbks.LambdaCallback(on_epoch_begin=lambda e, logs: calls.append(("eb", e, logs)),
                              on_epoch_end=lambda e, logs: calls.append(("ee", e, logs)),
                              on_batch_begin=lambda b, logs: calls.append(("bb", b)),
                              on_batch_end=lambda b, logs: calls.append(("be", b, logs)),
                              on_train_begin=lambda logs: calls.append(("tb", logs)),
                              on_train_end=lambda logs: calls.append(("te", logs)),
                              on_test_begin=lambda logs: calls.append(("sb", logs)))
    _train([lam], [{"loss": 1.0}], steps=1)
    cbks.CallbackList([lam]).on_test_begin()
    assert calls == [("tb", {}), ("eb", 0, {}), ("bb", 0), ("be", 0, {"loss": 0.5}), ("ee", 0, {"loss": 1.0}),
                     ("te", {"loss": 1.0}), ("sb", {})]
    assert cbks.LambdaCallback().on_epoch_end(0, {}) is None


def test_remote_monitor_posts_epoch_logs(monkeypatch, caplog):
    requests = pytest.importorskip("requests")
    posts = []
    monkeypatch.setattr(requests, "post", lambda url, data=None, **kw: posts.append((url, data, kw)))
    _train([cbks.RemoteMonitor(root="http://host:1")], [{"loss": np.float32(0.5)}])
    _train([cbks.RemoteMonitor(send_as_json=True, headers={"a": "b"})], [{"loss": 0.25}])
    assert posts[0][0] == "http://host:1/publish/epoch/end/"
    assert json.loads(posts[0][1]["data"]) == {"epoch": 0, "loss": 0.5}
    assert posts[1][2] == {"json": {"epoch": 0, "loss": 0.25}, "headers": {"a": "b"}}

    def unreachable(*args, **kwargs):
        raise requests.exceptions.ConnectionError("down")

    monkeypatch.setattr(requests, "post", unreachable)
    with caplog.at_level(logging.WARNING):
        _train([cbks.RemoteMonitor()], [{"loss": 0.25}])
    assert "could not reach RemoteMonitor root server at http://localhost:9000" in caplog.text


# ---- through Model.fit / evaluate / predict ----------------------------------------------------------------


@pytest.fixture
def compiled():
    """A compiled linear regression and its data (skips while the trainer is not there)."""
    if not hasattr(keras.Model, "fit"):
        pytest.skip("Model.fit is not available")
    from torchkeras_api import optimizers
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    model.compile(optimizers.SGD(0.05), "mse")
    x = np.random.RandomState(0).rand(16, 3).astype("float32")
    return model, x, x.sum(axis=1, keepdims=True)


def test_fit_returns_history_and_stops_on_request(compiled):
    model, x, y = compiled
    stop_after_second = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 1))
    batches = []
    count = keras.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batches.append((batch, logs["loss"])))
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[stop_after_second, count])
    assert history is model.history and history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 5, "steps": 2}
    assert [b for b, _ in batches] == [0, 1, 0, 1] and all(type(loss) is float for _, loss in batches)
    assert len(history.history["loss"]) == 2


def test_fit_early_stopping_restores_the_best_epoch(compiled, capsys):
    model, x, y = compiled
    after_first = []
    snapshot = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: after_first.extend(np.copy(w) for w in model.get_weights()) if epoch == 0
        else None)
    es = keras.callbacks.EarlyStopping(monitor="loss", mode="max", patience=1, restore_best_weights=True, verbose=1)
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, callbacks=[snapshot, es])
    assert history.epoch == [0, 1] and es.stopped_epoch == 1
    for ours, best in zip(model.get_weights(), after_first):
        np.testing.assert_array_equal(ours, best)
    assert capsys.readouterr().out == ("Epoch 2: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 1.\n")


def test_fit_learning_rate_callbacks_reach_the_optimizer(compiled):
    model, x, y = compiled
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[scheduler])
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.05], rtol=1e-6)
    assert keras.backend.get_value(model.optimizer.learning_rate) == pytest.approx(0.05)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=0)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[plateau])
    np.testing.assert_allclose(history.history["lr"], [0.05, 0.05, 0.025], rtol=1e-6)
    assert keras.backend.get_value(model.optimizer.learning_rate) == pytest.approx(0.0125)


def test_fit_terminate_on_nan_and_csv_logger(compiled, tmp_path):
    model, x, y = compiled
    path = tmp_path / "log.csv"
    bad = np.full_like(y, np.nan)
    history = model.fit(x, bad, batch_size=4, epochs=3, verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN(), keras.callbacks.CSVLogger(path)])
    assert history.epoch == [0]
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,nan,NA"]


@pytest.mark.parametrize("verbose", [0, 1, 2, "auto"])
def test_fit_progress_output(compiled, capsys, verbose):
    model, x, y = compiled
    model.fit(x, y, batch_size=8, epochs=2, verbose=verbose, validation_data=(x, y))
    out = capsys.readouterr().out
    if verbose == 0:
        assert out == ""
        return
    lines = out.split("\n")
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and lines[4] == ""
    last = lines[1].split("\r")[-1] if verbose != 2 else lines[1]
    pattern = (r"2/2 \[=+\] - \d+s \d+[mu]?s/step - loss: \d\.\d{4} - val_loss: \d\.\d{4}" if verbose != 2 else
               r"2/2 - \d+s - loss: \d\.\d{4} - val_loss: \d\.\d{4} - \d+[mu]?s/epoch - \d+[mu]?s/step")
    assert re.fullmatch(pattern, last.rstrip()), last


def test_evaluate_and_predict_callbacks_get_python_logs(compiled):
    model, x, y = compiled
    recorder = Recorder()
    model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[recorder])
    model.predict(x, batch_size=8, verbose=0, callbacks=[recorder])
    names = [c[0] for c in recorder.calls]
    assert names[0] == "on_test_begin" and names[-1] == "on_predict_end"
    test_end = [c for c in recorder.calls if c[0] == "on_test_batch_end"]
    assert [c[1] for c in test_end] == [0, 1] and type(test_end[0][2]["loss"]) is float
    outputs = [c[2]["outputs"] for c in recorder.calls if c[0] == "on_predict_batch_end"]
    assert len(outputs) == 2 and isinstance(outputs[0], np.ndarray) and outputs[0].shape == (8, 1)
