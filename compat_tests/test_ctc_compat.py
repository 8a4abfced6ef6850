"""K.ctc_batch_cost and K.ctc_decode (greedy) against tf.keras: losses, training on them, decoded labels."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close


def _case(seed, samples=4, steps=10, classes=6, max_label=5):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=(samples, steps, classes)).astype("float32")
    y_pred = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    y_true = rng.integers(0, classes - 1, (samples, max_label)).astype("float32")
    input_length = rng.integers(max_label + 1, steps + 1, (samples, 1))
    label_length = rng.integers(1, max_label + 1, (samples, 1))
    return y_true, y_pred, input_length, label_length


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ctc_batch_cost_matches(tfk, seed):
    y_true, y_pred, input_length, label_length = _case(seed)
    theirs = tfk.backend.ctc_batch_cost(y_true, y_pred, input_length, label_length)
    ours = keras.backend.ctc_batch_cost(y_true, torch.tensor(y_pred), input_length, label_length)
    assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("seed,steps", [(0, 10), (3, 12), (4, 7)])
def test_ctc_greedy_decode_matches(tfk, seed, steps):
    _, y_pred, input_length, _ = _case(seed, steps=steps, max_label=3)
    (theirs,), theirs_log_prob = tfk.backend.ctc_decode(y_pred, input_length.ravel())
    (ours,), ours_log_prob = keras.backend.ctc_decode(y_pred, input_length.ravel())
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert_close(ours_log_prob, theirs_log_prob, rtol=1e-5, atol=1e-5)


def test_ctc_loss_trains_a_functional_model_like_tf_keras(tfk):
    """The classic OCR wiring: the CTC cost in a Lambda layer, the model trained on it with a pass-through loss
    (equal loss histories also check the CTC gradients)."""
    y_true, _, input_length, label_length = _case(5, samples=16)

    def build(lib):
        inputs = lib.Input((10, 8), name="features")
        labels = lib.Input((5,), name="labels")
        in_len = lib.Input((1,), name="input_length", dtype="int64")
        lab_len = lib.Input((1,), name="label_length", dtype="int64")
        y_pred = lib.layers.Dense(6, activation="softmax")(inputs)
        cost = lib.layers.Lambda(lambda args: lib.backend.ctc_batch_cost(*args), output_shape=(1,), name="ctc")(
            [labels, y_pred, in_len, lab_len])
        model = lib.Model([inputs, labels, in_len, lab_len], cost)
        model.compile(optimizer=lib.optimizers.SGD(0.05), loss=lambda y, cost: cost)
        return model

    features = np.random.default_rng(6).normal(size=(16, 10, 8)).astype("float32")
    data = [features, y_true, input_length, label_length]
    theirs = build(tfk)
    ours = build(keras)
    ours.set_weights(theirs.get_weights())
    zeros = np.zeros((16, 1), "float32")
    h_theirs = theirs.fit(data, zeros, batch_size=8, epochs=3, shuffle=False, verbose=0)
    h_ours = ours.fit(data, zeros, batch_size=8, epochs=3, shuffle=False, verbose=0)
    assert_close(np.array(h_ours.history["loss"]), np.array(h_theirs.history["loss"]), rtol=1e-4)


def test_beam_search_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="greedy=True"):
        keras.backend.ctc_decode(np.full((1, 3, 4), 0.25, "float32"), np.array([3]), greedy=False)
