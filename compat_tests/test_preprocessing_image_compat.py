"""Image preprocessing layers and Normalization against the real tf.keras: deterministic outputs and input
gradients, the math of the random layers with degenerate factor ranges, the warp helper against
ImageProjectiveTransformV3, configs, errors, symbolic shapes, adapt statistics, weights and .h5 files."""
import re

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close, assert_symbolic_shapes_match, ours_with_gradient, theirs_with_gradient
from torchkeras_api.layers.preprocessing import image_transform

RNG = np.random.default_rng(7)
IMAGES = RNG.random((2, 7, 9, 3)).astype("float32")


def _plain(config):
    """A config with tf's ListWrappers as lists, tuples kept."""
    return {k: list(v) if type(v).__name__ == "ListWrapper" else v for k, v in config.items()}


# ---- deterministic layers: outputs, input gradients, symbolic shapes ---------------------------------
DETERMINISTIC = {
    "rescaling": lambda K: K.layers.Rescaling(1 / 255.0, offset=-0.5),
    "rescaling_per_channel": lambda K: K.layers.Rescaling([1.0, 2.0, 3.0], offset=[0.0, 1.0, 2.0]),
    "center_crop": lambda K: K.layers.CenterCrop(4, 4),
    "center_crop_odd_even": lambda K: K.layers.CenterCrop(3, 6),
    "center_crop_upsizing": lambda K: K.layers.CenterCrop(9, 12),
    "center_crop_mixed": lambda K: K.layers.CenterCrop(3, 12),
    "resizing_bilinear_down": lambda K: K.layers.Resizing(4, 5),
    "resizing_bilinear_up": lambda K: K.layers.Resizing(11, 13),
    "resizing_nearest": lambda K: K.layers.Resizing(5, 14, interpolation="nearest"),
    "resizing_bicubic": lambda K: K.layers.Resizing(11, 6, interpolation="bicubic"),
    "resizing_area": lambda K: K.layers.Resizing(3, 4, interpolation="area"),
    "resizing_crop_to_aspect": lambda K: K.layers.Resizing(4, 3, crop_to_aspect_ratio=True),
    "resizing_crop_to_aspect_nearest": lambda K: K.layers.Resizing(8, 16, "nearest", crop_to_aspect_ratio=True),
}


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_deterministic_layer_matches(tf, tfk, name):
    factory = DETERMINISTIC[name]
    ours, theirs = factory(keras), factory(tfk)
    if name == "resizing_area":  # TensorFlow has no gradient for ResizeArea
        assert_close(ours(IMAGES), theirs(IMAGES), atol=1e-5)
    else:
        upstream = RNG.standard_normal(tuple(theirs(IMAGES).shape)).astype("float32")
        y_theirs, g_theirs = theirs_with_gradient(tf, theirs, IMAGES, upstream)
        y_ours, g_ours = ours_with_gradient(ours, IMAGES, upstream)
        assert_close(y_ours, y_theirs, atol=1e-5)
        assert_close(g_ours, g_theirs, atol=1e-5)
    assert_close(ours(IMAGES[0]), theirs(IMAGES[0]), atol=1e-5)
    assert ours.get_config() == _plain(theirs.get_config())
    assert_symbolic_shapes_match(keras, tfk, factory, [(7, 9, 3), (None, None, 3), (6, None, 1)])


def test_integer_images_become_floats(tfk):
    images = (IMAGES * 255).astype("uint8")
    for factory in (DETERMINISTIC["rescaling"], DETERMINISTIC["resizing_bilinear_up"]):
        ours, theirs = factory(keras)(images), factory(tfk)(images)
        assert ours.dtype == torch.float32 and theirs.dtype.name == "float32"
        assert_close(ours, theirs, atol=1e-5)


# ---- the warp helper against ImageProjectiveTransformV3 ---------------------------------------------
def _transforms(count):
    columns = [RNG.normal(1, 0.5, count), RNG.normal(0, 0.5, count), RNG.normal(0, 6, count),
               RNG.normal(0, 0.5, count), RNG.normal(1, 0.5, count), RNG.normal(0, 6, count),
               RNG.normal(0, 0.01, count), RNG.normal(0, 0.01, count)]
    return np.stack(columns, axis=1).astype("float32")


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_projective_transform_matches_tensorflow(tf, fill_mode, interpolation):
    transforms = _transforms(2)
    for output_shape in [(7, 9), (5, 12)]:
        theirs = tf.raw_ops.ImageProjectiveTransformV3(
            images=IMAGES, transforms=transforms, output_shape=output_shape, fill_value=0.25,
            interpolation=interpolation.upper(), fill_mode=fill_mode.upper())
        ours = image_transform.projective_transform(torch.tensor(IMAGES), torch.tensor(transforms), interpolation,
                                                    fill_mode, 0.25, output_shape)
        assert_close(ours, theirs, atol=1e-5)


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap"])
def test_fill_modes_on_every_shift(tf, fill_mode):
    """Shifts along a row of 1, 2 and 5 pixels, far outside the image, hit TensorFlow's exact folding."""
    for width in (1, 2, 5):
        row = (np.arange(width, dtype="float32") * 10 + 1).reshape(1, 1, width, 1)
        shifts = np.arange(-13, 13, 0.25, dtype="float32")
        transforms = np.zeros((len(shifts), 8), "float32")
        transforms[:, 0] = transforms[:, 4] = 1
        transforms[:, 2] = shifts
        images = np.repeat(row, len(shifts), axis=0)
        for interpolation in ("NEAREST", "BILINEAR"):
            theirs = tf.raw_ops.ImageProjectiveTransformV3(
                images=images, transforms=transforms, output_shape=(1, width), fill_value=-1.0,
                interpolation=interpolation, fill_mode=fill_mode.upper())
            ours = image_transform.projective_transform(torch.tensor(images), torch.tensor(transforms),
                                                        interpolation.lower(), fill_mode, -1.0)
            assert_close(ours, theirs, atol=1e-5)


# ---- random layers: the math with degenerate ranges --------------------------------------------------
DEGENERATE = {
    "rotation": lambda K, **kw: K.layers.RandomRotation((0.1, 0.1), **kw),
    "rotation_half_turn": lambda K, **kw: K.layers.RandomRotation((-0.5, -0.5), **kw),
    "zoom_out_in": lambda K, **kw: K.layers.RandomZoom((0.5, 0.5), (-0.3, -0.3), **kw),
    "zoom_same_both": lambda K, **kw: K.layers.RandomZoom((-0.4, -0.4), **kw),
    "translation": lambda K, **kw: K.layers.RandomTranslation((0.2, 0.2), (-0.3, -0.3), **kw),
}


@pytest.mark.parametrize("name", sorted(DEGENERATE))
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "constant", "nearest"])
def test_random_transform_math(tfk, name, fill_mode):
    kwargs = {"fill_mode": fill_mode, "fill_value": 0.5, "interpolation": "bilinear"}
    ours, theirs = DEGENERATE[name](keras, **kwargs), DEGENERATE[name](tfk, **kwargs)
    assert_close(ours(IMAGES, training=True), theirs(IMAGES, training=True), atol=2e-5)
    assert ours.get_config() == _plain(theirs.get_config())


@pytest.mark.parametrize("name", ["zoom_out_in", "translation"])
def test_random_transform_nearest_interpolation(tfk, name):
    kwargs = {"fill_mode": "constant", "interpolation": "nearest"}
    ours, theirs = DEGENERATE[name](keras, **kwargs), DEGENERATE[name](tfk, **kwargs)
    assert_close(ours(IMAGES, training=True), theirs(IMAGES, training=True), atol=1e-6)


def test_random_contrast_clips_like_tf(tfk):
    """factor (0, 1e-7) draws a contrast of about 1: what is left is tf-keras 2.21's clip to [0, 255]."""
    images = RNG.uniform(-100, 400, (2, 5, 6, 3)).astype("float32")
    ours, theirs = keras.layers.RandomContrast((0.0, 1e-7)), tfk.layers.RandomContrast((0.0, 1e-7))
    assert_close(ours(images, training=True), theirs(images, training=True), atol=1e-4)
    assert_close(ours(images, training=False), theirs(images, training=False))


@pytest.mark.parametrize("args", [dict(factor=(0.3, 0.3)), dict(factor=(-0.2, -0.2)),
                                  dict(factor=(0.4, 0.4), value_range=(-1, 1))])
def test_random_brightness_math(tfk, args):
    images = RNG.uniform(0, 255, (2, 5, 6, 3)).astype("float32")
    if args.get("value_range") == (-1, 1):
        images = images / 127.5 - 1
    ours, theirs = keras.layers.RandomBrightness(**args), tfk.layers.RandomBrightness(**args)
    assert_close(ours(images, training=True), theirs(images, training=True), atol=1e-5)
    assert ours.get_config() == _plain(theirs.get_config())


@pytest.mark.parametrize("layer", ["RandomHeight", "RandomWidth"])
@pytest.mark.parametrize("factor, interpolation", [((0.5, 0.5), "bilinear"), ((-0.3, -0.3), "nearest"),
                                                   ((0.3, 0.3), "bicubic")])
def test_random_height_width_math(tfk, layer, factor, interpolation):
    ours = getattr(keras.layers, layer)(factor, interpolation=interpolation)
    theirs = getattr(tfk.layers, layer)(factor, interpolation=interpolation)
    assert_close(ours(IMAGES, training=True), theirs(IMAGES, training=True), atol=1e-5)
    assert ours(IMAGES, training=False).shape == theirs(IMAGES, training=False).shape
    assert ours.get_config() == _plain(theirs.get_config())


def test_random_crop_resizes_like_tf(tfk):
    for height, width, training in [(3, 3, False), (4, 6, False), (9, 12, True), (4, 12, True)]:
        ours, theirs = keras.layers.RandomCrop(height, width), tfk.layers.RandomCrop(height, width)
        assert_close(ours(IMAGES, training=training), theirs(IMAGES, training=training), atol=1e-5)


RANDOM = {
    "flip": lambda K: K.layers.RandomFlip("horizontal", seed=3),
    "rotation": lambda K: K.layers.RandomRotation(0.2, fill_mode="constant", interpolation="nearest", seed=1),
    "zoom": lambda K: K.layers.RandomZoom(0.2, (-0.1, 0.3), fill_mode="wrap", fill_value=1.0),
    "translation": lambda K: K.layers.RandomTranslation((-0.1, 0.2), 0.3, fill_mode="nearest"),
    "contrast": lambda K: K.layers.RandomContrast((0.1, 0.4), seed=5),
    "brightness": lambda K: K.layers.RandomBrightness((0.5, 0.1), value_range=(0, 1)),
    "crop": lambda K: K.layers.RandomCrop(3, 4),
    "height": lambda K: K.layers.RandomHeight(0.2),
    "width": lambda K: K.layers.RandomWidth((-0.2, 0.1), interpolation="area"),
}


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_random_layer_config_inference_and_shapes(tfk, name):
    ours, theirs = RANDOM[name](keras), RANDOM[name](tfk)
    assert ours.get_config() == _plain(theirs.get_config())
    assert type(ours).from_config(ours.get_config()).get_config() == ours.get_config()
    assert_close(ours(IMAGES, training=False), theirs(IMAGES, training=False), atol=1e-5)
    assert tuple(ours(IMAGES, training=True).shape)[::3] == tuple(theirs(IMAGES, training=True).shape)[::3]
    assert_symbolic_shapes_match(keras, tfk, RANDOM[name], [(7, 9, 3), (None, None, 3), (7, None, 1)])


@pytest.mark.parametrize("make", [
    lambda K: K.layers.RandomFlip("diagonal"),
    lambda K: K.layers.RandomRotation(-0.2),
    lambda K: K.layers.RandomRotation((0.5, 0.1)),
    lambda K: K.layers.RandomRotation(0.2, fill_mode="mirror"),
    lambda K: K.layers.RandomZoom(0.2, interpolation="bicubic"),
    lambda K: K.layers.RandomZoom(1.5),
    lambda K: K.layers.RandomZoom(0.2, width_factor=-1.5),
    lambda K: K.layers.RandomTranslation((0.3, 0.1), 0.1),
    lambda K: K.layers.RandomTranslation(0.1, 1.5),
    lambda K: K.layers.RandomContrast(1.5),
    lambda K: K.layers.RandomContrast(-0.1),
    lambda K: K.layers.RandomBrightness(1.5),
    lambda K: K.layers.RandomBrightness((0.2,)),
    lambda K: K.layers.RandomBrightness(0.2, value_range=(0, 1, 2)),
    lambda K: K.layers.RandomHeight((0.5, 0.1)),
    lambda K: K.layers.RandomWidth((-1.2, 0.1)),
    lambda K: K.layers.Resizing(3, 3, interpolation="cubic"),
    lambda K: K.layers.Normalization(mean=1.0),
])
def test_invalid_arguments_raise_like_tf(tfk, make):
    with pytest.raises(Exception) as theirs:
        make(tfk)
    with pytest.raises(type(theirs.value)):
        make(keras)


def test_non_image_inputs_raise_value_errors(tfk):
    for factory in (lambda K: K.layers.RandomFlip(), lambda K: K.layers.Resizing(2, 2)):
        for shape in [(4, 4), (2, 3, 3, 3, 1)]:
            with pytest.raises(ValueError):
                factory(tfk)(np.zeros(shape, "float32"))
            with pytest.raises(ValueError, match="expects images of rank 4"):
                factory(keras)(np.zeros(shape, "float32"))


# ---- Normalization -------------------------------------------------------------------------------------
DATA = (RNG.standard_normal((40, 3, 4)) * [1.0, 2.0, 0.5, 3.0] + [0.0, 5.0, -2.0, 1.0]).astype("float32")


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1])
@pytest.mark.parametrize("invert", [False, True])
def test_normalization_adapt_matches(tf, tfk, axis, invert):
    ours, theirs = keras.layers.Normalization(axis=axis, invert=invert), tfk.layers.Normalization(axis=axis,
                                                                                                invert=invert)
    ours.adapt(DATA, batch_size=16)
    theirs.adapt(DATA, batch_size=16)
    assert [w.name.split("/")[-1] for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.keras_shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    for mine, tfs in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(mine, tfs, rtol=1e-5, atol=1e-5)
        assert mine.dtype == tfs.dtype
    upstream = RNG.standard_normal(DATA.shape).astype("float32")
    y_theirs, g_theirs = theirs_with_gradient(tf, theirs, DATA, upstream)
    y_ours, g_ours = ours_with_gradient(ours, DATA, upstream)
    assert_close(y_ours, y_theirs, rtol=1e-5, atol=1e-5)
    assert_close(g_ours, g_theirs, rtol=1e-5, atol=1e-5)
    assert ours.get_config() == theirs.get_config()


def test_normalization_adapt_on_batches_and_readapt(tf, tfk):
    ours, theirs = keras.layers.Normalization(), tfk.layers.Normalization()
    ours.adapt(DATA[i:i + 7] for i in range(0, 40, 7))
    theirs.adapt(tf.data.Dataset.from_tensor_slices(DATA).batch(7))
    for mine, tfs in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(mine, tfs, rtol=1e-5, atol=1e-5)
    ours.adapt(DATA[:5])
    theirs.adapt(DATA[:5])
    for mine, tfs in zip(ours.get_weights(), theirs.get_weights()):
        assert_close(mine, tfs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("args", [dict(mean=[1.0, 2, 3, 4], variance=[1.0, 4, 9, 0]),
                                  dict(mean=2.0, variance=4.0),
                                  dict(mean=np.array([1.0, 2, 3, 4]), variance=np.array([1.0, 1, 1, 1])),
                                  dict(mean=[1.0, 2, 3, 4], variance=[1.0, 0, 1, 1], invert=True)])
def test_normalization_given_statistics(tfk, args):
    ours, theirs = keras.layers.Normalization(**args), tfk.layers.Normalization(**args)
    inputs = np.concatenate([DATA[:3], np.full((1, 3, 4), 1e9, "float32")])
    assert_close(ours(inputs), theirs(inputs), rtol=1e-5, atol=1e-5)
    assert ours.weights == [] and theirs.weights == []
    assert ours.get_config() == _plain(theirs.get_config())
    with pytest.raises(ValueError, match="Cannot `adapt` a Normalization layer"):
        ours.adapt(DATA)


@pytest.mark.parametrize("axis, shape", [(5, (None, 3, 4)), (0, (None, 3, 4)), (1, (None, None, 4))])
def test_normalization_build_errors(tfk, axis, shape):
    with pytest.raises(ValueError) as theirs:
        tfk.layers.Normalization(axis=axis).build(shape)
    with pytest.raises(ValueError, match=re.escape(str(theirs.value).split(".")[0][:40])):
        keras.layers.Normalization(axis=axis).build(shape)


def test_normalization_weights_and_h5_interoperate(tfk, tmp_path):
    def model(K):
        return K.Sequential([K.Input((3, 4)), K.layers.Normalization(name="norm"), K.layers.Dense(2, name="dense")])

    theirs = model(tfk)
    theirs.layers[0].adapt(DATA)
    ours = model(keras)
    ours.set_weights(theirs.get_weights())
    assert_close(ours.predict(DATA, verbose=0), theirs.predict(DATA, verbose=0), atol=1e-5)
    path = str(tmp_path / "norm.h5")
    theirs.save_weights(path)
    fresh = model(keras)
    fresh.load_weights(path)
    assert_close(fresh.predict(DATA, verbose=0), theirs.predict(DATA, verbose=0), atol=1e-5)
    ours.layers[0].adapt(DATA * 2)
    ours.save_weights(path)
    back = model(tfk)
    back.load_weights(path)
    assert_close(back.predict(DATA, verbose=0), ours.predict(DATA, verbose=0), atol=1e-5)


def test_normalization_symbolic_shapes(tfk):
    assert_symbolic_shapes_match(keras, tfk, lambda K: K.layers.Normalization(mean=0.5, variance=2.0),
                                 [(3, 4), (None, 4), (7, 9, 3)])
    assert_symbolic_shapes_match(keras, tfk, lambda K: K.layers.Normalization(axis=(1, 2)), [(3, 4)])
