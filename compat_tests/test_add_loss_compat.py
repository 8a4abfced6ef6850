"""Models trained on `add_loss` terms alone (`compile()` without a loss, `fit(x)` without targets), against
tf.keras: the `loss` history and `evaluate`."""
import numpy as np

import torchkeras_api as keras
from compat_tests.conftest import assert_close


def _autoencoder(lib, weights=None):
    inputs = lib.Input((6,))
    hidden = lib.layers.Dense(3, activation="tanh", kernel_regularizer=lib.regularizers.l2(0.01))(inputs)
    outputs = lib.layers.Dense(6)(hidden)
    model = lib.Model(inputs, outputs)
    model.add_loss(lib.backend.mean(lib.backend.square(outputs - inputs)))
    model.compile(optimizer=lib.optimizers.SGD(0.1))
    if weights is not None:
        model.set_weights(weights)
    return model


def test_fit_and_evaluate_on_add_loss_alone_match_tf_keras(tfk):
    x = np.random.default_rng(0).normal(size=(40, 6)).astype("float32")
    theirs = _autoencoder(tfk)
    ours = _autoencoder(keras, theirs.get_weights())
    h_theirs = theirs.fit(x, epochs=3, batch_size=8, shuffle=False, verbose=0)
    h_ours = ours.fit(x, epochs=3, batch_size=8, shuffle=False, verbose=0)
    assert sorted(h_ours.history) == sorted(h_theirs.history) == ["loss"]
    assert_close(np.array(h_ours.history["loss"]), np.array(h_theirs.history["loss"]), rtol=1e-4)
    assert ours.metrics_names == theirs.metrics_names
    assert_close(np.array(ours.evaluate(x, verbose=0)), np.array(theirs.evaluate(x, verbose=0)), rtol=1e-4)
