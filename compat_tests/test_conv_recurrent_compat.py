"""ConvLSTM1D/2D/3D against the real tf.keras: outputs, states and input gradients from the same weights, masks,
initial states, stateful runs, weight names/shapes, configs, symbolic shapes and .h5 files."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close, assert_configs_match

# name: (factory taking the library, input shape)
CASES = {
    "2d": (lambda K: K.layers.ConvLSTM2D(3, 2), (2, 4, 5, 6, 3)),
    "2d_state": (lambda K: K.layers.ConvLSTM2D(3, 2, return_sequences=True, return_state=True), (2, 4, 5, 6, 3)),
    "2d_same_strides": (lambda K: K.layers.ConvLSTM2D(3, 3, padding="same", strides=2, return_state=True),
                        (2, 3, 7, 6, 2)),
    "2d_dilated_backwards": (lambda K: K.layers.ConvLSTM2D(3, (2, 3), padding="same", dilation_rate=2,
                                                           go_backwards=True, return_sequences=True),
                             (2, 4, 7, 6, 2)),
    "2d_channels_first": (lambda K: K.layers.ConvLSTM2D(2, 2, padding="same", data_format="channels_first",
                                                        return_sequences=True, return_state=True), (2, 3, 3, 5, 4)),
    "2d_relu_sigmoid_no_bias": (lambda K: K.layers.ConvLSTM2D(2, 3, activation="relu", recurrent_activation="sigmoid",
                                                              use_bias=False, unit_forget_bias=False),
                                (2, 3, 5, 5, 2)),
    "1d": (lambda K: K.layers.ConvLSTM1D(2, 3, padding="same", return_sequences=True, return_state=True),
           (2, 4, 6, 3)),
    "1d_strided": (lambda K: K.layers.ConvLSTM1D(4, 2, strides=2), (3, 3, 7, 2)),
    "3d": (lambda K: K.layers.ConvLSTM3D(2, 2, return_sequences=True), (2, 3, 3, 4, 4, 2)),
    "3d_same": (lambda K: K.layers.ConvLSTM3D(2, (1, 2, 3), padding="same", return_state=True), (1, 3, 2, 3, 4, 2)),
}


def _pair(tfk, name):
    factory, shape = CASES[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs, ours = factory(tfk), factory(keras)
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    return theirs, ours, x


def _compare(tf, theirs, ours, x, mask=None, initial_state=None, rtol=1e-5):
    """Same outputs, and gradients of a weighted sum of all outputs wrt the inputs and initial states."""
    xt = tf.constant(x)
    states_t = [tf.constant(s) for s in initial_state or []]
    kwargs_t = {} if mask is None else {"mask": tf.constant(mask)}
    with tf.GradientTape() as tape:
        tape.watch([xt] + states_t)
        if states_t:
            kwargs_t["initial_state"] = states_t
        theirs_y = tf.nest.flatten(theirs(xt, **kwargs_t))
        upstream = [np.random.RandomState(i + 1).randn(*y.shape).astype("float32") for i, y in enumerate(theirs_y)]
        total = sum(tf.reduce_sum(y * u) for y, u in zip(theirs_y, upstream))
    theirs_grads = tape.gradient(total, [xt] + states_t)

    xo = torch.tensor(x, requires_grad=True)
    states_o = [torch.tensor(s, requires_grad=True) for s in initial_state or []]
    kwargs_o = {} if mask is None else {"mask": torch.tensor(mask)}
    if states_o:
        kwargs_o["initial_state"] = states_o
    ours_y = torch.utils._pytree.tree_leaves(ours(xo, **kwargs_o))
    assert len(ours_y) == len(theirs_y)
    sum((y * torch.tensor(u)).sum() for y, u in zip(ours_y, upstream)).backward()
    for o, t in zip(ours_y, theirs_y):
        assert_close(o, t, rtol=rtol)
    for o, t in zip([xo] + states_o, theirs_grads):
        assert_close(o.grad, t, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_gradients_weights_match(tf, tfk, name):
    theirs, ours, x = _pair(tfk, name)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    _compare(tf, theirs, ours, x)


@pytest.mark.parametrize("name", ["2d_state", "2d_dilated_backwards", "1d"])
def test_masks_match(tf, tfk, name):
    theirs, ours, x = _pair(tfk, name)
    mask = np.ones(x.shape[:2], bool)
    mask[0, 1] = False
    mask[1, -1] = False
    _compare(tf, theirs, ours, x, mask=mask)


@pytest.mark.parametrize("name, shape", [("2d_state", (2, 4, 5, 3)), ("2d_channels_first", (2, 2, 5, 4)),
                                         ("1d_strided", (3, 3, 4))])
def test_initial_state_matches(tf, tfk, name, shape):
    theirs, ours, x = _pair(tfk, name)
    rng = np.random.RandomState(3)
    _compare(tf, theirs, ours, x, initial_state=[rng.randn(*shape).astype("float32") for _ in range(2)])


def test_stateful_runs_match(tfk):
    def make(K):
        return K.Sequential([K.layers.ConvLSTM2D(2, 2, stateful=True, return_sequences=True, padding="same",
                                                 batch_input_shape=(2, 3, 4, 4, 1)),
                             K.layers.ConvLSTM2D(3, 2, stateful=True, go_backwards=True)])

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    rng = np.random.RandomState(0)
    batches = [rng.randn(2, 3, 4, 4, 1).astype("float32") for _ in range(3)]
    for x in batches[:2]:
        assert_close(ours(x), theirs(x))
    for model in (ours, theirs):
        model.reset_states()
    assert_close(ours(batches[2]), theirs(batches[2]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_matches(tfk, name):
    factory = CASES[name][0]
    ours, theirs = factory(keras), factory(tfk)
    assert_configs_match(ours, theirs)
    assert ours.supports_masking == theirs.supports_masking


def test_defaults_and_model_config_match(tfk):
    def make(K):
        inputs = K.Input((None, 6, 6, 2))
        return K.Model(inputs, K.layers.ConvLSTM2D(4, 3, kernel_regularizer="l2")(inputs))

    ours, theirs = make(keras), make(tfk)
    assert ours.layers[1].get_config() == theirs.layers[1].get_config()
    rebuilt = keras.Model.from_config(ours.get_config())
    assert rebuilt.get_config() == ours.get_config()
    assert ours.count_params() == theirs.count_params()


@pytest.mark.parametrize("factory, shapes", [
    (lambda K: K.layers.ConvLSTM2D(3, 2, return_sequences=True, return_state=True),
     [(4, 5, 6, 2), (None, 5, 6, 2), (None, None, None, 2)]),
    (lambda K: K.layers.ConvLSTM2D(3, 3, padding="same", strides=2, data_format="channels_first"),
     [(4, 2, 7, 6), (None, 2, None, 5)]),
    (lambda K: K.layers.ConvLSTM1D(3, 2, strides=2, return_state=True), [(4, 9, 2), (None, None, 2)]),
    (lambda K: K.layers.ConvLSTM3D(2, 2, padding="same", return_sequences=True), [(3, 4, 4, 4, 1)]),
])
def test_symbolic_shapes_match(tf, tfk, factory, shapes):
    for shape in shapes:
        ours = torch.utils._pytree.tree_leaves(factory(keras)(keras.Input(shape)),
                                               is_leaf=lambda t: hasattr(t, "shape"))
        theirs = tf.nest.flatten(factory(tfk)(tfk.Input(shape)))
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs], shape


def test_masking_layer_model_matches(tf, tfk):
    def make(K):
        inputs = K.Input((4, 5, 5, 2))
        return K.Model(inputs, K.layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True)(
            K.layers.Masking()(inputs)))

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(0).randn(2, 4, 5, 5, 2).astype("float32")
    x[0, 2] = 0.0
    x[1, 3, :2] = 0.0
    ours_y, theirs_y = ours(x), theirs(x)
    assert_close(ours_y, theirs_y)
    np.testing.assert_array_equal(ours_y._keras_mask.numpy(), theirs_y._keras_mask.numpy())


def test_h5_weights_move_both_ways(tfk, tmp_path):
    def make(K):
        return K.Sequential([K.layers.Input((None, 5, 5, 2)),
                             K.layers.ConvLSTM2D(3, 2, return_sequences=True), K.layers.ConvLSTM2D(2, 2)])

    theirs, ours = make(tfk), make(keras)
    theirs.save_weights(str(tmp_path / "theirs.h5"))
    ours.load_weights(str(tmp_path / "theirs.h5"))
    x = np.random.RandomState(0).randn(2, 3, 5, 5, 2).astype("float32")
    assert_close(ours(x), theirs(x))
    ours.save_weights(str(tmp_path / "ours.h5"))
    again = make(tfk)
    again.load_weights(str(tmp_path / "ours.h5"))
    for a, b in zip(again.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_initializers_match_in_keras_layout(tfk):
    def make(K):
        return K.layers.ConvLSTM2D(2, 2, kernel_initializer="ones", recurrent_initializer=K.initializers.Constant(0.5),
                                   bias_initializer="ones", unit_forget_bias=True)

    ours, theirs = make(keras), make(tfk)
    ours.build((None, 3, 4, 4, 3))
    theirs.build((None, 3, 4, 4, 3))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_errors_match_tf_types(tfk):
    for K in (keras, tfk):
        with pytest.raises(TypeError, match="Unrolling"):
            K.layers.ConvLSTM2D(2, 2, unroll=True)
        with pytest.raises(ValueError, match="ndim=5"):
            K.layers.ConvLSTM2D(2, 2)(K.Input((4, 5, 5)))
        with pytest.raises(ValueError, match="batch size"):
            K.layers.ConvLSTM2D(2, 2, stateful=True)(K.Input((4, 5, 5, 2)))
        with pytest.raises(ValueError, match="dilation_rate"):
            K.layers.ConvLSTM2D(2, 2, strides=2, dilation_rate=2)(np.zeros((1, 2, 7, 7, 2), "float32"))
