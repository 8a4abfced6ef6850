"""compile/fit/evaluate/predict behaviour: results, callbacks, inputs, errors."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers as L


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)


def _data(n=64):
    rng = np.random.RandomState(0)
    x = rng.randn(n, 4).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


def _model(units=2, activation="softmax"):
    inp = keras.Input((4,))
    return keras.Model(inp, L.Dense(units, activation=activation)(L.Dense(8, activation="relu")(inp)))


def test_fit_learns_and_returns_history():
    x, y = _data(256)
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=5, verbose=0, validation_data=(x[:64], y[:64]))
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.epoch == [0, 1, 2, 3, 4] and history.params["epochs"] == 5 and history.params["steps"] == 8
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    assert model.history is history
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.9 and model.metrics_names == ["loss", "accuracy"]
    probs = model.predict(x, batch_size=100, verbose=0)
    assert isinstance(probs, np.ndarray) and probs.shape == (256, 2)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-5)


def test_compile_errors_and_uncompiled_fit():
    x, y = _data()
    model = _model()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y, verbose=0)
    with pytest.raises(TypeError, match="metric"):
        model.compile(loss="mse", metric=["mae"])
    with pytest.raises(ValueError, match="Unknown"):
        model.compile(optimizer="adam", loss="no_such_loss")


def test_callbacks_see_every_hook_and_can_stop_training():
    x, y = _data()
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen.append("train_begin")

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch_end", epoch, sorted(logs)))
            if epoch == 1:
                self.model.stop_training = True

        def on_batch_end(self, batch, logs=None):
            seen.append(("batch_end", batch, isinstance(logs["loss"], float)))

    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=32, epochs=5, verbose=0, callbacks=[Recorder()])
    assert seen[0] == "train_begin"
    assert ("batch_end", 1, True) in seen and ("epoch_end", 1, ["loss"]) in seen
    assert len(history.history["loss"]) == 2


def test_lambda_callback_and_progress_bar_output(capsys):
    x, y = _data()
    epochs = []
    model = _model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    model.fit(x, y, batch_size=16, epochs=2, verbose=2,
              callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs.append(epoch))])
    out = capsys.readouterr().out
    assert epochs == [0, 1]
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out and "acc:" in out


def test_generators_with_dict_targets_and_fit_generator_warning():
    x, y = _data(64)
    inp = keras.Input((4,))
    h = L.Dense(8, activation="relu")(inp)
    model = keras.Model(inp, [L.Dense(1, name="output1")(h), L.Dense(1, name="output2")(h)])
    model.compile(optimizer="adam", loss={"output1": "mean_squared_error", "output2": "mean_squared_error"})

    def batch_generator(batch_size=16):
        while True:
            for i in range(0, len(x), batch_size):
                yield x[i:i + batch_size], {"output1": x[i:i + batch_size, :1], "output2": y[i:i + batch_size, None]}

    history = model.fit(batch_generator(), steps_per_epoch=4, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "output1_loss", "output2_loss"}
    with pytest.warns(UserWarning, match="fit_generator` is deprecated"):
        model.fit_generator(batch_generator(), steps_per_epoch=2, epochs=1, verbose=0)
    outputs = model.predict(x, verbose=0)
    assert isinstance(outputs, list) and [o.shape for o in outputs] == [(64, 1), (64, 1)]


def test_on_batch_methods():
    x, y = _data(8)
    model = _model(1, "sigmoid")
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    loss, acc = model.train_on_batch(x, y.astype("float32"))
    assert np.isfinite(loss) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y.astype("float32"), return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert model.predict_on_batch(x).shape == (8, 1)


def test_regularization_and_add_loss_are_trained():
    x, y = _data()
    inp = keras.Input((4,))
    dense = L.Dense(2, kernel_regularizer=keras.regularizers.l2(10.0))
    model = keras.Model(inp, dense(inp))
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    before = float(torch.linalg.norm(dense.kernel.detach()))
    model.fit(x, np.zeros((len(x), 2), "float32"), epochs=3, verbose=0)
    assert float(torch.linalg.norm(dense.kernel.detach())) < before * 0.5


def test_recompile_after_freezing_takes_effect():
    x, y = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[1].trainable = False
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    frozen = model.layers[1].get_weights()
    model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(frozen, model.layers[1].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_add_metric_in_call():
    class Probe(L.Layer):
        def call(self, inputs):
            return inputs

    class WithMetric(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = L.Dense(1)

        def call(self, inputs):
            out = self.dense(inputs)
            self.add_metric(torch.mean(out), name="mean_output")
            return out

    x, _ = _data()
    model = WithMetric()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert "mean_output" in history.history and "mean_output" in model.metrics_names


def test_bad_inputs_raise_value_errors():
    x, y = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="cardinality|same number of samples"):
        model.fit(x, y[:10], verbose=0)
    with pytest.raises(ValueError):
        model.fit(x[:, :3], y, verbose=0)


def test_jit_compile_gives_the_same_history():
    x, y = _data(96)

    def train(jit):
        keras.backend.clear_session()
        keras.utils.set_random_seed(1)
        model = _model()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=jit)
        history = model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0, validation_split=0.25)
        return history.history, model.predict(x, verbose=0)

    (eager_history, eager_pred), (jit_history, jit_pred) = train(False), train(True)
    for key in eager_history:
        np.testing.assert_allclose(jit_history[key], eager_history[key], rtol=1e-5)
    np.testing.assert_allclose(jit_pred, eager_pred, rtol=1e-5, atol=1e-6)


def test_steps_per_execution_runs_every_batch():
    x, y = _data(64)
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", steps_per_execution=3)
    seen = []
    model.fit(x, y, batch_size=8, epochs=1, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(batch))])
    assert seen == [2, 5, 7]
    assert model.optimizer.iterations.numpy() == 8
    assert model.predict(x, batch_size=8, verbose=0).shape == (64, 2)


def test_single_output_targets_in_a_list():
    x, y = _data()
    model = _model()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    as_array = model.evaluate(x, y, verbose=0)
    assert model.evaluate(x, [y], verbose=0) == pytest.approx(as_array)


def test_predict_without_compile():
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    out = model.predict(np.ones((5, 3), "float32"), verbose=0)
    np.testing.assert_allclose(out, model(np.ones((5, 3), "float32")).detach().numpy(), rtol=1e-6)
    assert model.predict_on_batch(np.ones((2, 3), "float32")).shape == (2, 2)
