"""torchkeras_api.activations against the real tf.keras: values, gradients, names and serialization."""
import zlib

import numpy as np
import pytest
import torch

from compat_tests.conftest import assert_close
from torchkeras_api import activations

# (name, kwargs, input shape, input scale)
CASES = [
    ("elu", {}, (4, 50), 3.0), ("elu", {"alpha": 0.5}, (4, 50), 3.0),
    ("exponential", {}, (4, 50), 3.0),
    ("gelu", {}, (4, 50), 3.0), ("gelu", {"approximate": True}, (4, 50), 3.0),
    ("hard_sigmoid", {}, (4, 50), 4.0),
    ("linear", {}, (4, 50), 3.0),
    ("mish", {}, (4, 50), 3.0),
    ("relu", {}, (4, 50), 3.0), ("relu", {"alpha": 0.1}, (4, 50), 3.0), ("relu", {"max_value": 2.0}, (4, 50), 3.0),
    ("relu", {"max_value": 6}, (4, 50), 5.0), ("relu", {"threshold": 0.5}, (4, 50), 3.0),
    ("relu", {"threshold": -1.0, "max_value": 2.0}, (4, 50), 3.0),
    ("relu", {"alpha": 0.2, "max_value": 2.0, "threshold": 0.5}, (4, 50), 3.0),
    ("selu", {}, (4, 50), 3.0),
    ("sigmoid", {}, (4, 50), 5.0),
    ("softmax", {}, (4, 50), 3.0), ("softmax", {"axis": 1}, (3, 4, 5), 3.0), ("softmax", {"axis": 0}, (6, 5), 3.0),
    ("softmax", {"axis": (1, 2)}, (3, 4, 5), 3.0),
    ("softplus", {}, (4, 50), 8.0),
    ("softsign", {}, (4, 50), 3.0),
    ("swish", {}, (4, 50), 3.0), ("silu", {}, (4, 50), 3.0),
    ("tanh", {}, (4, 50), 3.0),
    ("leaky_relu", {}, (4, 50), 3.0), ("leaky_relu", {"alpha": 0.05}, (4, 50), 3.0),
    ("log_softmax", {}, (4, 50), 3.0), ("log_softmax", {"axis": 0}, (6, 5), 3.0),
    ("relu6", {}, (4, 50), 5.0),
]
# TF's float32 tanh rounds to exactly -1 sooner than torch's, so tanh-approximated GELU gradients differ by a
# few 1e-6 (absolute) for x < -4, where both are ~0.
GRAD_ATOL = {("gelu", True): 1e-5}
# tf.nn functions that tf.keras serves under these names take their options positionally.
POSITIONAL = {"leaky_relu": "alpha", "log_softmax": "axis"}


def _theirs(tfk, name, x, kwargs):
    fn = tfk.activations.get(name)
    if name in POSITIONAL and kwargs:
        return fn(x, kwargs[POSITIONAL[name]])
    return fn(x, **kwargs)


@pytest.mark.parametrize("name, kwargs, shape, scale", CASES, ids=lambda v: str(v))
def test_values_and_gradients_match(tf, tfk, name, kwargs, shape, scale):
    rng = np.random.RandomState(zlib.crc32(f"{name}{kwargs}".encode()))
    x = (rng.randn(*shape) * scale).astype("float32")
    upstream = rng.randn(*shape).astype("float32")

    ours_x = torch.tensor(x, requires_grad=True)
    ours = activations.get(name)(ours_x, **kwargs)
    ours.backward(torch.tensor(upstream))

    theirs_x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(theirs_x)
        theirs = _theirs(tfk, name, theirs_x, kwargs)
    theirs_grad = tape.gradient(theirs, theirs_x, output_gradients=tf.constant(upstream))

    assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    assert_close(ours_x.grad, theirs_grad, rtol=1e-5, atol=GRAD_ATOL.get((name, kwargs.get("approximate")), 1e-6))


CANDIDATE_NAMES = ["elu", "exponential", "gelu", "hard_sigmoid", "linear", "mish", "relu", "selu", "sigmoid",
                   "softmax", "softplus", "softsign", "swish", "silu", "tanh", "leaky_relu", "log_softmax",
                   "relu6", "hard_silu", "hard_swish", "Relu", "RELU", "softmax_v2", "sigmoid_", ""]


@pytest.mark.parametrize("name", CANDIDATE_NAMES)
def test_get_accepts_the_same_names(tfk, name):
    try:
        theirs = tfk.activations.serialize(tfk.activations.get(name))
    except ValueError:
        with pytest.raises(ValueError, match=f"'{name}'"):
            activations.get(name)
        return
    assert activations.serialize(activations.get(name)) == theirs


def test_get_none_and_bad_type_match(tfk):
    assert activations.serialize(activations.get(None)) == tfk.activations.serialize(tfk.activations.get(None))
    with pytest.raises(TypeError):
        tfk.activations.get(3)
    with pytest.raises(TypeError):
        activations.get(3)


def test_custom_function_serialization_matches(tfk):
    def my_custom_activation(x):
        return x

    ours = activations.serialize(my_custom_activation)
    assert ours == tfk.activations.serialize(my_custom_activation)
    assert activations.deserialize(ours, custom_objects={"my_custom_activation": my_custom_activation}) \
        is my_custom_activation
    assert tfk.activations.deserialize(ours, custom_objects={"my_custom_activation": my_custom_activation}) \
        is my_custom_activation


def test_softmax_rank_one_error_matches(tf, tfk):
    with pytest.raises(ValueError, match="Cannot apply softmax to a tensor that is 1D"):
        tfk.activations.softmax(tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="Cannot apply softmax to a tensor that is 1D"):
        activations.softmax(torch.tensor([1.0, 2.0]))
