"""Whole-model saving and loading: .h5 files, the native format, configs and JSON, clone_model, Lambda safe mode,
state_dict round trips."""
import json
import logging
import os
import zipfile

import h5py
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers as L
from torchkeras_api.callbacks import ModelCheckpoint


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()


def _data(seed=0, n=8):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 4).astype("float32"), rng.rand(n, 2).astype("float32")


def _sequential():
    return keras.Sequential([L.Dense(5, activation="relu", input_shape=(4,)), L.BatchNormalization(), L.Dense(2)])


def _functional():
    a = keras.Input((4,), name="a")
    shared = L.Dense(3, activation="tanh", name="shared")
    h = L.Concatenate()([shared(a), shared(L.Dense(4, name="pre")(a))])
    return keras.Model(a, [L.Dense(2, name="out1")(h), L.Dense(1, activation="sigmoid", name="out2")(h)])


def _nested():
    inner = keras.Sequential([L.Dense(3, input_shape=(4,)), L.Dense(3)], name="inner")
    x = keras.Input((4,))
    return keras.Model(x, L.Dense(2, name="head")(inner(x)))


def _outputs(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


def _assert_same_outputs(a, b, x):
    for u, v in zip(_outputs(a, x), _outputs(b, x)):
        np.testing.assert_array_equal(u, v)


def _scaled_mse(y_true, y_pred):
    return 2.0 * keras.backend.mean(keras.backend.square(y_true - y_pred), axis=-1)


def _double(x):
    return x * 2.0


# ---- .h5 round trips -----------------------------------------------------------------------------

@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum", "rmsprop"])
@pytest.mark.parametrize("suffix", [".h5", ".keras", ""])
def test_reloaded_model_continues_training_exactly(tmp_path, optimizer, suffix):
    x, y = _data()
    model = _sequential()
    opt = {"adam": keras.optimizers.Adam(0.01), "sgd_momentum": keras.optimizers.SGD(0.05, momentum=0.9),
           "rmsprop": keras.optimizers.RMSprop(0.01, centered=True)}[optimizer]
    model.compile(opt, "mse", metrics=["mae", keras.metrics.RootMeanSquaredError()])
    model.train_on_batch(x, y)
    model.train_on_batch(x, y)
    path = str(tmp_path / ("m" + suffix))
    model.save(path)
    loaded = keras.models.load_model(path)
    _assert_same_outputs(model, loaded, x)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.iterations.numpy() == 2
    for _ in range(2):
        np.testing.assert_allclose(loaded.train_on_batch(x, y), model.train_on_batch(x, y), rtol=1e-6)
    assert loaded.metrics_names == model.metrics_names
    _assert_same_outputs(model, loaded, x)


@pytest.mark.parametrize("builder", [_functional, _nested])
def test_functional_and_nested_models_round_trip(tmp_path, builder):
    x, _ = _data()
    model = builder()
    path = str(tmp_path / "m.h5")
    keras.models.save_model(model, path)
    loaded = keras.models.load_model(path)
    assert loaded.get_config() == model.get_config()
    _assert_same_outputs(model, loaded, x)


def test_file_layout(tmp_path):
    x, y = _data()
    model = _sequential()
    model.compile(keras.optimizers.Adam(), "mse")
    model.train_on_batch(x, y)
    model.save(str(tmp_path / "m.h5"))
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert sorted(f.attrs) == ["backend", "keras_version", "model_config", "training_config"]
        assert f.attrs["backend"] == "tensorflow"
        assert json.loads(f.attrs["model_config"])["class_name"] == "Sequential"
        assert json.loads(f.attrs["training_config"])["optimizer_config"]["class_name"] == "Custom>Adam"
        names = list(f["optimizer_weights"].attrs["weight_names"])
        assert names[:3] == ["iteration:0", f"Adam/m/{model.layers[0].name}/kernel:0",
                             f"Adam/v/{model.layers[0].name}/kernel:0"]
        assert f["optimizer_weights"]["iteration:0"][()] == 1
        assert list(f["model_weights"].attrs["layer_names"]) == [layer.name for layer in model.layers]


def test_compile_false_and_uncompiled_files_load_uncompiled(tmp_path, caplog):
    x, y = _data()
    model = _sequential()
    model.compile("adam", "mse")
    model.save(str(tmp_path / "compiled.h5"))
    loaded = keras.models.load_model(str(tmp_path / "compiled.h5"), compile=False)
    with pytest.raises(RuntimeError, match="You must compile your model"):
        loaded.fit(x, y, verbose=0)
    model.save(str(tmp_path / "no_opt.h5"), include_optimizer=False)
    with h5py.File(tmp_path / "no_opt.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with caplog.at_level(logging.WARNING):
        loaded = keras.models.load_model(str(tmp_path / "no_opt.h5"))
    assert "No training configuration found in the save file, so the model was *not* compiled. Compile it " \
           "manually." in caplog.text
    _assert_same_outputs(model, loaded, x)


def test_losses_and_metrics_round_trip(tmp_path):
    x, y = _data()
    model = _functional()
    model.compile(keras.optimizers.SGD(0.1), loss=[_scaled_mse, keras.losses.BinaryCrossentropy(label_smoothing=0.1)],
                  loss_weights=[1.0, 0.3], metrics=[[_scaled_mse, "mae"], ["accuracy", keras.metrics.AUC()]],
                  weighted_metrics=["mse"])
    ys = [y, (y[:, :1] > 0.5).astype("float32")]
    model.train_on_batch(x, ys)
    path = str(tmp_path / "m.h5")
    model.save(path)
    with pytest.raises(ValueError, match="_scaled_mse"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"_scaled_mse": _scaled_mse})
    np.testing.assert_allclose(loaded.train_on_batch(x, ys), model.train_on_batch(x, ys), rtol=1e-6)
    assert loaded.metrics_names == model.metrics_names
    with keras.utils.custom_object_scope({"_scaled_mse": _scaled_mse}):
        scoped = keras.models.load_model(path)
    scoped.test_on_batch(x, ys)
    assert scoped.metrics_names == model.metrics_names


def test_registered_loss_loads_without_custom_objects(tmp_path):
    @keras.utils.register_keras_serializable(package="SavingTest")
    def halved_mse(y_true, y_pred):
        return 0.5 * keras.backend.mean(keras.backend.square(y_true - y_pred), axis=-1)

    x, y = _data()
    model = _sequential()
    model.compile("sgd", halved_mse)
    model.save(str(tmp_path / "m.h5"))
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert json.loads(f.attrs["training_config"])["loss"] == "SavingTest>halved_mse"
    loaded = keras.models.load_model(str(tmp_path / "m.h5"))
    np.testing.assert_allclose(loaded.train_on_batch(x, y), model.train_on_batch(x, y), rtol=1e-6)


# ---- subclassed models, configs, JSON ------------------------------------------------------------

class _Sub(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = L.Dense(units, activation="relu")
        self.out = L.Dense(2)

    def call(self, x):
        return self.out(self.hidden(x))

    def get_config(self):
        return {"units": self.units, "name": self.name}


class _SubWithoutConfig(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = L.Dense(2)

    def call(self, x):
        return self.dense(x)


def test_subclassed_model_h5_raises_tf_keras_error(tmp_path):
    for model in (_Sub(), _SubWithoutConfig()):
        model(np.zeros((1, 4), "float32"))
        with pytest.raises(NotImplementedError, match="Saving the model to HDF5 format requires the model to be a "
                                                      "Functional model or a Sequential model"):
            model.save(str(tmp_path / "sub.h5"))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("suffix", ["", ".keras"])
def test_subclassed_model_with_get_config_native_round_trip(tmp_path, suffix):
    x, y = _data()
    model = _Sub(units=4, name="sub")
    model.compile("adam", "mse")
    model.train_on_batch(x, y)
    path = str(tmp_path / ("sub" + suffix))
    model.save(path)
    with pytest.raises(ValueError, match="Unknown"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, custom_objects={"_Sub": _Sub})
    assert loaded.units == 4
    _assert_same_outputs(model, loaded, x)
    np.testing.assert_allclose(loaded.train_on_batch(x, y), model.train_on_batch(x, y), rtol=1e-6)


class _NeedsConfig(keras.Model):
    def __init__(self, units):
        super().__init__()
        self.dense = L.Dense(units)

    def call(self, x):
        return self.dense(x)


def test_subclassed_model_without_config_native_save_says_why(tmp_path):
    model = _NeedsConfig(2)
    model(np.zeros((1, 4), "float32"))
    with pytest.raises(NotImplementedError, match=r"must override `get_config\(\)`.*save_weights"):
        model.save(str(tmp_path / "sub.keras"))
    assert os.listdir(tmp_path) == []


def test_json_round_trips():
    x, _ = _data()
    for model in (_sequential(), _functional(), _nested()):
        text = model.to_json()
        payload = json.loads(text)
        assert payload["keras_version"] and payload["backend"] == "tensorflow"
        rebuilt = keras.models.model_from_json(text)
        assert rebuilt.get_config() == model.get_config()
        rebuilt.set_weights(model.get_weights())
        _assert_same_outputs(model, rebuilt, x)
    assert json.loads(_sequential().to_json(indent=2)) is not None


def test_subclassed_json_with_custom_objects_and_registration():
    model = _Sub(units=5, name="s")
    text = model.to_json()
    with pytest.raises(ValueError, match="Unknown layer: '_Sub'"):
        keras.models.model_from_json(text)
    assert keras.models.model_from_json(text, custom_objects={"_Sub": _Sub}).units == 5
    with keras.utils.custom_object_scope({"_Sub": _Sub}):
        assert keras.models.model_from_config(json.loads(text)).units == 5

    @keras.utils.register_keras_serializable(package="SavingTest")
    class Registered(_Sub):
        pass

    registered = keras.models.model_from_json(Registered(units=2, name="r").to_json())
    assert isinstance(registered, Registered) and registered.units == 2


def test_model_from_yaml_and_bad_configs():
    with pytest.raises(RuntimeError, match="Method `model_from_yaml\\(\\)` has been removed due to security risk"):
        keras.models.model_from_yaml("a: 1")
    with pytest.raises(TypeError, match="`model_from_config` expects a dictionary, not a list"):
        keras.models.model_from_config([{"class_name": "Dense"}])
    with pytest.raises(ValueError, match="model_from_json"):
        keras.models.model_from_json("{not json")
    with pytest.raises(RuntimeError, match="Method `model.to_yaml\\(\\)` has been removed"):
        _sequential().to_yaml()


# ---- clone_model -----------------------------------------------------------------------------------

@pytest.mark.parametrize("builder", [_sequential, _functional, _nested])
def test_clone_model_has_new_weights_and_same_config(builder):
    x, _ = _data()
    model = builder()
    clone = keras.models.clone_model(model)
    assert clone.get_config() == model.get_config()
    assert not any(a is b for a in clone.weights for b in model.weights)
    assert len(clone.weights) == len(model.weights)
    clone.set_weights(model.get_weights())
    _assert_same_outputs(model, clone, x)


def test_clone_model_shares_shared_layers_and_takes_clone_function_and_inputs():
    model = _functional()
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        config = layer.get_config()
        if isinstance(layer, L.Dense):
            config["activation"] = "linear"
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(model, clone_function=clone_function)
    assert seen.count("shared") == 1
    assert all(layer.get_config().get("activation", "linear") == "linear" for layer in clone.layers)
    new_input = keras.Input((4,), name="fresh")
    on_input = keras.models.clone_model(model, input_tensors=new_input)
    assert on_input.input_names == ["fresh"]
    seq = keras.models.clone_model(_sequential(), input_tensors=keras.Input((4,), name="seq_in"))
    assert seq.layers[0].input.shape == (None, 4)
    with pytest.raises(ValueError, match="clone_function and input_tensors are only supported"):
        sub = _Sub()
        sub(np.zeros((1, 4), "float32"))
        keras.models.clone_model(sub, clone_function=clone_function)


# ---- native format -----------------------------------------------------------------------------

def test_native_directory_and_zip_contents(tmp_path):
    x, y = _data()
    model = _sequential()
    model.compile("adam", "mse")
    model.train_on_batch(x, y)
    model.save(str(tmp_path / "dir"))
    model.save(str(tmp_path / "tf_dir"), save_format="tf")
    model.save(str(tmp_path / "m.keras"))
    expected = ["config.json", "metadata.json", "model.weights.h5", "optimizer.weights.h5"]
    assert sorted(os.listdir(tmp_path / "dir")) == expected
    assert sorted(os.listdir(tmp_path / "tf_dir")) == expected
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert sorted(archive.namelist()) == expected
    for path in ("dir", "tf_dir", "m.keras"):
        _assert_same_outputs(model, keras.models.load_model(str(tmp_path / path)), x)
    # saving again replaces the directory and leaves nothing else behind
    model.train_on_batch(x, y)
    model.save(str(tmp_path / "dir"))
    _assert_same_outputs(model, keras.models.load_model(str(tmp_path / "dir")), x)
    assert sorted(os.listdir(tmp_path)) == ["dir", "m.keras", "tf_dir"]


def test_save_format_rules(tmp_path):
    model = _sequential()
    model.save(str(tmp_path / "plain"), save_format="h5")
    assert h5py.is_hdf5(tmp_path / "plain")
    model.save(str(tmp_path / "x.h5"), save_format="tf")
    assert h5py.is_hdf5(tmp_path / "x.h5")
    with pytest.raises(ValueError, match="Invalid `filepath` argument: expected a `.keras` extension"):
        model.save(str(tmp_path / "w"), save_format="keras")
    with pytest.raises(ValueError, match="Unknown `save_format` argument"):
        model.save(str(tmp_path / "q.h5"), save_format="bogus")


def test_tensorflow_savedmodel_and_keras3_zip_give_clear_errors(tmp_path):
    saved_model = tmp_path / "saved"
    (saved_model / "variables").mkdir(parents=True)
    (saved_model / "saved_model.pb").write_bytes(b"\x08\x01")
    with pytest.raises(NotImplementedError, match="TensorFlow SavedModel.*save\\('model.h5'\\)"):
        keras.models.load_model(str(saved_model))
    with zipfile.ZipFile(tmp_path / "k3.keras", "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.3.3", "date_saved": "x"}))
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"")
    with pytest.raises(NotImplementedError, match="Keras v3 '.keras' zip"):
        keras.models.load_model(str(tmp_path / "k3.keras"))
    with pytest.raises(OSError, match="No file or directory found at"):
        keras.models.load_model(str(tmp_path / "missing.h5"))
    (tmp_path / "empty_dir").mkdir()
    with pytest.raises(OSError, match="not a model saved by"):
        keras.models.load_model(str(tmp_path / "empty_dir"))


# ---- Lambda layers -------------------------------------------------------------------------------

def test_lambda_with_named_function_loads_in_safe_mode(tmp_path):
    x, _ = _data()
    model = keras.Sequential([L.Dense(2, input_shape=(4,)), L.Lambda(_double)])
    model.save(str(tmp_path / "m.h5"))
    loaded = keras.models.load_model(str(tmp_path / "m.h5"), custom_objects={"_double": _double})
    _assert_same_outputs(model, loaded, x)


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_lambda_with_python_lambda_needs_safe_mode_off(tmp_path, suffix):
    x, _ = _data()
    offset = 3.0
    model = keras.Sequential([L.Dense(2, input_shape=(4,)), L.Lambda(lambda t: t * 2.0 + offset)])
    path = str(tmp_path / ("m" + suffix))
    model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False.*custom_objects"):
        keras.models.load_model(path)
    loaded = keras.models.load_model(path, safe_mode=False)
    _assert_same_outputs(model, loaded, x)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.model_from_json(model.to_json())


# ---- checkpoints and state_dict ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ckpt-{epoch}.h5", "ckpt-{epoch}.keras", "ckpt-{epoch}"])
def test_model_checkpoint_saves_loadable_whole_models(tmp_path, name):
    x, y = _data(n=16)
    model = _sequential()
    model.compile("adam", "mse")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(model.predict(x, verbose=0))

    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / name)), Record()])
    for epoch, expected in enumerate(seen, start=1):
        loaded = keras.models.load_model(str(tmp_path / name.format(epoch=epoch)))
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), expected)
    assert loaded.optimizer.iterations.numpy() == 4


def test_state_dict_round_trip_with_stable_keys(tmp_path):
    x, _ = _data()
    model = _functional()
    torch.save(model.state_dict(), tmp_path / "state.pt")
    keras.backend.clear_session()
    other = _functional()
    assert list(other.state_dict()) == list(model.state_dict())
    other.load_state_dict(torch.load(tmp_path / "state.pt"))
    _assert_same_outputs(model, other, x)
