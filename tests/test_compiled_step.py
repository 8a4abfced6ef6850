"""`compile(jit_compile=True)`: the whole step compiled with torch.compile gives the eager results; steps that
cannot be compiled fall back to eager with one warning. Each compiled model costs several seconds."""
import logging
import warnings

import numpy as np
import pytest
import torchkeras_api as keras
from torchkeras_api.engine import compiled_step


def _data(n=76):
    rng = np.random.RandomState(0)
    x = rng.randn(n, 6).astype("float32")
    return x, (x[:, 0] > x[:, 1]).astype("int64"), rng.rand(n).astype("float32")


def _model():
    L = keras.layers
    inp = keras.Input((6,))
    h = L.Dense(8, activation="relu", kernel_regularizer="l2", activity_regularizer="l1")(inp)
    h = L.BatchNormalization()(h)
    return keras.Model(inp, L.Dense(2, activation="softmax", kernel_constraint=keras.constraints.MaxNorm(1.0))(h))


def _train(jit):
    keras.utils.set_random_seed(3)
    model = _model()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=3, decay_rate=0.8)
    model.compile(keras.optimizers.Adam(schedule, clipnorm=0.5), "sparse_categorical_crossentropy",
                  metrics=["accuracy"], weighted_metrics=["accuracy"], steps_per_execution=2, jit_compile=jit)
    x, y, sw = _data()
    history = model.fit(x, y, sample_weight=sw, batch_size=16, epochs=2, shuffle=False, verbose=0,
                        validation_data=(x[:40], y[:40]))
    return model, history.history, model.evaluate(x, y, batch_size=16, verbose=0), model.predict(x, batch_size=16,
                                                                                                   verbose=0)


def test_compiled_step_matches_eager():
    eager, eager_history, eager_eval, eager_pred = _train(False)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="jit_compile")
        jit, jit_history, jit_eval, jit_pred = _train(True)
    assert set(jit_history) == set(eager_history)
    for key in eager_history:
        np.testing.assert_allclose(jit_history[key], eager_history[key], rtol=1e-5, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(jit_eval, eager_eval, rtol=1e-5)
    np.testing.assert_allclose(jit_pred, eager_pred, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(jit.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert int(jit.optimizer.iterations) == int(eager.optimizer.iterations) == 10
    np.testing.assert_allclose(float(jit.optimizer.learning_rate), float(eager.optimizer.learning_rate), rtol=1e-6)


class _DataDependent(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2, activation="softmax")

    def call(self, inputs):
        if float(inputs.sum()) > 0:
            return self.dense(inputs)
        return self.dense(-inputs)


def test_uncompilable_step_warns_once_and_matches_eager():
    x, y, _ = _data(48)
    results = []
    for jit in (False, True):
        keras.utils.set_random_seed(1)
        model = _DataDependent()
        model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", jit_compile=jit)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        messages = [str(w.message) for w in caught if "jit_compile" in str(w.message)]
        results.append(history.history["loss"])
    assert len(messages) == 1 and "cannot be compiled" in messages[0]
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)


def test_overridden_train_step_runs_eagerly():
    class Custom(keras.Model):
        def train_step(self, data):
            self.calls = getattr(self, "calls", 0) + 1
            return super().train_step(data)

    inp = keras.Input((6,))
    model = Custom(inp, keras.layers.Dense(2, activation="softmax")(inp))
    model.compile("sgd", "sparse_categorical_crossentropy", jit_compile=True)
    x, y, _ = _data(32)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="jit_compile")
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert model.calls == 4


def test_seeded_dropout_compiles_and_draws_new_masks_each_step():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Dense(16, activation="relu", input_shape=(6,)),
                              keras.layers.Dropout(0.5, seed=7), keras.layers.GaussianNoise(0.1, seed=3),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.0), "mse", jit_compile=True)
    x = _data(16)[0]
    y = x.sum(1, keepdims=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="jit_compile")
        losses = model.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0).history["loss"]
    assert len(set(losses[1:])) == 3
    inference = model.evaluate(x, y, batch_size=16, verbose=0)
    expected = float(((model.predict(x, batch_size=16, verbose=0) - y) ** 2).mean())
    np.testing.assert_allclose(inference, expected, rtol=1e-5)


def test_jit_compile_flag_and_default_mode(caplog):
    inp = keras.Input((6,))
    model = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(inp))
    assert model.jit_compile is None
    with pytest.raises(ValueError, match="You cannot enable `run_eagerly` and `jit_compile` at the same time"):
        model.compile("sgd", "sparse_categorical_crossentropy", run_eagerly=True, jit_compile=True)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y, _ = _data(16)
    with caplog.at_level(logging.INFO, logger="torchkeras_api.engine.compiled_step"):
        model.fit(x, y, batch_size=8, verbose=0)
    assert "jit_compile=None: the train step of" in caplog.text and "runs eagerly" in caplog.text
    assert model._step_function("train") == model.train_step
    eager_fn = model.make_train_function()
    model.jit_compile = True
    assert model.jit_compile is True and model.make_train_function() is not eager_fn
    assert isinstance(model._step_function("train"), compiled_step.TrainStep)
    model.run_eagerly = True
    assert model._step_function("test") == model.test_step


def test_in_place_weight_updates_inside_the_compiled_step_match_eager():
    x = _data(64)[0][:, :4]
    y = x.sum(1, keepdims=True)
    weights = []
    for jit in (False, True):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.layers.SpectralNormalization(keras.layers.Dense(8, activation="relu"),
                                                                     input_shape=(4,)), keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(0.05), "mse", jit_compile=jit)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="jit_compile")
            model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for ours, theirs in zip(*weights):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
