"""CUDA-only checks of `compile(jit_compile=True)`: the whole train step captured in a CUDA graph gives the eager
results (skipped without CUDA). Run on a GPU machine: python -m pytest -q tests/test_compiled_step_gpu.py"""
import numpy as np
import pytest
import torch

import torchkeras_api as keras

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _data(n=200):
    rng = np.random.RandomState(0)
    x = rng.randn(n, 12).astype("float32")
    return x, (x[:, 0] > x[:, 1]).astype("int64"), rng.rand(n).astype("float32")


def _model(dropout=0.0):
    L = keras.layers
    inp = keras.Input((12,))
    h = L.Dense(32, activation="relu", kernel_regularizer="l2")(inp)
    h = L.BatchNormalization()(L.Dropout(dropout)(h))
    return keras.Model(inp, L.Dense(2, activation="softmax")(h))


def _fit(jit, optimizer, dropout=0.0):
    keras.utils.set_random_seed(5)
    model = _model(dropout)
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit)
    x, y, sw = _data()
    history = model.fit(x, y, sample_weight=sw, batch_size=32, epochs=3, shuffle=False, verbose=0,
                        validation_data=(x[:64], y[:64]))
    return model, history.history


@pytest.mark.parametrize("make_optimizer", [lambda: keras.optimizers.Adam(0.01, clipnorm=1.0),
                                            lambda: keras.optimizers.SGD(0.05, momentum=0.9),
                                            lambda: keras.optimizers.RMSprop(0.005)])
def test_cuda_graph_step_matches_eager(make_optimizer):
    eager, eager_history = _fit(False, make_optimizer())
    jit, jit_history = _fit(True, make_optimizer())
    for key in eager_history:
        np.testing.assert_allclose(jit_history[key], eager_history[key], rtol=1e-4, atol=1e-5, err_msg=key)
    for ours, theirs in zip(jit.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-5)
    assert int(jit.optimizer.iterations) == int(eager.optimizer.iterations)


def test_cuda_graph_step_with_dropout_trains_and_varies_masks():
    model, history = _fit(True, keras.optimizers.Adam(0.01), dropout=0.3)
    assert np.isfinite(history["loss"]).all() and history["loss"][-1] < history["loss"][0]
    assert len(set(np.round(history["loss"], 6))) == len(history["loss"])
