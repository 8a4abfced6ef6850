"""Convolution layers against the real tf.keras: outputs, input gradients, weights, shapes and configs."""
import numpy as np
import pytest

import torchkeras_api as keras
from compat_tests.conftest import (assert_close, assert_configs_match, assert_symbolic_shapes_match, ours_with_gradient,
                                   theirs_with_gradient)

# name: (layer factory taking the library, eager input shape, symbolic input shapes without the batch axis)
CASES = {
    "conv1d": (lambda K: K.layers.Conv1D(4, 3), (2, 9, 3), [(9, 3), (None, 3)]),
    "conv1d_same_strided": (lambda K: K.layers.Conv1D(4, 4, strides=2, padding="same", activation="relu"),
                            (2, 9, 3), [(9, 3), (None, 3)]),
    "conv1d_causal_dilated": (lambda K: K.layers.Conv1D(3, 3, padding="causal", dilation_rate=2),
                              (2, 10, 2), [(10, 2), (None, 2)]),
    "conv1d_causal_strided": (lambda K: K.layers.Conv1D(2, 4, strides=3, padding="causal"), (2, 11, 3),
                              [(11, 3), (None, 3)]),
    "conv1d_channels_first_groups": (lambda K: K.layers.Conv1D(4, 2, data_format="channels_first", groups=2),
                                     (2, 4, 7), [(4, 7), (4, None)]),
    "conv1d_extra_batch_dims": (lambda K: K.layers.Conv1D(2, 3, padding="same"), (2, 3, 6, 2), [(3, 6, 2)]),
    "conv2d": (lambda K: K.layers.Conv2D(4, 3), (2, 7, 6, 3), [(7, 6, 3), (None, None, 3)]),
    "conv2d_same_even_kernel": (lambda K: K.layers.Conv2D(5, 4, padding="same", activation="tanh"),
                                (2, 7, 6, 3), [(7, 6, 3), (None, 6, 3)]),
    "conv2d_same_strided": (lambda K: K.layers.Conv2D(4, (3, 2), strides=(2, 3), padding="same"),
                            (2, 8, 7, 2), [(8, 7, 2), (None, None, 2)]),
    "conv2d_same_odd_symmetric": (lambda K: K.layers.Conv2D(3, 5, padding="same", use_bias=False),
                                  (2, 6, 6, 1), [(28, 28, 1)]),
    "conv2d_valid_strided": (lambda K: K.layers.Conv2D(4, 3, strides=2), (2, 9, 8, 3), [(9, 8, 3)]),
    "conv2d_dilated": (lambda K: K.layers.Conv2D(3, 3, dilation_rate=(2, 1), padding="same"),
                       (2, 9, 8, 2), [(9, 8, 2)]),
    "conv2d_groups": (lambda K: K.layers.Conv2D(6, 3, groups=3, padding="same"), (2, 5, 5, 6), [(5, 5, 6)]),
    "conv2d_regularized": (lambda K: K.layers.Conv2D(3, 2, kernel_regularizer=K.regularizers.L2(0.1),
                                                     bias_regularizer="l1", activity_regularizer="l2"),
                           (2, 5, 5, 2), [(5, 5, 2)]),
    "conv3d": (lambda K: K.layers.Conv3D(3, 2), (2, 4, 5, 6, 2), [(4, 5, 6, 2), (None, 5, None, 2)]),
    "conv3d_same_strided": (lambda K: K.layers.Conv3D(2, 3, strides=(1, 2, 2), padding="same"),
                            (2, 4, 5, 6, 2), [(4, 5, 6, 2)]),
    "conv2d_transpose": (lambda K: K.layers.Conv2DTranspose(3, 3), (2, 5, 4, 2), [(5, 4, 2), (None, None, 2)]),
    "conv2d_transpose_same_strided": (lambda K: K.layers.Conv2DTranspose(3, 3, strides=2, padding="same"),
                                      (2, 5, 4, 2), [(5, 4, 2), (None, 4, 2)]),
    "conv2d_transpose_same_even": (lambda K: K.layers.Conv2DTranspose(3, (4, 2), strides=(2, 3), padding="same"),
                                   (2, 5, 4, 2), [(5, 4, 2)]),
    "conv2d_transpose_valid_small_kernel": (lambda K: K.layers.Conv2DTranspose(2, 1, strides=3), (2, 3, 4, 2),
                                            [(3, 4, 2)]),
    "conv2d_transpose_output_padding": (lambda K: K.layers.Conv2DTranspose(
        3, 3, strides=2, padding="same", output_padding=1), (2, 5, 4, 2), [(5, 4, 2)]),
    "conv2d_transpose_output_padding_valid": (lambda K: K.layers.Conv2DTranspose(
        3, (3, 2), strides=(2, 3), output_padding=(1, 2)), (2, 5, 4, 2), [(5, 4, 2)]),
    "conv2d_transpose_dilated": (lambda K: K.layers.Conv2DTranspose(3, 3, dilation_rate=2, padding="same"),
                                 (2, 5, 4, 2), [(5, 4, 2)]),
    "conv2d_transpose_groups_ignored": (lambda K: K.layers.Conv2DTranspose(4, 3, groups=2), (2, 5, 4, 4),
                                        [(5, 4, 4)]),
    "conv3d_transpose_dilation_ignored": (lambda K: K.layers.Conv3DTranspose(2, 2, dilation_rate=2),
                                          (2, 3, 3, 3, 2), [(3, 3, 3, 2)]),
    "conv1d_transpose": (lambda K: K.layers.Conv1DTranspose(3, 4, strides=2, padding="same"), (2, 6, 2),
                         [(6, 2), (None, 2)]),
    "conv3d_transpose": (lambda K: K.layers.Conv3DTranspose(2, 3, strides=(2, 1, 2)), (2, 3, 4, 3, 2),
                         [(3, 4, 3, 2)]),
    "depthwise_conv2d": (lambda K: K.layers.DepthwiseConv2D(3, depth_multiplier=2), (2, 6, 5, 3),
                         [(6, 5, 3), (None, None, 3)]),
    "depthwise_conv2d_same_strided": (lambda K: K.layers.DepthwiseConv2D(4, strides=2, padding="same",
                                                                         activation="relu"),
                                      (2, 7, 8, 3), [(7, 8, 3)]),
    "depthwise_conv2d_dilated": (lambda K: K.layers.DepthwiseConv2D((3, 2), dilation_rate=2, padding="same",
                                                                    use_bias=False), (2, 7, 6, 2), [(7, 6, 2)]),
    "depthwise_conv2d_groups_ignored": (lambda K: K.layers.DepthwiseConv2D(2, groups=2), (2, 5, 4, 3),
                                        [(5, 4, 3)]),
    "depthwise_conv1d": (lambda K: K.layers.DepthwiseConv1D(3, depth_multiplier=3, padding="same"), (2, 7, 2),
                         [(7, 2)]),
    "separable_conv2d": (lambda K: K.layers.SeparableConv2D(4, 3, depth_multiplier=2, padding="same"),
                         (2, 6, 5, 3), [(6, 5, 3), (None, None, 3)]),
    "separable_conv2d_strided": (lambda K: K.layers.SeparableConv2D(4, 2, strides=2, use_bias=False),
                                 (2, 7, 6, 3), [(7, 6, 3)]),
    "separable_conv1d_strided": (lambda K: K.layers.SeparableConv1D(2, 3, strides=2, padding="same"), (2, 9, 3),
                                 [(9, 3)]),
    "separable_conv1d": (lambda K: K.layers.SeparableConv1D(3, 3, depth_multiplier=2, padding="causal"),
                         (2, 8, 2), [(8, 2), (None, 2)]),
}



def _randomized(theirs):
    """tf.keras's weights with random biases (zeros would hide bias bugs)."""
    rng = np.random.RandomState(2)
    return [w if w.ndim > 1 else rng.randn(*w.shape).astype("float32") for w in theirs.get_weights()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_gradients_weights_match(tf, tfk, name):
    factory, shape, _ = CASES[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs, ours = factory(tfk), factory(keras)
    theirs(x)
    ours(x)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    weights = _randomized(theirs)
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
        assert_close(our_loss, their_loss)


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
        return K.layers.Conv2D(3, (2, 3), strides=(1, 2), padding="SAME", data_format="channels_first",
                               dilation_rate=1, activation="softmax", kernel_initializer=K.initializers.HeNormal(3),
                               bias_initializer="ones", kernel_regularizer=K.regularizers.L2(0.1),
                               kernel_constraint=K.constraints.MaxNorm(2.0), bias_constraint="non_neg",
                               name="conv", input_shape=(2, 8, 8))

    assert make(keras).get_config() == make(tfk).get_config()


CHANNELS_FIRST_CASES = {
    "conv1d": (lambda K, f: K.layers.Conv1D(4, 3, strides=2, padding="same", data_format=f), (2, 3, 9)),
    "conv2d": (lambda K, f: K.layers.Conv2D(4, 4, strides=2, padding="same", data_format=f), (2, 3, 7, 6)),
    "conv3d": (lambda K, f: K.layers.Conv3D(2, 2, padding="same", data_format=f), (2, 3, 4, 5, 3)),
    "conv2d_transpose": (lambda K, f: K.layers.Conv2DTranspose(3, 3, strides=2, padding="same", data_format=f),
                         (2, 2, 4, 5)),
    "conv3d_transpose": (lambda K, f: K.layers.Conv3DTranspose(2, 2, strides=2, data_format=f), (2, 3, 2, 3, 2)),
    "depthwise_conv2d": (lambda K, f: K.layers.DepthwiseConv2D(3, depth_multiplier=2, data_format=f),
                         (2, 3, 6, 5)),
    "separable_conv2d": (lambda K, f: K.layers.SeparableConv2D(4, 3, padding="same", data_format=f),
                         (2, 3, 6, 5)),
}


@pytest.mark.parametrize("name", sorted(CHANNELS_FIRST_CASES))
def test_channels_first_matches_channels_last(tf, tfk, name):
    """tf's CPU kernels lack channels_first; compare ours against tf.keras on the transposed input."""
    factory, shape = CHANNELS_FIRST_CASES[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    to_last = (0,) + tuple(range(2, x.ndim)) + (1,)
    to_first = (0, x.ndim - 1) + tuple(range(1, x.ndim - 1))
    theirs, ours = factory(tfk, "channels_last"), factory(keras, "channels_first")
    theirs(x.transpose(to_last))
    ours(x)
    weights = _randomized(theirs)
    theirs.set_weights(weights)
    ours.set_weights(weights)
    upstream = np.random.RandomState(1).randn(*theirs(x.transpose(to_last)).shape).astype("float32")
    theirs_y, theirs_grad = theirs_with_gradient(tf, theirs, x.transpose(to_last), upstream)
    ours_y, ours_grad = ours_with_gradient(ours, x, upstream.transpose(to_first))
    assert_close(ours_y, theirs_y.numpy().transpose(to_first))
    assert_close(ours_grad, theirs_grad.numpy().transpose(to_first))
    symbolic = factory(keras, "channels_first")(keras.Input(shape[1:]))
    assert tuple(symbolic.shape) == (None,) + tuple(ours_y.shape[1:])


def _seed_cnn(K):
    """The seed's CNN: two Sequentials inside a subclassed Model, built from a shape."""
    class CNN_Model(K.Model):
        def __init__(self):
            super().__init__()
            self.fe = K.Sequential()
            self.fe.add(K.layers.Conv2D(filters=8, kernel_size=5, padding="same", activation="relu"))
            self.fe.add(K.layers.MaxPooling2D(pool_size=2, strides=2))
            self.fe.add(K.layers.Conv2D(filters=32, kernel_size=5, padding="same", activation="relu"))
            self.fe.add(K.layers.MaxPooling2D(pool_size=2, strides=2))
            self.classifier = K.Sequential()
            self.classifier.add(K.layers.Flatten())
            self.classifier.add(K.layers.Dense(units=64, activation="relu"))
            self.classifier.add(K.layers.Dense(units=10, activation="softmax"))

        def call(self, x):
            return self.classifier(self.fe(x))

    model = CNN_Model()
    model.build(input_shape=(None, 28, 28, 1))
    return model


def test_seed_cnn_model_matches(tf, tfk):
    theirs, ours = _seed_cnn(tfk), _seed_cnn(keras)
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(0).rand(3, 28, 28, 1).astype("float32")
    assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-6)
    their_lines, our_lines = [], []
    theirs.summary(print_fn=their_lines.append)
    ours.summary(print_fn=our_lines.append)
    assert our_lines == their_lines


def _conv_stack(K):
    inputs = K.Input((8, 8, 3))
    x = K.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    x = K.layers.DepthwiseConv2D(3, depth_multiplier=2)(x)
    x = K.layers.SeparableConv2D(3, 2, strides=2, padding="same")(x)
    x = K.layers.Conv2DTranspose(2, 2, strides=2)(x)
    x = K.layers.Flatten()(x)
    return K.Model(inputs, K.layers.Dense(2)(x))


def test_h5_weights_move_both_ways(tfk, tmp_path):
    theirs, ours = _conv_stack(tfk), _conv_stack(keras)
    x = np.random.RandomState(0).randn(2, 8, 8, 3).astype("float32")
    theirs.save_weights(str(tmp_path / "theirs.h5"))
    ours.load_weights(str(tmp_path / "theirs.h5"))
    assert_close(ours(x), theirs(x))
    keras.backend.clear_session()
    ours = _conv_stack(keras)
    ours.save_weights(str(tmp_path / "ours.h5"))
    theirs.load_weights(str(tmp_path / "ours.h5"))
    assert_close(ours(x), theirs(x))


def test_training_steps_with_constraint_and_regularizers_match(tfk):
    def make(K):
        model = K.Sequential([K.layers.Conv2D(3, 3, kernel_constraint=K.constraints.MaxNorm(0.3),
                                              kernel_regularizer=K.regularizers.L2(0.05), activation="tanh",
                                              input_shape=(6, 6, 2)),
                              K.layers.Flatten(),
                              K.layers.Dense(1)])
        model.compile(K.optimizers.SGD(0.1), "mse")
        return model

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    rng = np.random.RandomState(0)
    x, y = rng.randn(4, 6, 6, 2).astype("float32"), rng.randn(4, 1).astype("float32")
    for _ in range(3):
        their_loss, our_loss = theirs.train_on_batch(x, y), ours.train_on_batch(x, y)
        np.testing.assert_allclose(our_loss, their_loss, rtol=1e-5)
    for our_w, their_w in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(our_w, their_w, rtol=1e-5, atol=1e-6)
