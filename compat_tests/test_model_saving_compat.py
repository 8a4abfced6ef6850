"""Whole-model .h5 files both ways with the real tf.keras: same predictions, and training goes on with the
same next-step loss (optimizer state restored)."""
import h5py
import numpy as np
import pytest

import torchkeras_api as keras
from compat_tests.conftest import assert_close


# ---- the same compiled models in both libraries -------------------------------------------------

def _conv_bn_sgd(k):
    L = k.layers
    model = k.Sequential([L.Conv2D(3, 3, input_shape=(6, 6, 2)), L.BatchNormalization(), L.Activation("relu"),
                          L.Flatten(), L.Dense(3, activation="softmax")])
    model.compile(k.optimizers.SGD(0.05, momentum=0.9), "categorical_crossentropy", metrics=["accuracy"],
                  run_eagerly=True)
    rng = np.random.RandomState(0)
    x = rng.rand(8, 6, 6, 2).astype("float32")
    y = np.eye(3, dtype="float32")[rng.randint(0, 3, 8)]
    return model, x, y


def _multi_io_shared_adam(k):
    L = k.layers
    a = k.Input((4,), name="a")
    b = k.Input((4,), name="b")
    shared = L.Dense(5, activation="tanh", name="shared")
    h = L.Concatenate(name="cat")([shared(a), shared(b)])
    out1 = L.Dense(2, name="out1")(h)
    out2 = L.Dense(1, activation="sigmoid", name="out2")(h)
    model = k.Model([a, b], [out1, out2])
    model.compile(k.optimizers.Adam(0.01), loss={"out1": "mse", "out2": k.losses.BinaryCrossentropy()},
                  loss_weights={"out1": 1.0, "out2": 0.5}, metrics={"out2": ["accuracy"]},
                  weighted_metrics=["mae"], run_eagerly=True)
    rng = np.random.RandomState(1)
    x = [rng.rand(8, 4).astype("float32"), rng.rand(8, 4).astype("float32")]
    y = [rng.rand(8, 2).astype("float32"), rng.randint(0, 2, (8, 1)).astype("float32")]
    return model, x, y


def _nested_recurrent_rmsprop(k):
    L = k.layers
    inner = k.Sequential([L.Dense(4, activation="relu", input_shape=(5,)), L.Dense(3)], name="inner")
    tokens = k.Input((5,), dtype="int32", name="tokens")
    e = L.Embedding(10, 4, name="emb")(tokens)
    h = L.Concatenate()([L.LSTM(3, name="lstm")(e), L.GRU(2, name="gru")(e)])
    out = L.Dense(1, name="head")(L.Concatenate()([h, inner(L.Dense(5, name="proj")(L.Flatten()(e)))]))
    model = k.Model(tokens, out)
    model.compile(k.optimizers.RMSprop(0.01, momentum=0.5), "mse", metrics=["mae"], run_eagerly=True)
    rng = np.random.RandomState(2)
    return model, rng.randint(0, 10, (8, 5)).astype("int32"), rng.rand(8, 1).astype("float32")


BUILDERS = [_conv_bn_sgd, _multi_io_shared_adam, _nested_recurrent_rmsprop]


def _ours_outputs(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


def _theirs_outputs(model, x):
    out = model(x, training=False)
    return [o.numpy() for o in out] if isinstance(out, (list, tuple)) else [out.numpy()]


def _assert_same(a, b, rtol=1e-5, atol=1e-5):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert_close(x, y, rtol=rtol, atol=atol)


def _losses(result):
    return np.atleast_1d(np.asarray(result, dtype="float64"))


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_tf_keras_file_loads_and_training_continues(tfk, builder, tmp_path):
    theirs, x, y = builder(tfk)
    theirs.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    path = str(tmp_path / "tf.h5")
    theirs.save(path)
    ours = keras.models.load_model(path)
    _assert_same(_ours_outputs(ours, x), _theirs_outputs(theirs, x))
    assert ours.optimizer.iterations.numpy() == 2
    next_ours = ours.train_on_batch(x, y)
    next_theirs = theirs.train_on_batch(x, y)
    np.testing.assert_allclose(_losses(next_ours), _losses(next_theirs), rtol=1e-4, atol=1e-6)
    assert ours.metrics_names == theirs.metrics_names
    _assert_same(_ours_outputs(ours, x), _theirs_outputs(theirs, x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_our_file_loads_in_tf_keras_and_training_continues(tfk, builder, tmp_path):
    ours, x, y = builder(keras)
    ours.train_on_batch(x, y)
    ours.train_on_batch(x, y)
    path = str(tmp_path / "ours.h5")
    ours.save(path)
    theirs = tfk.models.load_model(path)
    _assert_same(_ours_outputs(ours, x), _theirs_outputs(theirs, x))
    assert int(theirs.optimizer.iterations.numpy()) == 2
    next_theirs = theirs.train_on_batch(x, y)
    next_ours = ours.train_on_batch(x, y)
    np.testing.assert_allclose(_losses(next_ours), _losses(next_theirs), rtol=1e-4, atol=1e-6)
    assert ours.metrics_names == theirs.metrics_names
    _assert_same(_ours_outputs(ours, x), _theirs_outputs(theirs, x), rtol=1e-4, atol=1e-5)


def test_file_structure_matches_tf_keras(tfk, tmp_path):
    theirs, x, y = _multi_io_shared_adam(tfk)
    theirs.train_on_batch(x, y)
    theirs.save(str(tmp_path / "tf.h5"))
    keras.backend.clear_session()
    ours, _, _ = _multi_io_shared_adam(keras)
    ours.train_on_batch(x, y)
    ours.save(str(tmp_path / "ours.h5"))
    with h5py.File(tmp_path / "tf.h5", "r") as t, h5py.File(tmp_path / "ours.h5", "r") as o:
        assert sorted(o.attrs) == sorted(t.attrs)
        for name in ("keras_version", "backend"):
            assert o.attrs[name] == t.attrs[name]
        assert list(o["optimizer_weights"].attrs["weight_names"]) == list(t["optimizer_weights"].attrs["weight_names"])
        assert list(o["model_weights"].attrs["layer_names"]) == list(t["model_weights"].attrs["layer_names"])
        import json
        ours_training = json.loads(o.attrs["training_config"])
        theirs_training = json.loads(t.attrs["training_config"])
        assert ours_training == theirs_training
        ours_config = json.loads(o.attrs["model_config"])
        theirs_config = json.loads(t.attrs["model_config"])
        assert [layer["class_name"] for layer in ours_config["config"]["layers"]] == \
            [layer["class_name"] for layer in theirs_config["config"]["layers"]]
        assert set(ours_config["config"]["layers"][0]) == set(theirs_config["config"]["layers"][0])


@pytest.mark.parametrize("builder", [_conv_bn_sgd, _nested_recurrent_rmsprop], ids=lambda b: b.__name__)
def test_weights_only_both_ways(tfk, builder, tmp_path):
    theirs, x, _ = builder(tfk)
    ours, _, _ = builder(keras)
    theirs.save_weights(str(tmp_path / "tf_w.h5"))
    ours.load_weights(str(tmp_path / "tf_w.h5"))
    _assert_same(_ours_outputs(ours, x), _theirs_outputs(theirs, x))
    # and back: our weights file into a freshly built tf.keras model
    ours.set_weights([w * 0.5 for w in ours.get_weights()])
    ours.save_weights(str(tmp_path / "ours_w.h5"))
    fresh, _, _ = builder(tfk)
    fresh.load_weights(str(tmp_path / "ours_w.h5"))
    _assert_same(_ours_outputs(ours, x), _theirs_outputs(fresh, x))


def test_legacy_optimizer_file_resumes(tfk, tmp_path):
    """Files of TF 2.0-2.10 (legacy optimizers: `Adam/iter`, `Adam/dense/kernel/m`) resume training too."""
    L = tfk.layers
    theirs = tfk.Sequential([L.Dense(4, activation="tanh", input_shape=(3,), name="c"), L.Dense(2, name="d")])
    theirs.compile(tfk.optimizers.legacy.Adam(0.05), "mse")
    rng = np.random.RandomState(3)
    x, y = rng.rand(8, 3).astype("float32"), rng.rand(8, 2).astype("float32")
    theirs.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    path = str(tmp_path / "legacy.h5")
    theirs.save(path)
    with h5py.File(path, "r") as f:
        assert "Adam/iter:0" in list(f["optimizer_weights"].attrs["weight_names"])
    ours = keras.models.load_model(path)
    assert ours.optimizer.iterations.numpy() == 2
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), rtol=1e-5)


def _scaled_mse(y_true, y_pred):
    return 2.0 * keras.backend.mean(keras.backend.square(y_true - y_pred), axis=-1)


def test_custom_loss_function_both_ways(tfk, tmp_path):
    rng = np.random.RandomState(4)
    x, y = rng.rand(8, 3).astype("float32"), rng.rand(8, 2).astype("float32")

    def tf_scaled_mse(y_true, y_pred):
        return 2.0 * tfk.backend.mean(tfk.backend.square(y_true - y_pred), axis=-1)

    tf_scaled_mse.__name__ = "_scaled_mse"
    theirs = tfk.Sequential([tfk.layers.Dense(2, input_shape=(3,))])
    theirs.compile("sgd", tf_scaled_mse, metrics=[tf_scaled_mse])
    theirs.save(str(tmp_path / "tf.h5"))
    with pytest.raises(ValueError, match="_scaled_mse"):
        keras.models.load_model(str(tmp_path / "tf.h5"))
    ours = keras.models.load_model(str(tmp_path / "tf.h5"), custom_objects={"_scaled_mse": _scaled_mse})
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), rtol=1e-5)
    ours.save(str(tmp_path / "ours.h5"))
    back = tfk.models.load_model(str(tmp_path / "ours.h5"), custom_objects={"_scaled_mse": tf_scaled_mse})
    np.testing.assert_allclose(ours.train_on_batch(x, y), back.train_on_batch(x, y), rtol=1e-5)


def test_tf_lambda_layer_needs_safe_mode_off(tfk, tmp_path):
    theirs = tfk.Sequential([tfk.layers.Dense(2, input_shape=(3,)), tfk.layers.Lambda(lambda t: t * 2.0 + 1.0)])
    path = str(tmp_path / "lambda.h5")
    theirs.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        keras.models.load_model(path)
    ours = keras.models.load_model(path, safe_mode=False)
    x = np.random.RandomState(5).rand(4, 3).astype("float32")
    _assert_same(_ours_outputs(ours, x), _theirs_outputs(theirs, x))
