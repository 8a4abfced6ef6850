"""SpectralNormalization against the real tf.keras: training/inference outputs, input gradients, the updated
kernel and vector_u, weights, configs, errors and a few fit steps."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close, assert_symbolic_shapes_match, ours_with_gradient, theirs_with_gradient

# name: (wrapped layer factory taking the library, input shape, power_iterations)
CASES = {
    "dense": (lambda K: K.layers.Dense(4), (3, 5), 1),
    "dense_3d_input": (lambda K: K.layers.Dense(3, activation="tanh"), (2, 4, 6), 3),
    "conv2d": (lambda K: K.layers.Conv2D(4, 3), (2, 6, 5, 3), 1),
    "conv1d_channels_first": (lambda K: K.layers.Conv1D(3, 2, data_format="channels_first"), (2, 4, 7), 2),
    "conv2d_transpose": (lambda K: K.layers.Conv2DTranspose(3, 2, strides=2), (2, 4, 3, 5), 2),
    "conv3d": (lambda K: K.layers.Conv3D(2, 2, use_bias=False), (2, 3, 4, 3, 2), 1),
}


def _pair(tfk, factory, shape, power_iterations):
    theirs = tfk.layers.SpectralNormalization(factory(tfk), power_iterations=power_iterations)
    ours = keras.layers.SpectralNormalization(factory(keras), power_iterations=power_iterations)
    zeros = np.zeros(shape, "int32" if isinstance(theirs.layer, tfk.layers.Embedding) else "float32")
    theirs(zeros)
    ours(zeros)
    ours.set_weights(theirs.get_weights())
    return ours, theirs


def _assert_same_weights(ours, theirs):
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    for mine, their in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(mine, their)


@pytest.mark.parametrize("case", sorted(CASES))
def test_training_and_inference_calls_match(tf, tfk, case):
    factory, shape, power_iterations = CASES[case]
    ours, theirs = _pair(tfk, factory, shape, power_iterations)
    rng = np.random.RandomState(0)
    for training in (False, True, True, False):
        x = rng.randn(*shape).astype("float32")
        upstream = rng.randn(*theirs.compute_output_shape(shape)).astype("float32")
        y_theirs, dx_theirs = theirs_with_gradient(tf, theirs, x, upstream, training=training)
        y_ours, dx_ours = ours_with_gradient(ours, x, upstream, training=training)
        assert_close(y_ours, y_theirs)
        assert_close(dx_ours, dx_theirs)
        _assert_same_weights(ours, theirs)


def test_weights_and_config_match(tfk):
    ours, theirs = _pair(tfk, lambda K: K.layers.Conv2D(4, 3, name="conv"), (2, 6, 5, 3), 2)
    assert [(w.name, w.keras_shape, w.trainable) for w in ours.weights] == \
        [(w.name, tuple(w.shape), w.trainable) for w in theirs.weights]
    assert [w.name for w in ours.non_trainable_weights] == [w.name for w in theirs.non_trainable_weights]
    assert ours.get_config() == theirs.get_config()
    assert ours.kernel_shape == theirs.kernel_shape
    restored = keras.layers.SpectralNormalization.from_config(ours.get_config())
    assert restored.get_config() == tfk.layers.SpectralNormalization.from_config(theirs.get_config()).get_config()


def test_embedding_is_normalized_like_tf_keras(tfk):
    ours, theirs = _pair(tfk, lambda K: K.layers.Embedding(7, 3), (2, 4), 2)
    ids = np.random.RandomState(1).randint(0, 7, size=(2, 4))
    for training in (True, False):
        assert_close(ours(ids, training=training), theirs(ids, training=training))
        _assert_same_weights(ours, theirs)


def test_all_zero_kernel_keeps_vector_u(tfk):
    ours, theirs = _pair(tfk, lambda K: K.layers.Dense(2, kernel_initializer="zeros"), (1, 3), 1)
    x = np.ones((1, 3), "float32")
    assert_close(ours(x, training=True), theirs(x, training=True))
    _assert_same_weights(ours, theirs)


def test_symbolic_shapes_match(tfk):
    assert_symbolic_shapes_match(keras, tfk, lambda K: K.layers.SpectralNormalization(K.layers.Conv2D(3, 2)),
                                 [(6, 5, 2)])
    assert_symbolic_shapes_match(keras, tfk, lambda K: K.layers.SpectralNormalization(K.layers.Dense(3)),
                                 [(4,), (2, 4)])


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.type, str(info.value)


def test_errors_match(tfk):
    for bad in (0, -2):
        assert _error(lambda: keras.layers.SpectralNormalization(keras.layers.Dense(2), power_iterations=bad)) == \
            _error(lambda: tfk.layers.SpectralNormalization(tfk.layers.Dense(2), power_iterations=bad))
    x = np.ones((2, 4, 4, 3), "float32")
    ours_type, ours_message = _error(lambda: keras.layers.SpectralNormalization(keras.layers.DepthwiseConv2D(2))(x))
    theirs_type, theirs_message = _error(lambda: tfk.layers.SpectralNormalization(tfk.layers.DepthwiseConv2D(2))(x))
    assert ours_type is theirs_type is ValueError
    assert theirs_message in ours_message
    ours, theirs = _pair(tfk, lambda K: K.layers.Dense(2), (3, 4), 1)
    wrong = np.ones((3, 5), "float32")
    assert _error(lambda: ours(wrong)) == _error(lambda: theirs(wrong))


def test_fit_steps_match(tfk):
    def model(K):
        return K.Sequential([K.Input((6, 6, 2)), K.layers.SpectralNormalization(K.layers.Conv2D(3, 3)),
                             K.layers.Flatten(), K.layers.SpectralNormalization(K.layers.Dense(2), 2)])

    theirs, ours = model(tfk), model(keras)
    ours.set_weights(theirs.get_weights())
    theirs.compile(tfk.optimizers.SGD(0.1), "mse")
    ours.compile(keras.optimizers.SGD(0.1), "mse")
    rng = np.random.RandomState(2)
    x, y = rng.randn(12, 6, 6, 2).astype("float32"), rng.randn(12, 2).astype("float32")
    history_theirs = theirs.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    history_ours = ours.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(history_ours, history_theirs, rtol=1e-5)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    for mine, their in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(mine, their)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_weight_gradients_of_a_training_call_match(tf, tfk):
    ours, theirs = _pair(tfk, lambda K: K.layers.Dense(3), (4, 5), 1)
    x = np.random.RandomState(3).randn(4, 5).astype("float32")
    with tf.GradientTape() as tape:
        loss_theirs = tf.reduce_sum(tf.square(theirs(x, training=True)))
    grads_theirs = tape.gradient(loss_theirs, theirs.trainable_weights)
    loss_ours = torch.sum(torch.square(ours(x, training=True)))
    grads_ours = torch.autograd.grad(loss_ours, ours.trainable_weights)
    for mine, their in zip(grads_ours, grads_theirs):
        assert_close(mine, their)
