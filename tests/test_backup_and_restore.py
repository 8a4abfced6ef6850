"""BackupAndRestore: an interrupted fit resumes where its last backup stopped."""
import os

import numpy as np
import pytest

import torchkeras_api as keras


def _data():
    rng = np.random.default_rng(0)
    return rng.random((64, 4), dtype=np.float32), rng.random((64, 1), dtype=np.float32)


def _model(weights=None):
    model = keras.Sequential([keras.layers.Dense(3, activation="tanh", input_shape=(4,)),
                              keras.layers.BatchNormalization(), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    if weights is not None:
        model.set_weights(weights)
    return model


class _StopAtEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


class _Steps(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_begin(self, batch, logs=None):
        self.seen.append((self.epoch, batch))

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def test_resumed_fit_ends_with_the_weights_of_an_uninterrupted_fit(tmp_path):
    x, y = _data()
    initial = _model().get_weights()
    straight = _model(initial)
    straight.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)

    backup = keras.callbacks.BackupAndRestore(str(tmp_path))
    interrupted = _model(initial)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0, callbacks=[backup, _StopAtEpoch(2)])
    assert os.path.exists(tmp_path / "chief" / "training_state.pt")

    resumed = _model()
    steps = _Steps()
    history = resumed.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0, callbacks=[backup, steps])
    assert history.epoch == [2, 3]
    assert steps.seen[0] == (2, 0)
    assert int(resumed.optimizer.iterations.numpy()) == 16
    for ours, reference in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)
    assert not os.path.exists(tmp_path / "chief")


def test_batch_frequency_resumes_inside_the_epoch(tmp_path):
    x, y = _data()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path), save_freq=3)

    class StopAtStep(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if int(self.model.optimizer.iterations.numpy()) == 7:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _model().fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[backup, StopAtStep()])
    steps = _Steps()
    model = _model()
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[backup, steps])
    assert history.epoch == [1, 2]
    assert steps.seen[:3] == [(1, 2), (1, 3), (2, 0)]
    assert int(model.optimizer.iterations.numpy()) == 12


def test_delete_checkpoint_false_keeps_the_backup(tmp_path):
    x, y = _data()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path), delete_checkpoint=False)
    _model().fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[backup])
    assert os.path.exists(tmp_path / "chief" / "training_state.pt")
    history = _model().fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[backup])
    assert history.epoch == [2]


def test_backup_of_another_model_is_refused_and_leaves_the_model_unchanged(tmp_path):
    x, y = _data()
    backup = keras.callbacks.BackupAndRestore(str(tmp_path), delete_checkpoint=False)
    _model().fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[backup])
    other = keras.Sequential([keras.layers.Dense(2, input_shape=(4,))])
    other.compile("sgd", "mse")
    before = other.get_weights()
    with pytest.raises(ValueError, match="different model"):
        other.fit(x, np.zeros((64, 2), np.float32), epochs=1, verbose=0, callbacks=[backup])
    for now, then in zip(other.get_weights(), before):
        np.testing.assert_array_equal(now, then)


def test_unreadable_backup_names_the_folder(tmp_path):
    (tmp_path / "chief").mkdir()
    (tmp_path / "chief" / "training_state.pt").write_bytes(b"not a backup")
    x, y = _data()
    with pytest.raises(ValueError, match="could not read its backup"):
        _model().fit(x, y, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path))])


@pytest.mark.parametrize("save_freq", [0, -2, "batches"])
def test_invalid_save_freq(tmp_path, save_freq):
    with pytest.raises(ValueError, match="save_freq"):
        keras.callbacks.BackupAndRestore(str(tmp_path), save_freq=save_freq)


def test_experimental_alias():
    assert keras.callbacks.experimental.BackupAndRestore is keras.callbacks.BackupAndRestore
