"""Activation layers: values and gradients against NumPy formulas, PReLU weights, Softmax masks, errors, configs."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras

L = keras.layers
X = np.array([[-3.0, -1.0, -0.25, 0.0, 0.25, 0.5, 1.0, 2.0, 6.0, 8.0]], "float32")


def _relu_reference(x, max_value=None, negative_slope=0.0, threshold=0.0):
    positive = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        positive = np.minimum(positive, max_value)
    return positive + np.where(x < threshold, negative_slope * (x - threshold), 0.0)


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 6}, {"max_value": 1.5}, {"negative_slope": 0.2},
                                    {"threshold": 0.5}, {"max_value": 6, "negative_slope": 0.1, "threshold": 1.0},
                                    {"max_value": 0.5, "threshold": 0.25}])
def test_relu_matches_formula(kwargs):
    np.testing.assert_allclose(L.ReLU(**kwargs)(X).numpy(), _relu_reference(X, **kwargs), rtol=1e-6)


@pytest.mark.parametrize("layer, reference", [
    (L.LeakyReLU(), lambda x: np.where(x > 0, x, 0.3 * x)),
    (L.LeakyReLU(alpha=0.01), lambda x: np.where(x > 0, x, 0.01 * x)),
    (L.ELU(), lambda x: np.where(x > 0, x, np.expm1(x))),
    (L.ELU(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    (L.ThresholdedReLU(), lambda x: np.where(x > 1.0, x, 0.0)),
    (L.ThresholdedReLU(theta=0.25), lambda x: np.where(x > 0.25, x, 0.0)),
    (L.Softmax(), lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
])
def test_activations_match_formulas(layer, reference):
    np.testing.assert_allclose(layer(X).numpy(), reference(X.astype("float64")), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("layer, slopes", [
    (L.ReLU(), lambda x: (x > 0) * 1.0),
    (L.ReLU(max_value=6.0), lambda x: ((x > 0) & (x < 6)) * 1.0),
    (L.ReLU(negative_slope=0.2, threshold=0.5), lambda x: np.where(x > 0.5, 1.0, np.where(x < 0.5, 0.2, 0.0))),
    (L.LeakyReLU(0.3), lambda x: np.where(x > 0, 1.0, 0.3)),
    (L.ThresholdedReLU(0.5), lambda x: (x > 0.5) * 1.0),
    (L.ELU(0.5), lambda x: np.where(x > 0, 1.0, 0.5 * np.exp(x))),
])
def test_input_gradients_are_the_slopes(layer, slopes):
    x = torch.tensor(X, requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes(X), rtol=1e-6)


def test_activation_layers_keep_dtype_and_shape_in_models():
    inputs = keras.Input((3, 4), dtype="float64")
    outputs = L.ReLU(dtype="float64")(L.LeakyReLU(dtype="float64")(inputs))
    model = keras.Model(inputs, L.Softmax(axis=1, dtype="float64")(outputs))
    assert tuple(model.output_shape) == (None, 3, 4)
    y = model(np.random.RandomState(0).randn(2, 3, 4))
    assert y.dtype == torch.float64
    np.testing.assert_allclose(y.sum(1).detach().numpy(), np.ones((2, 4)), rtol=1e-12)


# ---- PReLU --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, shared_axes, alpha_shape", [
    ((2, 5), None, (5,)), ((2, 3, 5), None, (3, 5)), ((2, 3, 5), [1], (1, 5)), ((2, 3, 4, 5), [1, 2], (1, 1, 5)),
    ((2, 3, 4, 5), 3, (3, 4, 1)),
])
def test_prelu_alpha_shape_and_values(shape, shared_axes, alpha_shape):
    layer = L.PReLU(shared_axes=shared_axes)
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    layer(x)
    assert [w.name for w in layer.weights] == [f"{layer.name}/alpha:0"]
    assert layer.get_weights()[0].shape == alpha_shape
    alpha = np.random.RandomState(1).rand(*alpha_shape).astype("float32")
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x).detach().numpy(), np.where(x > 0, x, alpha * x), rtol=1e-6)


def test_prelu_trains_alpha_with_regularizer_and_constraint():
    layer = L.PReLU(alpha_initializer=keras.initializers.Constant(0.5), alpha_regularizer=keras.regularizers.L2(0.1),
                    alpha_constraint=keras.constraints.NonNeg())
    model = keras.Sequential([keras.Input((4,)), layer])
    assert len(model.losses) == 1
    np.testing.assert_allclose(model.losses[0].item(), 0.1 * 4 * 0.25, rtol=1e-6)
    x = -np.abs(np.random.RandomState(0).randn(64, 4)).astype("float32")
    model.compile(keras.optimizers.SGD(1.0), "mse")
    model.fit(x, np.zeros_like(x), epochs=3, verbose=0)
    alpha = layer.get_weights()[0]
    assert np.all(alpha >= 0) and np.all(alpha < 0.5)


def test_prelu_unknown_dimension_error_names_the_fix():
    with pytest.raises(ValueError, match="shared_axes"):
        L.PReLU()(keras.Input((None, 4)))
    assert L.PReLU(shared_axes=[1])(keras.Input((None, 4))).shape[1:] == (None, 4)


def test_prelu_rejects_other_shapes_after_build():
    layer = L.PReLU()
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="p_re_lu"):
        layer(np.ones((2, 4), "float32"))


# ---- Softmax masks -----------------------------------------------------------------------------------
def test_softmax_mask_zeroes_masked_positions_and_renormalizes():
    x = np.random.RandomState(0).randn(3, 5).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [0, 0, 0, 0, 1], [1, 1, 1, 1, 1]], bool)
    y = L.Softmax()(x, mask=torch.tensor(mask)).numpy()
    expected = np.where(mask, np.exp(x), 0.0)
    np.testing.assert_allclose(y, expected / expected.sum(-1, keepdims=True), rtol=1e-5, atol=1e-12)


def test_softmax_robust_masking_ignores_huge_masked_logits():
    x = np.array([[1e9, 0.0, 1.0]], "float32")
    mask = torch.tensor([[False, True, True]])
    plain = L.Softmax()(x, mask=mask).numpy()
    robust = L.Softmax(robust_masking=True)(x, mask=mask).numpy()
    np.testing.assert_allclose(plain, [[1 / (2 + np.e), 1 / (2 + np.e), np.e / (2 + np.e)]], rtol=1e-6)
    np.testing.assert_allclose(robust, [[0.0, 1 / (1 + np.e), np.e / (1 + np.e)]], rtol=1e-6)


def test_softmax_uses_the_incoming_keras_mask():
    x = np.random.RandomState(0).randn(2, 4).astype("float32")
    keep = torch.tensor([[True, False, True, True], [False, True, True, False]])
    tensor = torch.tensor(x)
    tensor._keras_mask = keep
    y = L.Softmax()(tensor)
    assert y[~keep].abs().max() < 1e-30
    assert y._keras_mask is keep


def test_softmax_mask_that_does_not_broadcast_is_a_clear_error():
    with pytest.raises(ValueError, match=r"mask of Softmax layer .* must broadcast.*\(2, 3, 4\).*\(2, 3\)"):
        L.Softmax()(np.ones((2, 3, 4), "float32"), mask=torch.ones(2, 3, dtype=torch.bool))


def test_softmax_over_several_axes_sums_to_one():
    y = L.Softmax(axis=(1, 2))(np.random.RandomState(0).randn(2, 3, 4).astype("float32"))
    np.testing.assert_allclose(y.sum((1, 2)).numpy(), [1.0, 1.0], rtol=1e-6)
    assert not hasattr(y, "_keras_logits")


def test_softmax_output_gives_the_crossentropy_its_logits():
    x = np.array([[30.0, 0.0, -30.0]], "float32")
    y = L.Softmax()(x)
    loss = keras.losses.categorical_crossentropy(np.array([[0.0, 0.0, 1.0]], "float32"), y)
    np.testing.assert_allclose(loss.numpy(), [60.0], rtol=1e-6)


def test_mask_passes_through_activation_layers_in_a_model():
    inputs = keras.Input((4,))
    x = L.Embedding(5, 3, mask_zero=True)(inputs)
    for layer in (L.ReLU(), L.LeakyReLU(), L.PReLU(), L.ELU(), L.ThresholdedReLU()):
        x = layer(x)
    model = keras.Model(inputs, x)
    y = model(np.array([[1, 2, 0, 0]]))
    np.testing.assert_array_equal(y._keras_mask.numpy(), [[True, True, False, False]])


# ---- errors and configs ------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: L.ReLU(max_value=-1.0), "max_value of a ReLU layer cannot be a negative value"),
    (lambda: L.ReLU(negative_slope=-0.5), "negative_slope of a ReLU layer"),
    (lambda: L.ReLU(threshold=None), "threshold of a ReLU layer"),
    (lambda: L.LeakyReLU(alpha=None), "alpha value of a Leaky ReLU layer cannot be None"),
    (lambda: L.ELU(alpha=None), "Alpha of an ELU layer cannot be None"),
    (lambda: L.ThresholdedReLU(theta=-0.1), "theta value of a Thresholded ReLU layer should be >=0"),
])
def test_constructor_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_softmax_on_1d_input_is_an_error():
    with pytest.raises(ValueError, match="1D"):
        L.Softmax()(np.ones(3, "float32"))


@pytest.mark.parametrize("make", [
    lambda: L.ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5), lambda: L.LeakyReLU(0.1),
    lambda: L.ELU(0.7), lambda: L.ThresholdedReLU(0.2), lambda: L.Softmax(axis=[1, 2], robust_masking=True),
    lambda: L.PReLU(alpha_initializer="ones", alpha_regularizer="l1", alpha_constraint="non_neg", shared_axes=[1]),
])
def test_config_round_trip_through_deserialize(make):
    layer = make()
    clone = L.deserialize(L.serialize(layer))
    assert type(clone) is type(layer)
    config, clone_config = layer.get_config(), clone.get_config()
    assert list(config) == list(clone_config)
    for key in config:
        assert np.all(config[key] == clone_config[key]) if isinstance(config[key], np.ndarray) else \
            config[key] == clone_config[key]


def test_relu_config_values_are_floatx_arrays():
    config = L.ReLU(max_value=6, negative_slope=0.1).get_config()
    for key in ("max_value", "negative_slope", "threshold"):
        assert isinstance(config[key], np.ndarray) and config[key].dtype == np.float32 and config[key].ndim == 0
    assert config["negative_slope"] == np.float32(0.1)
    assert L.LeakyReLU(0.1).get_config()["alpha"] == float(np.float32(0.1))
