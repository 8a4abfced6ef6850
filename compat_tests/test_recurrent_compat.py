"""Recurrent layers against the real tf.keras: outputs, states and input gradients from the same weights (on
both the fused-kernel and the cell-loop paths), masks, initial states, shapes, weight names and configs."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close
from torchkeras_api.layers import rnn_fused


class MinimalRNNCell:
    """A custom cell as in tf.keras's RNN docs, built for either library."""

    @staticmethod
    def make(K, units=4):
        class Cell(K.layers.Layer):
            def __init__(self, units, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.state_size = units

            def build(self, input_shape):
                self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform",
                                              name="kernel")
                self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                        name="recurrent_kernel")

            def call(self, inputs, states):
                prev = states[0]
                output = inputs @ self.kernel + prev @ self.recurrent_kernel
                return output, [output]

        return Cell(units)


# name: (factory taking the library, input shape (batch, time, features), fused kernel expected)
CASES = {
    "lstm": (lambda K: K.layers.LSTM(4), (3, 6, 5), "lstm"),
    "lstm_sequences": (lambda K: K.layers.LSTM(4, return_sequences=True), (3, 6, 5), "lstm"),
    "lstm_state": (lambda K: K.layers.LSTM(4, return_sequences=True, return_state=True), (3, 6, 5), "lstm"),
    "lstm_backwards": (lambda K: K.layers.LSTM(3, return_sequences=True, go_backwards=True), (2, 5, 4), "lstm"),
    "lstm_time_major": (lambda K: K.layers.LSTM(3, return_sequences=True, time_major=True), (5, 2, 4), "lstm"),
    "lstm_relu_loop": (lambda K: K.layers.LSTM(4, activation="relu", return_state=True), (3, 6, 5), None),
    "lstm_no_bias_loop": (lambda K: K.layers.LSTM(4, use_bias=False, return_sequences=True), (2, 5, 3), None),
    "lstm_unroll_loop": (lambda K: K.layers.LSTM(4, unroll=True, return_state=True, go_backwards=True),
                         (2, 5, 3), None),
    "lstm_rec_dropout_loop": (lambda K: K.layers.LSTM(4, recurrent_dropout=0.3, return_sequences=True),
                              (2, 5, 3), None),
    "lstm_hard_sigmoid_loop": (lambda K: K.layers.LSTM(3, recurrent_activation="hard_sigmoid",
                                                       time_major=True, return_sequences=True), (5, 2, 3), None),
    "gru": (lambda K: K.layers.GRU(4), (3, 6, 5), "gru"),
    "gru_state": (lambda K: K.layers.GRU(4, return_sequences=True, return_state=True), (3, 6, 5), "gru"),
    "gru_backwards": (lambda K: K.layers.GRU(3, go_backwards=True, return_sequences=True), (2, 5, 4), "gru"),
    "gru_time_major": (lambda K: K.layers.GRU(3, time_major=True, return_state=True), (5, 2, 4), "gru"),
    "gru_reset_before_loop": (lambda K: K.layers.GRU(4, reset_after=False, return_sequences=True), (3, 6, 5),
                              None),
    "gru_reset_before_no_bias": (lambda K: K.layers.GRU(3, reset_after=False, use_bias=False), (2, 5, 4), None),
    "gru_no_bias_loop": (lambda K: K.layers.GRU(3, use_bias=False, return_state=True), (2, 5, 4), None),
    "gru_selu_loop": (lambda K: K.layers.GRU(3, activation="selu", go_backwards=True), (2, 5, 4), None),
    "simple_rnn": (lambda K: K.layers.SimpleRNN(4), (3, 6, 5), None),
    "simple_rnn_state": (lambda K: K.layers.SimpleRNN(4, activation="relu", return_sequences=True,
                                                      return_state=True, go_backwards=True), (3, 6, 5), None),
    "rnn_lstm_cell": (lambda K: K.layers.RNN(K.layers.LSTMCell(4), return_state=True), (2, 5, 3), None),
    "rnn_gru_cell": (lambda K: K.layers.RNN(K.layers.GRUCell(4, reset_after=False), return_sequences=True),
                     (2, 5, 3), None),
    "rnn_stacked": (lambda K: K.layers.RNN([K.layers.LSTMCell(4), K.layers.GRUCell(3),
                                            K.layers.SimpleRNNCell(2)], return_sequences=True,
                                           return_state=True), (2, 5, 3), None),
    "rnn_custom_cell": (lambda K: K.layers.RNN(MinimalRNNCell.make(K), return_sequences=True, return_state=True),
                        (2, 5, 3), None),
    "rnn_custom_stacked": (lambda K: K.layers.RNN([MinimalRNNCell.make(K, 3), K.layers.LSTMCell(2)],
                                                  go_backwards=True), (2, 5, 3), None),
}


def _flat_tf(tf, outputs):
    return tf.nest.flatten(outputs)


def _compare(tf, theirs, ours, x, mask=None, rtol=1e-5, initial_state=None):
    """Same outputs and input gradients (and initial-state gradients) for a weighted sum of all outputs."""
    kwargs_t = {} if mask is None else {"mask": tf.constant(mask)}
    xt = tf.constant(x)
    states_t = [tf.constant(s) for s in initial_state] if initial_state is not None else None
    with tf.GradientTape() as tape:
        tape.watch(xt)
        if states_t is not None:
            for s in states_t:
                tape.watch(s)
            kwargs_t["initial_state"] = states_t
        theirs_y = _flat_tf(tf, theirs(xt, **kwargs_t))
        upstream = [np.random.RandomState(i + 1).randn(*y.shape).astype("float32") for i, y in enumerate(theirs_y)]
        total = sum(tf.reduce_sum(y * u) for y, u in zip(theirs_y, upstream))
    theirs_grads = tape.gradient(total, [xt] + (states_t or []))

    xo = torch.tensor(x, requires_grad=True)
    kwargs_o = {} if mask is None else {"mask": torch.tensor(mask)}
    states_o = [torch.tensor(s, requires_grad=True) for s in initial_state] if initial_state is not None else None
    if states_o is not None:
        kwargs_o["initial_state"] = states_o
    ours_y = torch.utils._pytree.tree_leaves(ours(xo, **kwargs_o))
    assert len(ours_y) == len(theirs_y)
    sum((y * torch.tensor(u)).sum() for y, u in zip(ours_y, upstream)).backward()
    for o, t in zip(ours_y, theirs_y):
        assert_close(o, t, rtol=rtol)
    for o, t in zip([xo] + (states_o or []), theirs_grads):
        assert_close(o.grad, t, rtol=rtol, atol=1e-5 if rtol > 1e-5 else 1e-6)


def _pair(tfk, name, shape):
    factory = CASES[name][0]
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    theirs, ours = factory(tfk), factory(keras)
    theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    return theirs, ours, x


@pytest.fixture
def kernel_calls(monkeypatch):
    """Counts calls of the fused kernels."""
    calls = {"lstm": 0, "gru": 0}
    for kind in calls:
        original = getattr(rnn_fused, kind)

        def counted(*args, _kind=kind, _original=original, **kwargs):
            calls[_kind] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(rnn_fused, kind, counted)
    return calls


@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_gradients_masks_weights_match(tf, tfk, kernel_calls, name):
    _, shape, fused = CASES[name]
    theirs, ours, x = _pair(tfk, name, shape)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert ours.count_params() == theirs.count_params()
    kernel_calls.update(lstm=0, gru=0)
    _compare(tf, theirs, ours, x)
    assert kernel_calls == {"lstm": 0, "gru": 0} | ({fused: 1} if fused else {})
    mask = np.ones(shape[:2], bool)  # time-major inputs take time-major masks, as in tf.keras
    mask[0, -2:] = False
    mask[1, 1] = False
    _compare(tf, theirs, ours, x, mask=mask)


@pytest.mark.parametrize("name", ["lstm_state", "simple_rnn_state", "rnn_stacked"])
def test_masking_layer_model_matches(tf, tfk, name):
    factory, shape, _ = CASES[name]

    def make(K):
        inputs = K.Input(shape[1:])
        outputs = factory(K)(K.layers.Masking()(inputs))
        return K.Model(inputs, outputs)

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(0).randn(*shape).astype("float32")
    x[0, 3:] = 0.0
    x[1, 0] = 0.0
    ours_y = torch.utils._pytree.tree_leaves(ours(x))
    theirs_y = tf.nest.flatten(theirs(x))
    assert len(ours_y) == len(theirs_y)
    for o, t in zip(ours_y, theirs_y):
        assert_close(o, t)


@pytest.mark.parametrize("name", ["lstm", "gru_reset_before_loop"])
def test_embedding_mask_zero_matches(tf, tfk, name):
    factory = CASES[name][0]

    def make(K, sequences):
        layer = factory(K)
        layer.return_sequences = sequences
        return K.Sequential([K.layers.Embedding(10, 5, mask_zero=True), layer])

    ids = np.array([[3, 4, 5, 0, 0], [0, 2, 0, 7, 1]])
    for sequences in (False, True):
        theirs, ours = make(tfk, sequences), make(keras, sequences)
        theirs(ids)
        ours(ids)
        ours.set_weights(theirs.get_weights())
        ours_y, theirs_y = ours(ids), theirs(ids)
        assert_close(ours_y, theirs_y)
        if sequences:
            np.testing.assert_array_equal(ours_y._keras_mask.numpy(), theirs_y._keras_mask.numpy())
        else:
            assert getattr(ours_y, "_keras_mask", None) is None


@pytest.mark.parametrize("name", ["lstm_state", "gru_state", "gru_reset_before_loop", "lstm_relu_loop",
                                  "simple_rnn", "rnn_lstm_cell"])
def test_initial_state_matches(tf, tfk, name):
    _, shape, _ = CASES[name]
    theirs, ours, x = _pair(tfk, name, shape)
    rng = np.random.RandomState(5)
    sizes = tf.nest.flatten(theirs.cell.state_size)
    states = [rng.randn(shape[0], int(size)).astype("float32") for size in sizes]
    _compare(tf, theirs, ours, x, initial_state=states)


def test_initial_state_in_functional_model_matches(tfk):
    def make(K):
        inputs, h, c = K.Input((None, 3)), K.Input((4,)), K.Input((4,))
        outputs = K.layers.LSTM(4, return_sequences=True)(inputs, initial_state=[h, c])
        gru_out = K.layers.GRU(4)([outputs, h])
        return K.Model([inputs, h, c], [outputs, gru_out])

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    rng = np.random.RandomState(0)
    data = [rng.randn(2, 5, 3).astype("float32"), rng.randn(2, 4).astype("float32"),
            rng.randn(2, 4).astype("float32")]
    for o, t in zip(ours(data), theirs(data)):
        assert_close(o, t)


def test_long_sequence_matches(tf, tfk):
    for factory in (lambda K: K.layers.LSTM(8, return_sequences=True),
                    lambda K: K.layers.GRU(8, reset_after=False, return_state=True)):
        theirs, ours = factory(tfk), factory(keras)
        x = np.random.RandomState(0).randn(2, 60, 6).astype("float32")
        theirs(x)
        ours(x)
        ours.set_weights(theirs.get_weights())
        _compare(tf, theirs, ours, x, rtol=1e-4)


@pytest.mark.parametrize("name", ["lstm", "lstm_state", "lstm_time_major", "lstm_unroll_loop", "gru_state",
                                  "simple_rnn_state", "rnn_stacked", "rnn_custom_cell", "rnn_custom_stacked"])
def test_symbolic_shapes_match(tf, tfk, name):
    factory, shape, _ = CASES[name]
    time_major = "time_major" in name
    for time in ((7,) if "unroll" in name else (None, 7)):
        input_shape = (time, None, shape[2]) if time_major else (time, shape[2])
        ours = factory(keras)(keras.Input(input_shape) if not time_major else
                              keras.Input(batch_shape=input_shape))
        theirs = factory(tfk)(tfk.Input(input_shape) if not time_major else tfk.Input(batch_shape=input_shape))
        ours_shapes = [tuple(t.shape) for t in torch.utils._pytree.tree_leaves(ours, is_leaf=_is_kt)]
        theirs_shapes = [tuple(t.shape) for t in tf.nest.flatten(theirs)]
        assert ours_shapes == theirs_shapes


def _is_kt(x):
    return hasattr(x, "shape") and not isinstance(x, (list, tuple))


@pytest.mark.parametrize("name", sorted(n for n in CASES if "custom" not in n))
def test_config_matches(tfk, name):
    factory = CASES[name][0]
    ours, theirs = factory(keras), factory(tfk)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert list(ours_config) == list(theirs_config)
    if "cell" in ours_config:
        ours_cell, theirs_cell = ours_config.pop("cell"), theirs_config.pop("cell")
        theirs_cells = theirs_cell["config"].get("cells", [theirs_cell])
        ours_cells = ours_cell["config"].get("cells", [ours_cell])
        for o, t in zip(ours_cells, theirs_cells):
            assert o["class_name"] == t["class_name"]
            assert o["config"] == t["config"]
        rebuilt = type(ours).from_config(dict(ours_config, cell=ours_cell)).get_config()
        assert rebuilt["cell"]["config"] == ours_cell["config"]
    else:
        assert type(ours).from_config(ours_config).get_config() == ours_config
    assert ours_config == theirs_config
    assert ours.supports_masking == theirs.supports_masking


@pytest.mark.parametrize("cls, kwargs", [("LSTMCell", {"unit_forget_bias": False, "dropout": 0.1}),
                                         ("GRUCell", {"reset_after": False, "recurrent_dropout": 0.2}),
                                         ("SimpleRNNCell", {"activation": "relu", "use_bias": False})])
def test_cell_config_and_step_match(tf, tfk, cls, kwargs):
    ours, theirs = getattr(keras.layers, cls)(3, **kwargs), getattr(tfk.layers, cls)(3, **kwargs)
    assert ours.get_config() == theirs.get_config()
    assert ours.state_size == theirs.state_size
    rng = np.random.RandomState(0)
    x = rng.randn(2, 4).astype("float32")
    states = [rng.randn(2, 3).astype("float32") for _ in tf.nest.flatten(theirs.state_size)]
    theirs_out, theirs_states = theirs(tf.constant(x), [tf.constant(s) for s in states])
    ours(torch.tensor(x), [torch.tensor(s) for s in states])
    ours.set_weights(theirs.get_weights())
    ours_out, ours_states = ours(torch.tensor(x), [torch.tensor(s) for s in states])
    assert_close(ours_out, theirs_out)
    for o, t in zip(ours_states, theirs_states):
        assert_close(o, t)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]


def test_weight_initializers_match_in_keras_layout(tfk):
    def make(K):
        return K.layers.LSTM(3, kernel_initializer="ones", recurrent_initializer=K.initializers.Constant(0.5),
                             bias_initializer="ones")

    ours, theirs = make(keras), make(tfk)
    ours.build((None, 4, 2))
    theirs.build((None, 4, 2))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    gru = keras.layers.GRU(3, bias_initializer=keras.initializers.Constant(np.arange(18.0).reshape(2, 9)))
    gru.build((None, 4, 2))
    np.testing.assert_array_equal(gru.get_weights()[2], np.arange(18.0).reshape(2, 9))
    recurrent = keras.layers.GRU(4).cell
    recurrent.build((None, 3))
    value = recurrent.recurrent_kernel.numpy()
    np.testing.assert_allclose(value @ value.T, np.eye(4), atol=1e-5)


def test_regularization_losses_match(tfk):
    def make(K):
        return K.layers.GRU(3, kernel_regularizer=K.regularizers.L1(0.1), recurrent_regularizer="l2",
                            bias_regularizer=K.regularizers.L1(0.3), activity_regularizer="l2")

    x = np.random.RandomState(0).randn(2, 4, 3).astype("float32")
    theirs, ours = make(tfk), make(keras)
    theirs(x)
    ours(x)
    theirs.set_weights([w + 0.1 for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())
    theirs(x)
    ours(x)
    assert len(ours.losses) == len(theirs.losses) == 4
    ours_losses = sorted(float(loss.detach()) for loss in ours.losses)
    assert_close(np.array(ours_losses, "float32"), np.sort([loss.numpy() for loss in theirs.losses]))


@pytest.mark.parametrize("factory", [lambda K: K.layers.LSTM(5, dropout=0.5, return_sequences=True),
                                     lambda K: K.layers.GRU(5, dropout=0.5, recurrent_dropout=0.5),
                                     lambda K: K.layers.SimpleRNN(5, dropout=0.5, recurrent_dropout=0.5),
                                     lambda K: K.layers.RNN([K.layers.LSTMCell(5, dropout=0.5),
                                                             K.layers.GRUCell(5, recurrent_dropout=0.5)])])
def test_dropout_only_in_training(tfk, factory):
    x = np.random.RandomState(0).randn(4, 6, 3).astype("float32")
    ours = factory(keras)
    inference = ours(x)
    torch.testing.assert_close(ours(x, training=False), inference)
    trained = ours(x, training=True)
    assert not torch.allclose(trained, inference)
    theirs = factory(tfk)
    theirs(x)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), theirs(x))


def test_rnnoise_seed_model_matches_and_trains(tfk):
    """The seed's two-output GRU model, with return_sequences=True as rnnoise has it (as written, the seed
    concatenates a 2-D GRU output with 3-D tensors, which both libraries reject)."""
    def make(K, sequences=True):
        model_input = K.layers.Input(shape=(None, 42), name="model_input")
        x = K.layers.Dense(24, activation="tanh")(model_input)
        vad_gru = K.layers.GRU(24, return_sequences=sequences)(x)
        vad_out = K.layers.Dense(1)(vad_gru)
        denoise_input = K.layers.concatenate([x, vad_gru, model_input])
        denoise_gru = K.layers.GRU(96, return_sequences=sequences)(denoise_input)
        denoise_output = K.layers.Dense(22)(denoise_gru)
        return K.Model(inputs=model_input, outputs=[vad_out, denoise_output])

    for K in (keras, tfk):
        with pytest.raises(ValueError):
            make(K, sequences=False)
    ours, theirs = make(keras), make(tfk)
    assert ours.count_params() == theirs.count_params()
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    ours.set_weights(theirs.get_weights())
    x = np.random.RandomState(0).randn(3, 8, 42).astype("float32")
    for o, t in zip(ours(x), theirs(x)):
        assert_close(o, t)
    ours.compile(optimizer="adam", loss="mse")
    targets = [np.zeros((3, 8, 1), "float32"), np.zeros((3, 8, 22), "float32")]
    history = ours.fit(x, targets, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_errors_match_tf_types(tfk):
    with pytest.raises(ValueError, match="batch size"):
        keras.layers.LSTM(3, stateful=True)(keras.Input((None, 2)))
    with pytest.raises(AttributeError, match="stateful"):
        keras.layers.GRU(3).reset_states()
    layer = keras.layers.LSTM(3)
    with pytest.raises(ValueError, match="initial state"):
        layer(np.zeros((2, 4, 3), "float32"), initial_state=[torch.zeros(2, 3)])
    with pytest.raises(ValueError, match="ndim=3"):
        keras.layers.GRU(3)(keras.Input((4,)))
    with pytest.raises(ValueError):
        tfk.layers.GRU(3)(tfk.Input((4,)))
    with pytest.raises(ValueError, match="state_size"):
        keras.layers.RNN(keras.layers.Dense(3))
    with pytest.raises(ValueError, match="timesteps"):
        keras.layers.LSTM(3, unroll=True)(keras.Input((None, 2)))
    with pytest.raises(ValueError, match="units"):
        keras.layers.LSTM(0)


def test_h5_weights_move_both_ways(tfk, tmp_path):
    def make(K):
        return K.Sequential([K.layers.Input((None, 3)), K.layers.LSTM(4, return_sequences=True),
                             K.layers.GRU(2, reset_after=False, return_sequences=True), K.layers.GRU(3)])

    theirs, ours = make(tfk), make(keras)
    theirs.save_weights(str(tmp_path / "theirs.h5"))
    ours.load_weights(str(tmp_path / "theirs.h5"))
    x = np.random.RandomState(0).randn(2, 5, 3).astype("float32")
    assert_close(ours(x), theirs(x))
    ours.save_weights(str(tmp_path / "ours.h5"))
    again = make(tfk)
    again.load_weights(str(tmp_path / "ours.h5"))
    for a, b in zip(again.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_stateful_runs_over_batches_match(tfk):
    def make(K):
        return K.Sequential([K.layers.LSTM(4, stateful=True, return_sequences=True, batch_input_shape=(2, 5, 3)),
                             K.layers.GRU(3, stateful=True, reset_after=False, return_sequences=True),
                             K.layers.SimpleRNN(2, stateful=True, go_backwards=True)])

    theirs, ours = make(tfk), make(keras)
    ours.set_weights(theirs.get_weights())
    assert [layer.get_config() for layer in ours.layers] == [layer.get_config() for layer in theirs.layers]
    rng = np.random.RandomState(0)
    batches = [rng.randn(2, 5, 3).astype("float32") for _ in range(3)]
    for x in batches[:2]:
        assert_close(ours(x), theirs(x))
    for model in (ours, theirs):
        for layer in model.layers:
            layer.reset_states()
    assert_close(ours(batches[2]), theirs(batches[2]))
    values = [rng.randn(2, 4).astype("float32") for _ in range(2)]
    ours.layers[0].reset_states(values)
    theirs.layers[0].reset_states(values)
    for o, t in zip(ours.layers[0].states, theirs.layers[0].states):
        assert_close(o, t)
    assert_close(ours(batches[0]), theirs(batches[0]))
    assert len(ours.weights) == len(theirs.weights)


def _right_padded_mask(batch, time):
    """Rows of lengths time - 2, 0, time, ... (a fully masked row and a full one)."""
    lengths = [time - 2, 0, time][:batch]
    return np.arange(time)[None, :] < np.array(lengths)[:, None]


@pytest.mark.parametrize("name", ["lstm", "lstm_sequences", "lstm_state", "lstm_backwards", "lstm_time_major",
                                  "gru", "gru_state", "gru_backwards", "gru_time_major"])
def test_right_padded_masks_run_fused_and_match(tf, tfk, kernel_calls, name):
    _, shape, fused = CASES[name]
    theirs, ours, x = _pair(tfk, name, shape)
    time_major = "time_major" in name
    batch, time = (shape[1], shape[0]) if time_major else shape[:2]
    mask = _right_padded_mask(batch, time)
    mask = mask.T.copy() if time_major else mask
    kernel_calls.update(lstm=0, gru=0)
    _compare(tf, theirs, ours, x, mask=mask)
    assert kernel_calls[fused] == 1
    left_padded = mask[::-1].copy() if time_major else mask[:, ::-1].copy()
    _compare(tf, theirs, ours, x, mask=left_padded)
    assert kernel_calls[fused] == 1


@pytest.mark.parametrize("name", ["lstm_state", "gru_state", "gru_backwards"])
def test_right_padded_masks_with_initial_state_match(tf, tfk, kernel_calls, name):
    _, shape, fused = CASES[name]
    theirs, ours, x = _pair(tfk, name, shape)
    rng = np.random.RandomState(5)
    states = [rng.randn(shape[0], int(size)).astype("float32") for size in tf.nest.flatten(theirs.cell.state_size)]
    kernel_calls.update(lstm=0, gru=0)
    _compare(tf, theirs, ours, x, mask=_right_padded_mask(*shape[:2]), initial_state=states)
    assert kernel_calls[fused] == 1


def test_embedding_right_padded_model_runs_fused_and_matches(tfk, kernel_calls):
    def make(K):
        return K.Sequential([K.layers.Embedding(10, 5, mask_zero=True), K.layers.LSTM(4, return_sequences=True),
                             K.layers.GRU(3, go_backwards=True)])

    ids = np.array([[3, 4, 5, 0, 0], [2, 2, 0, 0, 0], [1, 2, 3, 4, 5]])
    theirs, ours = make(tfk), make(keras)
    theirs(ids)
    ours(ids)
    ours.set_weights(theirs.get_weights())
    kernel_calls.update(lstm=0, gru=0)
    assert_close(ours(ids), theirs(ids))
    assert kernel_calls == {"lstm": 1, "gru": 1}
