"""Recurrent layers without the tf.keras oracle: fused kernel and cell loop agree, weight layouts round-trip,
configs rebuild, masks and stateful runs behave."""
import pickle

import numpy as np
import pytest
import torch

import torchkeras_api as keras


def _pair(cls, **kwargs):
    """A layer on the fused path and the same layer forced onto the cell loop (unroll=True), same weights."""
    fused, loop = cls(4, return_sequences=True, return_state=True, **kwargs), \
        cls(4, return_sequences=True, return_state=True, unroll=True, **kwargs)
    x = np.random.RandomState(0).randn(3, 6, 5).astype("float32")
    fused(x)
    loop(x)
    loop.set_weights(fused.get_weights())
    return fused, loop, x


@pytest.mark.parametrize("cls, kwargs", [(keras.layers.LSTM, {}), (keras.layers.LSTM, {"go_backwards": True}),
                                         (keras.layers.GRU, {}), (keras.layers.GRU, {"go_backwards": True})])
def test_fused_kernel_and_cell_loop_agree(cls, kwargs):
    fused, loop, x = _pair(cls, **kwargs)
    xf, xl = torch.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    outs_f, outs_l = fused(xf), loop(xl)
    for a, b in zip(outs_f, outs_l):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    sum(o.sum() for o in outs_f).backward()
    sum(o.sum() for o in outs_l).backward()
    torch.testing.assert_close(xf.grad, xl.grad, rtol=1e-5, atol=1e-6)
    for a, b in zip(fused.weights, loop.weights):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("cls, shapes", [(keras.layers.LSTM, [(5, 16), (4, 16), (16,)]),
                                         (keras.layers.GRU, [(5, 12), (4, 12), (2, 12)])])
def test_weights_round_trip_in_keras_layout(cls, shapes):
    layer = cls(4)
    layer.build((None, 3, 5))
    values = [np.random.RandomState(i).randn(*shape).astype("float32") for i, shape in enumerate(shapes)]
    layer.set_weights(values)
    for got, want in zip(layer.get_weights(), values):
        np.testing.assert_array_equal(got, want)
    assert [w.keras_shape for w in layer.weights] == shapes


def test_unit_forget_bias_initializes_forget_gate_to_one():
    layer = keras.layers.LSTM(3)
    layer.build((None, 2, 4))
    np.testing.assert_array_equal(layer.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


@pytest.mark.parametrize("make", [lambda: keras.layers.LSTM(3, return_sequences=True, dropout=0.2),
                                  lambda: keras.layers.GRU(3, reset_after=False, go_backwards=True),
                                  lambda: keras.layers.SimpleRNN(3, activation="relu", return_state=True),
                                  lambda: keras.layers.RNN([keras.layers.LSTMCell(3), keras.layers.GRUCell(2)])])
def test_config_rebuilds(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_masked_steps_keep_previous_output_and_state():
    layer = keras.layers.GRU(3, return_sequences=True, return_state=True)
    x = np.random.RandomState(0).randn(2, 5, 4).astype("float32")
    mask = torch.tensor([[True, True, False, True, False], [True, True, True, True, True]])
    sequence, state = layer(x, mask=mask)
    torch.testing.assert_close(sequence[0, 2], sequence[0, 1])
    torch.testing.assert_close(sequence[0, 4], sequence[0, 3])
    torch.testing.assert_close(state[0], sequence[0, 3])


def test_stateful_layer_carries_states_until_reset():
    layer = keras.layers.LSTM(3, stateful=True)
    x = np.random.RandomState(0).randn(2, 4, 2).astype("float32")
    first = layer(x)
    assert not torch.allclose(layer(x), first)
    layer.reset_states()
    torch.testing.assert_close(layer(x), first)


def test_weights_pickle_with_their_layout():
    layer = keras.layers.GRU(3)
    layer.build((None, 2, 4))
    for weight in layer.weights:
        copy = pickle.loads(pickle.dumps(weight))
        assert copy.keras_shape == weight.keras_shape
        np.testing.assert_array_equal(copy.numpy(), weight.numpy())


@pytest.mark.parametrize("cls, kind", [(keras.layers.LSTM, "lstm"), (keras.layers.GRU, "gru")])
@pytest.mark.parametrize("kwargs", [{}, {"go_backwards": True}, {"time_major": True, "go_backwards": True}])
def test_right_padded_masks_run_fused_and_agree_with_the_cell_loop(monkeypatch, cls, kind, kwargs):
    from torchkeras_api.layers import rnn_fused
    calls = []
    original = getattr(rnn_fused, kind)
    monkeypatch.setattr(rnn_fused, kind, lambda *a, **k: calls.append(k.get("lengths")) or original(*a, **k))
    fused, loop, x = _pair(cls, **kwargs)
    calls.clear()
    mask = np.arange(6)[None, :] < np.array([[4], [0], [6]])
    if kwargs.get("time_major"):
        x, mask = x.transpose(1, 0, 2).copy(), mask.T.copy()
    states = [torch.randn(3, 4, requires_grad=True) for _ in range(2 if kind == "lstm" else 1)]
    results = []
    for layer in (fused, loop):
        xt = torch.tensor(x, requires_grad=True)
        outputs = layer(xt, mask=torch.tensor(mask), initial_state=states)
        sum((o * torch.linspace(-1, 1, o.numel()).reshape(o.shape)).sum() for o in outputs).backward()
        results.append((outputs, xt.grad, [s.grad.clone() for s in states]))
        for s in states:
            s.grad = None
    assert len(calls) == 1 and calls[0].tolist() == [4, 1, 6]
    (outs_f, grad_f, state_grads_f), (outs_l, grad_l, state_grads_l) = results
    for a, b in zip(outs_f, outs_l):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad_f, grad_l, rtol=1e-5, atol=1e-6)
    for a, b in zip(state_grads_f, state_grads_l):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(outs_f[1][1], states[0][1].detach())
    sequence = outs_f[0].transpose(0, 1) if kwargs.get("time_major") else outs_f[0]
    assert not sequence[1].any()


def test_holey_masks_take_the_cell_loop(monkeypatch):
    from torchkeras_api.layers import rnn_fused
    calls = []
    original = rnn_fused.lstm
    monkeypatch.setattr(rnn_fused, "lstm", lambda *a, **k: calls.append(1) or original(*a, **k))
    layer = keras.layers.LSTM(3)
    x = np.random.RandomState(0).randn(2, 4, 2).astype("float32")
    layer(x, mask=torch.tensor([[False, True, True, True], [True, True, True, True]]))
    layer(x, mask=torch.tensor([[True, False, True, False], [True, True, True, True]]))
    assert calls == []
    layer(x, mask=torch.tensor([[True, True, True, False], [True, True, True, True]]))
    assert calls == [1]
