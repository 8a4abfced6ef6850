"""Loads the real tf.keras (Keras 2, via tf-keras) as the oracle; skips when it is not installed."""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

import numpy as np
import pytest

try:
    import tensorflow as _tf
    import tf_keras as _tfk
except ImportError:
    _tf = None
    _tfk = None


@pytest.fixture(scope="session")
def tf():
    if _tf is None:
        pytest.skip("tensorflow / tf-keras not installed")
    return _tf


@pytest.fixture(scope="session")
def tfk():
    if _tfk is None:
        pytest.skip("tensorflow / tf-keras not installed")
    return _tfk


@pytest.fixture(autouse=True)
def _fresh_sessions():
    """Both libraries start each test with fresh default names."""
    import torchkeras_api as keras
    keras.backend.clear_session()
    if _tfk is not None:
        _tfk.backend.clear_session()
    yield


def assert_close(ours, theirs, rtol=1e-5, atol=1e-6):
    """Max relative error within rtol (with an absolute floor for values near zero)."""
    ours = np.asarray(ours.detach().cpu().numpy() if hasattr(ours, "detach") else ours)
    theirs = np.asarray(theirs.numpy() if hasattr(theirs, "numpy") else theirs)
    assert ours.shape == theirs.shape, f"shape {ours.shape} != {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def theirs_with_gradient(tf, layer, x, upstream, **kwargs):
    """tf.keras layer output on x and the input gradient for the upstream gradient."""
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, **kwargs)
    return y, tape.gradient(y, xt, output_gradients=tf.constant(upstream))


def ours_with_gradient(layer, x, upstream, **kwargs):
    """Our layer output on x and the input gradient for the upstream gradient."""
    import torch
    xt = torch.tensor(x, requires_grad=True)
    y = layer(xt, **kwargs)
    y.backward(torch.tensor(upstream))
    return y, xt.grad


def assert_symbolic_shapes_match(ours_lib, theirs_lib, factory, shapes):
    """The layer from factory(lib), called on Input(shape), gives the same symbolic shape in both."""
    for shape in shapes:
        ours = factory(ours_lib)(ours_lib.Input(shape))
        theirs = factory(theirs_lib)(theirs_lib.Input(shape))
        assert tuple(ours.shape) == tuple(theirs.shape), shape


def assert_configs_match(ours, theirs):
    """Our layer's config has tf-keras's keys in tf-keras's order and its values, and survives from_config."""
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert list(ours_config) == list(theirs_config)
    assert ours_config == theirs_config
    assert type(ours).from_config(ours_config).get_config() == ours_config
