"""tf.image / tf.io in a tf.data input pipeline (files written with Pillow, decoded, resized, flipped, batched and
fed to fit), random ops' ranges, and errors."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
import torchkeras_api.tf as tf

Image = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(1)


def _write_images(tmp_path):
    paths, labels, arrays = [], [], []
    for index in range(8):
        array = RNG.integers(0, 256, size=(20 + index, 16, 3)).astype("uint8")
        fmt = "png" if index % 2 else "jpeg"
        path = str(tmp_path / f"img{index}.{fmt}")
        Image.fromarray(array).save(path)
        paths.append(path)
        labels.append(index % 2)
        arrays.append(array)
    return paths, labels, arrays


def test_input_pipeline_feeds_fit(tmp_path):
    paths, labels, arrays = _write_images(tmp_path)

    def load(path, label):
        image = tf.io.read_file(path)
        image = tf.image.decode_jpeg(image, channels=3)
        image = tf.image.resize(image, [12, 12]) / 255.0
        image = tf.image.random_flip_left_right(image)
        return image, label

    dataset = tf.data.Dataset.from_tensor_slices((paths, labels)).map(load).batch(4)
    images, batch_labels = next(iter(dataset))
    assert tuple(images.shape) == (4, 12, 12, 3) and images.dtype == torch.float32
    assert batch_labels.tolist() == [0, 1, 0, 1]
    assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0
    model = keras.Sequential([keras.layers.Input((12, 12, 3)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_decode_png_round_trips_and_decode_image_scales(tmp_path):
    _, _, arrays = _write_images(tmp_path)
    contents = tf.io.read_file(str(tmp_path / "img1.png"))
    assert isinstance(contents, bytes)
    np.testing.assert_array_equal(tf.image.decode_png(contents).numpy(), arrays[1])
    as_float = tf.io.decode_image(contents, dtype=tf.float32)
    assert as_float.dtype == torch.float32
    np.testing.assert_allclose(as_float.numpy(), arrays[1] / 255.0, rtol=1e-6)
    assert tuple(tf.io.decode_png(contents, channels=4).shape) == (21, 16, 4)
    np.testing.assert_array_equal(tf.io.decode_png(tf.image.encode_png(torch.from_numpy(arrays[3]))).numpy(),
                                  arrays[3])


def test_decode_accepts_numpy_string_scalars(tmp_path):
    _write_images(tmp_path)
    contents = tf.io.read_file(np.array(str(tmp_path / "img1.png").encode(), dtype=object))
    assert tuple(tf.io.decode_image(np.array(contents, dtype=object)).shape) == (21, 16, 3)


def test_write_file_creates_directories(tmp_path):
    path = tmp_path / "a" / "b.bin"
    tf.io.write_file(str(path), b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert tf.io.gfile.exists(str(path)) and tf.io.gfile.listdir(str(tmp_path / "a")) == ["b.bin"]


def test_random_flips_flip_about_half_the_images():
    images = torch.rand(200, 4, 5, 3)
    flipped = tf.image.random_flip_left_right(images)
    same = (flipped == images).flatten(1).all(1)
    mirrored = (flipped == torch.flip(images, dims=(2,))).flatten(1).all(1)
    assert bool((same | mirrored).all())
    assert 60 < int(mirrored.sum()) < 140
    upside = tf.image.random_flip_up_down(images[0], seed=3)
    assert torch.equal(upside, images[0]) or torch.equal(upside, torch.flip(images[0], dims=(0,)))


def test_random_crop_is_a_window_at_varying_offsets():
    value = torch.arange(10 * 12).reshape(10, 12, 1)
    corners = set()
    for _ in range(30):
        crop = tf.image.random_crop(value, [4, 5, 1])
        assert tuple(crop.shape) == (4, 5, 1)
        top, left = divmod(int(crop[0, 0, 0]), 12)
        assert torch.equal(crop, value[top:top + 4, left:left + 5])
        corners.add((top, left))
    assert len(corners) > 5


def test_random_brightness_draws_one_delta_in_range():
    image = torch.rand(3, 6, 6, 3)
    deltas = []
    for _ in range(50):
        shift = tf.image.random_brightness(image, 0.25) - image
        assert torch.allclose(shift, shift.flatten()[0].expand_as(shift), atol=1e-6)
        deltas.append(float(shift.flatten()[0]))
    assert -0.25 <= min(deltas) < -0.1 and 0.1 < max(deltas) <= 0.25


def test_convert_image_dtype_scales():
    image = torch.tensor([0, 128, 255], dtype=torch.uint8)
    np.testing.assert_allclose(tf.image.convert_image_dtype(image, tf.float32).numpy(), [0, 128 / 255, 1], rtol=1e-6)
    assert tf.image.convert_image_dtype(torch.tensor([0.0, 0.5, 1.0]), "uint8").tolist() == [0, 127, 255]
    assert tf.image.convert_image_dtype(torch.tensor([-1.0, 2.0]), "uint8", saturate=True).tolist() == [0, 255]


def test_preprocessing_smart_resize_keeps_the_input_kind():
    from torchkeras_api.preprocessing.image import smart_resize
    image = np.zeros((10, 20, 3), "uint8")
    image[:, 5:15] = 255
    out = smart_resize(image, (4, 4))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (4, 4, 3)
    np.testing.assert_allclose(out, 255.0)
    assert isinstance(smart_resize(torch.zeros(2, 6, 8, 1), (3, 3)), torch.Tensor)


def test_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unknown image file format"):
        tf.io.decode_image(b"not an image")
    with pytest.raises(tf.errors.NotFoundError, match="No such file"):
        tf.io.read_file("/nonexistent/file.png")
    with pytest.raises(ValueError, match="3 or 4 dimensions"):
        tf.image.resize(torch.zeros(4, 4), [2, 2])
    with pytest.raises(NotImplementedError, match="lanczos3"):
        tf.image.resize(torch.zeros(4, 4, 1), [2, 2], method="lanczos3")
    with pytest.raises(NotImplementedError, match="antialias"):
        tf.image.resize(torch.zeros(4, 4, 1), [2, 2], antialias=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="channels"):
        tf.io.decode_jpeg(b"\xff\xd8\xff", channels=2)
    with pytest.raises(AttributeError, match="not supported by torchkeras_api"):
        tf.image.sobel_edges
    with pytest.raises(AttributeError, match="not supported by torchkeras_api"):
        tf.io.parse_single_example


def test_importer_serves_tf_image():
    from torchkeras_api import importer
    importer.install()
    try:
        import tensorflow
        from tensorflow.io import gfile
        assert tensorflow.image.resize is tf.image.resize and gfile.exists is tf.io.gfile.exists
    finally:
        importer.uninstall()
