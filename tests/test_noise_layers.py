"""Noise and dropout layers: identity outside training, statistics of the training noise against the layers'
formulas, whole-channel dropping, seeds, gradients, masks and configs."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras

L = keras.layers
SELU_SATURATION = -1.6732632423543772 * 1.0507009873554805


def _standard_normal(*shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype("float32")


ALL = [lambda: L.SpatialDropout1D(0.5), lambda: L.SpatialDropout2D(0.5), lambda: L.SpatialDropout3D(0.5),
       lambda: L.GaussianNoise(1.0), lambda: L.GaussianDropout(0.5), lambda: L.AlphaDropout(0.5)]
RANK = {"SpatialDropout1D": 3, "SpatialDropout2D": 4, "SpatialDropout3D": 5}


@pytest.mark.parametrize("make", ALL)
def test_identity_outside_training_active_with_training_true(make):
    layer = make()
    x = _standard_normal(*(2, 3, 4, 5, 6)[:RANK.get(type(layer).__name__, 2)])
    assert np.array_equal(layer(x).numpy(), x)
    assert np.array_equal(layer(x, training=False).numpy(), x)
    assert not np.array_equal(layer(x, training=True).numpy(), x)


# ---- spatial dropout ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make, shape, channel_axis", [
    (lambda: L.SpatialDropout1D(0.3), (500, 7, 8), 2),
    (lambda: L.SpatialDropout2D(0.3), (500, 3, 4, 8), 3),
    (lambda: L.SpatialDropout2D(0.3, data_format="channels_first"), (500, 8, 3, 4), 1),
    (lambda: L.SpatialDropout3D(0.3), (500, 2, 3, 2, 8), 4),
    (lambda: L.SpatialDropout3D(0.3, data_format="channels_first"), (500, 8, 2, 3, 2), 1),
])
def test_spatial_dropout_drops_whole_channels_at_rate(make, shape, channel_axis):
    y = make()(np.ones(shape, "float32"), training=True).numpy()
    maps = np.moveaxis(y, channel_axis, 1).reshape(shape[0], 8, -1)
    np.testing.assert_array_equal(maps, np.broadcast_to(maps[:, :, :1], maps.shape))
    np.testing.assert_allclose(np.unique(maps), [0.0, 1 / 0.7], rtol=1e-6)
    dropped = (maps[:, :, 0] == 0).mean()
    assert abs(dropped - 0.3) < 4 * np.sqrt(0.3 * 0.7 / (shape[0] * 8))


def test_spatial_dropout_default_data_format_follows_the_backend():
    keras.backend.set_image_data_format("channels_first")
    try:
        assert L.SpatialDropout2D(0.5).data_format == "channels_first"
    finally:
        keras.backend.set_image_data_format("channels_last")
    assert L.SpatialDropout2D(0.5).data_format == "channels_last"


def test_spatial_dropout_gradient_is_the_channel_scale():
    x = torch.ones(4, 5, 6, requires_grad=True)
    y = L.SpatialDropout1D(0.5)(x, training=True)
    y.sum().backward()
    torch.testing.assert_close(x.grad, y.detach())


def test_spatial_dropout_seed_makes_masks_reproducible():
    x = np.ones((16, 3, 10), "float32")
    first = L.SpatialDropout1D(0.5, seed=4)(x, training=True).numpy()
    second = L.SpatialDropout1D(0.5, seed=4)(x, training=True).numpy()
    np.testing.assert_array_equal(first, second)


def test_spatial_dropout_rank_error_names_the_layer():
    with pytest.raises(ValueError, match='"spatial_dropout2d[_0-9]*".*expected ndim=4, found ndim=3'):
        L.SpatialDropout2D(0.5)(np.ones((2, 3, 4), "float32"))


# ---- gaussian noise and dropout -----------------------------------------------------------------------
def test_gaussian_noise_adds_zero_mean_noise_of_stddev():
    x = _standard_normal(400, 250)
    noise = L.GaussianNoise(0.4)(x, training=True).numpy() - x
    assert abs(noise.mean()) < 4 * 0.4 / np.sqrt(noise.size)
    assert abs(noise.std() / 0.4 - 1) < 0.01


def test_gaussian_dropout_multiplies_by_noise_of_mean_one():
    rate = 0.2
    x = np.full((400, 250), 2.0, "float32")
    factor = L.GaussianDropout(rate)(x, training=True).numpy() / x
    stddev = np.sqrt(rate / (1 - rate))
    assert abs(factor.mean() - 1) < 4 * stddev / np.sqrt(factor.size)
    assert abs(factor.std() / stddev - 1) < 0.01


def test_gaussian_layer_gradients():
    x = torch.tensor(_standard_normal(50, 40), requires_grad=True)
    L.GaussianNoise(0.5)(x, training=True).sum().backward()
    torch.testing.assert_close(x.grad, torch.ones_like(x))
    x.grad = None
    y = L.GaussianDropout(0.5, seed=3)(x, training=True)
    y.sum().backward()
    torch.testing.assert_close(x.grad * x.detach(), y.detach())


@pytest.mark.parametrize("make", [lambda seed: L.GaussianNoise(1.0, seed=seed),
                                  lambda seed: L.GaussianDropout(0.3, seed=seed),
                                  lambda seed: L.AlphaDropout(0.3, seed=seed)])
def test_seeded_noise_is_reproducible_and_differs_per_call(make):
    x = _standard_normal(8, 6)
    first, second = make(11), make(11)
    a, b = first(x, training=True).numpy(), second(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first(x, training=True).numpy(), a)


# ---- alpha dropout -----------------------------------------------------------------------------------
def _alpha_coefficients(rate):
    scale = ((1 - rate) * (1 + rate * SELU_SATURATION ** 2)) ** -0.5
    return scale, -scale * SELU_SATURATION * rate


@pytest.mark.parametrize("rate", [0.1, 0.5])
def test_alpha_dropout_keeps_selu_mean_and_variance(rate):
    x = _standard_normal(500, 400)
    y = L.AlphaDropout(rate)(x, training=True).numpy()
    scale, shift = _alpha_coefficients(rate)
    dropped = np.isclose(y, scale * SELU_SATURATION + shift, rtol=1e-6, atol=0)
    assert abs(dropped.mean() - rate) < 4 * np.sqrt(rate * (1 - rate) / y.size)
    np.testing.assert_allclose(y[~dropped], scale * x[~dropped] + shift, rtol=1e-5, atol=1e-6)
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.01


def test_alpha_dropout_noise_shape_and_gradient():
    x = torch.tensor(_standard_normal(200, 3, 5), requires_grad=True)
    y = L.AlphaDropout(0.5, noise_shape=(None, 1, 5))(x, training=True)
    scale, _ = _alpha_coefficients(0.5)
    y.sum().backward()
    kept = x.grad.numpy()[:, :1, :]
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(kept, x.shape))
    np.testing.assert_allclose(np.unique(kept), [0.0, scale], rtol=1e-6)


# ---- models, masks, configs ----------------------------------------------------------------------------
def test_noise_is_on_in_fit_and_off_in_predict_and_evaluate():
    x = _standard_normal(32, 4, 3)
    model = keras.Sequential([keras.Input((4, 3)), L.GaussianNoise(5.0), L.SpatialDropout1D(0.5),
                              L.GaussianDropout(0.5), L.AlphaDropout(0.5), L.Dense(3, kernel_initializer="identity")])
    model.compile(keras.optimizers.SGD(0.0), loss="mse")
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    assert model.evaluate(x, x, verbose=0) == 0.0
    assert model.train_on_batch(x, x) > 1.0


@pytest.mark.parametrize("make", ALL[:1] + ALL[3:])
def test_masks_pass_through(make):
    emb = L.Embedding(5, 3, mask_zero=True)(np.array([[1, 0, 2]]))
    y = make()(emb, training=True)
    np.testing.assert_array_equal(y._keras_mask.numpy(), [[True, False, True]])


def test_symbolic_training_call_keeps_shape():
    assert tuple(L.SpatialDropout2D(0.5)(keras.Input((None, 4, 3)), training=True).shape) == (None, None, 4, 3)
    assert tuple(L.AlphaDropout(0.5)(keras.Input((7,)), training=True).shape) == (None, 7)


@pytest.mark.parametrize("make, config", [
    (lambda: L.SpatialDropout2D(0.3, data_format="channels_first", seed=2),
     {"rate": 0.3, "noise_shape": None, "seed": 2}),
    (lambda: L.GaussianNoise(0.1, seed=1), {"stddev": 0.1, "seed": 1}),
    (lambda: L.GaussianDropout(0.4), {"rate": 0.4, "seed": None}),
    (lambda: L.AlphaDropout(0.2, noise_shape=(2, 1), seed=3), {"rate": 0.2, "seed": 3}),
])
def test_configs_and_round_trip(make, config):
    layer = make()
    got = layer.get_config()
    assert {k: got[k] for k in got if k not in ("name", "trainable", "dtype")} == config
    assert L.deserialize(L.serialize(layer)).get_config() == got


def test_float64_inputs_stay_float64():
    x = _standard_normal(3, 4).astype("float64")
    for layer in (L.GaussianNoise(1.0, dtype="float64"), L.AlphaDropout(0.5, dtype="float64")):
        assert layer(x, training=True).dtype == torch.float64
