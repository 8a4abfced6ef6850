"""Unit tests of the image preprocessing layers and Normalization: geometry checked against numpy, the
training switch, seeds, random-draw structure, adapt statistics, weights, models and fit."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers

RNG = np.random.default_rng(3)
IMAGES = RNG.random((4, 6, 8, 3)).astype("float32")


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def _np(tensor):
    return tensor.detach().cpu().numpy()


# ---- deterministic geometry -----------------------------------------------------------------------
def test_center_crop_is_the_central_window():
    out = _np(layers.CenterCrop(3, 4)(IMAGES))
    np.testing.assert_array_equal(out, IMAGES[:, 1:4, 2:6])


def test_resizing_by_half_averages_pixel_pairs():
    out = _np(layers.Resizing(3, 4)(IMAGES))
    pooled = IMAGES.reshape(4, 3, 2, 4, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(out, pooled, rtol=1e-6)
    out = _np(layers.Resizing(3, 4, interpolation="area")(IMAGES))
    np.testing.assert_allclose(out, pooled, rtol=1e-6)


def test_resizing_to_the_same_size_is_identity():
    for interpolation in ("bilinear", "nearest", "bicubic", "area"):
        out = _np(layers.Resizing(6, 8, interpolation=interpolation)(IMAGES))
        np.testing.assert_allclose(out, IMAGES, atol=1e-6)


def test_rescaling_and_integer_inputs():
    images = (IMAGES * 255).astype("uint8")
    out = layers.Rescaling(1 / 127.5, offset=-1)(images)
    assert out.dtype == torch.float32
    np.testing.assert_allclose(_np(out), images / 127.5 - 1, rtol=1e-6, atol=1e-6)
    out = layers.Rescaling([1.0, 2.0, 3.0])(IMAGES)
    np.testing.assert_allclose(_np(out), IMAGES * [1, 2, 3], rtol=1e-6)


def test_half_turn_rotation_flips_both_axes():
    out = _np(layers.RandomRotation((0.5, 0.5), fill_mode="constant")(IMAGES, training=True))
    np.testing.assert_allclose(out, IMAGES[:, ::-1, ::-1], atol=1e-5)


def test_translation_by_whole_pixels_shifts_and_fills():
    out = _np(layers.RandomTranslation((0.5, 0.5), (-0.25, -0.25), fill_mode="constant",
                                       fill_value=-1.0)(IMAGES, training=True))
    expected = np.full_like(IMAGES, -1.0)
    expected[:, 3:, :6] = IMAGES[:, :3, 2:]
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_zero_zoom_is_identity():
    out = _np(layers.RandomZoom((0.0, 0.0))(IMAGES, training=True))
    np.testing.assert_allclose(out, IMAGES, atol=1e-6)


# ---- random layers: training switch, structure, seeds ----------------------------------------------
RANDOM_LAYERS = [
    lambda **kw: layers.RandomFlip(**kw),
    lambda **kw: layers.RandomRotation(0.3, **kw),
    lambda **kw: layers.RandomZoom(0.3, **kw),
    lambda **kw: layers.RandomTranslation(0.2, 0.3, **kw),
    lambda **kw: layers.RandomContrast(0.5, **kw),
    lambda **kw: layers.RandomBrightness(0.3, value_range=(0, 1), **kw),
    lambda **kw: layers.RandomHeight(0.4, **kw),
    lambda **kw: layers.RandomWidth(0.4, **kw),
]


@pytest.mark.parametrize("make", RANDOM_LAYERS)
def test_random_layers_are_identity_outside_training(make):
    layer = make()
    np.testing.assert_array_equal(_np(layer(IMAGES, training=False)), IMAGES)
    model = keras.Sequential([keras.Input((6, 8, 3)), layer])
    np.testing.assert_array_equal(model.predict(IMAGES, verbose=0), IMAGES)


@pytest.mark.parametrize("make", RANDOM_LAYERS)
def test_seeded_layers_repeat_their_draws(make):
    first, second = make(seed=11), make(seed=11)
    outputs = [_np(first(IMAGES, training=True)) for _ in range(3)]
    again = [_np(second(IMAGES, training=True)) for _ in range(3)]
    for a, b in zip(outputs, again):
        np.testing.assert_array_equal(a, b)
    assert any(a.shape != outputs[0].shape or not np.array_equal(a, outputs[0]) for a in outputs[1:])


@pytest.mark.parametrize("mode, flips", [("horizontal", [(), (2,)]), ("vertical", [(), (1,)]),
                                         ("horizontal_and_vertical", [(), (1,), (2,), (1, 2)])])
def test_random_flip_outputs_are_flips(mode, flips):
    images = np.repeat(IMAGES[:1], 64, axis=0)
    out = _np(layers.RandomFlip(mode, seed=1)(images, training=True))
    seen = set()
    for image in out:
        matches = [f for f in flips if np.array_equal(image, np.flip(IMAGES[0], axis=[a - 1 for a in f]))]
        assert matches, "an output is not a flip of the input"
        seen.add(matches[0])
    assert seen == set(flips)


def test_random_contrast_scales_deviation_by_one_factor_per_call():
    images = RNG.uniform(50, 150, (5, 6, 8, 3)).astype("float32")
    out = _np(layers.RandomContrast((0.3, 0.2), seed=2)(images, training=True))
    mean = images.mean(axis=(1, 2), keepdims=True)
    factors = (out - mean) / (images - mean)
    assert 0.7 <= factors.min() and factors.max() <= 1.2
    np.testing.assert_allclose(factors, np.median(factors), rtol=1e-3)


def test_random_brightness_adds_one_delta_per_image_and_clips():
    out = _np(layers.RandomBrightness(0.2, seed=4)(IMAGES * 255, training=True))
    delta = out - IMAGES * 255
    inside = (out > 0) & (out < 255)
    for image_delta, keep in zip(delta, inside):
        np.testing.assert_allclose(image_delta[keep], image_delta[keep][0], atol=1e-3)
        assert abs(image_delta[keep][0]) <= 0.2 * 255
    assert out.min() >= 0 and out.max() <= 255


def test_random_crop_takes_a_window_of_the_image():
    out = _np(layers.RandomCrop(3, 5, seed=0)(IMAGES, training=True))
    windows = [IMAGES[:, i:i + 3, j:j + 5] for i in range(4) for j in range(4)]
    assert any(np.array_equal(out, w) for w in windows)


def test_random_height_symbolic_and_eager_shapes():
    out = layers.RandomHeight((0.5, 0.5))(keras.Input((6, 8, 3)))
    assert tuple(out.shape) == (None, None, 8, 3)
    assert tuple(layers.RandomHeight((0.5, 0.5))(IMAGES).shape) == (4, 9, 8, 3)
    assert tuple(layers.RandomWidth((-0.5, -0.5))(IMAGES[0]).shape) == (6, 4, 3)


def test_image_layers_reject_non_images():
    with pytest.raises(ValueError, match="center_crop.*rank 4"):
        layers.CenterCrop(2, 2)(np.zeros((3, 3), "float32"))


def test_augmentation_inside_fit():
    model = keras.Sequential([keras.Input((6, 8, 3)), layers.Rescaling(2.0), layers.RandomFlip(seed=1),
                              layers.RandomRotation(0.1, seed=2), layers.RandomZoom(0.1, seed=3),
                              layers.RandomContrast(0.1, seed=4), layers.Resizing(4, 4),
                              layers.CenterCrop(3, 3), layers.Flatten(), layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(IMAGES, np.ones((4, 1)), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(IMAGES, verbose=0).shape == (4, 1)


# ---- Normalization -------------------------------------------------------------------------------
DATA = (RNG.standard_normal((50, 3, 4)) * [1.0, 2.0, 0.5, 3.0] + [0.0, 5.0, -2.0, 1.0]).astype("float32")


@pytest.mark.parametrize("axis, reduce", [(-1, (0, 1)), (None, (0, 1, 2)), ((1, 2), (0,)), (1, (0, 2))])
def test_normalization_adapt_statistics(axis, reduce):
    layer = layers.Normalization(axis=axis)
    layer.adapt(DATA, batch_size=8)
    mean, variance, count = layer.get_weights()
    np.testing.assert_allclose(mean, DATA.astype("float64").mean(axis=reduce), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(variance, DATA.astype("float64").var(axis=reduce), rtol=1e-5)
    assert count == DATA.size // mean.size and count.dtype == np.int64
    out = _np(layer(DATA))
    np.testing.assert_allclose(out.mean(axis=reduce), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=reduce), 1, rtol=1e-4)


def test_normalization_invert_undoes_normalization():
    forward, backward = layers.Normalization(), layers.Normalization(invert=True)
    forward.adapt(DATA)
    backward.adapt(DATA)
    np.testing.assert_allclose(_np(backward(forward(DATA))), DATA, rtol=1e-5, atol=1e-5)


def test_normalization_given_statistics_and_epsilon():
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    out = _np(layer(np.array([[3.0, 2.5]], "float32")))
    np.testing.assert_allclose(out, [[1.0, 0.5 / keras.backend.epsilon()]], rtol=1e-6)
    assert layer.weights == []


def test_normalization_weights_roundtrip_and_errors(tmp_path):
    model = keras.Sequential([keras.Input((3, 4)), layers.Normalization(), layers.Dense(1)])
    model.layers[0].adapt(DATA)
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    other = keras.Sequential([keras.Input((3, 4)), layers.Normalization(), layers.Dense(1)])
    other.load_weights(path)
    np.testing.assert_allclose(other.predict(DATA, verbose=0), model.predict(DATA, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="must have known shape"):
        layers.Normalization(axis=0).adapt(DATA)
    restored = layers.Normalization.from_config(model.layers[0].get_config())
    assert restored.get_config()["axis"] == (-1,)
