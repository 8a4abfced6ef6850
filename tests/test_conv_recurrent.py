"""ConvLSTM layers without the tf.keras oracle: agreement with LSTM and across ranks and data formats, masks,
dropout, stateful runs, weight layouts and configs."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras


def _x(*shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype("float32")


def test_1x1_kernel_is_an_lstm_per_pixel():
    conv = keras.layers.ConvLSTM2D(3, 1, recurrent_activation="sigmoid", return_sequences=True, return_state=True)
    lstm = keras.layers.LSTM(3, return_sequences=True, return_state=True)
    x = _x(2, 4, 3, 2, 5)
    conv(x)
    lstm(x[:, :, 0, 0])
    kernel, recurrent, bias = conv.get_weights()
    lstm.set_weights([kernel[0, 0], recurrent[0, 0], bias])
    per_pixel = x.transpose(0, 2, 3, 1, 4).reshape(12, 4, 5)
    sequence, h, c = lstm(per_pixel)
    conv_sequence, conv_h, conv_c = conv(x)
    torch.testing.assert_close(conv_sequence, sequence.reshape(2, 3, 2, 4, 3).permute(0, 3, 1, 2, 4))
    torch.testing.assert_close(conv_h, h.reshape(2, 3, 2, 3))
    torch.testing.assert_close(conv_c, c.reshape(2, 3, 2, 3))


def test_1d_is_2d_over_a_unit_axis():
    one = keras.layers.ConvLSTM1D(3, 3, padding="same", strides=2, return_sequences=True)
    two = keras.layers.ConvLSTM2D(3, (1, 3), padding="same", strides=(1, 2), return_sequences=True)
    x = _x(2, 4, 7, 2)
    one(x)
    two(x[:, :, None])
    two.set_weights([w[None] if w.ndim > 1 else w for w in one.get_weights()])
    torch.testing.assert_close(two(x[:, :, None])[:, :, 0], one(x))


def test_channels_first_matches_channels_last():
    kwargs = dict(padding="same", return_sequences=True, return_state=True, go_backwards=True)
    last = keras.layers.ConvLSTM3D(2, (2, 1, 3), **kwargs)
    first = keras.layers.ConvLSTM3D(2, (2, 1, 3), data_format="channels_first", **kwargs)
    x = _x(2, 3, 3, 2, 4, 2)
    last(x)
    x_first = x.transpose(0, 1, 5, 2, 3, 4)
    first(x_first)
    first.set_weights(last.get_weights())
    sequence, h, c = last(x)
    sequence_f, h_f, c_f = first(x_first)
    torch.testing.assert_close(sequence_f, sequence.permute(0, 1, 5, 2, 3, 4))
    torch.testing.assert_close(h_f, h.permute(0, 4, 1, 2, 3))
    torch.testing.assert_close(c_f, c.permute(0, 4, 1, 2, 3))


def test_masked_steps_keep_previous_output_and_state():
    layer = keras.layers.ConvLSTM2D(2, 2, return_sequences=True, return_state=True)
    x = _x(2, 4, 4, 4, 1)
    mask = torch.tensor([[True, False, True, False], [True, True, True, True]])
    sequence, h, c = layer(x, mask=mask)
    torch.testing.assert_close(sequence[0, 1], sequence[0, 0])
    torch.testing.assert_close(sequence[0, 3], sequence[0, 2])
    torch.testing.assert_close(h[0], sequence[0, 2])
    unmasked = layer(x[:, [0, 2]])
    torch.testing.assert_close(unmasked[1][0], h[0])
    torch.testing.assert_close(unmasked[2][0], c[0])


def test_dropout_only_in_training_with_one_mask_per_sequence():
    layer = keras.layers.ConvLSTM2D(2, 2, dropout=0.5, recurrent_initializer="zeros", return_sequences=True)
    x = np.repeat(_x(3, 1, 4, 4, 2), 5, axis=1)
    layer(x)
    kernel, recurrent, bias = layer.get_weights()
    bias[2:4] = -100.0
    layer.set_weights([kernel, recurrent, bias])
    inference = layer(x)
    torch.testing.assert_close(inference[:, 1:], inference[:, :1].expand(-1, 4, -1, -1, -1))
    torch.testing.assert_close(layer(x, training=False), inference)
    trained = layer(x, training=True)
    assert not torch.allclose(trained, inference)
    torch.testing.assert_close(trained[:, 1:], trained[:, :1].expand(-1, 4, -1, -1, -1))
    recurrent_dropout = keras.layers.ConvLSTM1D(2, 2, recurrent_dropout=0.5)
    y = _x(2, 4, 5, 3)
    assert not torch.allclose(recurrent_dropout(y, training=True), recurrent_dropout(y))


def test_stateful_layer_carries_states_until_reset():
    layer = keras.layers.ConvLSTM1D(2, 2, stateful=True)
    x = _x(2, 3, 5, 2)
    first = layer(x)
    second = layer(x)
    assert not torch.allclose(second, first)
    layer.reset_states()
    torch.testing.assert_close(layer(x), first)
    fresh = keras.layers.ConvLSTM1D(2, 2)
    fresh(x)
    fresh.set_weights(layer.get_weights())
    h, c = layer.states
    torch.testing.assert_close(fresh(x, initial_state=[h, c]), layer(x))


def test_weights_round_trip_in_keras_layout():
    layer = keras.layers.ConvLSTM2D(4, (2, 3))
    layer.build((None, 3, 6, 6, 5))
    shapes = [(2, 3, 5, 16), (2, 3, 4, 16), (16,)]
    assert [w.keras_shape for w in layer.weights] == shapes
    values = [_x(*shape, seed=i) for i, shape in enumerate(shapes)]
    layer.set_weights(values)
    for got, want in zip(layer.get_weights(), values):
        np.testing.assert_array_equal(got, want)
    forget = keras.layers.ConvLSTM2D(2, 2)
    forget.build((None, 2, 3, 3, 1))
    np.testing.assert_array_equal(forget.get_weights()[2], [0, 0, 1, 1, 0, 0, 0, 0])


@pytest.mark.parametrize("make", [lambda: keras.layers.ConvLSTM2D(3, 2, padding="same", return_sequences=True),
                                  lambda: keras.layers.ConvLSTM1D(2, 3, strides=2, dropout=0.1, go_backwards=True),
                                  lambda: keras.layers.ConvLSTM3D(2, 1, data_format="channels_first",
                                                                  activation="relu")])
def test_config_rebuilds(make):
    layer = make()
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_config() == config


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="kernel_size"):
        keras.layers.ConvLSTM2D(2, (1, 2, 3))
    with pytest.raises(ValueError, match="padding"):
        keras.layers.ConvLSTM2D(2, 2, padding="causal")
    with pytest.raises(ValueError, match="channel dimension"):
        keras.layers.ConvLSTM2D(2, 2)(keras.Input((3, 4, 4, None)))
