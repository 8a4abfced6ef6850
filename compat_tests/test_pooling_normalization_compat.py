"""Pooling, normalization, padding, cropping and upsampling layers against the real tf.keras: outputs, input
gradients, shapes, weights, masks, configs, and BatchNormalization's moving statistics after training."""
import numpy as np
import pytest

import torchkeras_api as keras
from compat_tests.conftest import assert_close, assert_symbolic_shapes_match, ours_with_gradient, theirs_with_gradient

CF = "channels_first"
# name: (layer factory taking the library, eager input shape, symbolic input shapes without the batch axis)
CASES = {
    "max_pool1d": (lambda K: K.layers.MaxPooling1D(), (2, 7, 3), [(7, 3), (None, 3)]),
    "max_pool1d_same": (lambda K: K.layers.MaxPooling1D(3, 2, "same"), (2, 8, 3), [(8, 3), (None, 3)]),
    "max_pool1d_cf": (lambda K: K.layers.MaxPooling1D(2, 1, data_format=CF), (2, 3, 7), [(3, None)]),
    "avg_pool1d_same": (lambda K: K.layers.AveragePooling1D(4, 3, "same"), (2, 10, 3), [(10, 3), (None, 3)]),
    "avg_pool1d_same_stride1": (lambda K: K.layers.AveragePooling1D(4, 1, "same"), (2, 6, 2), [(None, 2)]),
    "max_pool2d": (lambda K: K.layers.MaxPooling2D(), (2, 6, 7, 3), [(6, 7, 3), (None, None, 3)]),
    "max_pool2d_same": (lambda K: K.layers.MaxPooling2D((3, 2), (2, 1), "same"), (2, 7, 6, 3),
                        [(7, 6, 3), (None, None, 3)]),
    "max_pool2d_cf": (lambda K: K.layers.MaxPooling2D(3, 2, "same", data_format=CF), (2, 3, 7, 6),
                      [(3, 7, 6)]),
    "max_pool2d_cl": (lambda K: K.layers.MaxPooling2D(3, 2, "same"), (2, 7, 6, 3), [(7, 6, 3)]),
    "avg_pool2d": (lambda K: K.layers.AveragePooling2D(3, 2), (2, 7, 8, 3), [(7, 8, 3), (None, 8, 3)]),
    "avg_pool2d_same": (lambda K: K.layers.AveragePooling2D(3, 2, "same"), (2, 7, 6, 3), [(None, None, 3)]),
    "avg_pool2d_same_even": (lambda K: K.layers.AveragePooling2D(2, 1, "same"), (2, 5, 4, 2), [(5, 4, 2)]),
    "avg_pool2d_cf_same": (lambda K: K.layers.AveragePooling2D(2, 1, "same", data_format=CF), (2, 3, 5, 4),
                           [(3, 5, 4)]),
    "max_pool3d": (lambda K: K.layers.MaxPooling3D(), (2, 4, 5, 6, 2), [(4, 5, 6, 2), (None, None, None, 2)]),
    "max_pool3d_same": (lambda K: K.layers.MaxPooling3D(2, 1, "same"), (2, 3, 4, 3, 2), [(3, 4, 3, 2)]),
    "avg_pool3d": (lambda K: K.layers.AveragePooling3D(2, 1), (2, 4, 3, 4, 2), [(4, 3, 4, 2)]),
    "avg_pool3d_same": (lambda K: K.layers.AveragePooling3D(3, 2, "same"), (2, 5, 4, 3, 2), [(5, 4, 3, 2)]),
    "global_max1d": (lambda K: K.layers.GlobalMaxPooling1D(), (2, 5, 3), [(5, 3), (None, 3)]),
    "global_avg1d_keepdims": (lambda K: K.layers.GlobalAveragePooling1D(keepdims=True), (2, 5, 3), [(None, 3)]),
    "global_avg1d_cf": (lambda K: K.layers.GlobalAveragePooling1D(data_format=CF), (2, 3, 5), [(3, None)]),
    "global_max2d_cf": (lambda K: K.layers.GlobalMaxPooling2D(data_format=CF, keepdims=True), (2, 3, 4, 5),
                        [(3, None, None)]),
    "global_avg2d": (lambda K: K.layers.GlobalAveragePooling2D(), (2, 4, 5, 3), [(None, None, 3)]),
    "global_max3d": (lambda K: K.layers.GlobalMaxPooling3D(), (2, 3, 4, 2, 3), [(None, None, None, 3)]),
    "global_avg3d_keepdims": (lambda K: K.layers.GlobalAveragePooling3D(keepdims=True), (2, 3, 4, 2, 3),
                              [(3, 4, 2, 3)]),
    "batch_norm_2d": (lambda K: K.layers.BatchNormalization(), (6, 4), [(4,)]),
    "batch_norm_3d": (lambda K: K.layers.BatchNormalization(momentum=0.5, epsilon=1e-2), (3, 5, 4), [(None, 4)]),
    "batch_norm_4d": (lambda K: K.layers.BatchNormalization(), (2, 3, 4, 5), [(None, None, 5)]),
    "batch_norm_4d_axis1": (lambda K: K.layers.BatchNormalization(axis=1, center=False), (2, 3, 4, 5),
                            [(3, None, None)]),
    "batch_norm_4d_axis2": (lambda K: K.layers.BatchNormalization(axis=2, scale=False), (2, 3, 4, 5),
                            [(None, 4, 5)]),
    "batch_norm_multi_axis": (lambda K: K.layers.BatchNormalization(axis=[1, 3]), (3, 2, 4, 5), [(2, 4, 5)]),
    "batch_norm_4d_synchronized": (lambda K: K.layers.BatchNormalization(synchronized=True, momentum=0.5),
                                   (2, 3, 4, 5), [(3, 4, 5)]),
    "batch_norm_5d": (lambda K: K.layers.BatchNormalization(momentum=0.9), (2, 3, 2, 4, 3), [(None, 2, 4, 3)]),
    "layer_norm": (lambda K: K.layers.LayerNormalization(), (3, 5), [(5,)]),
    "layer_norm_3d": (lambda K: K.layers.LayerNormalization(epsilon=1e-5), (2, 3, 6), [(None, 6)]),
    "layer_norm_trailing_axes": (lambda K: K.layers.LayerNormalization(axis=[-2, -1]), (2, 3, 4, 5),
                                 [(3, 4, 5)]),
    "layer_norm_middle_axis": (lambda K: K.layers.LayerNormalization(axis=1, center=False), (2, 3, 4),
                               [(3, None)]),
    "unit_norm": (lambda K: K.layers.UnitNormalization(), (3, 5), [(5,), (None,)]),
    "unit_norm_axes": (lambda K: K.layers.UnitNormalization(axis=[1, 2]), (2, 3, 4), [(3, 4)]),
    "zero_pad1d": (lambda K: K.layers.ZeroPadding1D((1, 2)), (2, 4, 3), [(4, 3), (None, 3)]),
    "zero_pad2d": (lambda K: K.layers.ZeroPadding2D(((1, 2), (0, 3))), (2, 3, 4, 2), [(None, None, 2)]),
    "zero_pad2d_cf": (lambda K: K.layers.ZeroPadding2D((2, 1), data_format=CF), (2, 2, 3, 4), [(2, 3, 4)]),
    "zero_pad3d": (lambda K: K.layers.ZeroPadding3D(), (2, 2, 3, 2, 2), [(2, None, 2, 2)]),
    "crop1d": (lambda K: K.layers.Cropping1D((1, 2)), (2, 6, 3), [(6, 3), (None, 3)]),
    "crop2d": (lambda K: K.layers.Cropping2D(((1, 0), (2, 1))), (2, 5, 6, 2), [(5, 6, 2), (None, None, 2)]),
    "crop2d_cf": (lambda K: K.layers.Cropping2D(1, data_format=CF), (2, 2, 5, 4), [(2, 5, 4)]),
    "crop3d": (lambda K: K.layers.Cropping3D(((1, 1), (0, 1), (2, 0))), (2, 4, 3, 5, 2), [(4, 3, 5, 2)]),
    "upsample1d": (lambda K: K.layers.UpSampling1D(3), (2, 4, 3), [(4, 3), (None, 3)]),
    "upsample2d": (lambda K: K.layers.UpSampling2D((2, 3)), (2, 3, 4, 2), [(3, 4, 2), (None, None, 2)]),
    "upsample2d_bilinear": (lambda K: K.layers.UpSampling2D(2, interpolation="bilinear"), (2, 3, 4, 2),
                            [(3, 4, 2)]),
    "upsample2d_bilinear_cf": (lambda K: K.layers.UpSampling2D((3, 2), data_format=CF, interpolation="bilinear"),
                               (2, 2, 3, 4), [(2, 3, 4)]),
    "upsample3d": (lambda K: K.layers.UpSampling3D((1, 2, 3)), (2, 2, 3, 2, 2), [(2, 3, 2, 2), (None, 3, 2, 2)]),
}
NCHW_MAX_POOL = {"max_pool2d_cf"}


def _random_weights(layer, seed=2):
    """Weights with non-trivial values (positive variances) in tf.keras layout."""
    rng = np.random.RandomState(seed)
    return [(rng.rand(*w.shape) + 0.5 if "variance" in w.name else rng.randn(*w.shape)).astype("float32")
            for w in layer.weights]


def _plain(config):
    """tf.keras's config with its tracked lists (ListWrapper) as plain lists."""
    return {k: list(v) if type(v).__name__ == "ListWrapper" else v for k, v in config.items()}



def _built_pair(tfk, name):
    factory, shape, _ = CASES[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs, ours = factory(tfk), factory(keras)
    theirs(x)
    ours(x)
    weights = _random_weights(theirs)
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return theirs, ours, x


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_gradients_weights_match(tf, tfk, name):
    theirs, ours, x = _built_pair(tfk, name)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.name for w in ours.trainable_weights] == [w.name for w in theirs.trainable_weights]
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert ours.count_params() == theirs.count_params()
    assert ours.get_config() == _plain(theirs.get_config())
    upstream = np.random.RandomState(1).randn(*theirs(x).shape).astype("float32")
    if name in NCHW_MAX_POOL:
        # TensorFlow's CPU max-pool gradient needs NHWC: its gradient comes from the channels_last layer.
        theirs = CASES[name.replace("_cf", "_cl")][0](tfk)
        x, upstream = np.moveaxis(x, 1, -1), np.moveaxis(upstream, 1, -1)
        theirs_y, theirs_grad = (np.moveaxis(t.numpy(), -1, 1) for t in
                                 theirs_with_gradient(tf, theirs, x, upstream))
        x, upstream = np.moveaxis(x, -1, 1), np.moveaxis(upstream, -1, 1)
    else:
        theirs_y, theirs_grad = theirs_with_gradient(tf, theirs, x, upstream)
    ours_y, ours_grad = ours_with_gradient(ours, x, upstream)
    assert_close(ours_y, theirs_y)
    # Normalization gradients cancel terms: float32 rounding differs near zero (both are ~1e-6 from float64).
    assert_close(ours_grad, theirs_grad, atol=1e-5 if "norm" in name else 1e-6)


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith("batch_norm")))
def test_batch_norm_training_call_matches(tf, tfk, name):
    theirs, ours, x = _built_pair(tfk, name)
    x = x * 2.0 + 0.5
    upstream = np.random.RandomState(1).randn(*x.shape).astype("float32")
    theirs_y, theirs_grad = theirs_with_gradient(tf, theirs, x, upstream, training=True)
    ours_y, ours_grad = ours_with_gradient(ours, x, upstream, training=True)
    assert_close(ours_y, theirs_y, atol=1e-5)
    assert_close(ours_grad, theirs_grad, atol=1e-5)
    for our_weight, their_weight in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(our_weight, their_weight)


def test_batch_norm_frozen_runs_in_inference_mode(tf, tfk):
    theirs, ours, x = _built_pair(tfk, "batch_norm_4d")
    theirs.trainable = False
    ours.trainable = False
    assert_close(ours(x, training=True), theirs(x, training=True))
    for our_weight, their_weight in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(our_weight, their_weight)
    assert ours.trainable_weights == [] and len(ours.non_trainable_weights) == 4


@pytest.mark.parametrize("image", [False, True])
def test_batch_norm_moving_statistics_after_fit(tfk, image):
    def build(K):
        if image:
            layers = [K.layers.BatchNormalization(input_shape=(6, 6, 2)), K.layers.GlobalAveragePooling2D(),
                      K.layers.Dense(2)]
        else:
            layers = [K.layers.Dense(4, input_shape=(3,)), K.layers.BatchNormalization(momentum=0.8),
                      K.layers.Dense(1)]
        return K.Sequential(layers)

    rng = np.random.RandomState(0)
    x = (rng.randn(32, 6, 6, 2) * 3 + 1 if image else rng.randn(32, 3) * 2 + 1).astype("float32")
    y = rng.randn(32, 2 if image else 1).astype("float32")
    theirs, ours = build(tfk), build(keras)
    ours.set_weights(theirs.get_weights())
    for model in (theirs, ours):
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for our_weight, their_weight in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(our_weight, their_weight, rtol=1e-4, atol=1e-5)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_global_average_pooling1d_mask_matches(tfk):
    def build(K):
        return K.Sequential([K.layers.Embedding(6, 3, mask_zero=True, input_length=5),
                             K.layers.GlobalAveragePooling1D(), K.layers.Dense(2)])

    x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 1, 0], [2, 2, 2, 2, 2]])
    theirs, ours = build(tfk), build(keras)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), theirs(x))
    assert ours.layers[1].compute_mask(None, None) is None


@pytest.mark.parametrize("name", sorted(CASES))
def test_symbolic_shapes_match(tfk, name):
    factory, _, symbolic_shapes = CASES[name]
    assert_symbolic_shapes_match(keras, tfk, factory, symbolic_shapes)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_matches(tfk, name):
    factory, _, _ = CASES[name]
    ours, theirs = factory(keras), factory(tfk)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert list(ours_config) == list(theirs_config)
    assert ours_config == _plain(theirs_config)
    assert ours.supports_masking == theirs.supports_masking
    assert type(ours).from_config(ours_config).get_config() == ours_config


@pytest.mark.parametrize("make", [
    lambda K: K.layers.MaxPooling2D(pool_size=(2, 2, 2)),
    lambda K: K.layers.AveragePooling1D(padding="full"),
    lambda K: K.layers.ZeroPadding2D((1, 2, 3)),
    lambda K: K.layers.Cropping3D((1, 2)),
])
def test_invalid_arguments_raise_value_error(tfk, make):
    with pytest.raises(ValueError):
        make(tfk)
    with pytest.raises(ValueError):
        make(keras)


def test_h5_weights_from_tf_keras_load(tfk, tmp_path):
    def build(K):
        return K.Sequential([K.layers.BatchNormalization(input_shape=(6, 6, 2)), K.layers.MaxPooling2D(),
                             K.layers.BatchNormalization(axis=[1, 3]), K.layers.GlobalAveragePooling2D(),
                             K.layers.LayerNormalization(), K.layers.Dense(2)])

    theirs = build(tfk)
    theirs.set_weights(_random_weights(theirs))
    path = str(tmp_path / "model.h5")
    theirs.save_weights(path)
    ours = build(keras)
    ours.load_weights(path)
    x = np.random.RandomState(0).randn(3, 6, 6, 2).astype("float32")
    assert_close(ours(x), theirs(x))
