"""CuDNNLSTM / CuDNNGRU files (tf.compat.v1.keras.layers) against the real tf.keras: their weights load into
LSTM / GRU as tf.keras's converter loads them, whole-model files load with LSTM / GRU in their place, and our
LSTM / GRU weights load into tf.keras's CuDNN layers and back.

The CuDNN layers build and save without a GPU (only calling them needs one), so tf.keras writes every
fixture here; predictions are compared on the equivalent LSTM / GRU models.
"""
import numpy as np
import pytest

import torchkeras_api as keras
from compat_tests.conftest import assert_close

X2 = np.random.RandomState(1).randn(3, 2, 5, 3).astype("float32")
X = X2[:, 0]


def _cudnn(tf):
    v1 = tf.compat.v1.keras.layers
    return v1.CuDNNLSTM, v1.CuDNNGRU


def _plain(k):
    return k.layers.LSTM, k.layers.GRU


def _sequential(k, lstm, gru):
    return k.Sequential([k.Input((5, 3)), lstm(4, return_sequences=True, name="lstm"), gru(3, name="gru"),
                         k.layers.Dense(2, name="head")])


def _bidirectional(k, lstm, gru):
    L = k.layers
    return k.Sequential([k.Input((5, 3)), L.Bidirectional(lstm(4, return_sequences=True), name="bi_lstm"),
                         L.Bidirectional(gru(2), merge_mode="sum", name="bi_gru")])


def _nested_time_distributed(k, lstm, gru):
    L = k.layers
    x = k.Input((2, 5, 3))
    steps = L.TimeDistributed(gru(3), name="td")(x)
    inner = k.Sequential([k.Input((2, 3)), lstm(2, unit_forget_bias=False, name="inner_lstm")], name="inner")
    return k.Model(x, L.Dense(1, name="head")(inner(steps)))


MODELS = {"sequential": (_sequential, X), "bidirectional": (_bidirectional, X),
          "nested_time_distributed": (_nested_time_distributed, X2)}


def _randomized(model, seed=0):
    rng = np.random.RandomState(seed)
    model.set_weights([rng.randn(*np.shape(w)).astype("float32") for w in model.get_weights()])
    return model


def _cudnn_file(tf, tfk, build, tmp_path, whole_model=False):
    model = _randomized(build(tfk, *_cudnn(tf)))
    path = str(tmp_path / ("cudnn_model.h5" if whole_model else "cudnn.h5"))
    if whole_model:
        model.save(path)
    else:
        model.save_weights(path)
    return path


def _assert_same(ours, theirs, x):
    ours_weights, theirs_weights = ours.get_weights(), theirs.get_weights()
    assert len(ours_weights) == len(theirs_weights)
    for a, b in zip(ours_weights, theirs_weights):
        assert_close(a, b)
    assert_close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cudnn_weights_load_into_lstm_gru_as_tf_keras_loads_them(tf, tfk, tmp_path, name):
    build, x = MODELS[name]
    path = _cudnn_file(tf, tfk, build, tmp_path)
    theirs = build(tfk, *_plain(tfk))
    theirs.load_weights(path)
    ours = build(keras, *_plain(keras))
    ours.load_weights(path)
    _assert_same(ours, theirs, x)


def test_cudnn_weights_load_by_name(tf, tfk, tmp_path):
    path = _cudnn_file(tf, tfk, _sequential, tmp_path)
    theirs = _sequential(tfk, *_plain(tfk))
    theirs.load_weights(path, by_name=True)
    ours = _sequential(keras, *_plain(keras))
    ours.load_weights(path, by_name=True)
    _assert_same(ours, theirs, X)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_cudnn_whole_model_file_loads_with_lstm_gru(tf, tfk, tmp_path, name):
    build, x = MODELS[name]
    path = _cudnn_file(tf, tfk, build, tmp_path, whole_model=True)
    theirs = build(tfk, *_plain(tfk))
    theirs.load_weights(path)
    ours = keras.models.load_model(path)
    _assert_same(ours, theirs, x)


def _rnn_layers(model):
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _rnn_layers(layer)
        elif isinstance(layer, keras.layers.Bidirectional):
            found += [layer.forward_layer, layer.backward_layer]
        elif isinstance(layer, keras.layers.TimeDistributed):
            found.append(layer.layer)
        elif isinstance(layer, keras.layers.RNN):
            found.append(layer)
    return found


def test_cudnn_whole_model_configs_become_tf_keras_equivalents(tf, tfk, tmp_path):
    path = _cudnn_file(tf, tfk, _nested_time_distributed, tmp_path, whole_model=True)
    ours = _rnn_layers(keras.models.load_model(path))
    theirs = _nested_time_distributed(tfk, *_plain(tfk))
    expected = [theirs.get_layer("td").layer, theirs.get_layer("inner").get_layer("inner_lstm")]
    assert [type(layer).__name__ for layer in ours] == ["GRU", "LSTM"]
    for mine, reference in zip(ours, expected):
        config, reference_config = mine.get_config(), reference.get_config()
        for key in ("units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias", "reset_after",
                    "return_sequences", "go_backwards", "stateful"):
            assert config.get(key) == reference_config.get(key), key


def test_lstm_gru_weights_load_into_tf_keras_cudnn_layers_and_back(tf, tfk, tmp_path):
    ours = _randomized(_bidirectional(keras, *_plain(keras)), seed=3)
    ours.save_weights(str(tmp_path / "plain.h5"))
    theirs_cudnn = _bidirectional(tfk, *_cudnn(tf))
    theirs_cudnn.load_weights(str(tmp_path / "plain.h5"))  # tf.keras converts LSTM/GRU -> CuDNN layout
    assert theirs_cudnn.get_layer("bi_lstm").get_weights()[2].shape == (32,)
    theirs_cudnn.save_weights(str(tmp_path / "cudnn.h5"))
    back = _bidirectional(keras, *_plain(keras))
    back.load_weights(str(tmp_path / "cudnn.h5"))
    for a, b in zip(back.get_weights(), ours.get_weights()):
        assert_close(a, b)
    assert_close(back.predict(X, verbose=0), ours.predict(X, verbose=0))


def test_cudnn_gru_into_reset_after_false_fails_in_both(tf, tfk, tmp_path):
    def build(k, gru):
        return k.Sequential([k.Input((5, 3)), gru(3, name="gru")])

    model = _randomized(build(tfk, _cudnn(tf)[1]))
    path = str(tmp_path / "gru.h5")
    model.save_weights(path)
    with pytest.raises(ValueError):
        build(tfk, lambda units, **kw: tfk.layers.GRU(units, reset_after=False, **kw)).load_weights(path)
    ours = build(keras, lambda units, **kw: keras.layers.GRU(units, reset_after=False, **kw))
    before = ours.get_weights()
    with pytest.raises(ValueError, match=r"(?s)reset_after.*gru\.h5"):
        ours.load_weights(path)
    for a, b in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(a, b)
