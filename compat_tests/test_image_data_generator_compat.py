"""ImageDataGenerator, its iterators and the single-image augmentations against the real tf.keras: transforms for
every parameter, fill mode and data format, seeded random draws, fit statistics, standardize, seeded batch order
and augmentation of `flow` and `flow_from_directory`, file listing and argument errors."""
import numpy as np
import pytest

import torchkeras_api as keras
from torchkeras_api.preprocessing import image as ours_image

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # tf-keras calls scipy.ndimage.interpolation

RNG = np.random.default_rng(11)
IMAGE = RNG.random((7, 10, 3)).astype("float32")
BATCH = RNG.random((9, 6, 5, 3)).astype("float32")


@pytest.fixture(scope="module")
def theirs_image(tfk):
    return tfk.preprocessing.image


def _seeded(function, *args, seed=5, **kwargs):
    """function(*args, **kwargs) after seeding numpy's global generator."""
    np.random.seed(seed)
    return function(*args, **kwargs)


def _assert_same(ours, theirs, atol=1e-5):
    """Nested batches (arrays, lists, tuples) of the same structure, dtypes and values."""
    assert type(ours) is type(theirs)
    if isinstance(ours, (list, tuple)):
        assert len(ours) == len(theirs)
        for mine, other in zip(ours, theirs):
            _assert_same(mine, other, atol)
        return
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=atol)


# ---- affine transforms ----------------------------------------------------------------------------------
TRANSFORMS = {
    "rotation": {"theta": 23.0},
    "shift": {"tx": 1.7, "ty": -2.3},
    "integer_shift": {"tx": 2, "ty": -3},
    "shear": {"shear": 17.0},
    "zoom": {"zx": 0.7, "zy": 1.3},
    "zoom_in_by_two": {"zx": 0.5, "zy": 0.5},
    "zoom_out_by_two": {"zx": 2.0, "zy": 2.0},
    "all": {"theta": -31.0, "tx": 0.9, "ty": 1.4, "shear": 8.0, "zx": 1.2, "zy": 0.9},
    "right_angle": {"theta": 90.0},
}


@pytest.mark.parametrize("fill_mode", ["nearest", "reflect", "wrap", "constant"])
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_apply_transform_matches(tfk, name, fill_mode, data_format):
    image = IMAGE if data_format == "channels_last" else IMAGE.transpose(2, 0, 1)
    kwargs = {"fill_mode": fill_mode, "cval": 0.37, "data_format": data_format}
    for order in (0, 1):
        ours = keras.preprocessing.image.ImageDataGenerator(interpolation_order=order, **kwargs)
        theirs = tfk.preprocessing.image.ImageDataGenerator(interpolation_order=order, **kwargs)
        _assert_same(ours.apply_transform(image, TRANSFORMS[name]), theirs.apply_transform(image, TRANSFORMS[name]))


def test_random_affine_transforms_match(theirs_image):
    rng = np.random.default_rng(0)
    for trial in range(30):
        height, width = rng.integers(1, 9, size=2)
        image = rng.random((2, height, width)).astype("float32")
        params = {"theta": rng.uniform(-180, 180), "tx": rng.uniform(-4, 4), "ty": rng.uniform(-4, 4),
                  "shear": rng.uniform(-40, 40), "zx": rng.uniform(0.3, 2), "zy": rng.uniform(0.3, 2)}
        for fill_mode in ("nearest", "reflect", "wrap", "constant"):
            for order in (0, 1):
                ours = ours_image.apply_affine_transform(image, **params, fill_mode=fill_mode, cval=-1.0,
                                                         order=order)
                theirs = theirs_image.apply_affine_transform(image, **params, fill_mode=fill_mode, cval=-1.0,
                                                             order=order)
                _assert_same(ours, theirs)


def test_integer_images_round_and_saturate(theirs_image):
    image = (RNG.random((5, 8, 3)) * 255).astype("uint8")
    for cval in (0.0, 300.0, -7.0, 2.5):
        args = dict(theta=11.0, tx=1.5, row_axis=0, col_axis=1, channel_axis=2, fill_mode="constant", cval=cval)
        _assert_same(ours_image.apply_affine_transform(image, **args),
                     theirs_image.apply_affine_transform(image, **args), atol=0)


def test_neutral_transform_returns_the_input(theirs_image):
    assert ours_image.apply_affine_transform(IMAGE) is IMAGE
    assert theirs_image.apply_affine_transform(IMAGE) is IMAGE


def test_channel_shift_flips_and_brightness_match(tfk):
    for params in ({"channel_shift_intensity": 0.3}, {"flip_horizontal": 1}, {"flip_vertical": True},
                   {"brightness": 1.4}, {"brightness": 0.6, "flip_horizontal": 1, "theta": 10.0}):
        for image in (IMAGE * 255, IMAGE * 300 - 20, IMAGE):
            ours = keras.preprocessing.image.ImageDataGenerator().apply_transform(image.copy(), params)
            theirs = tfk.preprocessing.image.ImageDataGenerator().apply_transform(image.copy(), params)
            _assert_same(ours, theirs, atol=1e-4)


def test_brightness_shift_scaling_matches(theirs_image):
    for scale in (True, False):
        for image in (IMAGE, IMAGE * 255, IMAGE * 400 - 50):
            _assert_same(ours_image.apply_brightness_shift(image, 1.3, scale),
                         theirs_image.apply_brightness_shift(image, 1.3, scale), atol=1e-4)


@pytest.mark.parametrize("name, args", [
    ("random_rotation", (40,)), ("random_shift", (0.2, 0.3)), ("random_shear", (30,)),
    ("random_zoom", ((0.6, 1.4),)), ("random_zoom", ((1, 1),)), ("random_channel_shift", (0.2,)),
    ("random_brightness", ((0.5, 1.5),))])
def test_seeded_random_functions_match(theirs_image, name, args):
    image = IMAGE.transpose(2, 0, 1) * 255 if name != "random_brightness" else IMAGE * 255
    kwargs = {"fill_mode": "reflect"} if name in ("random_rotation", "random_shift", "random_shear") else {}
    ours = _seeded(getattr(ours_image, name), image, *args, **kwargs)
    theirs = _seeded(getattr(theirs_image, name), image, *args, **kwargs)
    _assert_same(ours, theirs, atol=1e-3)


# ---- random parameters, fit, standardize ----------------------------------------------------------------
GENERATORS = {
    "none": {},
    "classic": {"rotation_range": 20, "width_shift_range": 0.2, "height_shift_range": 0.2, "horizontal_flip": True},
    "everything": {"rotation_range": 30, "width_shift_range": 0.1, "height_shift_range": 0.3, "shear_range": 10,
                   "zoom_range": 0.2, "channel_shift_range": 0.1, "horizontal_flip": True, "vertical_flip": True,
                   "brightness_range": (0.8, 1.2), "fill_mode": "wrap"},
    "pixel_shifts": {"width_shift_range": 3, "height_shift_range": [1, 2], "zoom_range": [0.5, 1.5]},
    "large_float_shift": {"width_shift_range": 2.5, "height_shift_range": 1.0},
    "channels_first": {"rotation_range": 10, "width_shift_range": 0.2, "vertical_flip": True,
                       "data_format": "channels_first"},
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_get_random_transform_matches(tfk, name):
    ours = keras.preprocessing.image.ImageDataGenerator(**GENERATORS[name])
    theirs = tfk.preprocessing.image.ImageDataGenerator(**GENERATORS[name])
    for seed in range(5):
        mine, other = ours.get_random_transform((7, 10, 3), seed=seed), theirs.get_random_transform((7, 10, 3), seed)
        assert list(mine) == list(other)
        for key in mine:
            assert type(mine[key]) is type(other[key]), key
            assert mine[key] == pytest.approx(other[key]) if other[key] is not None else mine[key] is None, key
    assert vars(ours).keys() == vars(theirs).keys()
    for key, value in vars(theirs).items():
        assert getattr(ours, key) == value, key


@pytest.mark.parametrize("name", ["classic", "everything", "channels_first"])
def test_random_transform_matches(tfk, name):
    image = IMAGE.transpose(2, 0, 1) if name == "channels_first" else IMAGE
    ours = keras.preprocessing.image.ImageDataGenerator(**GENERATORS[name])
    theirs = tfk.preprocessing.image.ImageDataGenerator(**GENERATORS[name])
    for seed in range(4):
        _assert_same(ours.random_transform(image * 255, seed=seed), theirs.random_transform(image * 255, seed=seed),
                     atol=1e-3)


FIT_SETTINGS = {
    "featurewise": {"featurewise_center": True, "featurewise_std_normalization": True},
    "center_only": {"featurewise_center": True},
    "zca": {"zca_whitening": True, "zca_epsilon": 1e-3},
    "rescaled_channels_first": {"featurewise_center": True, "featurewise_std_normalization": True,
                                "rescale": 1 / 255.0, "data_format": "channels_first"},
    "samplewise": {"samplewise_center": True, "samplewise_std_normalization": True, "rescale": 2.0},
    "augmented": {"featurewise_center": True, "featurewise_std_normalization": True, "rotation_range": 30,
                  "horizontal_flip": True},
}


@pytest.mark.parametrize("name", sorted(FIT_SETTINGS))
def test_fit_and_standardize_match(tfk, name):
    data = BATCH.transpose(0, 3, 1, 2) if name.endswith("channels_first") else BATCH
    ours = keras.preprocessing.image.ImageDataGenerator(**FIT_SETTINGS[name])
    theirs = tfk.preprocessing.image.ImageDataGenerator(**FIT_SETTINGS[name])
    augment = name == "augmented"
    ours.fit(data * 255, augment=augment, rounds=2, seed=3)
    theirs.fit(data * 255, augment=augment, rounds=2, seed=3)
    for attribute in ("mean", "std", "zca_whitening_matrix"):
        mine, other = getattr(ours, attribute), getattr(theirs, attribute)
        assert (mine is None) == (other is None), attribute
        if other is not None:
            _assert_same(mine, other, atol=1e-4)
    _assert_same(ours.standardize(data[0] * 255), theirs.standardize(data[0] * 255), atol=1e-4)
    _assert_same(ours.standardize(data * 255), theirs.standardize(data * 255), atol=1e-4)


def test_standardize_works_in_place_like_tf_keras(tfk):
    settings = {"featurewise_center": True, "featurewise_std_normalization": True, "rescale": 0.5}
    ours, theirs = (lib.preprocessing.image.ImageDataGenerator(**settings) for lib in (keras, tfk))
    ours.fit(BATCH)
    theirs.fit(BATCH)
    mine, other = BATCH.copy(), BATCH.copy()
    ours.standardize(mine)
    theirs.standardize(other)
    _assert_same(mine, other)


# ---- flow ------------------------------------------------------------------------------------------------
def _flows(tfk, settings, *args, **kwargs):
    ours = keras.preprocessing.image.ImageDataGenerator(**settings).flow(*args, **kwargs)
    theirs = tfk.preprocessing.image.ImageDataGenerator(**settings).flow(*args, **kwargs)
    return ours, theirs


def _epochs_then_next(iterator):
    """Two indexed epochs (with `on_epoch_end`), seven `next()` batches, then `reset()` and one more."""
    batches = []
    for _ in range(2):
        batches += [iterator[index] for index in range(len(iterator))]
        iterator.on_epoch_end()
    batches += [next(iterator) for _ in range(7)]
    iterator.reset()
    return batches + [iterator.next()]


@pytest.mark.parametrize("name", ["none", "classic", "everything"])
def test_seeded_flow_batches_match(tfk, name):
    labels = np.arange(len(BATCH))
    ours, theirs = _flows(tfk, GENERATORS[name], BATCH * 255, labels, batch_size=4, seed=13)
    assert len(ours) == len(theirs) == 3
    _assert_same(_epochs_then_next(ours), _epochs_then_next(theirs), atol=1e-3)


def test_flow_batch_structures_match(tfk):
    labels, weights, extra = np.arange(9) % 3, np.linspace(0.1, 0.9, 9), RNG.random((9, 2))
    cases = [((BATCH,), {}), ((BATCH, labels), {}), ((BATCH, labels), {"sample_weight": weights}),
             (((BATCH, extra), labels), {}), (((BATCH, [extra, labels]),), {}),
             ((BATCH.astype("uint8"), list(labels)), {"shuffle": False})]
    for args, kwargs in cases:
        ours, theirs = _flows(tfk, {}, *args, batch_size=4, seed=2, **kwargs)
        _assert_same([ours[index] for index in range(3)], [theirs[index] for index in range(3)])


@pytest.mark.parametrize("subset", ["training", "validation"])
def test_flow_subsets_match(tfk, subset):
    labels = np.array([0, 1, 2] * 3)
    settings = {"validation_split": 0.34}
    ours, theirs = _flows(tfk, settings, BATCH, labels, batch_size=2, subset=subset, seed=1)
    assert ours.n == theirs.n and len(ours) == len(theirs)
    np.testing.assert_array_equal(ours.y, theirs.y)
    _assert_same([ours[index] for index in range(len(ours))], [theirs[index] for index in range(len(theirs))])
    sorted_labels = np.sort(labels)
    for lib in (keras, tfk):
        with pytest.raises(ValueError, match="different number of classes"):
            lib.preprocessing.image.ImageDataGenerator(**settings).flow(BATCH, sorted_labels, subset=subset)
    ours, theirs = _flows(tfk, settings, BATCH, sorted_labels, subset=subset, ignore_class_split=True)
    np.testing.assert_array_equal(ours.y, theirs.y)


# ---- flow_from_directory ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def image_tree(tmp_path_factory):
    """cats (5 png + a jpg in a nested folder + a text file), dogs (4 png), birds (3 bmp), an empty folder."""
    from PIL import Image
    root = tmp_path_factory.mktemp("tree")
    rng = np.random.default_rng(4)
    layout = {"cats": [f"c{i}.png" for i in range(5)] + ["nested/deep.jpg"],
              "dogs": [f"d{i}.PNG" for i in (3, 1, 2, 0)], "birds": [f"b{i}.bmp" for i in range(3)], "empty": []}
    for folder, names in layout.items():
        (root / folder).mkdir()
        for name in names:
            (root / folder / name).parent.mkdir(exist_ok=True)
            size = tuple(int(v) for v in rng.integers(6, 14, size=2))
            Image.fromarray((rng.random(size + (3,)) * 255).astype("uint8")).save(root / folder / name)
    (root / "cats" / "notes.txt").write_text("not an image")
    return str(root)


DIRECTORY_CASES = {
    "categorical": {},
    "sparse_grayscale": {"class_mode": "sparse", "color_mode": "grayscale", "target_size": (5, 7)},
    "binary_two_classes": {"class_mode": "binary", "classes": ["dogs", "cats"]},
    "input_rgba": {"class_mode": "input", "color_mode": "rgba", "interpolation": "bilinear"},
    "none_keep_aspect": {"class_mode": None, "keep_aspect_ratio": True, "target_size": (4, 9)},
    "training": {"subset": "training"},
    "validation": {"subset": "validation"},
    "unshuffled": {"shuffle": False},
}


@pytest.mark.parametrize("name", sorted(DIRECTORY_CASES))
def test_flow_from_directory_matches(tfk, image_tree, name):
    settings = {**GENERATORS["classic"], "validation_split": 0.3, "rescale": 1 / 255.0}
    kwargs = {"target_size": (8, 6), "batch_size": 3, "seed": 21, **DIRECTORY_CASES[name]}
    ours = keras.preprocessing.image.ImageDataGenerator(**settings).flow_from_directory(image_tree, **kwargs)
    theirs = tfk.preprocessing.image.ImageDataGenerator(**settings).flow_from_directory(image_tree, **kwargs)
    assert ours.class_indices == theirs.class_indices
    assert ours.filenames == theirs.filenames
    assert ours.filepaths == theirs.filepaths
    assert ours.samples == theirs.samples and ours.n == theirs.n and len(ours) == len(theirs)
    np.testing.assert_array_equal(ours.classes, theirs.classes)
    assert ours.classes.dtype == theirs.classes.dtype
    np.testing.assert_array_equal(ours.labels, theirs.labels)
    assert ours.image_shape == theirs.image_shape and ours.sample_weight is theirs.sample_weight is None
    _assert_same(_epochs_then_next(ours), _epochs_then_next(theirs), atol=1e-5)


# ---- argument errors -------------------------------------------------------------------------------------
BAD_GENERATORS = [{"validation_split": 1.0}, {"validation_split": -0.2}, {"zoom_range": [1, 2, 3]},
                  {"zoom_range": "a"}, {"brightness_range": 0.5}, {"brightness_range": (1, 2, 3)},
                  {"data_format": "channels_middle"}]


@pytest.mark.parametrize("settings", BAD_GENERATORS)
def test_generator_argument_errors_match(tfk, settings):
    errors = []
    for lib in (keras, tfk):
        with pytest.raises(Exception) as info:
            lib.preprocessing.image.ImageDataGenerator(**settings)
        errors.append(info.value)
    assert type(errors[0]) is type(errors[1]) and str(errors[0]) == str(errors[1])


def test_flow_and_fit_argument_errors_match(tfk, image_tree):
    cases = [lambda g: g.flow(BATCH[..., 0]), lambda g: g.flow(BATCH, np.arange(4)),
             lambda g: g.flow(BATCH, sample_weight=np.ones(3)), lambda g: g.flow((BATCH, np.ones(2))),
             lambda g: g.flow(BATCH, np.arange(9), subset="testing"), lambda g: g.fit(BATCH[0]),
             lambda g: g.flow(BATCH, batch_size=4)[3],
             lambda g: g.flow_from_directory(image_tree, class_mode="multi"),
             lambda g: g.flow_from_directory(image_tree, color_mode="cmyk"),
             lambda g: g.flow_from_directory(image_tree, subset="testing")]
    for case in cases:
        errors = []
        for lib in (keras, tfk):
            with pytest.raises(Exception) as info:
                case(lib.preprocessing.image.ImageDataGenerator(validation_split=0.5))
            errors.append(info.value)
        assert type(errors[0]) is type(errors[1]) and str(errors[0]) == str(errors[1])
    for module in (ours_image, tfk.preprocessing.image):
        with pytest.raises(RuntimeError, match="boundary mode not supported"):
            module.apply_affine_transform(IMAGE, theta=3.0, fill_mode="bogus")
        with pytest.raises(ValueError, match="`zoom_range` should be a tuple or list of two floats"):
            module.random_zoom(IMAGE, (0.5, 1, 2))


def test_warnings_match(tfk):
    def messages(lib):
        with pytest.warns(UserWarning) as record:
            generator = lib.preprocessing.image.ImageDataGenerator
            generator(zca_whitening=True, featurewise_std_normalization=True)
            generator(samplewise_std_normalization=True)
            generator().flow(BATCH[..., :2])
            generator().fit(BATCH[..., :2])
            generator(featurewise_std_normalization=True, zca_whitening=True).standardize(IMAGE.copy())
        return [str(warning.message) for warning in record]
    assert messages(keras) == messages(tfk)


def test_exported_names_match(tfk):
    theirs = {name for name in dir(tfk.preprocessing.image) if not name.startswith("_")}
    assert set(ours_image.__all__) == theirs
