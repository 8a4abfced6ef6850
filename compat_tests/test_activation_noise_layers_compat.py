"""Activation layers and noise/dropout layers against the real tf.keras: outputs and input gradients (kinks
included), weights, masks, configs, errors; the noise layers' inference identity and training structure."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close, assert_symbolic_shapes_match, ours_with_gradient, theirs_with_gradient

KINKS = [-1.0, 0.0, 0.5, 1.0, 5.0, 6.0, 7.0]
"""Values where the activations below change slope (0, thresholds, caps, theta), appended to each input."""

# name: (layer factory taking the library, eager input shape, symbolic input shapes without the batch axis)
ACTIVATIONS = {
    "relu": (lambda K: K.layers.ReLU(), (3, 7), [(7,), (None, 4)]),
    "relu6": (lambda K: K.layers.ReLU(max_value=6), (3, 7), [(None,)]),
    "relu_max5": (lambda K: K.layers.ReLU(max_value=5.0), (3, 7), [(None,)]),
    "relu_max0": (lambda K: K.layers.ReLU(max_value=0.0), (3, 7), [(None,)]),
    "relu_slope": (lambda K: K.layers.ReLU(negative_slope=0.1), (3, 7), [(None,)]),
    "relu_slope_max6": (lambda K: K.layers.ReLU(max_value=6, negative_slope=0.1), (3, 7), [(None,)]),
    "relu_slope_max5": (lambda K: K.layers.ReLU(max_value=5, negative_slope=0.2), (3, 7), [(None,)]),
    "relu_threshold": (lambda K: K.layers.ReLU(threshold=1.0), (3, 7), [(None,)]),
    "relu_threshold_slope": (lambda K: K.layers.ReLU(threshold=1.0, negative_slope=0.1), (3, 7), [(None,)]),
    "relu_all": (lambda K: K.layers.ReLU(max_value=6, negative_slope=0.1, threshold=0.5), (3, 7), [(None,)]),
    "relu_threshold_max6": (lambda K: K.layers.ReLU(max_value=6, threshold=1.0), (3, 7), [(None,)]),
    "leaky_relu": (lambda K: K.layers.LeakyReLU(), (2, 3, 7), [(None, 7)]),
    "leaky_relu_alpha": (lambda K: K.layers.LeakyReLU(0.05), (3, 7), [(None,)]),
    "leaky_relu_negative": (lambda K: K.layers.LeakyReLU(alpha=-1.0), (3, 7), [(None,)]),
    "elu": (lambda K: K.layers.ELU(), (3, 7), [(None,)]),
    "elu_alpha": (lambda K: K.layers.ELU(alpha=0.5), (3, 7), [(None,)]),
    "elu_negative": (lambda K: K.layers.ELU(alpha=-1.0), (3, 7), [(None,)]),
    "thresholded_relu": (lambda K: K.layers.ThresholdedReLU(), (3, 7), [(None,)]),
    "thresholded_relu_zero": (lambda K: K.layers.ThresholdedReLU(theta=0.0), (3, 7), [(None,)]),
    "softmax": (lambda K: K.layers.Softmax(), (3, 7), [(7,), (None,)]),
    "softmax_axis1": (lambda K: K.layers.Softmax(axis=1), (2, 4, 7), [(4, 7), (None, 7)]),
    "softmax_axes": (lambda K: K.layers.Softmax(axis=[1, 2]), (2, 4, 7), [(4, 7), (None, None)]),
    "prelu": (lambda K: K.layers.PReLU(), (3, 7), [(7,)]),
    "prelu_3d": (lambda K: K.layers.PReLU(alpha_initializer="ones"), (2, 3, 7), [(3, 7)]),
    "prelu_shared": (lambda K: K.layers.PReLU(shared_axes=[1, 2]), (2, 3, 4, 7), [(3, 4, 7), (None, None, 7)]),
    "prelu_shared_int": (lambda K: K.layers.PReLU(shared_axes=1), (2, 3, 7), [(None, 7)]),
    "prelu_shared_negative": (lambda K: K.layers.PReLU(shared_axes=[-1]), (2, 3, 7), [(3, 7)]),
}


def _kinked_inputs(shape, seed=0):
    x = (np.random.RandomState(seed).randn(*shape) * 4).astype("float32")
    flat = x.reshape(-1, shape[-1])
    flat[0] = KINKS
    return flat.reshape(shape)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_outputs_gradients_weights_match(tf, tfk, name):
    factory, shape, _ = ACTIVATIONS[name]
    x = _kinked_inputs(shape)
    theirs, ours = factory(tfk), factory(keras)
    theirs(x)
    ours(x)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    theirs.set_weights([np.random.RandomState(2).randn(*w.shape).astype("float32") for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    upstream = np.random.RandomState(1).randn(*shape).astype("float32")
    theirs_y, theirs_grad = theirs_with_gradient(tf, theirs, x, upstream)
    ours_y, ours_grad = ours_with_gradient(ours, x, upstream)
    assert_close(ours_y, theirs_y)
    assert_close(ours_grad, theirs_grad)


def test_prelu_alpha_gradient_and_regularizer_match(tf, tfk):
    def make(K):
        return K.layers.PReLU(alpha_initializer=K.initializers.Constant(0.3), alpha_regularizer=K.regularizers.L2(0.1),
                              shared_axes=[1])

    x = _kinked_inputs((2, 3, 7))
    theirs, ours = make(tfk), make(keras)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(theirs(x) ** 2) + tf.add_n(theirs.losses)
    theirs_grad = tape.gradient(loss, theirs.trainable_weights[0])
    ours_loss = torch.sum(ours(x) ** 2) + sum(ours.losses)
    ours_loss.backward()
    assert_close(ours_loss, loss)
    assert_close(ours.alpha.grad, theirs_grad)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "softmax", "softmax_axis1", "softmax_axes", "prelu_3d",
                                  "prelu_shared", "prelu_shared_int"])
def test_activation_symbolic_shapes_match(tfk, name):
    factory, _, symbolic_shapes = ACTIVATIONS[name]
    assert_symbolic_shapes_match(keras, tfk, factory, symbolic_shapes)


def _assert_same_config(ours_config, theirs_config):
    assert list(ours_config) == list(theirs_config)
    for key, theirs in theirs_config.items():
        ours = ours_config[key]
        if isinstance(theirs, np.ndarray):
            assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype and ours.shape == theirs.shape, key
            assert ours == theirs, key
        elif isinstance(theirs, list):  # tf's ListWrapper
            assert type(ours) is list and ours == list(theirs), key
        else:
            assert type(ours) is type(theirs) and ours == theirs, key


NOISE = {
    "spatial_dropout1d": (lambda K: K.layers.SpatialDropout1D(0.3), (2, 5, 3), [(5, 3), (None, 3)]),
    "spatial_dropout2d": (lambda K: K.layers.SpatialDropout2D(0.3), (2, 4, 5, 3), [(4, 5, 3), (None, None, 3)]),
    "spatial_dropout2d_first": (lambda K: K.layers.SpatialDropout2D(0.5, data_format="channels_first", seed=3),
                                (2, 3, 4, 5), [(3, 4, 5)]),
    "spatial_dropout3d": (lambda K: K.layers.SpatialDropout3D(0.2), (2, 3, 4, 5, 3), [(3, 4, 5, 3)]),
    "spatial_dropout3d_first": (lambda K: K.layers.SpatialDropout3D(0.2, data_format="channels_first"),
                                (2, 3, 4, 5, 3), [(3, None, 5, 3)]),
    "gaussian_noise": (lambda K: K.layers.GaussianNoise(0.5), (3, 4), [(4,), (None, 4)]),
    "gaussian_noise_seed": (lambda K: K.layers.GaussianNoise(stddev=1, seed=7), (3, 4), [(None,)]),
    "gaussian_dropout": (lambda K: K.layers.GaussianDropout(0.2), (3, 4), [(4,), (None, None)]),
    "gaussian_dropout_seed": (lambda K: K.layers.GaussianDropout(0.5, seed=1), (3, 4), [(None,)]),
    "alpha_dropout": (lambda K: K.layers.AlphaDropout(0.2), (3, 4), [(4,), (None, None)]),
    "alpha_dropout_args": (lambda K: K.layers.AlphaDropout(0.4, noise_shape=(3, 1), seed=5), (3, 4), [(None,)]),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS) + sorted(NOISE))
def test_config_matches(tfk, name):
    factory = {**ACTIVATIONS, **NOISE}[name][0]
    ours, theirs = factory(keras), factory(tfk)
    _assert_same_config(ours.get_config(), theirs.get_config())
    assert ours.supports_masking == theirs.supports_masking
    _assert_same_config(keras.layers.deserialize(tfk.layers.serialize(theirs)).get_config(), theirs.get_config())


@pytest.mark.parametrize("make", [
    lambda K: K.layers.ReLU(max_value=2.5, negative_slope=0.3, threshold=0.7, name="r"),
    lambda K: K.layers.Softmax(axis=[1, 2], robust_masking=True),
    lambda K: K.layers.PReLU(alpha_initializer=K.initializers.Constant(0.2), alpha_regularizer="l2",
                             alpha_constraint="non_neg", shared_axes=(1, 2)),
    lambda K: K.layers.LeakyReLU(0.7, dtype="float64"),
])
def test_config_with_arguments_matches(tfk, make):
    _assert_same_config(make(keras).get_config(), make(tfk).get_config())


@pytest.mark.parametrize("make, error", [
    (lambda K: K.layers.ReLU(max_value=-1), ValueError), (lambda K: K.layers.ReLU(negative_slope=-1), ValueError),
    (lambda K: K.layers.ReLU(threshold=-1), ValueError), (lambda K: K.layers.ReLU(threshold=None), ValueError),
    (lambda K: K.layers.ReLU(negative_slope=None), ValueError), (lambda K: K.layers.LeakyReLU(None), ValueError),
    (lambda K: K.layers.ELU(None), ValueError), (lambda K: K.layers.ThresholdedReLU(None), ValueError),
    (lambda K: K.layers.ThresholdedReLU(-1), ValueError), (lambda K: K.layers.SpatialDropout1D(1.5), ValueError),
    (lambda K: K.layers.SpatialDropout2D(-0.1), ValueError),
    (lambda K: K.layers.SpatialDropout3D(0.5, data_format="channels_middle"), ValueError),
    (lambda K: K.layers.LeakyReLU(negative_slope=0.1), TypeError),
])
def test_constructor_errors_match(tfk, make, error):
    for lib in (tfk, keras):
        with pytest.raises(error):
            make(lib)


@pytest.mark.parametrize("make, shape", [
    (lambda K: K.layers.SpatialDropout1D(0.5), (2, 3)), (lambda K: K.layers.SpatialDropout2D(0.5), (2, 3, 4)),
    (lambda K: K.layers.SpatialDropout3D(0.5), (2, 3, 4, 4)), (lambda K: K.layers.Softmax(), (3,)),
])
def test_call_errors_match(tfk, make, shape):
    x = np.ones(shape, "float32")
    for lib in (tfk, keras):
        with pytest.raises(ValueError):
            make(lib)(x, training=True)


def test_prelu_built_shape_mismatch_errors_match(tfk):
    for lib in (tfk, keras):
        layer = lib.layers.PReLU(shared_axes=[1])
        layer(np.ones((2, 3, 4), "float32"))
        with pytest.raises(ValueError, match="expected axis 2 of input shape to have value 4"):
            layer(np.ones((2, 3, 5), "float32"))


# ---- softmax masks and logits ------------------------------------------------------------------------
SOFTMAX_X = np.array([[1.0, 2.0, 3.0, 4.0], [1e9, 2.0, 3.0, 4.0], [0.5, -1.0, 2.0, 0.0]], "float32")
SOFTMAX_MASK = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("mask_dtype", ["bool", "float32", "int32"])
@pytest.mark.parametrize("axis", [-1, [1]])
def test_softmax_mask_matches(tf, tfk, mask_dtype, axis):
    mask = SOFTMAX_MASK.astype(mask_dtype)
    upstream = np.random.RandomState(0).randn(*SOFTMAX_X.shape).astype("float32")
    theirs_y, theirs_grad = theirs_with_gradient(tf, tfk.layers.Softmax(axis=axis), SOFTMAX_X, upstream,
                                                 mask=tf.constant(mask))
    ours_y, ours_grad = ours_with_gradient(keras.layers.Softmax(axis=axis), SOFTMAX_X, upstream,
                                           mask=torch.tensor(mask))
    assert_close(ours_y, theirs_y)
    assert_close(ours_grad, theirs_grad)


def test_softmax_robust_masking_matches(tf, tfk):
    mask = SOFTMAX_MASK.astype("float32")  # tf-keras 2.21 fails on boolean masks here
    upstream = np.random.RandomState(0).randn(*SOFTMAX_X.shape).astype("float32")
    theirs_y, theirs_grad = theirs_with_gradient(tf, tfk.layers.Softmax(robust_masking=True), SOFTMAX_X, upstream,
                                                 mask=tf.constant(mask))
    for ours_mask in (mask, mask.astype(bool)):
        ours_y, ours_grad = ours_with_gradient(keras.layers.Softmax(robust_masking=True), SOFTMAX_X, upstream,
                                               mask=torch.tensor(ours_mask))
        assert_close(ours_y, theirs_y)
        assert_close(ours_grad, theirs_grad)


def test_softmax_float16_mask_matches(tfk):
    x = SOFTMAX_X[[0, 2]].astype("float16")
    mask = SOFTMAX_MASK[[0, 2]].astype(bool)
    theirs = tfk.layers.Softmax(dtype="float16")(x, mask=mask)
    ours = keras.layers.Softmax(dtype="float16")(x, mask=torch.tensor(mask))
    assert ours.dtype == torch.float16
    assert_close(ours.float(), theirs.numpy().astype("float32"), rtol=1e-3, atol=1e-3)


def test_softmax_broadcast_mask_in_model_matches(tfk):
    x = np.random.RandomState(0).randn(2, 3, 4).astype("float32")
    mask = np.array([[[1, 1, 0, 1]], [[0, 1, 1, 1]]], bool)
    theirs = tfk.layers.Softmax()(x, mask=mask)
    ours = keras.layers.Softmax()(x, mask=torch.tensor(mask))
    assert_close(ours, theirs)


@pytest.mark.parametrize("axis", [-1, [1], [1, 2]])
def test_softmax_layer_output_loss_matches(tfk, axis):
    """Losses on a Softmax layer's output: tf.keras uses its logits for one axis (no clipping at 0 and 1)."""
    x = np.array([[[50.0, 0.0, 0.0]], [[0.0, 60.0, 0.0]]], "float32")
    y = np.array([[[0, 1, 0]], [[1, 0, 0]]], "float32")
    losses = []
    for lib in (tfk, keras):
        inputs = lib.Input((1, 3))
        model = lib.Model(inputs, lib.layers.Softmax(axis=axis)(inputs))
        model.compile(loss="categorical_crossentropy")
        losses.append(model.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)


@pytest.mark.parametrize("make", [
    lambda K: K.layers.ReLU(), lambda K: K.layers.LeakyReLU(), lambda K: K.layers.PReLU(), lambda K: K.layers.ELU(),
    lambda K: K.layers.ThresholdedReLU(), lambda K: K.layers.SpatialDropout1D(0.2),
    lambda K: K.layers.GaussianNoise(0.1), lambda K: K.layers.GaussianDropout(0.1),
    lambda K: K.layers.AlphaDropout(0.1),
])
def test_masks_pass_through_like_tf(tfk, make):
    ids = np.array([[3, 1, 0, 0, 0], [2, 0, 4, 1, 0]])
    ours_kt = make(keras)(keras.layers.Embedding(10, 4, mask_zero=True)(keras.Input((5,))))
    theirs_kt = make(tfk)(tfk.layers.Embedding(10, 4, mask_zero=True)(tfk.Input((5,))))
    assert tuple(ours_kt._keras_mask.shape) == tuple(theirs_kt._keras_mask.shape)
    ours_y = make(keras)(keras.layers.Embedding(10, 4, mask_zero=True)(ids), training=True)
    theirs_y = make(tfk)(tfk.layers.Embedding(10, 4, mask_zero=True)(ids), training=True)
    np.testing.assert_array_equal(ours_y._keras_mask.numpy(), theirs_y._keras_mask.numpy())


# ---- noise layers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(NOISE))
def test_noise_inference_is_identity_like_tf(tfk, name):
    factory, shape, _ = NOISE[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    for lib in (tfk, keras):
        model = lib.Sequential([lib.Input(shape[1:]), factory(lib)])
        np.testing.assert_array_equal(np.asarray(model(x)), x)
        np.testing.assert_array_equal(np.asarray(model(x, training=False)), x)
        np.testing.assert_array_equal(model.predict(x, verbose=0), x)
        assert not np.array_equal(np.asarray(model(x, training=True)), x)


@pytest.mark.parametrize("name", sorted(NOISE))
def test_noise_symbolic_shapes_match(tfk, name):
    factory, _, symbolic_shapes = NOISE[name]
    assert_symbolic_shapes_match(keras, tfk, factory, symbolic_shapes)


@pytest.mark.parametrize("make, channel_axis", [
    (lambda K: K.layers.SpatialDropout1D(0.5), -1),
    (lambda K: K.layers.SpatialDropout2D(0.5), -1),
    (lambda K: K.layers.SpatialDropout2D(0.5, data_format="channels_first"), 1),
    (lambda K: K.layers.SpatialDropout3D(0.5), -1),
    (lambda K: K.layers.SpatialDropout3D(0.5, data_format="channels_first"), 1),
])
def test_spatial_dropout_drops_the_same_channels_as_tf(tfk, make, channel_axis):
    """Both drop whole (sample, channel) maps and scale the kept ones by 1 / (1 - rate)."""
    rank = {"SpatialDropout1D": 1, "SpatialDropout2D": 2, "SpatialDropout3D": 3}[type(make(keras)).__name__]
    shape = [40, 6] + [3] * rank if channel_axis == 1 else [40] + [3] * rank + [6]
    x = np.ones(shape, "float32")
    for lib in (tfk, keras):
        y = np.moveaxis(np.asarray(make(lib)(x, training=True)), channel_axis, 1).reshape(40, 6, -1)
        np.testing.assert_array_equal(y, np.broadcast_to(y[:, :, :1], y.shape))
        np.testing.assert_allclose(np.unique(y), [0.0, 2.0])


def test_alpha_dropout_values_match_tf(tfk):
    """Dropped entries take SELU's scaled saturation value and kept ones an affine map of the input, with the
    coefficients of the AlphaDropout formula, in both libraries."""
    rate, saturation = 0.3, -1.6732632423543772 * 1.0507009873554805
    scale = ((1 - rate) * (1 + rate * saturation ** 2)) ** -0.5
    shift = -scale * saturation * rate
    x = np.random.RandomState(0).randn(400, 50).astype("float32")
    for lib in (tfk, keras):
        y = np.asarray(lib.layers.AlphaDropout(rate)(x, training=True))
        dropped = np.isclose(y, scale * saturation + shift, rtol=1e-6, atol=0)
        assert abs(dropped.mean() - rate) < 0.02
        np.testing.assert_allclose(y[~dropped], x[~dropped] * scale + shift, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [lambda K: K.layers.GaussianDropout(1.0), lambda K: K.layers.GaussianDropout(0.0),
                                  lambda K: K.layers.AlphaDropout(1.0), lambda K: K.layers.AlphaDropout(0.0),
                                  lambda K: K.layers.GaussianNoise(0.0)])
def test_degenerate_rates_are_identity_like_tf(tfk, make):
    x = np.random.RandomState(0).randn(5, 4).astype("float32")
    for lib in (tfk, keras):
        np.testing.assert_array_equal(np.asarray(make(lib)(x, training=True)), x)


def test_spatial_dropout_rate_one_fails_in_training_like_tf(tfk):
    x = np.ones((2, 3, 4), "float32")
    for lib in (tfk, keras):
        layer = lib.layers.SpatialDropout1D(1.0)
        np.testing.assert_array_equal(np.asarray(layer(x)), x)
        with pytest.raises(ValueError, match=r"range \[0, 1\)"):
            layer(x, training=True)


@pytest.mark.parametrize("make, moments", [
    (lambda K: K.layers.GaussianNoise(0.5), lambda x: (x.mean(), x.var() + 0.25)),
    (lambda K: K.layers.GaussianDropout(0.3), lambda x: (x.mean(), x.var() + (x ** 2).mean() * 0.3 / 0.7)),
    (lambda K: K.layers.AlphaDropout(0.3), lambda x: (x.mean(), x.var())),
])
def test_noise_training_moments_match_tf(tfk, make, moments):
    """Both libraries' training outputs have the mean and variance the layer's formula gives."""
    x = np.random.RandomState(0).randn(500, 200).astype("float32")
    mean, variance = moments(x)
    for lib in (tfk, keras):
        y = np.asarray(make(lib)(x, training=True))
        assert abs(y.mean() - mean) < 0.02 and abs(y.var() / variance - 1) < 0.03


def test_fit_trains_through_noise_layers_like_tf(tfk):
    """In `fit` the noise is on (the loss is far from the inference loss) and off in `evaluate`."""
    x = np.random.RandomState(0).randn(64, 5, 3).astype("float32")
    for lib in (tfk, keras):
        model = lib.Sequential([lib.Input((5, 3)), lib.layers.GaussianNoise(3.0), lib.layers.SpatialDropout1D(0.5),
                                lib.layers.GaussianDropout(0.5), lib.layers.AlphaDropout(0.5),
                                lib.layers.Dense(3, kernel_initializer="identity")])
        model.compile(optimizer=lib.optimizers.SGD(0.0), loss="mse")
        assert model.evaluate(x, x, verbose=0) == 0.0
        assert model.fit(x, x, epochs=1, batch_size=64, verbose=0).history["loss"][0] > 1.0


def test_activation_layer_as_dense_activation_matches(tfk):
    x = np.random.RandomState(0).randn(3, 4).astype("float32")
    theirs = tfk.layers.Dense(3, activation=tfk.layers.LeakyReLU(0.1))
    ours = keras.layers.Dense.from_config(theirs.get_config())
    assert ours.get_config() == theirs.get_config()
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), theirs(x))
