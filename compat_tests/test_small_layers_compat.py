"""GroupNormalization, Identity, AbstractRNNCell and the Convolution1DTranspose alias against tf.keras."""
import numpy as np
import pytest

import torchkeras_api as keras
from compat_tests.conftest import assert_close, assert_symbolic_shapes_match, ours_with_gradient, theirs_with_gradient

GROUP_CASES = {
    "last_axis": (dict(groups=2), (3, 5, 4)),
    "one_group_per_channel": (dict(groups=4), (3, 4)),
    "channels_first": (dict(groups=3, axis=1), (2, 6, 4, 3)),
    "image": (dict(groups=4, epsilon=1e-5), (2, 3, 5, 8)),
    "no_affine": (dict(groups=2, center=False, scale=False), (2, 6, 4)),
}


@pytest.mark.parametrize("name", sorted(GROUP_CASES))
def test_group_normalization_matches(tf, tfk, name):
    kwargs, shape = GROUP_CASES[name]
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, shape).astype("float32")
    upstream = rng.normal(size=shape).astype("float32")
    theirs = tfk.layers.GroupNormalization(**kwargs)
    ours = keras.layers.GroupNormalization(**kwargs)
    theirs(x)
    ours(x)
    weights = [rng.normal(size=w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    y_theirs, g_theirs = theirs_with_gradient(tf, theirs, x, upstream)
    y_ours, g_ours = ours_with_gradient(ours, x, upstream)
    assert_close(y_ours, y_theirs, rtol=1e-5, atol=1e-5)
    assert_close(g_ours, g_theirs, rtol=1e-4, atol=1e-5)
    assert ours.get_config() == theirs.get_config()


def test_group_normalization_symbolic_shapes_and_errors(tfk):
    assert_symbolic_shapes_match(keras, tfk, lambda K: K.layers.GroupNormalization(groups=2),
                                 [(None, 4), (7, 6)])
    for groups, channels in ((3, 4), (8, 4)):
        with pytest.raises(ValueError) as theirs:
            tfk.layers.GroupNormalization(groups=groups).build((2, channels))
        with pytest.raises(ValueError) as ours:
            keras.layers.GroupNormalization(groups=groups).build((2, channels))
        assert str(ours.value) == str(theirs.value)


def test_identity_matches(tfk):
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(keras.layers.Identity()(x).numpy(), tfk.layers.Identity()(x).numpy())
    assert keras.layers.Identity(name="i").get_config() == tfk.layers.Identity(name="i").get_config()
    assert_symbolic_shapes_match(keras, tfk, lambda K: K.layers.Identity(), [(None, 3), (4, None, 2)])


def _running_sum_cell(lib):
    class RunningSum(lib.layers.AbstractRNNCell):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        @property
        def state_size(self):
            return self.units

        @property
        def output_size(self):
            return self.units

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))
            self.built = True

        def call(self, inputs, states):
            total = states[0] + lib.backend.dot(inputs, self.kernel)
            return total, [total]

    return RunningSum(3)


def test_abstract_rnn_cell_subclass_runs_like_tf_keras(tfk):
    x = np.random.default_rng(1).normal(size=(2, 5, 4)).astype("float32")
    theirs = tfk.layers.RNN(_running_sum_cell(tfk), return_sequences=True)
    ours = keras.layers.RNN(_running_sum_cell(keras), return_sequences=True)
    y_theirs = theirs(x)
    ours.build(x.shape)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), y_theirs)
    initial = _running_sum_cell(keras).get_initial_state(batch_size=2, dtype="float32")
    np.testing.assert_array_equal(np.asarray(initial), np.zeros((2, 3)))


def test_convolution1d_transpose_alias(tfk):
    assert keras.layers.Convolution1DTranspose is keras.layers.Conv1DTranspose
    assert tfk.layers.Convolution1DTranspose is tfk.layers.Conv1DTranspose
