"""tf.image / tf.io of the facade against real TensorFlow: same values (1e-5 for floats, exact for integers),
dtypes and shapes on random images. PNG decodes exactly; JPEG decoding is compared within a small tolerance
(it equals TensorFlow's dct_method='INTEGER_ACCURATE' exactly; TF's default
INTEGER_FAST IDCT differs by a few levels). Random ops: the drawn factor is recovered from the
output, checked to lie in range, and the output compared with TensorFlow's deterministic op at that factor."""
import io

import numpy as np
import pytest
import torch

import torchkeras_api.tf as ours_tf

PIL = pytest.importorskip("PIL.Image")

RNG = np.random.default_rng(0)
U8 = RNG.integers(0, 256, size=(2, 9, 11, 3)).astype("uint8")
F = RNG.uniform(0, 1, size=(2, 9, 11, 3)).astype("float32")
F64 = F.astype("float64")
HSV = RNG.uniform(0, 1, size=(4, 5, 3)).astype("float32")
U16 = RNG.integers(0, 65536, size=(4, 5, 3)).astype("uint16")
I32 = RNG.integers(0, 2 ** 31 - 1, size=(4, 5, 3)).astype("int32")
I8 = RNG.integers(-128, 128, size=(4, 5, 3)).astype("int8")
WIDE = RNG.uniform(-0.5, 1.5, size=(4, 5, 3)).astype("float32")

CASES = [
    ("resize", (F, [5, 7]), {}), ("resize", (F, [13, 20]), {}), ("resize", (U8[0], [6, 17]), {}),
    ("resize", (F, [5, 7]), {"method": "nearest"}), ("resize", (U8, [14, 4]), {"method": "nearest"}),
    ("resize", (F, [13, 6]), {"method": "bicubic"}), ("resize", (F[0], [4, 5]), {"method": "area"}),
    ("resize", (F64, [4, 6]), {}), ("resize", (F, [20, 20]), {"preserve_aspect_ratio": True}),
    ("resize", (U8[0], [4, 30]), {"preserve_aspect_ratio": True, "method": "nearest"}),
    ("resize_with_pad", (F, 6, 15), {}), ("resize_with_pad", (U8[0], 20, 5), {}),
    ("resize_with_pad", (F[0], 7, 7), {"method": "nearest"}),
    ("resize_with_crop_or_pad", (U8, 5, 14), {}), ("resize_with_crop_or_pad", (F[0], 12, 6), {}),
    ("central_crop", (F, 0.5), {}), ("central_crop", (U8[0], 0.33), {}), ("central_crop", (F, 1.0), {}),
    ("crop_to_bounding_box", (U8, 1, 2, 5, 6), {}), ("pad_to_bounding_box", (F[0], 2, 1, 14, 13), {}),
    ("flip_left_right", (U8,), {}), ("flip_up_down", (F[0],), {}), ("transpose", (U8,), {}),
    ("rot90", (U8[0],), {}), ("rot90", (F,), {"k": 2}), ("rot90", (F,), {"k": 3}), ("rot90", (U8,), {"k": -1}),
    ("convert_image_dtype", (U8, "float32"), {}), ("convert_image_dtype", (U8, "float16"), {}),
    ("convert_image_dtype", (U8, "float64"), {}), ("convert_image_dtype", (F, "uint8"), {}),
    ("convert_image_dtype", (F64, "uint16"), {}), ("convert_image_dtype", (F, "int16"), {}),
    ("convert_image_dtype", (WIDE, "uint8"), {"saturate": True}),
    ("convert_image_dtype", (U8, "uint16"), {}), ("convert_image_dtype", (U16, "uint8"), {}),
    ("convert_image_dtype", (I32, "uint8"), {}), ("convert_image_dtype", (U8, "int32"), {}),
    ("convert_image_dtype", (U16, "float32"), {}), ("convert_image_dtype", (I8, "int16"), {}),
    ("convert_image_dtype", (F, "float64"), {}), ("convert_image_dtype", (U8, "uint8"), {}),
    ("adjust_brightness", (F, 0.1), {}), ("adjust_brightness", (U8, 0.2), {}), ("adjust_brightness", (U8, -0.3), {}),
    ("adjust_brightness", (F64, -0.2), {}),
    ("adjust_contrast", (F, 1.7), {}), ("adjust_contrast", (U8, 0.5), {}), ("adjust_contrast", (U8[0], 2.5), {}),
    ("adjust_saturation", (F, 2.5), {}), ("adjust_saturation", (U8, 0.3), {}), ("adjust_saturation", (F64, 0.6), {}),
    ("adjust_hue", (F, 0.3), {}), ("adjust_hue", (F[0], -0.45), {}), ("adjust_hue", (U8, 0.2), {}),
    ("adjust_gamma", (F, 0.5, 1.2), {}), ("adjust_gamma", (U8, 2.0), {}), ("adjust_gamma", (F64, 1.5), {}),
    ("rgb_to_grayscale", (F,), {}), ("rgb_to_grayscale", (U8,), {}), ("grayscale_to_rgb", (F[..., :1],), {}),
    ("rgb_to_hsv", (F,), {}), ("rgb_to_hsv", (F64,), {}), ("hsv_to_rgb", (HSV,), {}),
    ("per_image_standardization", (F,), {}), ("per_image_standardization", (U8[0],), {}),
    ("per_image_standardization", (np.full((3, 4, 2), 7, "uint8"),), {}),
    ("extract_patches", (F, [1, 3, 2, 1], [1, 2, 3, 1], [1, 1, 1, 1], "VALID"), {}),
    ("extract_patches", (U8, [1, 2, 3, 1], [1, 3, 2, 1], [1, 1, 1, 1], "SAME"), {}),
    ("extract_patches", (F, [1, 2, 2, 1], [1, 1, 2, 1], [1, 2, 3, 1], "SAME"), {}),
]


def _dtype_name(value):
    return str(value.dtype).replace("torch.", "")


def _compare(ours, theirs, atol=1e-6):
    theirs = theirs.numpy()
    assert _dtype_name(ours) == theirs.dtype.name
    ours = ours.numpy()
    assert ours.shape == theirs.shape
    if theirs.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=atol)
    else:
        np.testing.assert_array_equal(ours, theirs)


def _args(tf, args, to_tf):
    return [tf.constant(a) if to_tf and isinstance(a, np.ndarray) else a for a in args]


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_image_op_matches_tensorflow(tf, name, args, kwargs):
    theirs = getattr(tf.image, name)(*_args(tf, args, True), **kwargs)
    ours = getattr(ours_tf.image, name)(*[torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args],
                                        **kwargs)
    _compare(ours, theirs, atol=2e-6 if name.startswith(("adjust_hue", "adjust_saturation", "rgb_to_hsv")) else 1e-6)


def test_numpy_inputs_are_accepted(tf):
    _compare(ours_tf.image.resize(U8, [4, 4]), tf.image.resize(U8, [4, 4]))


@pytest.mark.parametrize("call", [
    lambda m: m.image.resize(F[0, 0], [2, 2]), lambda m: m.image.central_crop(F, 0.0),
    lambda m: m.image.crop_to_bounding_box(F, 5, 0, 6, 3), lambda m: m.image.pad_to_bounding_box(F, 1, 0, 5, 11),
    lambda m: m.image.random_contrast(F, 0.8, 0.5), lambda m: m.image.random_hue(F, 0.7),
    lambda m: m.image.random_brightness(F, -0.1), lambda m: m.image.resize(F, [3, 3], method="cubic"),
])
def test_errors_match_tensorflow(tf, call):
    with pytest.raises(Exception) as theirs:
        call(tf)
    with pytest.raises(type(theirs.value)):
        call(ours_tf)


def _encoded(array, fmt, **kwargs):
    buffer = io.BytesIO()
    PIL.fromarray(array).save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def _palette_png():
    image = PIL.fromarray(U8[0]).convert("P", palette=PIL.Palette.ADAPTIVE, colors=16)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=3)
    return buffer.getvalue()


SMOOTH = np.clip(np.cumsum(U8[0].astype(np.int32) - 127, axis=1) // 4 + 128, 0, 255).astype("uint8")
PNGS = {"rgb": _encoded(U8[0], "PNG"), "rgba": _encoded(np.concatenate([U8[0], U8[1, ..., :1]], -1), "PNG"),
        "gray": _encoded(U8[0, ..., 0], "PNG"), "palette": _palette_png()}


@pytest.mark.parametrize("kind", sorted(PNGS))
@pytest.mark.parametrize("channels", [0, 3, 4])
def test_decode_png_is_exact(tf, kind, channels):
    _compare(ours_tf.io.decode_png(PNGS[kind], channels=channels), tf.io.decode_png(PNGS[kind], channels=channels))


def test_decode_png_gray_of_gray_and_uint16(tf):
    _compare(ours_tf.io.decode_png(PNGS["gray"], channels=1), tf.io.decode_png(PNGS["gray"], channels=1))
    _compare(ours_tf.io.decode_png(PNGS["rgb"], dtype="uint16"),
             tf.io.decode_png(PNGS["rgb"], dtype=tf.uint16))
    sixteen = ours_tf.image.encode_png(torch.from_numpy(U16[..., :1]))
    _compare(ours_tf.io.decode_png(sixteen, dtype="uint16"), tf.io.decode_png(sixteen, dtype=tf.uint16))
    _compare(torch.from_numpy(U16[..., :1]), tf.io.decode_png(sixteen, dtype=tf.uint16))


@pytest.mark.parametrize("channels", [0, 1, 3])
def test_decode_jpeg_within_tolerance(tf, channels):
    data = _encoded(SMOOTH, "JPEG", quality=90)
    ours, theirs = ours_tf.io.decode_jpeg(data, channels=channels), tf.io.decode_jpeg(data, channels=channels)
    _compare(ours, tf.io.decode_jpeg(data, channels=channels, dct_method="INTEGER_ACCURATE"))
    difference = np.abs(ours.numpy().astype(int) - theirs.numpy().astype(int))
    assert difference.max() <= 6 and difference.mean() < 1.5


def test_decode_image_dtype_and_gif(tf):
    _compare(ours_tf.image.decode_image(PNGS["rgb"], dtype="float32"),
             tf.image.decode_image(PNGS["rgb"], dtype=tf.float32))
    frames = [PIL.fromarray(U8[i]).convert("P", palette=PIL.Palette.ADAPTIVE, colors=32) for i in range(2)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    gif = buffer.getvalue()
    _compare(ours_tf.io.decode_image(gif), tf.io.decode_image(gif))
    _compare(ours_tf.io.decode_image(gif, expand_animations=False), tf.io.decode_image(gif, expand_animations=False))
    _compare(ours_tf.io.decode_jpeg(PNGS["rgb"]), tf.io.decode_jpeg(PNGS["rgb"]))


def test_encode_png_decodes_in_tensorflow(tf):
    for image in (U8[0], U8[0, ..., :1]):
        encoded = ours_tf.image.encode_png(torch.from_numpy(image))
        _compare(torch.from_numpy(image), tf.io.decode_png(encoded, channels=image.shape[-1]))
    encoded = ours_tf.io.encode_jpeg(torch.from_numpy(SMOOTH), quality=100, chroma_downsampling=False)
    decoded = tf.io.decode_jpeg(encoded).numpy().astype(int)
    assert np.abs(decoded - SMOOTH.astype(int)).mean() < 4
    _compare(ours_tf.io.decode_jpeg(encoded), tf.io.decode_jpeg(encoded, dct_method="INTEGER_ACCURATE"))


def test_read_and_write_file(tf, tmp_path):
    path = str(tmp_path / "sub" / "image.png")
    ours_tf.io.write_file(path, PNGS["rgb"])
    assert ours_tf.io.read_file(path) == tf.io.read_file(path).numpy() == PNGS["rgb"]
    with pytest.raises(tf.errors.NotFoundError):
        tf.io.read_file(str(tmp_path / "missing"))
    with pytest.raises(ours_tf.errors.NotFoundError):
        ours_tf.io.read_file(str(tmp_path / "missing"))


def test_gfile_matches_tensorflow(tf, tmp_path):
    for name in ("a.txt", "b.png", "c.png"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "d").mkdir()
    pattern = str(tmp_path / "*.png")
    assert ours_tf.io.gfile.glob(pattern) == sorted(tf.io.gfile.glob(pattern))
    assert sorted(ours_tf.io.gfile.listdir(str(tmp_path))) == sorted(tf.io.gfile.listdir(str(tmp_path)))
    assert ours_tf.io.gfile.exists(str(tmp_path / "a.txt")) and not ours_tf.io.gfile.exists(str(tmp_path / "z"))
    with ours_tf.io.gfile.GFile(str(tmp_path / "e" / "f.txt"), "w") as handle:
        handle.write("line 1\nline 2\n")
    with tf.io.gfile.GFile(str(tmp_path / "e" / "f.txt")) as theirs, \
            ours_tf.io.gfile.GFile(str(tmp_path / "e" / "f.txt")) as ours:
        assert ours.size() == theirs.size() and list(ours) == list(theirs)


def test_smart_resize_matches_tf_keras(tfk):
    image = U8[0]
    theirs = tfk.preprocessing.image.smart_resize(image, (4, 7))
    ours = __import__("torchkeras_api").preprocessing.image.smart_resize(image, (4, 7))
    assert type(ours) is type(theirs) and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-4)
    _compare(__import__("torchkeras_api").preprocessing.image.smart_resize(torch.from_numpy(F), (5, 5)),
             tfk.preprocessing.image.smart_resize(tfk.backend.constant(F), (5, 5)))


def test_random_brightness_and_contrast_are_tf_ops_at_the_drawn_factor(tf):
    x = torch.from_numpy(F[0])
    for _ in range(5):
        out = ours_tf.image.random_brightness(x, 0.3)
        delta = float(out[0, 0, 0] - x[0, 0, 0])
        assert -0.3 <= delta < 0.3
        _compare(out, tf.image.adjust_brightness(F[0], delta))
        out = ours_tf.image.random_contrast(x, 0.2, 1.8)
        mean = x.mean(dim=(0, 1))
        far = (x - mean).abs().argmax()
        factor = float(((out - mean).flatten()[far] / (x - mean).flatten()[far]))
        assert 0.2 - 1e-4 <= factor < 1.8 + 1e-4
        np.testing.assert_allclose(out.numpy(), tf.image.adjust_contrast(F[0], factor).numpy(), atol=1e-4)


def test_random_saturation_and_hue_are_tf_ops_at_the_drawn_factor(tf):
    x = torch.from_numpy(F[0])
    hsv = tf.image.rgb_to_hsv(F[0]).numpy()
    pixel = np.unravel_index(np.argmin(np.abs(hsv[..., 1] - 0.3)), hsv.shape[:2])
    for _ in range(5):
        out = ours_tf.image.random_saturation(x, 0.5, 2.0)
        factor = tf.image.rgb_to_hsv(out.numpy()).numpy()[pixel][1] / hsv[pixel][1]
        assert 0.5 - 1e-4 <= factor < 2.0 + 1e-4
        np.testing.assert_allclose(out.numpy(), tf.image.adjust_saturation(F[0], factor).numpy(), atol=1e-4)
        out = ours_tf.image.random_hue(x, 0.2)
        delta = (tf.image.rgb_to_hsv(out.numpy()).numpy()[pixel][0] - hsv[pixel][0] + 0.5) % 1.0 - 0.5
        assert -0.2 - 1e-4 <= delta < 0.2 + 1e-4
        np.testing.assert_allclose(out.numpy(), tf.image.adjust_hue(F[0], delta).numpy(), atol=1e-4)
