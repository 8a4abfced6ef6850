"""ImageDataGenerator without TensorFlow: transforms against independent computations (numpy slicing, scipy when
installed), fit statistics, batch structures, seeding, directory listing and subsets, training scripts, errors."""
import importlib.util

import numpy as np
import pytest

import torchkeras_api as keras
from torchkeras_api.preprocessing.image import (DirectoryIterator, ImageDataGenerator, Iterator, NumpyArrayIterator,
                                                apply_affine_transform, apply_channel_shift)
from torchkeras_api.preprocessing.affine_resampling import affine_resample
from torchkeras_api.utils import Sequence

RNG = np.random.default_rng(5)
IMAGES = RNG.random((10, 6, 8, 3)).astype("float32")
LABELS = np.arange(10) % 2


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


# ---- transforms ------------------------------------------------------------------------------------------
def test_integer_shifts_move_columns_and_rows():
    image = IMAGES[0]
    out = apply_affine_transform(image, tx=2, ty=-1, row_axis=0, col_axis=1, channel_axis=2, fill_mode="constant",
                                 cval=-1.0)
    np.testing.assert_array_equal(out[1:, :-2], image[:-1, 2:])
    assert np.all(out[0] == -1) and np.all(out[:, -2:] == -1)
    nearest = apply_affine_transform(image, tx=2, row_axis=0, col_axis=1, channel_axis=2)
    np.testing.assert_array_equal(nearest[:, -3:], np.repeat(image[:, -1:], 3, axis=1))


def test_zoom_by_one_half_at_order_zero_repeats_pixels_about_the_center():
    image = np.tile(np.arange(8, dtype="float32"), (1, 8, 1))
    out = apply_affine_transform(image, zx=0.5, fill_mode="nearest", order=0)
    np.testing.assert_array_equal(out[0], np.tile([2, 2, 3, 3, 4, 4, 5, 5], (8, 1)))


def test_flags_and_channel_shift():
    generator = ImageDataGenerator()
    image = IMAGES[0]
    np.testing.assert_array_equal(generator.apply_transform(image, {"flip_horizontal": True}), image[:, ::-1])
    np.testing.assert_array_equal(generator.apply_transform(image, {"flip_vertical": True}), image[::-1])
    shifted = apply_channel_shift(image, 0.25, 2)
    np.testing.assert_allclose(shifted, np.clip(image + 0.25, image.min(), image.max()))


@pytest.mark.parametrize("fill_mode", ["nearest", "reflect", "wrap", "constant"])
def test_resampling_matches_scipy(fill_mode):
    ndimage = pytest.importorskip("scipy.ndimage")
    rng = np.random.default_rng(1)
    for _ in range(25):
        rows, cols = rng.integers(1, 9, size=2)
        planes = rng.random((2, rows, cols)).astype("float32")
        matrix, offset = rng.normal(size=(2, 2)) * 2, rng.normal(size=2) * 5
        for order in (0, 1):
            ours = affine_resample(planes, matrix, offset, order, fill_mode, cval=0.5)
            theirs = np.stack([ndimage.affine_transform(p, matrix, offset, order=order, mode=fill_mode, cval=0.5)
                               for p in planes])
            np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_unsupported_orders_and_modes_raise():
    with pytest.raises(NotImplementedError, match="order"):
        apply_affine_transform(IMAGES[0], theta=5, row_axis=0, col_axis=1, channel_axis=2, order=3)
    with pytest.raises(NotImplementedError, match="mirror"):
        apply_affine_transform(IMAGES[0], theta=5, row_axis=0, col_axis=1, channel_axis=2, fill_mode="mirror")
    with pytest.raises(ValueError, match="multi-channel 2D"):
        apply_affine_transform(IMAGES[0, :, :, 0], theta=5)


# ---- fit and standardize ---------------------------------------------------------------------------------
def test_fit_learns_channel_statistics_and_standardize_uses_them():
    generator = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rescale=0.5)
    generator.fit(IMAGES)
    np.testing.assert_allclose(generator.mean.ravel(), (IMAGES * 0.5).mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(generator.std.ravel(), (IMAGES * 0.5).std(axis=(0, 1, 2)), rtol=1e-4)
    out = generator.standardize(IMAGES.copy())
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)


def test_zca_whitening_decorrelates_the_training_data():
    data = RNG.normal(size=(200, 2, 2, 1)).astype("float32")
    data[..., 0, 0, 0] += 2 * data[..., 1, 1, 0]
    with pytest.warns(UserWarning, match="zca_whitening"):
        generator = ImageDataGenerator(zca_whitening=True)
    generator.fit(data)
    flat = generator.standardize(data.copy()).reshape(len(data), -1)
    np.testing.assert_allclose(flat.T @ flat / len(data), np.eye(4), atol=1e-3)


def test_samplewise_normalization():
    generator = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True)
    out = generator.standardize(IMAGES[0].copy())
    assert abs(out.mean()) < 1e-5 and abs(out.std() - 1) < 1e-4


def test_standardize_before_fit_warns():
    with pytest.warns(UserWarning, match="hasn't been fit"):
        ImageDataGenerator(featurewise_center=True).standardize(IMAGES[0].copy())


# ---- flow ------------------------------------------------------------------------------------------------
def test_flow_batch_structures_and_lengths():
    iterator = ImageDataGenerator().flow(IMAGES, LABELS, batch_size=4, shuffle=False)
    assert isinstance(iterator, NumpyArrayIterator) and isinstance(iterator, Iterator)
    assert isinstance(iterator, Sequence) and len(iterator) == 3 and iterator.n == 10
    x, y = iterator[2]
    np.testing.assert_array_equal(x, IMAGES[8:])
    np.testing.assert_array_equal(y, LABELS[8:])
    assert isinstance(ImageDataGenerator().flow(IMAGES, batch_size=4)[0], np.ndarray)
    weights = np.linspace(0, 1, 10)
    x, y, w = ImageDataGenerator().flow(IMAGES, LABELS, sample_weight=weights, shuffle=False, batch_size=3)[1]
    np.testing.assert_array_equal(w, weights[3:6])
    extra = RNG.random((10, 2))
    inputs, y = ImageDataGenerator().flow((IMAGES, extra), LABELS, shuffle=False, batch_size=3)[0]
    assert isinstance(inputs, list) and len(inputs) == 2
    np.testing.assert_array_equal(inputs[1], extra[:3])


def test_shuffled_epochs_cover_every_sample_and_next_never_ends():
    iterator = ImageDataGenerator().flow(IMAGES, np.arange(10), batch_size=4, seed=3)
    seen = np.concatenate([iterator[i][1] for i in range(len(iterator))])
    assert sorted(seen) == list(range(10)) and list(seen) != list(range(10))
    sizes = [len(next(iterator)[1]) for _ in range(7)]
    assert sizes == [4, 4, 2, 4, 4, 2, 4]
    assert iter(iterator) is iterator


def test_seed_makes_batches_and_augmentations_reproducible():
    generator = ImageDataGenerator(rotation_range=30, horizontal_flip=True, zoom_range=0.2)
    first, second = ([iterator[i] for i in range(len(iterator))]
                     for iterator in (generator.flow(IMAGES, LABELS, batch_size=4, seed=7) for _ in range(2)))
    assert len(first) == 3
    for (x1, y1), (x2, y2) in zip(first, second):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    other = generator.flow(IMAGES, LABELS, batch_size=4, seed=8)[0]
    assert not np.array_equal(other[0], first[0][0])


def test_flow_validation_split_subsets():
    generator = ImageDataGenerator(validation_split=0.3)
    validation = generator.flow(IMAGES, LABELS, subset="validation", shuffle=False)
    training = generator.flow(IMAGES, LABELS, subset="training", shuffle=False)
    np.testing.assert_array_equal(validation.x, IMAGES[:3])
    np.testing.assert_array_equal(training.x, IMAGES[3:])
    with pytest.raises(ValueError, match="different number of classes"):
        generator.flow(IMAGES, np.sort(LABELS), subset="training")


# ---- flow_from_directory ---------------------------------------------------------------------------------
@pytest.fixture
def image_tree(tmp_path):
    from PIL import Image
    pixels = {}
    for folder, count in (("dogs", 4), ("cats", 6)):
        (tmp_path / folder).mkdir()
        for index in range(count):
            array = (RNG.random((5, 7, 3)) * 255).astype("uint8")
            Image.fromarray(array).save(tmp_path / folder / f"{index}.png")
            pixels[f"{folder}/{index}.png"] = array
    (tmp_path / "cats" / "readme.txt").write_text("skip me")
    return tmp_path, pixels


def test_flow_from_directory_lists_classes_files_and_pixels(image_tree):
    root, pixels = image_tree
    iterator = ImageDataGenerator().flow_from_directory(str(root), target_size=(5, 7), batch_size=4, shuffle=False)
    assert isinstance(iterator, DirectoryIterator)
    assert iterator.class_indices == {"cats": 0, "dogs": 1}
    assert iterator.filenames == [f"cats/{i}.png" for i in range(6)] + [f"dogs/{i}.png" for i in range(4)]
    assert iterator.filepaths[0] == str(root / "cats" / "0.png")
    np.testing.assert_array_equal(iterator.classes, [0] * 6 + [1] * 4)
    assert iterator.labels is iterator.classes and iterator.samples == 10 and len(iterator) == 3
    x, y = iterator[2]
    np.testing.assert_array_equal(x, np.stack([pixels["dogs/2.png"], pixels["dogs/3.png"]]).astype("float32"))
    np.testing.assert_array_equal(y, [[0, 1], [0, 1]])


def test_flow_from_directory_class_modes_and_subsets(image_tree):
    root, _ = image_tree
    generator = ImageDataGenerator(validation_split=0.5, rescale=1 / 255.0)
    kwargs = {"target_size": (4, 4), "shuffle": False}
    validation = generator.flow_from_directory(str(root), subset="validation", class_mode="sparse", **kwargs)
    training = generator.flow_from_directory(str(root), subset="training", class_mode="binary", **kwargs)
    assert validation.filenames == ["cats/0.png", "cats/1.png", "cats/2.png", "dogs/0.png", "dogs/1.png"]
    assert set(training.filenames).isdisjoint(validation.filenames) and training.samples == 5
    x, y = validation[0]
    assert x.shape == (5, 4, 4, 3) and x.max() <= 1.0
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1])
    gray = generator.flow_from_directory(str(root), color_mode="grayscale", class_mode=None, **kwargs)
    assert gray[0].shape == (10, 4, 4, 1)
    x, y = generator.flow_from_directory(str(root), class_mode="input", **kwargs)[0]
    np.testing.assert_array_equal(x, y)


# ---- training scripts ------------------------------------------------------------------------------------
def _tiny_model():
    model = keras.Sequential([keras.layers.Conv2D(4, 3, activation="relu", input_shape=(6, 8, 3)),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_cifar_style_script_trains_with_fit_and_fit_generator():
    x_train, y_train = IMAGES * 255, keras.utils.to_categorical(LABELS, 2)
    datagen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True, rotation_range=20,
                                 width_shift_range=0.2, height_shift_range=0.2, horizontal_flip=True)
    datagen.fit(x_train)
    model = _tiny_model()
    history = model.fit(datagen.flow(x_train, y_train, batch_size=4), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()
    with pytest.warns(UserWarning, match="fit_generator"):
        history = model.fit_generator(datagen.flow(x_train, y_train, batch_size=4),
                                      steps_per_epoch=len(x_train) / 4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.evaluate(datagen.flow(x_train, y_train, batch_size=4), verbose=0)[0] > 0


# ---- errors ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    ({"validation_split": 1.5}, "validation_split"), ({"zoom_range": (1, 2, 3)}, "zoom_range"),
    ({"brightness_range": 2.0}, "brightness_range"), ({"data_format": "channels_middle"}, "data_format")])
def test_generator_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ImageDataGenerator(**kwargs)


def test_iterator_argument_errors(tmp_path):
    generator = ImageDataGenerator(validation_split=0.2)
    with pytest.raises(ValueError, match="rank 4"):
        generator.flow(IMAGES[0])
    with pytest.raises(ValueError, match="same length"):
        generator.flow(IMAGES, LABELS[:3])
    with pytest.raises(ValueError, match="Invalid subset"):
        generator.flow(IMAGES, subset="test")
    with pytest.raises(ValueError, match="Sequence has length 1"):
        generator.flow(IMAGES)[1]
    with pytest.raises(ValueError, match="Invalid class_mode"):
        generator.flow_from_directory(str(tmp_path), class_mode="multi")
    with pytest.raises(ValueError, match="Invalid color mode"):
        generator.flow_from_directory(str(tmp_path), color_mode="cmyk")


def test_tensorflow_keras_import_path_serves_the_generator():
    from torchkeras_api import importer
    importer.install()
    try:
        from tensorflow.keras.preprocessing.image import ImageDataGenerator as served
        assert served is ImageDataGenerator
    finally:
        importer.uninstall()


def test_flow_from_dataframe_names_pandas():
    expected = NotImplementedError if importlib.util.find_spec("pandas") else ImportError
    with pytest.raises(expected, match="flow_from_dataframe"):
        ImageDataGenerator().flow_from_dataframe(None)
