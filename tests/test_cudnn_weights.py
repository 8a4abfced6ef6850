"""CuDNNLSTM / CuDNNGRU weights files (built here with h5py in the CuDNN layout) load into LSTM / GRU and
compute what cuDNN's equations give; CuDNN layer configs deserialize as LSTM / GRU."""
import logging

import h5py
import numpy as np
import pytest

import torchkeras_api as keras
from torchkeras_api import layers as L

IN, UNITS, STEPS = 3, 4, 5


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _cudnn_params(gates, seed):
    """cuDNN's per-gate matrices W (units, in), R (units, units) and biases bW, bR, in Keras's gate order."""
    rng = np.random.RandomState(seed)
    return {name: [rng.randn(*shape).astype("float32") * 0.5 for _ in range(gates)]
            for name, shape in (("W", (UNITS, IN)), ("R", (UNITS, UNITS)), ("bW", (UNITS,)), ("bR", (UNITS,)))}


def _cudnn_layout(params):
    """(kernel, recurrent_kernel, bias) as CuDNNLSTM / CuDNNGRU store them: each gate's block holds the
    row-major buffer of cuDNN's matrix; input biases, then recurrent biases."""
    kernel = np.concatenate([w.reshape(IN, UNITS) for w in params["W"]], axis=1)
    recurrent = np.concatenate([r.reshape(UNITS, UNITS) for r in params["R"]], axis=1)
    return [kernel, recurrent, np.concatenate(params["bW"] + params["bR"])]


def _lstm_reference(params, x):
    W, R, bW, bR = params["W"], params["R"], params["bW"], params["bR"]
    h = np.zeros((x.shape[0], UNITS), "float32")
    c = np.zeros_like(h)
    out = []
    for t in range(x.shape[1]):
        gate = [x[:, t] @ W[g].T + h @ R[g].T + bW[g] + bR[g] for g in range(4)]
        c = _sigmoid(gate[1]) * c + _sigmoid(gate[0]) * np.tanh(gate[2])
        h = _sigmoid(gate[3]) * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


def _gru_reference(params, x):
    W, R, bW, bR = params["W"], params["R"], params["bW"], params["bR"]  # gates z, r, h
    h = np.zeros((x.shape[0], UNITS), "float32")
    out = []
    for t in range(x.shape[1]):
        z = _sigmoid(x[:, t] @ W[0].T + h @ R[0].T + bW[0] + bR[0])
        r = _sigmoid(x[:, t] @ W[1].T + h @ R[1].T + bW[1] + bR[1])
        candidate = np.tanh(x[:, t] @ W[2].T + bW[2] + r * (h @ R[2].T + bR[2]))
        h = (1 - z) * candidate + z * h
        out.append(h)
    return np.stack(out, axis=1)


def _write_weights_file(path, layers):
    """A tf.keras weights file: `layers` is [(layer name, [(weight name, value), ...]), ...]."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [name.encode() for name, _ in layers]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for name, weights in layers:
            group = f.create_group(name)
            group.attrs["weight_names"] = [w.encode() for w, _ in weights]
            for weight_name, value in weights:
                group.create_dataset(weight_name, data=value)


def _named(prefix, values):
    return [(f"{prefix}/{w}:0", v) for w, v in zip(("kernel", "recurrent_kernel", "bias"), values)]


def _x(*shape):
    return np.random.RandomState(7).randn(*shape).astype("float32")


def test_cudnn_lstm_weights_compute_cudnn_lstm(tmp_path):
    params = _cudnn_params(4, seed=0)
    path = str(tmp_path / "lstm.h5")
    _write_weights_file(path, [("cu_dnnlstm_1", _named("cu_dnnlstm_1", _cudnn_layout(params)))])
    model = keras.Sequential([keras.Input((STEPS, IN)), L.LSTM(UNITS, return_sequences=True)])
    model.load_weights(path)
    assert model.layers[0].get_weights()[2].shape == (4 * UNITS,)
    x = _x(2, STEPS, IN)
    np.testing.assert_allclose(model.predict(x, verbose=0), _lstm_reference(params, x), rtol=1e-4, atol=1e-5)


def test_cudnn_gru_weights_compute_cudnn_gru(tmp_path):
    params = _cudnn_params(3, seed=1)
    path = str(tmp_path / "gru.h5")
    _write_weights_file(path, [("cu_dnngru_1", _named("cu_dnngru_1", _cudnn_layout(params)))])
    model = keras.Sequential([keras.Input((STEPS, IN)), L.GRU(UNITS, return_sequences=True)])
    model.load_weights(path)
    assert model.layers[0].get_weights()[2].shape == (2, 3 * UNITS)
    x = _x(2, STEPS, IN)
    np.testing.assert_allclose(model.predict(x, verbose=0), _gru_reference(params, x), rtol=1e-4, atol=1e-5)


def test_cudnn_weights_inside_bidirectional_time_distributed_and_nested_models(tmp_path):
    forward, backward, td, inner = (_cudnn_params(4, 2), _cudnn_params(4, 3), _cudnn_params(3, 4),
                                    _cudnn_params(3, 5))
    path = str(tmp_path / "wrapped.h5")
    _write_weights_file(path, [
        ("bi", _named("bi/forward_cu_dnnlstm", _cudnn_layout(forward))
         + _named("bi/backward_cu_dnnlstm", _cudnn_layout(backward))),
        ("td", _named("td/cu_dnngru", _cudnn_layout(td))),
        ("inner", _named("inner/cu_dnngru_2", _cudnn_layout(inner))),
    ])
    sequences, grids = keras.Input((STEPS, IN)), keras.Input((2, STEPS, IN))
    bi = L.Bidirectional(L.LSTM(UNITS), merge_mode=None, name="bi")
    td_gru = L.TimeDistributed(L.GRU(UNITS, return_sequences=True), name="td")
    nested = keras.Sequential([keras.Input((STEPS, IN)), L.GRU(UNITS, return_sequences=True)], name="inner")
    model = keras.Model([sequences, grids], bi(sequences) + [td_gru(grids), L.TimeDistributed(nested)(grids)])
    model.load_weights(path)
    seq_data, grid_data = _x(2, STEPS, IN), _x(2, 2, STEPS, IN)
    flat = grid_data.reshape(4, STEPS, IN)
    fw, bw, td_out, inner_out = model.predict([seq_data, grid_data], verbose=0)
    expected = [_lstm_reference(forward, seq_data)[:, -1], _lstm_reference(backward, seq_data[:, ::-1])[:, -1],
                _gru_reference(td, flat), _gru_reference(inner, flat)]
    for ours, reference in zip((fw, bw, td_out, inner_out), expected):
        np.testing.assert_allclose(ours.reshape(reference.shape), reference, rtol=1e-4, atol=1e-5)


def test_cudnn_weights_load_by_name(tmp_path):
    params = _cudnn_params(4, seed=6)
    path = str(tmp_path / "by_name.h5")
    _write_weights_file(path, [("rnn", _named("rnn", _cudnn_layout(params)))])
    model = keras.Sequential([keras.Input((STEPS, IN)), L.Dense(IN, name="other"),
                              L.LSTM(UNITS, return_sequences=True, name="rnn")])
    model.load_weights(path, by_name=True)
    expected = keras.Sequential([keras.Input((STEPS, IN)), L.LSTM(UNITS, return_sequences=True)])
    expected.load_weights(path)
    for ours, reference in zip(model.get_layer("rnn").get_weights(), expected.layers[0].get_weights()):
        np.testing.assert_array_equal(ours, reference)


def test_cudnn_gru_weights_into_reset_after_false_raise_and_change_nothing(tmp_path, caplog):
    path = str(tmp_path / "gru.h5")
    _write_weights_file(path, [("dense", [("dense/kernel:0", np.ones((IN, IN), "float32")),
                                          ("dense/bias:0", np.ones((IN,), "float32"))]),
                               ("gru", _named("gru", _cudnn_layout(_cudnn_params(3, seed=8))))])
    model = keras.Sequential([keras.Input((STEPS, IN)), L.Dense(IN, name="dense"),
                              L.GRU(UNITS, reset_after=False, name="gru")])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"CuDNNGRU.*reset_after=True.*'gru'.*gru\.h5"):
        model.load_weights(path)
    for ours, previous in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, previous)
    with caplog.at_level(logging.WARNING):
        model.load_weights(path, by_name=True, skip_mismatch=True)
    assert "Skipping loading of weights for layer #1 (named gru)" in caplog.text
    np.testing.assert_array_equal(model.get_layer("dense").get_weights()[0], np.ones((IN, IN)))
    for ours, previous in zip(model.get_layer("gru").get_weights(), before[2:]):
        np.testing.assert_array_equal(ours, previous)


def _cudnn_config(class_name, **extra):
    config = {"name": "rnn", "trainable": True, "dtype": "float32", "return_sequences": True,
              "return_state": False, "go_backwards": False, "stateful": False, "time_major": False,
              "units": UNITS, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
              "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": None}},
              "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
              "recurrent_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
              "kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None, **extra}
    return {"class_name": class_name, "config": config}


def test_cudnn_configs_deserialize_as_lstm_and_gru():
    lstm = L.deserialize(_cudnn_config("CuDNNLSTM", unit_forget_bias=False))
    assert type(lstm) is L.LSTM
    config = lstm.get_config()
    assert (config["activation"], config["recurrent_activation"], config["use_bias"]) == ("tanh", "sigmoid", True)
    assert (config["unit_forget_bias"], config["return_sequences"], config["units"]) == (False, True, UNITS)
    gru = L.deserialize(_cudnn_config("CuDNNGRU"))
    assert type(gru) is L.GRU
    config = gru.get_config()
    assert (config["reset_after"], config["recurrent_activation"], config["activation"]) == (True, "sigmoid", "tanh")
    wrapped = L.deserialize({"class_name": "Bidirectional",
                             "config": {"name": "bi", "layer": _cudnn_config("CuDNNGRU")}})
    assert type(wrapped.forward_layer) is L.GRU


def test_a_custom_cudnn_class_wins_over_the_mapping():
    class CuDNNLSTM(L.LSTM):
        pass

    layer = L.deserialize(_cudnn_config("CuDNNLSTM"), custom_objects={"CuDNNLSTM": CuDNNLSTM})
    assert type(layer) is CuDNNLSTM
    assert not hasattr(L, "CuDNNLSTM") and not hasattr(L, "CuDNNGRU")
