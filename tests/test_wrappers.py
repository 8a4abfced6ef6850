"""Bidirectional and TimeDistributed without the tf.keras oracle: results equal the same computation done by
hand with the wrapped layers, masks, states, configs, errors, saving and training."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras

L = keras.layers


def _x(*shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype("float32")


def _directions(bidirectional, template):
    """Stand-alone forward and backward layers holding the wrapper's forward and backward weights."""
    forward = template(go_backwards=False)
    backward = template(go_backwards=True)
    x = np.zeros((1, 2, bidirectional.forward_layer.weights[0].keras_shape[0]), "float32")
    forward(x)
    backward(x)
    forward.set_weights(bidirectional.forward_layer.get_weights())
    backward.set_weights(bidirectional.backward_layer.get_weights())
    return forward, backward


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merges_forward_and_time_reversed_backward_outputs(merge_mode):
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=merge_mode)
    x = _x(2, 5, 4)
    out = layer(x)
    forward, backward = _directions(layer, lambda **kw: L.LSTM(3, return_sequences=True, **kw))
    y, y_rev = forward(x), backward(x).flip(1)
    expected = {"concat": lambda: torch.cat([y, y_rev], -1), "sum": lambda: y + y_rev, "mul": lambda: y * y_rev,
                "ave": lambda: (y + y_rev) / 2, None: lambda: [y, y_rev]}[merge_mode]()
    for a, b in zip(out if merge_mode is None else [out], expected if merge_mode is None else [expected]):
        torch.testing.assert_close(a, b)


def test_bidirectional_return_state_and_initial_state_halves():
    layer = L.Bidirectional(L.GRU(3, return_state=True), merge_mode="sum")
    x = _x(2, 5, 4)
    states = [torch.tensor(_x(2, 3, seed=1)), torch.tensor(_x(2, 3, seed=2))]
    out, h_forward, h_backward = layer(x, initial_state=states)
    forward, backward = _directions(layer, lambda **kw: L.GRU(3, return_state=True, **kw))
    y, h = forward(x, initial_state=[states[0]])
    y_rev, h_rev = backward(x, initial_state=[states[1]])
    torch.testing.assert_close(out, y + y_rev)
    torch.testing.assert_close(h_forward, h)
    torch.testing.assert_close(h_backward, h_rev)
    listed = layer([torch.tensor(x)] + states)
    torch.testing.assert_close(listed[0], out)


def test_bidirectional_masked_steps_do_not_change_the_others_and_output_zeros():
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True))
    x = _x(2, 6, 4)
    mask = torch.ones(2, 6, dtype=torch.bool)
    mask[0, 4:] = False
    out = layer(x, mask=mask)
    alone = layer(x[:1, :4])
    torch.testing.assert_close(out[0, :4], alone[0])
    assert torch.all(out[0, 4:] == 0)
    torch.testing.assert_close(out[1], layer(x[1:])[0])


def test_bidirectional_output_mask_follows_return_sequences_and_merge_mode():
    ids = keras.Input((5,), dtype="int32")
    embedded = L.Embedding(10, 4, mask_zero=True)(ids)
    sequences = L.Bidirectional(L.SimpleRNN(2, return_sequences=True), merge_mode=None)(embedded)
    last = L.Bidirectional(L.SimpleRNN(2))(embedded)
    model = keras.Model(ids, sequences + [last])
    data = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]])
    forward, backward, final = model(data)
    expected = data != 0
    np.testing.assert_array_equal(forward._keras_mask.numpy(), expected)
    np.testing.assert_array_equal(backward._keras_mask.numpy(), expected)
    assert getattr(final, "_keras_mask", None) is None


def test_bidirectional_weights_names_order_and_weights_argument():
    probe = L.Bidirectional(L.SimpleRNN(2))
    probe(_x(1, 3, 4))
    values = [np.full(w.shape, i, "float32") for i, w in enumerate(probe.get_weights())]
    layer = L.Bidirectional(L.SimpleRNN(2, name="rnn"), weights=values, name="bi")
    layer(_x(1, 3, 4))
    assert [w.name for w in layer.weights] == [
        f"bi/{side}_rnn/simple_rnn_cell/{name}:0"
        for side in ("forward", "backward") for name in ("kernel", "recurrent_kernel", "bias")]
    for got, want in zip(layer.get_weights(), values):
        np.testing.assert_array_equal(got, want)


def test_bidirectional_over_a_custom_cell_without_config_gets_separate_weights():
    class Cell(L.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))

        def call(self, inputs, states):
            output = inputs @ self.kernel + states[0]
            return output, [output]

    layer = L.Bidirectional(L.RNN(Cell(2), return_sequences=True), merge_mode=None)
    x = _x(2, 4, 3)
    y, y_rev = layer(x)
    kernel_forward, kernel_backward = layer.get_weights()
    assert kernel_forward is not kernel_backward and not np.array_equal(kernel_forward, kernel_backward)
    cumulative = np.cumsum(x @ kernel_forward, axis=1)
    np.testing.assert_allclose(y.detach().numpy(), cumulative, rtol=1e-5, atol=1e-6)
    reverse_cumulative = np.cumsum((x @ kernel_backward)[:, ::-1], axis=1)[:, ::-1]
    np.testing.assert_allclose(y_rev.detach().numpy(), reverse_cumulative, rtol=1e-5, atol=1e-6)


def test_bidirectional_stateful_carries_and_resets_states():
    layer = L.Bidirectional(L.LSTM(2, stateful=True), batch_input_shape=(2, 3, 4))
    x = _x(2, 3, 4)
    first = layer(x)
    second = layer(x)
    assert not torch.allclose(first, second)
    layer.reset_states()
    torch.testing.assert_close(layer(x), first)
    with pytest.raises(ValueError, match="Expected `states` to be list or tuple"):
        layer.reset_states(np.zeros((2, 2)))


def test_bidirectional_trainable_follows_the_wrapped_layer():
    inner = L.GRU(2)
    inner.trainable = False
    layer = L.Bidirectional(inner)
    layer(_x(1, 3, 2))
    assert layer.trainable is False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 6


@pytest.mark.parametrize("kwargs, message", [
    ({"merge_mode": "max"}, "Invalid merge mode"),
    ({"backward_layer": L.LSTM(2)}, "different `go_backwards` value"),
    ({"backward_layer": L.LSTM(2, go_backwards=True, return_state=True)}, 'attribute "return_state"'),
    ({"backward_layer": "lstm"}, "`backward_layer` need to be a"),
])
def test_bidirectional_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        L.Bidirectional(L.LSTM(2), **kwargs)


def test_bidirectional_call_errors():
    with pytest.raises(ValueError, match="Please initialize `Bidirectional` layer"):
        L.Bidirectional(L.LSTM)
    layer = L.Bidirectional(L.LSTM(2))
    with pytest.raises(ValueError, match="state should be a list containing the states"):
        layer(_x(2, 3, 4), initial_state=[torch.zeros(2, 2)])
    with pytest.raises(AttributeError, match="Layer must be stateful"):
        layer.reset_states()


def test_bidirectional_config_round_trip_keeps_the_explicit_backward_layer():
    layer = L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode=None,
                            backward_layer=L.GRU(2, return_sequences=True, go_backwards=True, name="back"))
    config = layer.get_config()
    assert config["backward_layer"]["config"]["name"] == "back"
    again = L.Bidirectional.from_config(config)
    assert again.get_config() == config
    assert again.backward_layer.name == "backward_back" and isinstance(again.backward_layer, L.GRU)
    assert [tuple(y.shape) for y in again(_x(2, 4, 3))] == [(2, 4, 3), (2, 4, 2)]


def test_time_distributed_equals_the_layer_applied_per_step():
    x = _x(2, 4, 5, 5, 2)
    layer = L.TimeDistributed(L.Conv2D(3, 2, activation="relu"))
    out = layer(x)
    conv = layer.layer
    expected = torch.stack([conv(torch.tensor(x[:, t])) for t in range(4)], dim=1)
    torch.testing.assert_close(out, expected)
    assert [w.name for w in layer.weights] == [f"{layer.name}/kernel:0", f"{layer.name}/bias:0"]


def test_time_distributed_nested_model_and_symbolic_shapes():
    inner = keras.Sequential([L.Dense(4, activation="relu"), L.Dense(2)])
    inputs = keras.Input((None, 3))
    outputs = L.TimeDistributed(inner)(inputs)
    assert tuple(outputs.shape) == (None, None, 2)
    model = keras.Model(inputs, outputs)
    x = _x(2, 5, 3)
    expected = np.maximum(x @ inner.get_weights()[0] + inner.get_weights()[1], 0) @ inner.get_weights()[2] \
        + inner.get_weights()[3]
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_time_distributed_dropout_uses_the_training_flag():
    layer = L.TimeDistributed(L.Dropout(0.5))
    x = np.ones((4, 5, 6), "float32")
    torch.testing.assert_close(layer(x), torch.ones(4, 5, 6))
    dropped = layer(x, training=True)
    assert set(np.unique(dropped.numpy()).tolist()) == {0.0, 2.0}


def test_time_distributed_masks():
    ids = keras.Input((4,), dtype="int32")
    dense = L.TimeDistributed(L.Dense(2))(L.Embedding(10, 3, mask_zero=True)(ids))
    model = keras.Model(ids, dense)
    data = np.array([[1, 2, 0, 0], [3, 0, 5, 6]])
    np.testing.assert_array_equal(model(data)._keras_mask.numpy(), data != 0)

    masking = L.TimeDistributed(L.Masking(0.0))
    x = np.ones((2, 3, 4, 2), "float32")
    x[0, 1] = 0.0
    x[1, 2, 0] = 0.0
    assert masking.compute_mask(torch.tensor(x)).tolist() == [[[True] * 4, [False] * 4, [True] * 4],
                                                              [[True] * 4, [True] * 4, [False] + [True] * 3]]
    no_masking = L.TimeDistributed(L.Reshape((6,)))
    mask = torch.tensor([[[True, False], [False, False]]])
    assert no_masking.compute_mask(torch.zeros(1, 2, 2, 3), mask).tolist() == [[True, False]]
    assert no_masking.compute_mask(torch.zeros(1, 2, 2, 3)) is None
    passing = L.TimeDistributed(L.Dense(2))
    torch.testing.assert_close(passing.compute_mask(torch.zeros(1, 2, 2, 3), mask), mask)


def test_time_distributed_errors():
    with pytest.raises(ValueError, match="Please initialize `TimeDistributed` layer"):
        L.TimeDistributed("dense")
    layer = L.TimeDistributed(L.Dense(2), name="per_step")
    with pytest.raises(ValueError, match=r"at least 3 dimensions, received: \(None, 3\) \(layer per_step\)"):
        layer(keras.Input((3,)))


def test_time_distributed_config_round_trip():
    layer = L.TimeDistributed(L.Dense(2, activation="relu"), name="td")
    layer(_x(2, 3, 4))
    config = layer.get_config()
    assert config["layer"]["build_config"] == {"input_shape": (2, 4)}
    again = L.TimeDistributed.from_config(config)
    assert again.name == "td" and again.layer.get_config() == layer.layer.get_config()


def _tagger():
    return keras.Sequential([
        L.Embedding(8, 4, input_length=5),
        L.Bidirectional(L.LSTM(3, return_sequences=True)),
        L.TimeDistributed(L.Dense(3, activation="softmax")),
    ])


def test_tagger_trains_saves_and_rebuilds(tmp_path):
    rng = np.random.RandomState(0)
    ids = rng.randint(0, 8, size=(16, 5))
    tags = ids % 3
    model = _tagger()
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    history = model.fit(ids, tags, epochs=20, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]

    model.save_weights(str(tmp_path / "w.h5"))
    clone = keras.Sequential.from_config(model.get_config())
    clone(ids[:1])
    clone.load_weights(str(tmp_path / "w.h5"))
    np.testing.assert_allclose(clone.predict(ids, verbose=0), model.predict(ids, verbose=0), rtol=1e-5, atol=1e-6)
