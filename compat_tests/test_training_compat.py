"""fit/evaluate/predict against tf.keras: same model, same initial weights, same data, shuffle=False."""
import os

import numpy as np
import pytest

import torchkeras_api as keras


def _data(seed=0, n=96, classes=3):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 8).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    return x, np.minimum(y, classes - 1)


def _mlp(k, out_units=3, activation="softmax"):
    L = k.layers
    inp = k.Input((8,))
    h = L.Dense(16, activation="relu", kernel_regularizer=k.regularizers.l2(1e-3))(inp)
    return k.Model(inp, L.Dense(out_units, activation=activation)(h))


def _optimizer(k, name):
    return {"sgd": lambda: k.optimizers.SGD(learning_rate=0.05, momentum=0.9),
            "adam": lambda: k.optimizers.Adam(learning_rate=0.01),
            "rmsprop": lambda: k.optimizers.RMSprop(learning_rate=0.005)}[name]()


def _assert_history_close(ours, theirs, rtol=1e-4):
    assert set(ours.history) == set(theirs.history)
    for key in theirs.history:
        np.testing.assert_allclose(ours.history[key], theirs.history[key], rtol=rtol, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_fit_history_matches(tfk, opt):
    x, y = _data()
    ours, theirs = _mlp(keras), _mlp(tfk)
    ours.set_weights(theirs.get_weights())
    for model, k in ((ours, keras), (theirs, tfk)):
        model.compile(optimizer=_optimizer(k, opt), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h_ours = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_split=0.25)
    h_theirs = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, validation_split=0.25)
    _assert_history_close(h_ours, h_theirs)
    for w_ours, w_theirs in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(w_ours, w_theirs, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=1e-4)


def test_class_and_sample_weights_match(tfk):
    x, y = _data(1)
    sw = np.random.RandomState(2).rand(len(x)).astype("float32")
    cw = {0: 1.0, 1: 2.0, 2: 0.5}
    ours, theirs = _mlp(keras), _mlp(tfk)
    ours.set_weights(theirs.get_weights())
    for model, k in ((ours, keras), (theirs, tfk)):
        model.compile(optimizer=k.optimizers.SGD(learning_rate=0.1), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], weighted_metrics=["accuracy"])
    h_ours = ours.fit(x, y, sample_weight=sw, class_weight=cw, batch_size=32, epochs=3, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, y, sample_weight=sw, class_weight=cw, batch_size=32, epochs=3, shuffle=False, verbose=0)
    _assert_history_close(h_ours, h_theirs)


def test_multi_output_with_loss_weights_matches(tfk):
    x, y = _data(3)
    y_reg = x[:, :1] * 2.0

    def build(k):
        L = k.layers
        inp = k.Input((8,))
        h = L.Dense(12, activation="tanh")(inp)
        return k.Model(inp, [L.Dense(3, activation="softmax", name="cls")(h), L.Dense(1, name="reg")(h)])

    ours, theirs = build(keras), build(tfk)
    ours.set_weights(theirs.get_weights())
    for model, k in ((ours, keras), (theirs, tfk)):
        model.compile(optimizer=k.optimizers.Adam(learning_rate=0.01),
                      loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                      loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": "accuracy", "reg": ["mae"]})
    h_ours = ours.fit(x, {"cls": y, "reg": y_reg}, batch_size=16, epochs=3, shuffle=False, verbose=0)
    h_theirs = theirs.fit(x, {"cls": y, "reg": y_reg}, batch_size=16, epochs=3, shuffle=False, verbose=0)
    _assert_history_close(h_ours, h_theirs)
    assert ours.metrics_names == theirs.metrics_names
    np.testing.assert_allclose(ours.evaluate(x, [y, y_reg], verbose=0), theirs.evaluate(x, [y, y_reg], verbose=0),
                               rtol=1e-4)


def test_train_and_test_on_batch_match(tfk):
    x, y = _data(4, n=20)
    ours, theirs = _mlp(keras, 1, "sigmoid"), _mlp(tfk, 1, "sigmoid")
    ours.set_weights(theirs.get_weights())
    yb = (y > 0).astype("float32")
    for model, k in ((ours, keras), (theirs, tfk)):
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["acc"])
    for _ in range(3):
        np.testing.assert_allclose(ours.train_on_batch(x, yb), theirs.train_on_batch(x, yb), rtol=1e-4)
    np.testing.assert_allclose(ours.test_on_batch(x, yb), theirs.test_on_batch(x, yb), rtol=1e-4)
    np.testing.assert_allclose(ours.predict_on_batch(x), theirs.predict_on_batch(x), rtol=1e-4, atol=1e-6)
    assert ours.metrics_names == theirs.metrics_names


def test_evaluate_is_mean_over_batches(tfk):
    x, y = _data(5, n=50)
    ours, theirs = _mlp(keras), _mlp(tfk)
    ours.set_weights(theirs.get_weights())
    for model in (ours, theirs):
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    got = ours.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    want = theirs.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert set(got) == set(want)
    for key in want:
        assert got[key] == pytest.approx(want[key], rel=1e-5)


_SLOW = pytest.mark.skipif(not os.environ.get("TKA_SLOW_TESTS"), reason="slow torch.compile test: set TKA_SLOW_TESTS=1")


@pytest.mark.parametrize("opt", ["adam", pytest.param("sgd", marks=_SLOW), pytest.param("rmsprop", marks=_SLOW)])
def test_jit_compiled_fit_history_matches(tfk, opt):
    x, y = _data(3, n=88)
    sw = np.random.RandomState(4).rand(len(x)).astype("float32")
    ours, theirs = _mlp(keras), _mlp(tfk)
    ours.set_weights(theirs.get_weights())
    for model, k, jit in ((ours, keras, True), (theirs, tfk, None)):
        model.compile(optimizer=_optimizer(k, opt), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      weighted_metrics=["accuracy"], jit_compile=jit)
    h_ours = ours.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False, verbose=0,
                      validation_split=0.25)
    h_theirs = theirs.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False, verbose=0,
                          validation_split=0.25)
    _assert_history_close(h_ours, h_theirs)
    np.testing.assert_allclose(ours.predict(x, batch_size=16, verbose=0), theirs.predict(x, batch_size=16, verbose=0),
                               rtol=1e-4, atol=1e-6)
