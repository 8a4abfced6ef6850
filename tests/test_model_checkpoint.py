"""keras.callbacks.ModelCheckpoint: filepath templates, save_best_only, save_freq, messages, resuming."""
import logging
import os

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers as L

ModelCheckpoint = keras.callbacks.ModelCheckpoint


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()


def _model():
    return keras.Sequential([L.Dense(3, input_shape=(4,), name="d1"), L.Dense(1, name="d2")])


def _marker(model):
    """A number identifying the model's current weights (its first kernel entry)."""
    return float(model.layers[0].kernel.numpy()[0, 0])


def _loaded_marker(path):
    other = _model()
    other.load_weights(path)
    return _marker(other)


def _drive(callback, model, epoch_logs, initial_epoch=0):
    """Runs the epoch hooks as fit does, setting the marker weight to the epoch number before each epoch end."""
    callback.set_model(model)
    callback.on_train_begin()
    for offset, logs in enumerate(epoch_logs):
        epoch = initial_epoch + offset
        callback.on_epoch_begin(epoch)
        with torch.no_grad():
            model.layers[0].kernel[0, 0] = float(epoch + 1)
        callback.on_epoch_end(epoch, dict(logs))
    callback.on_train_end()


def _data(n=32):
    rng = np.random.RandomState(0)
    x = rng.rand(n, 4).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


def test_templates_use_one_based_epochs_and_logs(tmp_path):
    pattern = str(tmp_path / "weights.{epoch:02d}-{val_loss:.2f}.h5")
    cb = ModelCheckpoint(pattern, save_weights_only=True)
    model = _model()
    _drive(cb, model, [{"loss": 1.0, "val_loss": 0.5}, {"loss": 0.9, "val_loss": 0.456}])
    assert sorted(os.listdir(tmp_path)) == ["weights.01-0.50.h5", "weights.02-0.46.h5"]
    assert _loaded_marker(str(tmp_path / "weights.01-0.50.h5")) == 1.0
    assert _loaded_marker(str(tmp_path / "weights.02-0.46.h5")) == 2.0


def test_template_with_an_unknown_key_raises(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "w.{val_acc:.2f}.h5"), save_weights_only=True)
    with pytest.raises(KeyError) as info:
        _drive(cb, _model(), [{"loss": 1.0}])
    assert info.value.args[0] == f'Failed to format this callback filepath: "{cb.filepath}". Reason: \'val_acc\''


def test_missing_folders_are_created(tmp_path):
    cb = ModelCheckpoint(str(tmp_path / "a" / "b" / "w{epoch}.h5"), save_weights_only=True)
    _drive(cb, _model(), [{"loss": 1.0}])
    assert os.listdir(tmp_path / "a" / "b") == ["w1.h5"]


def test_save_best_only_min_mode_and_messages(tmp_path, capsys):
    path = str(tmp_path / "best.h5")
    cb = ModelCheckpoint(path, monitor="val_loss", save_best_only=True, save_weights_only=True, verbose=1)
    model = _model()
    _drive(cb, model, [{"val_loss": 0.5}, {"val_loss": 0.7}, {"val_loss": 0.3}, {"val_loss": 0.3}])
    assert _loaded_marker(path) == 3.0
    assert cb.best == 0.3
    out = capsys.readouterr().out
    assert out == (f"\nEpoch 1: val_loss improved from inf to 0.50000, saving model to {path}\n"
                   "\nEpoch 2: val_loss did not improve from 0.50000\n"
                   f"\nEpoch 3: val_loss improved from 0.50000 to 0.30000, saving model to {path}\n"
                   "\nEpoch 4: val_loss did not improve from 0.30000\n")


@pytest.mark.parametrize("monitor, mode, values, best_epoch", [
    ("val_accuracy", "auto", [0.5, 0.8, 0.6], 2),
    ("val_acc", "auto", [0.5, 0.8, 0.6], 2),
    ("val_loss", "max", [0.5, 0.8, 0.6], 2),
    ("val_auc", "auto", [0.5, 0.8, 0.4], 3),  # auto maximizes only names containing "acc" (tf.keras's rule)
    ("val_auc", "max", [0.5, 0.8, 0.4], 2),
    ("loss", "min", [0.5, 0.8, 0.6], 1),
])
def test_save_best_only_modes(tmp_path, monitor, mode, values, best_epoch):
    path = str(tmp_path / "best.h5")
    cb = ModelCheckpoint(path, monitor=monitor, mode=mode, save_best_only=True, save_weights_only=True)
    _drive(cb, _model(), [{monitor: v} for v in values])
    assert _loaded_marker(path) == float(best_epoch)


def test_unknown_mode_falls_back_to_auto(caplog):
    with caplog.at_level(logging.WARNING):
        cb = ModelCheckpoint("w.h5", mode="sideways")
    assert cb.monitor_op is np.less
    assert "ModelCheckpoint mode sideways is unknown, fallback to auto mode." in caplog.text


def test_initial_value_threshold(tmp_path):
    path = str(tmp_path / "best.h5")
    cb = ModelCheckpoint(path, save_best_only=True, save_weights_only=True, initial_value_threshold=0.4)
    _drive(cb, _model(), [{"val_loss": 0.5}, {"val_loss": 0.45}])
    assert not os.path.exists(path)
    _drive(cb, _model(), [{"val_loss": 0.35}])
    assert os.path.exists(path)


def test_missing_monitor_warns_and_skips(tmp_path, caplog):
    path = str(tmp_path / "best.h5")
    cb = ModelCheckpoint(path, save_best_only=True, save_weights_only=True)
    with caplog.at_level(logging.WARNING):
        _drive(cb, _model(), [{"loss": 0.5}])
    assert not os.path.exists(path)
    assert "Can save best model only with val_loss available, skipping." in caplog.text


def test_plain_verbose_message(tmp_path, capsys):
    path = str(tmp_path / "w.h5")
    _drive(ModelCheckpoint(path, save_weights_only=True, verbose=1), _model(), [{"loss": 1.0}])
    assert capsys.readouterr().out == f"\nEpoch 1: saving model to {path}\n"


def test_period_saves_every_n_epochs(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        cb = ModelCheckpoint(str(tmp_path / "w{epoch}.h5"), save_weights_only=True, period=2)
    assert "`period` argument is deprecated" in caplog.text
    _drive(cb, _model(), [{"loss": 1.0}] * 5)
    assert sorted(os.listdir(tmp_path)) == ["w2.h5", "w4.h5"]


def test_save_freq_validation():
    with pytest.raises(ValueError, match='Unrecognized save_freq: often. Expected save_freq are "epoch" or integer'):
        ModelCheckpoint("w.h5", save_freq="often")
    assert not ModelCheckpoint("w.h5")._implements_train_batch_hooks()
    assert ModelCheckpoint("w.h5", save_freq=3)._implements_train_batch_hooks()


def test_save_freq_counts_batches_across_epochs_in_fit(tmp_path):
    x, y = _data(64)  # 8 batches of 8 per epoch
    model = _model()
    model.compile("sgd", "mse")
    cb = ModelCheckpoint(str(tmp_path / "w.{epoch:02d}-{batch:02d}.h5"), save_weights_only=True, save_freq=5)
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[cb])
    # batches seen: 5 (epoch 1, batch 5), 10 (epoch 2, batch 2), 15 (epoch 2, batch 7)
    assert sorted(os.listdir(tmp_path)) == ["w.01-05.h5", "w.02-02.h5", "w.02-07.h5"]


def test_save_freq_with_several_steps_per_call():
    cb = ModelCheckpoint("w.h5", save_freq=4)
    # batch indices as fit reports them with steps_per_execution=3: the last batch of each call
    assert [cb._should_save_on_batch(b) for b in (2, 5, 7, 2, 5)] == [False, True, False, True, False]


def test_save_freq_batch_logs_may_be_tensors(tmp_path):
    model = _model()
    cb = ModelCheckpoint(str(tmp_path / "w-{loss:.3f}.h5"), save_weights_only=True, save_freq=1)
    cb.set_model(model)
    cb.on_train_begin()
    cb.on_epoch_begin(0)
    cb.on_train_batch_end(0, {"loss": torch.tensor(0.25)})
    assert os.listdir(tmp_path) == ["w-0.250.h5"]


def test_whole_model_checkpoints_load_with_the_same_predictions(tmp_path):
    x, y = _data()
    model = _model()
    model.compile("sgd", "mse")
    model.fit(x, y, epochs=2, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "m-{epoch}.h5"))])
    assert sorted(os.listdir(tmp_path)) == ["m-1.h5", "m-2.h5"]
    loaded = keras.models.load_model(str(tmp_path / "m-2.h5"))
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_unwritable_weights_formats_fail_before_training(tmp_path):
    x, y = _data()
    model = _model()
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    for name in ("w.weights.h5", "w-{epoch}.weights.h5"):
        cb = ModelCheckpoint(str(tmp_path / name), save_weights_only=True)
        with pytest.raises(NotImplementedError, match="Keras v3"):
            model.fit(x, y, epochs=1, verbose=0, callbacks=[cb])
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # no training step ran
    assert os.listdir(tmp_path) == []


def test_tensorflow_style_checkpoint_paths_and_latest_checkpoint(tmp_path):
    """The TF 2 tutorial idiom: `cp-{epoch:04d}.ckpt` weights checkpoints found by `tf.train.latest_checkpoint`."""
    import torchkeras_api.tf as tf
    x, y = _data()
    model = _model()
    model.compile("sgd", "mse")
    cb = ModelCheckpoint(str(tmp_path / "cp-{epoch:04d}.ckpt"), save_weights_only=True)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[cb])
    latest = tf.train.latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / "cp-0002.ckpt")
    restored = _model()
    restored.load_weights(latest)
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_whole_model_saving_calls_model_save(tmp_path):
    calls = []

    class Saving(keras.Sequential):
        def save(self, filepath, overwrite=True, **kwargs):
            calls.append((filepath, overwrite, kwargs))

    model = Saving([L.Dense(1, input_shape=(4,))])
    _drive(ModelCheckpoint(str(tmp_path / "m{epoch}.h5")), model, [{"loss": 1.0}, {"loss": 0.5}])
    assert calls == [(str(tmp_path / "m1.h5"), True, {}), (str(tmp_path / "m2.h5"), True, {})]
    with pytest.raises(ValueError, match="native TF-Keras format does not support the `options` argument"):
        ModelCheckpoint("m.keras", options=object())


def test_directory_filepath(tmp_path):
    (tmp_path / "dir.h5").mkdir()
    cb = ModelCheckpoint(str(tmp_path / "dir.h5"), save_weights_only=True)
    with pytest.raises(IOError, match="Please specify a non-directory filepath for ModelCheckpoint"):
        _drive(cb, _model(), [{"loss": 1.0}])


def test_fit_with_checkpoint_then_resume_from_the_latest_file(tmp_path):
    x, y = _data()
    pattern = str(tmp_path / "w.{epoch:02d}.h5")
    model = _model()
    model.compile(keras.optimizers.SGD(learning_rate=0.01), "mse")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
              callbacks=[ModelCheckpoint(pattern, save_weights_only=True)])
    assert sorted(os.listdir(tmp_path)) == ["w.01.h5", "w.02.h5"]
    saved = model.get_weights()

    keras.backend.clear_session()
    resumed = _model()
    resumed.compile(keras.optimizers.SGD(learning_rate=0.01), "mse")
    cb = ModelCheckpoint(pattern, save_weights_only=True)
    latest = cb._get_most_recently_modified_file_matching_pattern(pattern)
    assert latest == str(tmp_path / "w.02.h5")
    resumed.load_weights(latest)
    for a, b in zip(resumed.get_weights(), saved):
        np.testing.assert_array_equal(a, b)
    history = resumed.fit(x, y, batch_size=8, epochs=4, initial_epoch=2, shuffle=False, verbose=0, callbacks=[cb])
    assert history.epoch == [2, 3]
    assert sorted(os.listdir(tmp_path)) == ["w.01.h5", "w.02.h5", "w.03.h5", "w.04.h5"]


def test_load_weights_on_restart(tmp_path, caplog):
    pattern = str(tmp_path / "w.{epoch:02d}.h5")
    first = _model()
    _drive(ModelCheckpoint(pattern, save_weights_only=True), first, [{"loss": 1.0}] * 3)
    keras.backend.clear_session()
    model = _model()
    with caplog.at_level(logging.WARNING):
        cb = ModelCheckpoint(pattern, save_weights_only=True, load_weights_on_restart=True)
    assert "`load_weights_on_restart` argument is deprecated" in caplog.text
    cb.set_model(model)
    cb.on_train_begin()
    assert _marker(model) == 3.0


def test_most_recent_file_ties_and_literal_characters(tmp_path):
    cb = ModelCheckpoint("unused.h5")
    names = ["f.batch03epoch02.h5", "f.batch02epoch02.h5", "f.batch01epoch01.h5", "fXbatch09epoch09.h5"]
    for name in names:
        (tmp_path / name).write_bytes(b"")
        os.utime(tmp_path / name, (1000, 1000))
    pattern = str(tmp_path / "f.batch{batch:02d}epoch{epoch:02d}.h5")
    assert cb._get_most_recently_modified_file_matching_pattern(pattern) == str(tmp_path / "f.batch03epoch02.h5")
    os.utime(tmp_path / "f.batch01epoch01.h5", (2000, 2000))
    assert cb._get_most_recently_modified_file_matching_pattern(pattern) == str(tmp_path / "f.batch01epoch01.h5")
    assert cb._get_most_recently_modified_file_matching_pattern(str(tmp_path / "none{epoch}.h5")) is None
    assert cb._get_most_recently_modified_file_matching_pattern(str(tmp_path / "nodir" / "x{epoch}.h5")) is None


def test_an_interrupted_epoch_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    from torchkeras_api.saving import hdf5_weights
    path = str(tmp_path / "latest.h5")
    model = _model()
    cb = ModelCheckpoint(path, save_weights_only=True)
    _drive(cb, model, [{"loss": 1.0}])
    real = hdf5_weights.save_weights_to_hdf5_group

    def crashing(group, model):
        real(group, model)
        raise KeyboardInterrupt

    monkeypatch.setattr(hdf5_weights, "save_weights_to_hdf5_group", crashing)
    with pytest.raises(KeyboardInterrupt):
        _drive(cb, model, [{"loss": 0.5}], initial_epoch=1)
    monkeypatch.undo()
    assert _loaded_marker(path) == 1.0
    assert os.listdir(tmp_path) == ["latest.h5"]
