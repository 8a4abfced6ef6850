"""Callbacks whose effect on fit is compared with tf.keras: BackupAndRestore's resume points."""
import numpy as np
import pytest

import torchkeras_api as keras


def _resume_trace(lib, backup_dir, save_freq, stop_at_iteration):
    """(epochs run after resuming, (epoch, batch) pairs run, final iterations)."""
    rng = np.random.default_rng(1)
    x, y = rng.random((64, 4), dtype=np.float32), rng.random((64, 1), dtype=np.float32)

    def model():
        m = lib.Sequential([lib.layers.Dense(1, input_shape=(4,))])
        m.compile("adam", "mse")
        return m

    class Stop(lib.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if int(self.model.optimizer.iterations.numpy()) == stop_at_iteration:
                raise KeyboardInterrupt

    class Trace(lib.callbacks.Callback):
        seen = []

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            self.seen.append((self.epoch, batch))

    backup = lib.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq)
    with pytest.raises(KeyboardInterrupt):
        model().fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[backup, Stop()])
    resumed = model()
    trace = Trace()
    history = resumed.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[backup, trace])
    return history.epoch, trace.seen, int(resumed.optimizer.iterations.numpy())


@pytest.mark.parametrize("save_freq,stop_at", [("epoch", 9), (3, 7), (2, 8)])
def test_backup_and_restore_resumes_where_tf_keras_does(tfk, tmp_path, save_freq, stop_at):
    ours = _resume_trace(keras, str(tmp_path / "ours"), save_freq, stop_at)
    theirs = _resume_trace(tfk, str(tmp_path / "theirs"), save_freq, stop_at)
    assert ours == theirs


def _nan_label_run(lib, capsys):
    rng = np.random.default_rng(2)
    x, y = rng.random((64, 4), dtype=np.float32), rng.random((64, 1), dtype=np.float32)
    y[37] = np.nan
    model = lib.Sequential([lib.layers.Dense(1, input_shape=(4,))])
    model.compile("sgd", "mse")
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False,
                        callbacks=[lib.callbacks.TerminateOnNaN()])
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    return history.epoch, np.isnan(history.history["loss"]).tolist(), int(model.optimizer.iterations.numpy()), printed


def test_terminate_on_nan_label_stops_where_tf_keras_does(tfk, capsys):
    ours = _nan_label_run(keras, capsys)
    assert ours == _nan_label_run(tfk, capsys)
    assert ours[-1] == "Batch 2: Invalid loss, terminating training"
