"""Whole-model saves never destroy a good save, and bad files give clear errors (which file, what was
expected, what did not fit) without touching the model."""
import logging
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import zipfile

import h5py
import numpy as np
import pytest

import torchkeras_api as keras
from torchkeras_api import layers as L
from torchkeras_api.saving import atomic, hdf5_weights


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()


def _model(units=3):
    model = keras.Sequential([L.Dense(units, activation="relu", input_shape=(4,), name="hidden"),
                              L.Dense(2, name="out")])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def _x():
    return np.random.RandomState(0).rand(6, 4).astype("float32")


def _snapshot(path):
    """The bytes of a file, or of every file of a directory."""
    if os.path.isdir(path):
        return {name: open(os.path.join(path, name), "rb").read() for name in sorted(os.listdir(path))}
    with open(path, "rb") as handle:
        return handle.read()


def _visible(folder):
    return sorted(name for name in os.listdir(folder) if not name.startswith("."))


PATHS = ["m.h5", "m.keras", "m_dir"]


# ---- interrupted saves ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", PATHS)
def test_failed_save_keeps_the_previous_save(tmp_path, monkeypatch, name):
    path = str(tmp_path / name)
    model = _model()
    model.save(path)
    before = _snapshot(path)

    def failing(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(hdf5_weights, "save_weights_to_hdf5_group", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        model.save(path)
    assert _snapshot(path) == before
    assert os.listdir(tmp_path) == [name]


_KILLED_SAVE = textwrap.dedent("""
    import os, sys, time, zipfile
    import numpy as np
    import torchkeras_api as keras
    from torchkeras_api.saving import hdf5_weights
    path, how = sys.argv[1], sys.argv[2]
    model = keras.Sequential([keras.layers.Dense(64, input_shape=(32,), name="a"), keras.layers.Dense(8, name="b")])
    model.compile("adam", "mse")
    model.save(path)
    print("saved", flush=True)

    def stall():
        print("writing", flush=True)
        time.sleep(60)

    if how == "h5":
        real = hdf5_weights.save_subset_weights_to_hdf5_group
        def slow(group, weights, owner=""):
            real(group, weights, owner)
            stall()
        hdf5_weights.save_subset_weights_to_hdf5_group = slow
    elif how == "zip":
        real_writestr = zipfile.ZipFile.writestr
        def slow_writestr(self, *args, **kwargs):
            real_writestr(self, *args, **kwargs)
            stall()
        zipfile.ZipFile.writestr = slow_writestr
    else:
        real_fsync = os.fsync
        def slow_fsync(fd):
            real_fsync(fd)
            stall()
        os.fsync = slow_fsync
    model.set_weights([w + 1 for w in model.get_weights()])
    model.save(path)
""")


@pytest.mark.parametrize("name,how", [("m.h5", "h5"), ("m.keras", "zip"), ("m_dir", "dir")])
def test_killed_save_keeps_the_previous_save(tmp_path, name, how):
    path = str(tmp_path / name)
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, path, how], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "saved"
        before = _snapshot(path)
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
    assert _snapshot(path) == before
    assert _visible(tmp_path) == [name]
    loaded = keras.models.load_model(path)
    assert loaded.get_layer("a").kernel.numpy().shape == (32, 64)


# ---- overwrite=False -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PATHS)
def test_overwrite_false_refuses_without_a_terminal(tmp_path, monkeypatch, name):
    path = str(tmp_path / name)
    model = _model()
    model.save(path)
    before = _snapshot(path)
    model.set_weights([w + 1 for w in model.get_weights()])
    monkeypatch.setattr(atomic, "is_interactive", lambda: False)
    monkeypatch.setattr("torchkeras_api.saving.native.is_interactive", lambda: False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(path, overwrite=False)
    assert _snapshot(path) == before


@pytest.mark.parametrize("name", PATHS)
def test_overwrite_false_asks_on_a_terminal(tmp_path, monkeypatch, name):
    path = str(tmp_path / name)
    model = _model()
    model.save(path)
    before = _snapshot(path)
    model.set_weights([w + 1 for w in model.get_weights()])
    monkeypatch.setattr(atomic, "is_interactive", lambda: True)
    monkeypatch.setattr("torchkeras_api.saving.native.is_interactive", lambda: True)
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    model.save(path, overwrite=False)
    assert _snapshot(path) == before
    model.save(path, overwrite=False)
    np.testing.assert_array_equal(keras.models.load_model(path).predict(_x(), verbose=0),
                                  model.predict(_x(), verbose=0))


# ---- bad files ---------------------------------------------------------------------------------

def test_not_hdf5_truncated_and_corrupted_files(tmp_path):
    good = str(tmp_path / "good.h5")
    _model().save(good)
    data = open(good, "rb").read()
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(OSError, match="text.h5.*not an HDF5 file"):
        keras.models.load_model(str(tmp_path / "text.h5"))
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match="cut.h5.*truncated or corrupted"):
        keras.models.load_model(str(tmp_path / "cut.h5"))
    rng = np.random.RandomState(0)
    for trial in range(5):
        damaged = bytearray(data)
        for index in rng.randint(512, len(data), 40):
            damaged[index] ^= 0xFF
        path = tmp_path / f"damaged{trial}.h5"
        path.write_bytes(bytes(damaged))
        try:
            keras.models.load_model(str(path))
        except (OSError, ValueError) as e:
            assert str(path) in str(e)


def test_weights_only_file_and_bad_config(tmp_path):
    model = _model()
    model.save_weights(str(tmp_path / "w.h5"))
    with pytest.raises(ValueError, match="No model config found in the file at .*w.h5.*load_weights"):
        keras.models.load_model(str(tmp_path / "w.h5"))
    shutil.copy(tmp_path / "w.h5", tmp_path / "bad.h5")
    with h5py.File(tmp_path / "bad.h5", "a") as f:
        f.attrs["model_config"] = "{not json"
    with pytest.raises(ValueError, match="bad.h5.*'model_config' attribute is not valid JSON"):
        keras.models.load_model(str(tmp_path / "bad.h5"))


def test_file_whose_weights_do_not_fit_its_config(tmp_path):
    _model(units=3).save(str(tmp_path / "m.h5"))
    keras.backend.clear_session()
    _model(units=5).save(str(tmp_path / "other.h5"))
    with h5py.File(tmp_path / "m.h5", "a") as f, h5py.File(tmp_path / "other.h5", "r") as g:
        del f["model_weights"]
        g.copy("model_weights", f)
    with pytest.raises(ValueError, match=r"layer #0 \(named hidden.*expects shape \(4, 3\).*\(4, 5\).*m.h5"):
        keras.models.load_model(str(tmp_path / "m.h5"))


def test_loading_a_wrong_model_file_leaves_the_model_unchanged(tmp_path):
    _model(units=5).save(str(tmp_path / "other.h5"))
    keras.backend.clear_session()
    model = _model(units=3)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="Shape mismatch.*other.h5"):
        model.load_weights(str(tmp_path / "other.h5"))
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_damaged_native_saves(tmp_path):
    model = _model()
    model.save(str(tmp_path / "m.keras"))
    data = open(tmp_path / "m.keras", "rb").read()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(OSError, match="cut.keras"):
        keras.models.load_model(str(tmp_path / "cut.keras"))
    model.save(str(tmp_path / "d"))
    os.remove(tmp_path / "d" / "model.weights.h5")
    with pytest.raises(ValueError, match="the save has no \\['model.weights.h5'\\]; it is incomplete"):
        keras.models.load_model(str(tmp_path / "d"))
    model.save(str(tmp_path / "e"))
    (tmp_path / "e" / "model.weights.h5").write_bytes(b"garbage")
    with pytest.raises(OSError, match="'model.weights.h5' is not a readable HDF5 file"):
        keras.models.load_model(str(tmp_path / "e"))
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert archive.testzip() is None


def test_mismatched_optimizer_state_warns_and_starts_fresh(tmp_path, caplog):
    model = _model()
    x = _x()
    y = np.zeros((6, 2), "float32")
    model.train_on_batch(x, y)
    path = str(tmp_path / "m.h5")
    model.save(path)
    with h5py.File(path, "a") as f:
        group = f["optimizer_weights"]
        names = [n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]]
        del group[names[1]]
        group.create_dataset(names[1], data=np.zeros((7, 7), "float32"))
    with caplog.at_level(logging.WARNING):
        loaded = keras.models.load_model(path)
    assert "Error in loading the saved optimizer state. As a result, your model is starting with a freshly " \
           "initialized optimizer." in caplog.text
    assert loaded.optimizer.iterations.numpy() == 0
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
