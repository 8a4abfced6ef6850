"""LocallyConnected1D/2D against the real tf.keras: every implementation's weights, outputs, input gradients,
shapes, configs, errors, and whole-model .h5 files both ways."""
import numpy as np
import pytest

import torchkeras_api as keras
from compat_tests.conftest import (assert_close, assert_configs_match, assert_symbolic_shapes_match, ours_with_gradient,
                                   theirs_with_gradient)


def _lc1d(**kwargs):
    return lambda K: K.layers.LocallyConnected1D(**kwargs)


def _lc2d(**kwargs):
    return lambda K: K.layers.LocallyConnected2D(**kwargs)


# name: (layer factory taking the library, eager input shape, symbolic input shapes without the batch axis)
CASES = {}
for _impl in (1, 2, 3):
    CASES.update({
        f"1d_impl{_impl}": (_lc1d(filters=3, kernel_size=3, implementation=_impl), (2, 7, 4), [(7, 4)]),
        f"1d_strided_impl{_impl}": (_lc1d(filters=2, kernel_size=4, strides=3, activation="tanh",
                                          implementation=_impl), (2, 11, 3), [(11, 3), (10, 3)]),
        f"1d_channels_first_impl{_impl}": (_lc1d(filters=3, kernel_size=2, strides=2, data_format="channels_first",
                                                 implementation=_impl), (2, 3, 9), [(3, 9)]),
        f"2d_impl{_impl}": (_lc2d(filters=3, kernel_size=(3, 2), implementation=_impl), (2, 6, 5, 2), [(6, 5, 2)]),
        f"2d_strided_impl{_impl}": (_lc2d(filters=2, kernel_size=3, strides=(2, 3), activation="relu",
                                          implementation=_impl), (2, 8, 9, 3), [(8, 9, 3), (7, 7, 3)]),
        f"2d_channels_first_impl{_impl}": (_lc2d(filters=4, kernel_size=(2, 3), strides=(1, 2),
                                                 data_format="channels_first", implementation=_impl),
                                           (2, 3, 5, 7), [(3, 5, 7)]),
        f"2d_no_bias_impl{_impl}": (_lc2d(filters=2, kernel_size=1, use_bias=False, implementation=_impl),
                                    (2, 3, 4, 2), [(3, 4, 2)]),
    })
for _impl in (2, 3):
    CASES.update({
        f"1d_same_impl{_impl}": (_lc1d(filters=3, kernel_size=4, padding="same", implementation=_impl),
                                 (2, 7, 2), [(7, 2)]),
        f"1d_same_strided_channels_first_impl{_impl}": (
            _lc1d(filters=2, kernel_size=3, strides=2, padding="same", data_format="channels_first",
                  implementation=_impl), (2, 3, 8), [(3, 8)]),
        f"2d_same_strided_impl{_impl}": (_lc2d(filters=3, kernel_size=(4, 3), strides=(2, 3), padding="same",
                                               implementation=_impl), (2, 7, 8, 2), [(7, 8, 2)]),
        f"2d_same_channels_first_impl{_impl}": (_lc2d(filters=2, kernel_size=3, padding="same",
                                                      data_format="channels_first", implementation=_impl),
                                                (2, 2, 5, 4), [(2, 5, 4)]),
        f"2d_regularized_impl{_impl}": (lambda K, impl=_impl: K.layers.LocallyConnected2D(
            2, 2, kernel_regularizer=K.regularizers.L1L2(0.1, 0.2), bias_regularizer="l2",
            activity_regularizer="l1", implementation=impl), (2, 4, 5, 2), [(4, 5, 2)]),
    })


def _random_weights(layer):
    rng = np.random.RandomState(2)
    return [rng.randn(*w.shape).astype("float32") for w in layer.get_weights()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_gradients_weights_match(tf, tfk, name):
    factory, shape, _ = CASES[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs, ours = factory(tfk), factory(keras)
    theirs(x)
    ours(x)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
    weights = _random_weights(theirs)
    theirs.set_weights(weights)
    ours.set_weights(weights)
    assert ours.count_params() == theirs.count_params()
    for our_w, their_w in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(our_w, their_w)

    upstream = np.random.RandomState(1).randn(*theirs(x).shape).astype("float32")
    theirs_y, theirs_grad = theirs_with_gradient(tf, theirs, x, upstream)
    ours_y, ours_grad = ours_with_gradient(ours, x, upstream)
    assert_close(ours_y, theirs_y)
    assert_close(ours_grad, theirs_grad)
    assert len(ours.losses) == len(theirs.losses)
    for our_loss, their_loss in zip(ours.losses, theirs.losses):
        assert_close(our_loss, their_loss, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_symbolic_shapes_match(tfk, name):
    factory, _, symbolic_shapes = CASES[name]
    assert_symbolic_shapes_match(keras, tfk, factory, symbolic_shapes)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_matches(tfk, name):
    factory, _, _ = CASES[name]
    ours, theirs = factory(keras), factory(tfk)
    assert_configs_match(ours, theirs)


def test_config_with_objects_matches(tfk):
    def make(K):
        return K.layers.LocallyConnected2D(3, (2, 3), strides=2, padding="SAME", data_format="channels_first",
                                           activation="softmax", kernel_initializer=K.initializers.HeNormal(3),
                                           bias_initializer="ones", kernel_regularizer=K.regularizers.L2(0.1),
                                           kernel_constraint=K.constraints.MaxNorm(2.0), bias_constraint="non_neg",
                                           implementation=3, name="lc", input_shape=(2, 8, 8))

    assert make(keras).get_config() == make(tfk).get_config()


# name: (factory, input shape); each raises the same exception type in both libraries.
ERRORS = {
    "same_with_implementation_1": (_lc1d(filters=2, kernel_size=3, padding="same"), (5, 3)),
    "unknown_implementation": (_lc1d(filters=2, kernel_size=3, implementation=4), (5, 3)),
    "causal_padding": (_lc1d(filters=2, kernel_size=3, padding="causal", implementation=2), (5, 3)),
    "bad_padding": (_lc1d(filters=2, kernel_size=3, padding="full"), (5, 3)),
    "zero_kernel": (_lc2d(filters=2, kernel_size=0), (5, 5, 3)),
    "bad_data_format": (_lc2d(filters=2, kernel_size=2, data_format="nhwc"), (5, 5, 3)),
    "output_too_small": (_lc2d(filters=2, kernel_size=(2, 6)), (5, 5, 3)),
    "wrong_rank": (_lc1d(filters=2, kernel_size=2), (5, 3, 2)),
    "unknown_rows": (_lc2d(filters=2, kernel_size=2), (None, 5, 3)),
    "unknown_channels": (_lc1d(filters=2, kernel_size=2), (5, None)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match(tfk, name):
    factory, shape = ERRORS[name]

    def error(K):
        with pytest.raises(Exception) as info:
            factory(K)(K.Input(shape))
        return info

    theirs, ours = error(tfk), error(keras)
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)


def test_wrong_channels_after_build_matches(tfk):
    x = np.zeros((1, 5, 6, 3), "float32")
    for K in (tfk, keras):
        layer = K.layers.LocallyConnected2D(3, 2, implementation=3)
        layer(np.zeros((1, 5, 6, 2), "float32"))
        with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 2"):
            layer(x)


# ---- whole models, .h5 both ways -------------------------------------------------------------

def _model(K, implementation):
    """LocallyConnected2D, then LocallyConnected1D over its rows, with a regularizer and a constraint."""
    L = K.layers
    model = K.Sequential([
        L.LocallyConnected2D(3, (2, 3), strides=(1, 2), activation="relu", input_shape=(5, 7, 2),
                             kernel_regularizer=K.regularizers.L2(0.01), implementation=implementation),
        L.Reshape((4, 9)),
        L.LocallyConnected1D(2, 2, padding="valid" if implementation == 1 else "same",
                             kernel_constraint=K.constraints.MaxNorm(1.5), implementation=implementation),
        L.Flatten(),
        L.Dense(2, activation="softmax"),
    ])
    model.compile(K.optimizers.Adam(0.01), "categorical_crossentropy", run_eagerly=True)
    rng = np.random.RandomState(3)
    x = rng.randn(6, 5, 7, 2).astype("float32")
    y = np.eye(2, dtype="float32")[rng.randint(0, 2, 6)]
    return model, x, y


@pytest.mark.parametrize("implementation", [1, 2, 3])
def test_tf_keras_file_loads_and_training_continues(tfk, implementation, tmp_path):
    theirs, x, y = _model(tfk, implementation)
    theirs.train_on_batch(x, y)
    theirs.train_on_batch(x, y)
    path = str(tmp_path / "tf.h5")
    theirs.save(path)
    ours = keras.models.load_model(path)
    assert_close(ours.predict(x, verbose=0), theirs(x), atol=1e-5)
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), rtol=1e-4)
    assert_close(ours.predict(x, verbose=0), theirs(x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("implementation", [1, 2, 3])
def test_our_file_loads_in_tf_keras_and_training_continues(tfk, implementation, tmp_path):
    ours, x, y = _model(keras, implementation)
    ours.train_on_batch(x, y)
    ours.train_on_batch(x, y)
    path = str(tmp_path / "ours.h5")
    ours.save(path)
    theirs = tfk.models.load_model(path)
    assert_close(ours.predict(x, verbose=0), theirs(x), atol=1e-5)
    for our_w, their_w in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(our_w, their_w)
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), rtol=1e-4)
    assert_close(ours.predict(x, verbose=0), theirs(x), rtol=1e-4, atol=1e-5)
