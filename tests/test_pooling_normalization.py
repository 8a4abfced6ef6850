"""Unit tests of the pooling, normalization, padding, cropping and upsampling layers: errors, training modes,
moving statistics, masks, symbolic calls and .h5 round trips."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


# ---- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, match", [
    (lambda: layers.MaxPooling2D(pool_size=0), ValueError, "`pool_size` argument must be a tuple of 2"),
    (lambda: layers.MaxPooling1D(strides=(1, 2)), ValueError, "`strides` argument must be a tuple of 1"),
    (lambda: layers.AveragePooling3D(padding="causal"), ValueError, 'must be "valid" or "same". Received: causal'),
    (lambda: layers.GlobalAveragePooling2D(data_format="nhwc"), ValueError, "`data_format` argument"),
    (lambda: layers.BatchNormalization(renorm=True), NotImplementedError, "`renorm`"),
    (lambda: layers.BatchNormalization(virtual_batch_size=4), NotImplementedError, "`virtual_batch_size`"),
    (lambda: layers.LayerNormalization(axis="last"), TypeError, "'axis'"),
    (lambda: layers.ZeroPadding2D((1, 2, 3)), ValueError, "`padding` should have 2 elements"),
    (lambda: layers.ZeroPadding1D((1, -1)), ValueError, "`padding` argument must be a tuple of 2 non-negative"),
    (lambda: layers.Cropping3D(((1, 1), (1, 1))), ValueError, "`cropping` should have 3 elements"),
    (lambda: layers.UpSampling2D(interpolation="bicubic"), NotImplementedError, "'bicubic'"),
    (lambda: layers.UpSampling2D(interpolation="cubic"), NotImplementedError, "Value not recognized"),
    (lambda: layers.UpSampling3D(size=(2, 0, 1)), ValueError, "`size` argument must be a tuple of 3 positive"),
])
def test_invalid_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("layer, shape, match", [
    (lambda: layers.BatchNormalization(axis=3), (2, 3), "Expected 0 <= axis < inputs.rank"),
    (lambda: layers.BatchNormalization(fused=True), (2, 3), "`fused=True` needs a 4D or 5D input"),
    (lambda: layers.Cropping1D((2, 2)), (2, 4, 1), "leaves nothing of axis 1 of size 4"),
])
def test_invalid_inputs(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer()(np.zeros(shape, "float32"))


def test_wrong_rank_is_rejected():
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.MaxPooling2D()(np.zeros((2, 4, 3), "float32"))


# ---- pooling -----------------------------------------------------------------------------------------
def test_average_pooling_same_counts_valid_cells_only():
    x = np.ones((1, 5, 1), "float32")
    np.testing.assert_allclose(layers.AveragePooling1D(4, 1, "same")(x).numpy(), np.ones((1, 5, 1)))
    x = np.arange(4, dtype="float32").reshape(1, 4, 1)
    # windows [0, 1, 2], [1, 2, 3], [2, 3] (the end is padded, its cells do not count)
    np.testing.assert_allclose(layers.AveragePooling1D(3, 1, "same")(x).numpy().ravel(), [0.5, 1.0, 2.0, 2.5])


def test_max_pooling_same_ignores_padding():
    x = -np.ones((1, 3, 3, 1), "float32")
    np.testing.assert_array_equal(layers.MaxPooling2D(2, 1, "same")(x).numpy(), x)


def test_channels_first_equals_transposed_channels_last():
    x = np.random.RandomState(0).randn(2, 3, 5, 6).astype("float32")
    for cls in (layers.MaxPooling2D, layers.AveragePooling2D):
        first = cls(3, 2, "same", data_format="channels_first")(x).numpy()
        last = cls(3, 2, "same")(np.moveaxis(x, 1, -1)).numpy()
        np.testing.assert_allclose(first, np.moveaxis(last, -1, 1), rtol=1e-6)


def test_global_average_pooling1d_mask_and_keepdims():
    x = torch.arange(12, dtype=torch.float32).reshape(1, 4, 3)
    mask = torch.tensor([[True, True, False, False]])
    out = layers.GlobalAveragePooling1D(keepdims=True)(x, mask=mask)
    np.testing.assert_allclose(out.numpy(), x[:, :2].mean(1, keepdim=True).numpy())
    first = layers.GlobalAveragePooling1D(data_format="channels_first")(x.transpose(1, 2), mask=mask)
    np.testing.assert_allclose(first.numpy(), x[:, :2].mean(1).numpy())


def test_global_pooling_drops_the_mask():
    inputs = keras.Input((4,))
    hidden = layers.Embedding(5, 3, mask_zero=True)(inputs)
    assert hidden._keras_mask is not None
    assert layers.GlobalAveragePooling1D()(hidden)._keras_mask is None


def test_aliases():
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D
    assert layers.GlobalMaxPool1D is layers.GlobalMaxPooling1D


# ---- batch normalization -----------------------------------------------------------------------------
def _moments(x, axes):
    return x.mean(axis=axes), x.var(axis=axes)


@pytest.mark.parametrize("shape, unbiased", [((8, 3), False), ((4, 5, 3), False), ((2, 4, 5, 3), True)])
def test_batch_norm_training_updates_moving_statistics(shape, unbiased):
    x = np.random.RandomState(0).randn(*shape).astype("float32") * 2 + 1
    bn = layers.BatchNormalization(momentum=0.75)
    out = bn(x, training=True).detach().numpy()
    axes = tuple(range(len(shape) - 1))
    mean, var = _moments(x, axes)
    count = np.prod([shape[a] for a in axes])
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    moving_var = var * count / (count - 1) if unbiased else var
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.25 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.75 + 0.25 * moving_var, rtol=1e-5)


def test_batch_norm_inference_uses_moving_statistics():
    bn = layers.BatchNormalization(epsilon=0.0)
    bn.build((None, 2))
    bn.set_weights([np.array([2.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0, -1.0]), np.array([4.0, 1.0])])
    x = np.array([[3.0, 0.0]], "float32")
    for training in (None, False):
        np.testing.assert_allclose(bn(x, training=training).detach().numpy(), [[2.0, 2.0]])
    np.testing.assert_allclose(bn.moving_mean.numpy(), [1.0, -1.0])


def test_frozen_batch_norm_ignores_training_true():
    x = np.random.RandomState(0).randn(4, 3).astype("float32")
    bn = layers.BatchNormalization()
    bn(x)
    bn.trainable = False
    np.testing.assert_allclose(bn(x, training=True).detach().numpy(), bn(x).detach().numpy())
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))
    assert bn.trainable_weights == []


def test_batch_norm_symbolic_call_does_not_update():
    bn = layers.BatchNormalization()
    bn(keras.Input((2, 2, 3)), training=True)
    bn(keras.Input((2, 2, 3)))
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.moving_variance.numpy(), np.ones(3))


def test_batch_norm_weights_order_and_trainability():
    bn = layers.BatchNormalization(center=False)
    bn.build((None, 4))
    assert [w.name for w in bn.weights] == ["batch_normalization/gamma:0", "batch_normalization/moving_mean:0",
                                            "batch_normalization/moving_variance:0"]
    assert [w.name for w in bn.trainable_weights] == ["batch_normalization/gamma:0"]
    assert bn.count_params() == 12


def test_batch_norm_gamma_constraint_and_regularizer():
    bn = layers.BatchNormalization(gamma_regularizer=keras.regularizers.L2(0.5), gamma_constraint="non_neg")
    bn.build((None, 2))
    np.testing.assert_allclose(float(bn.losses[0].detach()), 0.5 * 2)
    assert bn.gamma.constraint is not None


def test_model_with_batch_norm_round_trips_through_h5(tmp_path):
    def build():
        return keras.Sequential([layers.Dense(3, input_shape=(2,)), layers.BatchNormalization(),
                                 layers.Dense(1)])

    model = build()
    model.layers[1].set_weights([np.full(3, v, "float32") for v in (2.0, 0.5, 0.1, 3.0)])
    path = str(tmp_path / "bn.h5")
    model.save_weights(path)
    restored = build()
    restored.load_weights(path)
    x = np.random.RandomState(0).randn(4, 2).astype("float32")
    np.testing.assert_allclose(restored(x).detach().numpy(), model(x).detach().numpy())


# ---- layer and unit normalization --------------------------------------------------------------------
def test_layer_normalization_normalizes_each_example():
    x = np.random.RandomState(0).randn(3, 4, 5).astype("float32") * 3 + 2
    out = layers.LayerNormalization(axis=[1, 2], epsilon=0.0)(x).detach().numpy()
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(1, 2)), 1, rtol=1e-4)


def test_unit_normalization_gives_unit_norms():
    x = np.random.RandomState(0).randn(3, 4).astype("float32")
    out = layers.UnitNormalization()(x).numpy()
    np.testing.assert_allclose(np.linalg.norm(out, axis=-1), 1, rtol=1e-6)
    np.testing.assert_array_equal(layers.UnitNormalization()(np.zeros((1, 3), "float32")).numpy(), 0)


# ---- padding, cropping, upsampling -------------------------------------------------------------------
def test_zero_padding_and_cropping_invert_each_other():
    x = np.random.RandomState(0).randn(2, 3, 4, 5, 2).astype("float32")
    padded = layers.ZeroPadding3D(((1, 2), (0, 1), (2, 0)))(x)
    assert tuple(padded.shape) == (2, 6, 5, 7, 2)
    np.testing.assert_array_equal(layers.Cropping3D(((1, 2), (0, 1), (2, 0)))(padded).numpy(), x)


def test_cropping_is_a_view():
    x = torch.randn(2, 5, 3)
    assert layers.Cropping1D((1, 1))(x).data_ptr() == x[:, 1:].data_ptr()


def test_upsampling_nearest_repeats():
    x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    out = layers.UpSampling2D((2, 3))(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(out, np.repeat(np.repeat(x[0, :, :, 0], 2, axis=0), 3, axis=1))
    seq = np.arange(3, dtype="float32").reshape(1, 3, 1)
    np.testing.assert_array_equal(layers.UpSampling1D(2)(seq).numpy().ravel(), [0, 0, 1, 1, 2, 2])


def test_symbolic_shapes_with_unknown_dims():
    inputs = keras.Input((None, 6, 3))
    assert tuple(layers.MaxPooling2D(2, padding="same")(inputs).shape) == (None, None, 3, 3)
    assert tuple(layers.UpSampling2D(2)(inputs).shape) == (None, None, 12, 3)
    assert tuple(layers.Cropping2D(((0, 0), (1, 2)))(inputs).shape) == (None, None, 3, 3)
    assert tuple(layers.ZeroPadding2D(1)(inputs).shape) == (None, None, 8, 3)
    assert tuple(layers.GlobalMaxPooling2D(keepdims=True)(inputs).shape) == (None, 1, 1, 3)
