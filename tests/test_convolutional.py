"""Unit tests of the convolution layers: weight layouts, memory formats, errors, shapes, configs, training."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers
from torchkeras_api.layers import conv_utils


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


# ---- helpers -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("size, kernel, stride, dilation, expected", [
    (7, 3, 1, 1, (1, 1)), (7, 4, 1, 1, (1, 2)), (8, 3, 2, 1, (0, 1)), (7, 3, 2, 1, (1, 1)),
    (5, 1, 3, 1, (0, 0)), (9, 3, 1, 2, (2, 2)),
])
def test_same_padding_puts_the_odd_cell_at_the_end(size, kernel, stride, dilation, expected):
    assert conv_utils.same_padding(size, kernel, stride, dilation) == expected


def test_normalize_tuple():
    assert conv_utils.normalize_tuple(3, 2, "kernel_size") == (3, 3)
    assert conv_utils.normalize_tuple([2, 1], 2, "strides") == (2, 1)
    assert conv_utils.normalize_tuple((0, 1), 2, "output_padding", allow_zero=True) == (0, 1)
    with pytest.raises(ValueError, match="`strides` argument must be a tuple of 2"):
        conv_utils.normalize_tuple((1, 2, 3), 2, "strides")


# ---- weights and memory format -----------------------------------------------------------------------
@pytest.mark.parametrize("make, input_shape, torch_shape, keras_shape", [
    (lambda: layers.Conv2D(4, (3, 2), groups=2), (1, 6, 6, 6), (4, 3, 3, 2), (3, 2, 3, 4)),
    (lambda: layers.Conv1D(5, 3), (1, 8, 2), (5, 2, 3), (3, 2, 5)),
    (lambda: layers.Conv3D(2, (1, 2, 3)), (1, 4, 4, 4, 3), (2, 3, 1, 2, 3), (1, 2, 3, 3, 2)),
    (lambda: layers.Conv2DTranspose(4, 3), (1, 5, 5, 6), (6, 4, 3, 3), (3, 3, 4, 6)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (1, 5, 5, 3), (3, 2, 3, 3), (3, 3, 3, 2)),
])
def test_kernels_are_stored_in_torch_layout(make, input_shape, torch_shape, keras_shape):
    layer = make()
    layer(np.zeros(input_shape, "float32"))
    kernel = layer.weights[0]
    assert tuple(kernel.shape) == torch_shape
    assert kernel.keras_shape == keras_shape == layer.get_weights()[0].shape
    value = np.random.RandomState(0).randn(*keras_shape).astype("float32")
    kernel.assign(value)
    np.testing.assert_array_equal(kernel.numpy(), value)
    layer.set_weights([value * 2] + layer.get_weights()[1:])
    np.testing.assert_array_equal(layer.get_weights()[0], value * 2)


def test_conv2d_matches_a_hand_computed_convolution():
    layer = layers.Conv2D(1, 2, use_bias=False)
    layer.build((None, 3, 3, 1))
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]], "float32").reshape(2, 2, 1, 1)
    layer.set_weights([kernel])
    x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
    expected = [[0 + 2 + 9 + 16, 1 + 4 + 12 + 20], [3 + 8 + 18 + 28, 4 + 10 + 21 + 32]]
    np.testing.assert_allclose(layer(x)[0, :, :, 0].detach().numpy(), expected)


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Conv1D(8, 3, padding="same"), (2, 9, 4)),
    (lambda: layers.Conv2D(8, 3, strides=2, padding="same"), (2, 9, 8, 4)),
    (lambda: layers.Conv3D(8, 3, padding="same"), (2, 5, 5, 5, 4)),
    (lambda: layers.Conv2DTranspose(8, 3, strides=2), (2, 5, 5, 4)),
    (lambda: layers.SeparableConv2D(8, 3), (2, 6, 6, 4)),
])
def test_channels_last_outputs_and_gradients_come_back_contiguous(make, shape):
    """The permuted channels-first views run in channels_last memory format: no copy back to channels-last."""
    layer = make()
    x = torch.randn(*shape, requires_grad=True)
    y = layer(x)
    assert y.is_contiguous()
    y.sum().backward()
    assert x.grad.shape == x.shape


def test_channels_first_equals_transposed_channels_last():
    x = np.random.RandomState(0).randn(2, 3, 7, 6).astype("float32")
    first = layers.Conv2D(4, 4, strides=2, padding="same", data_format="channels_first")
    last = layers.Conv2D(4, 4, strides=2, padding="same")
    first(x)
    last(x.transpose(0, 2, 3, 1))
    last.set_weights(first.get_weights())
    np.testing.assert_allclose(first(x).detach().numpy(),
                               last(x.transpose(0, 2, 3, 1)).detach().numpy().transpose(0, 3, 1, 2), rtol=1e-5,
                               atol=1e-6)


def test_float64_layer_and_int_inputs():
    layer = layers.Conv1D(2, 2, dtype="float64")
    y = layer(np.ones((1, 4, 3), "int32"))
    assert y.dtype == torch.float64 and tuple(y.shape) == (1, 3, 2)


# ---- shapes ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, shape, expected", [
    (lambda: layers.Conv2D(4, 3), (None, None, 3), (None, None, None, 4)),
    (lambda: layers.Conv2D(4, 3, strides=2, padding="same"), (9, None, 3), (None, 5, None, 4)),
    (lambda: layers.Conv1D(4, 3, padding="causal", dilation_rate=3), (10, 2), (None, 10, 4)),
    (lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=1), (4, 5, 3), (None, 10, 12, 2)),
    (lambda: layers.Conv3DTranspose(2, 2, strides=2, padding="same"), (2, 3, 4, 1), (None, 4, 6, 8, 2)),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=3), (5, 5, 2), (None, 3, 3, 6)),
    (lambda: layers.SeparableConv1D(7, 2, strides=2), (9, 2), (None, 4, 7)),
])
def test_symbolic_output_shapes(make, shape, expected):
    assert tuple(make()(keras.Input(shape)).shape) == expected


def test_compute_output_shape():
    assert tuple(layers.Conv2D(6, 5).compute_output_shape((None, 28, 28, 1))) == (None, 24, 24, 6)


# ---- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: layers.Conv2D(3, 3, groups=2), "filters must be evenly divisible by the number of groups"),
    (lambda: layers.Conv2D(0, 3), "Received filters=0"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), "`kernel_size` argument must be a tuple of 2"),
    (lambda: layers.Conv2D(4, 0), "`kernel_size`"),
    (lambda: layers.Conv2D(4, 3, strides=0), "`strides`"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), "Causal padding is only supported"),
    (lambda: layers.Conv2D(4, 3, padding="full"), "Received: full"),
    (lambda: layers.Conv2D(4, 3, data_format="nhwc"), "data_format"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), "Strides must be greater than output"),
    (lambda: layers.Conv2DTranspose(3, 3, groups=2), "filters must be evenly divisible"),
    (lambda: layers.Conv1DTranspose(4, 3, padding="causal"), "must be 'valid' or 'same'"),
])
def test_argument_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_build_errors():
    with pytest.raises(ValueError, match="number of input channels must be evenly divisible"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="channel dimension of the inputs should be defined"):
        layers.Conv2D(4, 3)(keras.Input((5, 5, None)))
    with pytest.raises(ValueError, match="expected min_ndim=4, found ndim=3"):
        layers.Conv2D(4, 3)(np.zeros((1, 5, 5), "float32"))
    layer = layers.Conv2D(4, 3)
    layer(np.zeros((1, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        layer(np.zeros((1, 5, 5, 2), "float32"))


# ---- config, serialization, models -------------------------------------------------------------------
@pytest.mark.parametrize("cls", ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                                 "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
                                 "SeparableConv2D"])
def test_serialize_round_trip(cls):
    args = (3,) if cls.startswith("Depthwise") else (4, 3)
    layer = getattr(layers, cls)(*args, strides=1, padding="same", activation="relu", name="c")
    restored = layers.deserialize(layers.serialize(layer))
    assert type(restored) is type(layer)
    assert restored.get_config() == layer.get_config()


def test_aliases():
    assert layers.Convolution2D is layers.Conv2D
    assert layers.SeparableConvolution2D is layers.SeparableConv2D


def test_conv1d_default_data_format_ignores_image_data_format():
    keras.backend.set_image_data_format("channels_first")
    try:
        assert layers.Conv1D(2, 2).data_format == "channels_last"
        assert layers.Conv2D(2, 2).data_format == "channels_first"
    finally:
        keras.backend.set_image_data_format("channels_last")


def test_seed_cnn_builds_summarizes_and_trains(capsys):
    class CNN(keras.Model):
        def __init__(self):
            super().__init__()
            self.body = keras.Sequential([layers.Conv2D(filters=8, kernel_size=5, padding="same", activation="relu"),
                                          layers.Conv2D(4, 3, strides=2), layers.Flatten(),
                                          layers.Dense(10, activation="softmax")])

        def call(self, x):
            return self.body(x)

    model = CNN()
    model.build((None, 28, 28, 1))
    model.summary()
    assert "sequential" in capsys.readouterr().out
    assert model.count_params() == (5 * 5 * 8 + 8) + (3 * 3 * 8 * 4 + 4) + (13 * 13 * 4 * 10 + 10)
    rng = np.random.RandomState(0)
    x, y = rng.rand(32, 28, 28, 1).astype("float32"), rng.randint(0, 10, 32)
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
