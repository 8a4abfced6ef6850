"""Bidirectional and TimeDistributed against the real tf.keras: outputs and input gradients from the same
weights, states, masks, initial states, stateful runs, weight names, configs, errors and `.h5` files."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close


def _custom_cell(K, units=3):
    """A minimal custom cell (no get_config), as in tf.keras's RNN docs."""

    class Cell(K.layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                    name="recurrent_kernel")

        def call(self, inputs, states):
            output = K.activations.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
            return output, [output]

    return Cell(units)


def _bi(rnn, **kwargs):
    return lambda K: K.layers.Bidirectional(rnn(K), **kwargs)


# name: (factory taking the library, input shape (batch, time, features))
BIDIRECTIONAL = {
    "lstm_concat_seq": (_bi(lambda K: K.layers.LSTM(3, return_sequences=True)), (2, 5, 4)),
    "lstm_sum_seq": (_bi(lambda K: K.layers.LSTM(3, return_sequences=True), merge_mode="sum"), (2, 5, 4)),
    "lstm_mul_seq": (_bi(lambda K: K.layers.LSTM(3, return_sequences=True), merge_mode="mul"), (2, 5, 4)),
    "lstm_ave_seq": (_bi(lambda K: K.layers.LSTM(3, return_sequences=True), merge_mode="ave"), (2, 5, 4)),
    "lstm_none_seq": (_bi(lambda K: K.layers.LSTM(3, return_sequences=True), merge_mode=None), (2, 5, 4)),
    "lstm_concat": (_bi(lambda K: K.layers.LSTM(3)), (2, 5, 4)),
    "lstm_none": (_bi(lambda K: K.layers.LSTM(3), merge_mode=None), (2, 5, 4)),
    "lstm_state": (_bi(lambda K: K.layers.LSTM(3, return_state=True)), (2, 5, 4)),
    "lstm_state_seq_none": (_bi(lambda K: K.layers.LSTM(3, return_sequences=True, return_state=True),
                                merge_mode=None), (2, 5, 4)),
    "lstm_go_backwards": (_bi(lambda K: K.layers.LSTM(3, return_sequences=True, go_backwards=True)), (2, 5, 4)),
    "lstm_time_major": (_bi(lambda K: K.layers.LSTM(3, return_sequences=True, time_major=True)), (5, 2, 4)),
    "gru_state_seq": (_bi(lambda K: K.layers.GRU(3, return_sequences=True, return_state=True),
                          merge_mode="sum"), (2, 5, 4)),
    "gru_reset_before": (_bi(lambda K: K.layers.GRU(3, reset_after=False), merge_mode="mul"), (2, 5, 4)),
    "simple_rnn_seq": (_bi(lambda K: K.layers.SimpleRNN(3, return_sequences=True), merge_mode="ave"), (2, 5, 4)),
    "rnn_custom_cell": (_bi(lambda K: K.layers.RNN(_custom_cell(K), return_sequences=True)), (2, 5, 4)),
    "rnn_stacked_state": (_bi(lambda K: K.layers.RNN([K.layers.LSTMCell(3), K.layers.GRUCell(2)],
                                                     return_state=True)), (2, 5, 4)),
    "explicit_backward": (lambda K: K.layers.Bidirectional(
        K.layers.LSTM(3, return_sequences=True),
        backward_layer=K.layers.GRU(2, return_sequences=True, go_backwards=True)), (2, 5, 4)),
}


def _pair(tfk, factory, x):
    theirs, ours = factory(tfk), factory(keras)
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    return theirs, ours


def _compare(tf, theirs, ours, x, mask=None, initial_state=None, rtol=1e-5):
    """Same outputs, input gradients and initial-state gradients for a weighted sum of all outputs."""
    xt = tf.constant(x)
    states_t = [tf.constant(s) for s in initial_state or []]
    kwargs_t = {} if mask is None else {"mask": tf.constant(mask)}
    with tf.GradientTape() as tape:
        tape.watch(xt)
        for s in states_t:
            tape.watch(s)
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
        assert_close(o.grad, t, rtol=rtol, atol=1e-5)


@pytest.mark.parametrize("name", sorted(BIDIRECTIONAL))
def test_bidirectional_outputs_gradients_and_weights_match(tf, tfk, name):
    factory, shape = BIDIRECTIONAL[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs, ours = _pair(tfk, factory, x)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    assert ours.count_params() == theirs.count_params()
    _compare(tf, theirs, ours, x)


@pytest.mark.parametrize("name, padding", [("lstm_concat_seq", "right"), ("lstm_none", "left"),
                                           ("lstm_state_seq_none", "right"), ("gru_reset_before", "left"),
                                           ("simple_rnn_seq", "left"), ("lstm_go_backwards", "left"),
                                           ("lstm_time_major", "right")])
def test_bidirectional_masks_match(tf, tfk, name, padding):
    factory, shape = BIDIRECTIONAL[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs, ours = _pair(tfk, factory, x)
    mask = np.ones(shape[:2], bool)
    if padding == "right":
        mask[0, -2:] = False
    else:
        mask[0, :2] = False
        mask[1, :1] = False
    _compare(tf, theirs, ours, x, mask=mask)


@pytest.mark.parametrize("sequences, merge_mode", [(True, "concat"), (False, None)])
def test_bidirectional_embedding_mask_in_a_model_matches(tf, tfk, sequences, merge_mode):
    def make(K):
        ids = K.Input((5,), dtype="int32")
        embedded = K.layers.Embedding(10, 4, mask_zero=True)(ids)
        outputs = K.layers.Bidirectional(K.layers.LSTM(3, return_sequences=sequences, return_state=True),
                                         merge_mode=merge_mode)(embedded)
        return K.Model(ids, outputs)

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    ids = np.array([[3, 4, 5, 0, 0], [0, 0, 2, 7, 1]])
    theirs_y, ours_y = tf.nest.flatten(theirs(ids)), torch.utils._pytree.tree_leaves(ours(ids))
    assert len(ours_y) == len(theirs_y)
    for o, t in zip(ours_y, theirs_y):
        assert_close(o, t)
        theirs_mask, ours_mask = getattr(t, "_keras_mask", None), getattr(o, "_keras_mask", None)
        assert (ours_mask is None) == (theirs_mask is None)
        if theirs_mask is not None:
            np.testing.assert_array_equal(ours_mask.numpy(), theirs_mask.numpy())


def test_bidirectional_compute_mask_matches(tf, tfk):
    x = np.zeros((2, 4, 3), "float32")
    mask = np.array([[True, True, False, False], [True, True, True, False]])
    for kwargs in ({"merge_mode": "concat"}, {"merge_mode": None}):
        for sequences in (True, False):
            for state in (True, False):
                def make(K):
                    return K.layers.Bidirectional(K.layers.GRU(2, return_sequences=sequences, return_state=state),
                                                  **kwargs)

                theirs, ours = make(tfk), make(keras)
                theirs(x)
                ours(x)
                theirs_mask = theirs.compute_mask(tf.constant(x), tf.constant(mask))
                ours_mask = ours.compute_mask(torch.tensor(x), torch.tensor(mask))
                assert _mask_structure(ours_mask) == _mask_structure(theirs_mask)


def _mask_structure(mask):
    if isinstance(mask, (list, tuple)):
        return [_mask_structure(m) for m in mask]
    return None if mask is None else np.asarray(mask).tolist()


@pytest.mark.parametrize("name", ["lstm_state", "gru_state_seq", "simple_rnn_seq", "lstm_go_backwards"])
def test_bidirectional_initial_state_matches(tf, tfk, name):
    factory, shape = BIDIRECTIONAL[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs, ours = _pair(tfk, factory, x)
    sizes = tf.nest.flatten(theirs.forward_layer.cell.state_size) * 2
    rng = np.random.RandomState(3)
    states = [rng.randn(shape[0], int(size)).astype("float32") for size in sizes]
    _compare(tf, theirs, ours, x, initial_state=states)


def test_bidirectional_initial_state_in_a_functional_model_matches(tfk):
    def make(K):
        inputs = K.Input((None, 4))
        states = [K.Input((3,)) for _ in range(4)]
        outputs = K.layers.Bidirectional(K.layers.LSTM(3, return_sequences=True))(inputs, initial_state=states)
        listed = K.layers.Bidirectional(K.layers.GRU(3), merge_mode="sum")([inputs] + states[:2])
        return K.Model([inputs] + states, [outputs, listed])

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    rng = np.random.RandomState(0)
    data = [rng.randn(2, 5, 4).astype("float32")] + [rng.randn(2, 3).astype("float32") for _ in range(4)]
    for o, t in zip(ours(data), theirs(data)):
        assert_close(o, t)


def test_bidirectional_stateful_over_two_batches_matches(tfk):
    def make(K):
        return K.Sequential([K.layers.Bidirectional(K.layers.LSTM(3, stateful=True, return_sequences=True),
                                                    batch_input_shape=(2, 4, 3))])

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    rng = np.random.RandomState(0)
    batches = [rng.randn(2, 4, 3).astype("float32") for _ in range(2)]
    for batch in batches:
        assert_close(ours(batch), theirs(batch))
    layer_t, layer_o = theirs.layers[0], ours.layers[0]
    assert layer_o.stateful and layer_t.stateful
    layer_t.reset_states()
    layer_o.reset_states()
    assert_close(ours(batches[1]), theirs(batches[1]))
    values = [rng.randn(2, 3).astype("float32") for _ in range(4)]
    layer_t.reset_states(values)
    layer_o.reset_states(values)
    assert_close(ours(batches[0]), theirs(batches[0]))


@pytest.mark.parametrize("name", ["lstm_none", "lstm_time_major", "gru_state_seq"])
def test_bidirectional_symbolic_shapes_match(tf, tfk, name):
    factory, shape = BIDIRECTIONAL[name]
    kwargs = {"batch_shape": (None, None, shape[2])} if "time_major" in name else {"shape": (None, shape[2])}
    ours, theirs = factory(keras)(keras.Input(**kwargs)), factory(tfk)(tfk.Input(**kwargs))
    ours_shapes = [tuple(t.shape) for t in (ours if isinstance(ours, list) else [ours])]
    assert ours_shapes == [tuple(t.shape) for t in tf.nest.flatten(theirs)]


@pytest.mark.parametrize("name", ["lstm_none", "gru_state_seq", "explicit_backward", "rnn_stacked_state"])
def test_bidirectional_config_matches(tfk, name):
    factory = BIDIRECTIONAL[name][0]
    ours, theirs = factory(keras), factory(tfk)
    assert ours.get_config() == theirs.get_config()
    x = np.zeros((2, 5, 4), "float32")
    ours(x)
    theirs(x)
    assert ours.get_config() == theirs.get_config()
    again = keras.layers.Bidirectional.from_config(ours.get_config())
    assert again.get_config() == ours.get_config()
    theirs_again = tfk.layers.Bidirectional.from_config(ours.get_config())
    again(x)
    theirs_again(x)
    assert [w.name for w in again.weights] == [w.name for w in theirs_again.weights]


def test_bidirectional_trainable_and_batch_shape_config_match(tfk):
    def make(K):
        inner = K.layers.SimpleRNN(2)
        inner.trainable = False
        return K.layers.Bidirectional(inner, batch_input_shape=(3, 4, 2))

    ours, theirs = make(keras), make(tfk)
    assert ours.trainable == theirs.trainable is False
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("make", [
    lambda K: K.layers.Bidirectional(K.layers.LSTM(3), backward_layer=K.layers.LSTM(3)),
    lambda K: K.layers.Bidirectional(K.layers.LSTM(3), backward_layer=K.layers.LSTM(3, go_backwards=True,
                                                                                    return_sequences=True)),
    lambda K: K.layers.Bidirectional(K.layers.LSTM(3, return_state=True),
                                     backward_layer=K.layers.LSTM(3, go_backwards=True)),
    lambda K: K.layers.Bidirectional(K.layers.LSTM(3), merge_mode="max"),
    lambda K: K.layers.Bidirectional(K.layers.LSTM(3), backward_layer="lstm"),
    lambda K: K.layers.Bidirectional("lstm"),
])
def test_bidirectional_construction_errors_match(tfk, make):
    with pytest.raises(Exception) as theirs:
        make(tfk)
    with pytest.raises(type(theirs.value)) as ours:
        make(keras)
    assert str(ours.value).replace("tf.keras", "keras") .replace(" ", "") == \
        str(theirs.value).replace("tf.keras", "keras").replace(" ", "")


def test_bidirectional_call_and_reset_errors_match(tfk):
    for K in (tfk, keras):
        layer = K.layers.Bidirectional(K.layers.LSTM(3))
        with pytest.raises(ValueError, match="the state should be a list containing the states"):
            layer(np.zeros((2, 4, 3), "float32"), initial_state=[np.zeros((2, 3), "float32")] * 3)
        with pytest.raises(AttributeError, match="Layer must be stateful"):
            layer.reset_states()


TIME_DISTRIBUTED = {
    "dense": (lambda K: K.layers.TimeDistributed(K.layers.Dense(3, activation="tanh")), (2, 4, 5)),
    "dense_4d": (lambda K: K.layers.TimeDistributed(K.layers.Dense(3)), (2, 3, 4, 5)),
    "conv2d": (lambda K: K.layers.TimeDistributed(K.layers.Conv2D(2, 3, padding="same", activation="relu")),
               (2, 3, 5, 5, 2)),
    "lstm": (lambda K: K.layers.TimeDistributed(K.layers.LSTM(3, return_sequences=True)), (2, 3, 4, 2)),
    "sequential": (lambda K: K.layers.TimeDistributed(K.Sequential([K.layers.Dense(4, activation="relu"),
                                                                     K.layers.Dense(2)])), (2, 4, 3)),
    "dropout_inference": (lambda K: K.layers.TimeDistributed(K.layers.Dropout(0.5)), (2, 4, 3)),
}


@pytest.mark.parametrize("name", sorted(TIME_DISTRIBUTED))
def test_time_distributed_outputs_gradients_and_weights_match(tf, tfk, name):
    factory, shape = TIME_DISTRIBUTED[name]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs, ours = _pair(tfk, factory, x)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    _compare(tf, theirs, ours, x)


@pytest.mark.parametrize("name", ["dense", "dense_4d", "conv2d", "lstm", "sequential"])
def test_time_distributed_symbolic_shapes_match(tf, tfk, name):
    factory, shape = TIME_DISTRIBUTED[name]
    for time in (None, shape[1]):
        ours = factory(keras)(keras.Input((time,) + shape[2:]))
        theirs = factory(tfk)(tfk.Input((time,) + shape[2:]))
        assert tuple(ours.shape) == tuple(theirs.shape)


@pytest.mark.parametrize("name", ["dense", "conv2d", "lstm", "dropout_inference"])
def test_time_distributed_config_matches(tfk, name):
    factory, shape = TIME_DISTRIBUTED[name]
    ours, theirs = factory(keras), factory(tfk)
    assert ours.get_config() == theirs.get_config()
    x = np.zeros(shape, "float32")
    ours(x)
    theirs(x)
    assert ours.get_config() == theirs.get_config()
    again, theirs_again = keras.layers.TimeDistributed.from_config(ours.get_config()), \
        tfk.layers.TimeDistributed.from_config(theirs.get_config())
    again(x)
    theirs_again(x)
    assert [w.name for w in again.weights] == [w.name for w in theirs_again.weights]


def test_time_distributed_symbolic_config_matches(tfk):
    def make(K):
        layer = K.layers.TimeDistributed(K.layers.Dense(2))
        layer(K.Input((4, 3)))
        return layer

    assert make(keras).get_config() == make(tfk).get_config()


def test_time_distributed_masks_in_a_model_match(tf, tfk):
    def make(K):
        ids = K.Input((5,), dtype="int32")
        x = K.layers.Embedding(10, 4, mask_zero=True)(ids)
        x = K.layers.TimeDistributed(K.layers.Dense(3))(x)
        sequence = K.layers.LSTM(2, return_sequences=True)(x)
        return K.Model(ids, [x, sequence])

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    ids = np.array([[3, 4, 5, 0, 0], [0, 0, 2, 7, 1]])
    for o, t in zip(ours(ids), theirs(ids)):
        assert_close(o, t)
        np.testing.assert_array_equal(o._keras_mask.numpy(), t._keras_mask.numpy())


@pytest.mark.parametrize("inner", ["masking", "dense", "conv2d"])
def test_time_distributed_compute_mask_matches(tf, tfk, inner):
    shape = (2, 3, 4, 4, 1) if inner == "conv2d" else (2, 3, 4)
    makers = {"masking": lambda K: K.layers.Masking(0.0), "dense": lambda K: K.layers.Dense(2),
              "conv2d": lambda K: K.layers.Conv2D(2, 2)}
    x = np.ones(shape, "float32")
    x[0, 1] = 0.0
    theirs, ours = (K.layers.TimeDistributed(makers[inner](K)) for K in (tfk, keras))
    theirs(x)
    ours(x)
    masks = [None, np.array([[True, False, True], [True, True, False]])]
    for mask in masks if inner != "conv2d" else masks[:1]:
        theirs_mask = theirs.compute_mask(tf.constant(x), None if mask is None else tf.constant(mask))
        ours_mask = ours.compute_mask(torch.tensor(x), None if mask is None else torch.tensor(mask))
        assert _mask_structure(ours_mask) == _mask_structure(theirs_mask)


def test_time_distributed_masking_model_matches(tf, tfk):
    def make(K):
        inputs = K.Input((4, 3))
        x = K.layers.TimeDistributed(K.layers.Masking(0.0))(inputs)
        x = K.layers.TimeDistributed(K.layers.Dense(2))(x)
        return K.Model(inputs, K.layers.Bidirectional(K.layers.GRU(2, return_sequences=True))(x))

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(0).randn(2, 4, 3).astype("float32")
    x[0, :1] = 0.0
    x[1, 3:] = 0.0
    ours_y, theirs_y = ours(x), theirs(x)
    assert_close(ours_y, theirs_y)
    np.testing.assert_array_equal(ours_y._keras_mask.numpy(), theirs_y._keras_mask.numpy())


def test_time_distributed_rank_error_matches(tfk):
    for inputs in (np.zeros((2, 3), "float32"), "symbolic"):
        errors = []
        for K in (tfk, keras):
            with pytest.raises(ValueError) as error:
                K.layers.TimeDistributed(K.layers.Dense(2))(K.Input((3,)) if inputs == "symbolic" else inputs)
            errors.append(str(error.value))
        assert errors[0] in errors[1]
    for K in (tfk, keras):
        with pytest.raises(ValueError, match="Please initialize `TimeDistributed` layer with a"):
            K.layers.TimeDistributed(K.layers.Dense)


def _tagger(K):
    return K.Sequential([
        K.layers.Embedding(12, 4, input_length=6),
        K.layers.Bidirectional(K.layers.LSTM(3, return_sequences=True)),
        K.layers.TimeDistributed(K.layers.Dense(5, activation="softmax")),
    ])


def test_tf_keras_h5_weights_load_here_and_back(tfk, tmp_path):
    ids = np.random.RandomState(0).randint(1, 12, size=(3, 6))
    theirs, ours = _tagger(tfk), _tagger(keras)
    theirs(ids)
    ours(ids)
    theirs.save_weights(str(tmp_path / "theirs.h5"))
    ours.load_weights(str(tmp_path / "theirs.h5"))
    assert_close(ours(ids), theirs(ids))

    fresh = _tagger(keras)
    fresh(ids)
    fresh.save_weights(str(tmp_path / "ours.h5"))
    theirs.load_weights(str(tmp_path / "ours.h5"))
    assert_close(fresh(ids), theirs(ids))


def test_summary_matches(tfk):
    lines = {}
    for K in (tfk, keras):
        printed = []
        _tagger(K).summary(print_fn=printed.append)
        lines[K] = printed
    assert lines[keras] == lines[tfk]
