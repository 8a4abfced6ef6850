"""The TF1 names the users' notes use: Session.run with a feed_dict of Keras Inputs, get_variable,
global_variables_initializer, enable_eager_execution, and keras.experimental's SavedModel functions."""
import numpy as np
import pytest

import torchkeras_api as keras
import torchkeras_api.tf as tf


@pytest.fixture(autouse=True)
def _fresh_graph():
    tf.compat.v1.reset_default_graph()
    yield
    tf.compat.v1.reset_default_graph()


def _model():
    x = keras.Input((2,))
    hidden = keras.layers.Dense(3, activation="relu")(x)
    y = keras.layers.Dense(1)(hidden)
    return x, hidden, y, keras.Model(x, y)


def test_session_run_feeds_keras_inputs_like_predict():
    x, hidden, y, model = _model()
    batch = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    tf.enable_eager_execution()
    with tf.Session() as sess:
        assert sess.run(tf.global_variables_initializer()) is None
        out_y, out_x, pair = sess.run([y, x, {"h": hidden}], feed_dict={x: batch.tolist()})
    np.testing.assert_allclose(out_y, model.predict(batch, verbose=0), rtol=1e-6)
    np.testing.assert_array_equal(out_x, batch)
    hidden_model = keras.Model(x, hidden)
    np.testing.assert_allclose(pair["h"], hidden_model.predict(batch, verbose=0), rtol=1e-6)


def test_session_run_needs_keras_inputs_as_feed_keys():
    _, _, y, _ = _model()
    with pytest.raises(TypeError, match="keras.Input"):
        tf.Session().run(y, feed_dict={"x": [[1.0, 2.0]]})


def test_get_variable_creates_named_variables_once():
    w = tf.compat.v1.get_variable("w", shape=(2, 3))
    assert w.name == "w:0" and tuple(w.shape) == (2, 3) and w.trainable
    limit = np.sqrt(6 / 5)
    assert np.all(np.abs(w.numpy()) <= limit) and np.std(w.numpy()) > 0
    b = tf.get_variable("b", initializer=np.arange(3.0), trainable=False)
    np.testing.assert_array_equal(b.numpy(), [0.0, 1.0, 2.0])
    assert not b.trainable
    with pytest.raises(ValueError, match="Variable w already exists"):
        tf.get_variable("w", shape=(1,))
    tf.compat.v1.reset_default_graph()
    assert tf.get_variable("w", shape=(1,), initializer="zeros").numpy().tolist() == [0.0]


def test_experimental_saved_model_round_trip(tmp_path):
    _, _, _, model = _model()
    path = str(tmp_path / "saved")
    keras.experimental.export_saved_model(model, path)
    again = keras.experimental.load_from_saved_model(path)
    batch = np.ones((3, 2), "float32")
    np.testing.assert_allclose(again.predict(batch, verbose=0), model.predict(batch, verbose=0), rtol=1e-6)
    assert keras.experimental.CosineDecay is keras.optimizers.schedules.CosineDecay
