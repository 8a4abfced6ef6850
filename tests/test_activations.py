"""Unit tests of torchkeras_api.activations: formulas, gradients, get/serialize/deserialize."""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from torchkeras_api import activations
from torchkeras_api.saving.object_registry import custom_object_scope, get_custom_objects, register_keras_serializable

X = np.linspace(-8.0, 8.0, 161)
BUILTIN_NAMES = ["elu", "exponential", "gelu", "hard_sigmoid", "leaky_relu", "linear", "log_softmax", "mish", "relu",
                 "relu6", "selu", "sigmoid", "softmax", "softplus", "softsign", "swish", "tanh"]


def _run(fn, x=X, **kwargs):
    return fn(torch.tensor(x, dtype=torch.float64), **kwargs).numpy()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


ELEMENTWISE = {
    "linear": lambda x: x,
    "exponential": np.exp,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "swish": lambda x: x * _sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "gelu": lambda x: 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0))),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_formulas(name):
    np.testing.assert_allclose(_run(getattr(activations, name)), ELEMENTWISE[name](X), rtol=1e-7, atol=1e-12)


def test_gelu_tanh_approximation():
    expected = 0.5 * X * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (X + 0.044715 * X ** 3)))
    np.testing.assert_allclose(_run(activations.gelu, approximate=True), expected, rtol=1e-7, atol=1e-12)


def test_elu_alpha():
    np.testing.assert_allclose(_run(activations.elu, alpha=0.5), np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-7)


def test_hard_sigmoid_is_the_keras2_slope():
    out = _run(activations.hard_sigmoid, np.array([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0]))
    np.testing.assert_allclose(out, [0.0, 0.0, 0.3, 0.5, 0.7, 1.0, 1.0], atol=1e-12)


@pytest.mark.parametrize("kwargs", [
    {}, {"alpha": 0.1}, {"max_value": 4.0}, {"max_value": 6}, {"threshold": 0.5}, {"threshold": -1.0},
    {"alpha": 0.2, "max_value": 3.0, "threshold": 1.0}, {"alpha": 0.2, "max_value": 3.0, "threshold": -1.0},
    {"threshold": -1.0, "max_value": 3.0}, {"alpha": 0.3, "max_value": 6},
])
def test_relu_variants(kwargs):
    alpha, max_value, threshold = kwargs.get("alpha", 0.0), kwargs.get("max_value"), kwargs.get("threshold", 0.0)
    kept = np.where(X > threshold, X, 0.0) if threshold != 0 else np.maximum(X, 0.0)
    if max_value is not None:
        kept = np.clip(kept, 0.0, max_value)
    expected = kept - alpha * np.maximum(threshold - X, 0.0)
    np.testing.assert_allclose(_run(activations.relu, **kwargs), expected, rtol=1e-12, atol=1e-12)


def test_softmax_and_log_softmax():
    x = np.random.RandomState(0).randn(3, 4, 5)
    for axis in (-1, 0, 1):
        expected = np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)
        np.testing.assert_allclose(_run(activations.softmax, x, axis=axis), expected, rtol=1e-12)
        np.testing.assert_allclose(_run(activations.log_softmax, x, axis=axis), np.log(expected), rtol=1e-12)
    expected = np.exp(x) / np.exp(x).sum(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(_run(activations.softmax, x, axis=(1, 2)), expected, rtol=1e-12)


@pytest.mark.parametrize("x", [torch.tensor(1.0), torch.tensor([1.0, 2.0])])
def test_softmax_rejects_rank_below_two(x):
    with pytest.raises(ValueError, match="Cannot apply softmax to a tensor that is 1D"):
        activations.softmax(x)


@pytest.mark.parametrize("name", ["elu", "gelu", "selu", "sigmoid", "tanh", "softplus", "softsign", "swish",
                                  "mish", "exponential", "hard_sigmoid", "relu", "leaky_relu", "softmax",
                                  "log_softmax"])
def test_gradients_match_finite_differences(name):
    # Points away from kinks (0 for relu, +-2.5 for hard_sigmoid) so finite differences are valid.
    x = torch.tensor([[-2.1, -0.7, 0.3, 1.9], [0.6, -1.3, 2.2, -0.2]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(getattr(activations, name), (x,))


def test_activations_keep_dtype():
    for name in BUILTIN_NAMES:
        out = getattr(activations, name)(torch.randn(2, 3, dtype=torch.float32))
        assert out.dtype == torch.float32 and out.shape == (2, 3)


def test_get_builtins_and_aliases():
    for name in BUILTIN_NAMES:
        assert activations.get(name) is getattr(activations, name)
    assert activations.get("silu") is activations.swish
    assert activations.silu is activations.swish
    assert activations.get(None) is activations.linear


def test_get_callable_and_errors():
    assert activations.get(torch.tanh) is torch.tanh
    with pytest.raises(ValueError, match="'no_such_activation'"):
        activations.get("no_such_activation")
    with pytest.raises(TypeError, match="Could not interpret activation function identifier: 3"):
        activations.get(3)


def test_serialize_builtin_names():
    for name in BUILTIN_NAMES:
        assert activations.serialize(getattr(activations, name)) == name
    assert activations.serialize(activations.silu) == "swish"
    assert activations.serialize(torch.relu) == "relu"
    with pytest.raises(ValueError, match="cannot be serialized"):
        activations.serialize("relu")


def test_custom_function_round_trip():
    def my_act(x):
        return x * 2

    config = activations.serialize(my_act)
    assert config == {"module": "builtins", "class_name": "function", "config": "my_act",
                      "registered_name": "function"}
    with pytest.raises(ValueError, match="my_act"):
        activations.deserialize(config)
    with custom_object_scope({"my_act": my_act}):
        assert activations.get(config) is my_act
        assert activations.get("my_act") is my_act
    assert activations.deserialize("my_act", custom_objects={"my_act": my_act}) is my_act
    assert activations.deserialize("relu", custom_objects={"relu": my_act}) is my_act


def test_registered_function_round_trip():
    def scaled(x):
        return x * 3

    register_keras_serializable("tk_test")(scaled)
    try:
        config = activations.serialize(scaled)
        assert config["config"] == "tk_test>scaled"
        assert activations.deserialize(config) is scaled
    finally:
        get_custom_objects().pop("tk_test>scaled")


def test_serialize_lambda_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = activations.serialize(lambda x: x)
    assert config["config"] == "<lambda>"
    assert any("lambda" in str(w.message) for w in caught)


def test_deserialize_activation_layer_by_class_name():
    from torchkeras_api import layers
    if not hasattr(layers, "ReLU"):
        pytest.skip("keras.layers.ReLU is not implemented yet")
    layer = activations.get({"class_name": "ReLU", "config": {"max_value": None}})
    assert isinstance(layer, layers.ReLU)


def test_relu_is_fast_path_equal_to_torch():
    x = torch.randn(1000)
    assert torch.equal(activations.relu(x), torch.relu(x))
    assert torch.equal(activations.relu(x, max_value=6), F.relu6(x))
