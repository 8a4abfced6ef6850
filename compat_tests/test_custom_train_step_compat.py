"""The TF 2.2+ idiom of a Model subclass overriding `train_step`/`test_step` with a GradientTape,
`self.compiled_loss`, `self.compiled_metrics` and `self.optimizer.apply_gradients`, against tf.keras."""
import numpy as np

import torchkeras_api as keras
import torchkeras_api.tf as our_tf
from compat_tests.conftest import assert_close


def _custom_model_class(lib, tf_module):
    class CustomModel(lib.Model):
        def train_step(self, data):
            x, y, sample_weight = lib.utils.unpack_x_y_sample_weight(data)
            with tf_module.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses)
            variables = self.trainable_variables
            self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            self.compiled_metrics.update_state(y, y_pred, sample_weight)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y, sample_weight = lib.utils.unpack_x_y_sample_weight(data)
            y_pred = self(x, training=False)
            self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses)
            self.compiled_metrics.update_state(y, y_pred, sample_weight)
            return {m.name: m.result() for m in self.metrics}

    return CustomModel


def _build(lib, tf_module, weights=None):
    inputs = lib.Input((6,))
    hidden = lib.layers.Dense(5, activation="tanh", kernel_regularizer=lib.regularizers.l2(0.01))(inputs)
    first = lib.layers.Dense(1, name="first")(hidden)
    second = lib.layers.Dense(3, activation="softmax", name="second")(hidden)
    model = _custom_model_class(lib, tf_module)(inputs, [first, second])
    model.compile(optimizer=lib.optimizers.Adam(0.01),
                  loss={"first": "mse", "second": "sparse_categorical_crossentropy"},
                  loss_weights={"first": 1.0, "second": 0.5}, metrics={"second": "accuracy"})
    if weights is not None:
        model.set_weights(weights)
    return model


def test_custom_train_and_test_steps_match_tf_keras(tf, tfk):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = {"first": x[:, :1] * 2, "second": (x[:, 1] > 0).astype("int64") + (x[:, 2] > 0)}
    sample_weight = {"first": rng.random(48).astype("float32"), "second": np.ones(48, "float32")}
    theirs = _build(tfk, tf)
    ours = _build(keras, our_tf, theirs.get_weights())
    h_theirs = theirs.fit(x, y, sample_weight=sample_weight, batch_size=16, epochs=3, shuffle=False,
                          validation_data=(x[:16], _head(y, 16)), verbose=0)
    h_ours = ours.fit(x, y, sample_weight=sample_weight, batch_size=16, epochs=3, shuffle=False,
                      validation_data=(x[:16], _head(y, 16)), verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history)
    for key in h_theirs.history:
        assert_close(np.array(h_ours.history[key]), np.array(h_theirs.history[key]), rtol=1e-4, atol=1e-5)
    for mine, other in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(mine, other, rtol=1e-4, atol=1e-5)


def _head(y, n):
    return {name: value[:n] for name, value in y.items()}
