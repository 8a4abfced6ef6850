"""keras.utils and keras.datasets against tf.keras on the same inputs: pad_sequences, normalize, the dataset
constructors on the same folders, image conversions, and the loaders' post-processing of the same fixture files
(placed in each library's own cache, so neither downloads)."""
import io
import os
import pickle
import shutil
import tarfile

import numpy as np
import pytest

import torchkeras_api as keras
from torchkeras_api.datasets import remote

RNG = np.random.default_rng(7)


def _np(value):
    return value.numpy() if hasattr(value, "numpy") else np.asarray(value)


def _item(value):
    value = _np(value)
    return value.item() if isinstance(value, np.ndarray) else value


# ---- pad_sequences, normalize ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"maxlen": 3}, {"maxlen": 2, "padding": "post", "truncating": "post"},
                                    {"dtype": "float32", "value": -1.5}, {"maxlen": 6, "padding": "post"}])
def test_pad_sequences_matches(tfk, kwargs):
    seqs = [[1, 2, 3, 4], [5], [], [6, 7]]
    ours = keras.utils.pad_sequences(seqs, **kwargs)
    theirs = tfk.utils.pad_sequences(seqs, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_strings_and_timesteps_match(tfk):
    words = [["a", "b"], ["c"]]
    np.testing.assert_array_equal(keras.utils.pad_sequences(words, dtype=object, value="_"),
                                  tfk.utils.pad_sequences(words, dtype=object, value="_"))
    steps = [np.ones((2, 3)), np.zeros((4, 3))]
    np.testing.assert_array_equal(keras.utils.pad_sequences(steps, maxlen=3, dtype="float32"),
                                  tfk.utils.pad_sequences(steps, maxlen=3, dtype="float32"))


@pytest.mark.parametrize("axis,order", [(-1, 2), (0, 1), (1, np.inf)])
def test_normalize_matches(tfk, axis, order):
    x = RNG.normal(size=(4, 3))
    x[1] = 0
    np.testing.assert_allclose(keras.utils.normalize(x, axis, order), tfk.utils.normalize(x, axis, order))


# ---- timeseries ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [dict(sequence_length=4, batch_size=3),
                                    dict(sequence_length=3, sequence_stride=2, sampling_rate=2, batch_size=2,
                                         start_index=2, end_index=18),
                                    dict(sequence_length=5, batch_size=None)])
def test_timeseries_dataset_matches(tfk, kwargs):
    data = RNG.normal(size=(20, 2))
    targets = np.arange(20) * 3
    ours = list(keras.utils.timeseries_dataset_from_array(data, targets, **kwargs).as_numpy_iterator())
    theirs = list(tfk.utils.timeseries_dataset_from_array(data, targets, **kwargs).as_numpy_iterator())
    assert len(ours) == len(theirs)
    for (x, y), (tx, ty) in zip(ours, theirs):
        assert x.dtype == tx.dtype and y.dtype == ty.dtype
        np.testing.assert_array_equal(x, tx)
        np.testing.assert_array_equal(y, ty)


# ---- folders ------------------------------------------------------------------------------------------------------
def _text_tree(root):
    for cls in ("zeta", "alpha", "mid"):
        os.makedirs(root / cls / "sub")
        for i in range(3):
            (root / cls / f"f{i}.txt").write_text(f"{cls} text number {i}")
        (root / cls / "sub" / "deep.txt").write_text(f"{cls} deep")
        (root / cls / "ignored.csv").write_text("x")


def _pairs(dataset):
    """All (text/image, label) pairs of a batched dataset, with the batch shapes and dtypes."""
    items, shapes = [], []
    for x, y in dataset:
        x, y = _np(x), _np(y)
        shapes.append((x.shape, str(x.dtype).replace("<U", "S"), y.shape, str(y.dtype)))
        items.extend(zip(x.tolist(), y.tolist()))
    return items, shapes


@pytest.mark.parametrize("label_mode", ["int", "categorical", "binary"])
def test_text_dataset_from_directory_matches(tfk, tmp_path, label_mode):
    _text_tree(tmp_path)
    if label_mode == "binary":
        shutil.rmtree(tmp_path / "mid")
    kwargs = dict(label_mode=label_mode, batch_size=3, shuffle=False, max_length=9)
    ours = keras.utils.text_dataset_from_directory(str(tmp_path), **kwargs)
    theirs = tfk.utils.text_dataset_from_directory(str(tmp_path), **kwargs)
    assert ours.class_names == theirs.class_names
    (our_items, our_shapes), (their_items, their_shapes) = _pairs(ours), _pairs(theirs)
    assert our_items == their_items
    assert [s[0] + s[2] for s in our_shapes] == [s[0] + s[2] for s in their_shapes]
    assert {s[3] for s in our_shapes} == {s[3] for s in their_shapes}


def test_text_validation_split_selects_the_same_files(tfk, tmp_path):
    _text_tree(tmp_path)
    kwargs = dict(validation_split=0.3, subset="both", seed=11, batch_size=None)
    ours = keras.utils.text_dataset_from_directory(str(tmp_path), **kwargs)
    theirs = tfk.utils.text_dataset_from_directory(str(tmp_path), **kwargs)
    for our_part, their_part in zip(ours, theirs):
        assert sorted((_item(x), int(y)) for x, y in our_part) == sorted((_item(x), int(y)) for x, y in their_part)
    assert [_item(x) for x, _ in ours[1]] == [_item(x) for x, _ in theirs[1]]


def _image_tree(root):
    from PIL import Image
    for cls, sizes in {"b_dogs": [(8, 6), (5, 9)], "a_cats": [(8, 6), (7, 7), (6, 8)]}.items():
        os.makedirs(root / cls)
        for i, (h, w) in enumerate(sizes):
            Image.fromarray(RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(root / cls / f"{i}.png")
    Image.fromarray(RNG.integers(0, 256, (8, 6), dtype=np.uint8)).save(root / "a_cats" / "gray.png")


@pytest.mark.parametrize("kwargs", [dict(image_size=(8, 6)), dict(image_size=(4, 5), interpolation="bilinear"),
                                    dict(image_size=(4, 4), crop_to_aspect_ratio=True, color_mode="grayscale"),
                                    dict(image_size=(3, 3), interpolation="nearest", color_mode="rgba",
                                         label_mode="categorical")])
def test_image_dataset_from_directory_matches(tfk, tmp_path, kwargs):
    pytest.importorskip("PIL")
    _image_tree(tmp_path)
    ours = keras.utils.image_dataset_from_directory(str(tmp_path), batch_size=2, shuffle=False, **kwargs)
    theirs = tfk.utils.image_dataset_from_directory(str(tmp_path), batch_size=2, shuffle=False, **kwargs)
    assert ours.class_names == theirs.class_names and ours.file_paths == theirs.file_paths
    for (x, y), (tx, ty) in zip(ours, theirs):
        x, y, tx, ty = _np(x), _np(y), tx.numpy(), ty.numpy()
        assert x.dtype == tx.dtype and y.dtype == ty.dtype and x.shape == tx.shape
        # Pillow's RGB -> grayscale conversion rounds differently from TensorFlow's decoders (at most one level)
        tolerance = 1.0 if kwargs.get("color_mode") == "grayscale" else 1e-3
        np.testing.assert_allclose(x.astype("float64"), tx.astype("float64"), atol=tolerance)
        np.testing.assert_array_equal(y, ty)


def test_image_array_round_trips_match(tfk):
    pytest.importorskip("PIL")
    for channels in (1, 3, 4):
        pixels = RNG.uniform(-2, 5, size=(5, 4, channels)).astype("float32")
        for scale in (True, False):
            values = pixels if scale else np.clip(pixels * 40, 0, 255)
            ours = keras.utils.img_to_array(keras.utils.array_to_img(values, scale=scale))
            theirs = tfk.utils.img_to_array(tfk.utils.array_to_img(values, scale=scale))
            np.testing.assert_array_equal(ours, theirs)
    chw = RNG.uniform(0, 255, size=(3, 4, 5))
    np.testing.assert_array_equal(
        keras.utils.img_to_array(keras.utils.array_to_img(chw, data_format="channels_first"), "channels_first"),
        tfk.utils.img_to_array(tfk.utils.array_to_img(chw, data_format="channels_first"), "channels_first"))


# ---- dataset loaders on the same fixture files ------------------------------------------------------------------
def _object_array(lists):
    array = np.empty(len(lists), dtype=object)
    array[:] = lists
    return array


def _sequences(count):
    return _object_array([list(RNG.integers(1, 30, RNG.integers(1, 9))) for _ in range(count)])


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Our cache (KERAS_HOME) and tf.keras's (cache_dir), each with a `datasets` folder; tf.keras's loaders read
    the files placed there without checking the real files' hashes."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    (ours / "datasets").mkdir(parents=True)
    (theirs / "datasets").mkdir(parents=True)
    monkeypatch.setenv("KERAS_HOME", str(ours))
    return ours / "datasets", theirs / "datasets"


def _place(caches, monkeypatch, source, name, write):
    """Writes the fixture to both caches; our SOURCES expects its hash, tf.keras's loader skips the check."""
    from torchkeras_api.utils.data_utils import _hash_file
    write(str(caches[0] / name))
    shutil.copy(caches[0] / name, caches[1] / name)
    monkeypatch.setitem(remote.SOURCES, source, remote.Source("http://127.0.0.1:9/unreachable",
                                                              _hash_file(str(caches[0] / name))))


def _without_hash(monkeypatch, module):
    real = module.get_file
    monkeypatch.setattr(module, "get_file", lambda *a, **k: real(*a, **{**k, "file_hash": None}))


@pytest.mark.parametrize("kwargs", [{}, dict(num_words=12, skip_top=3), dict(maxlen=6, seed=5),
                                    dict(oov_char=None, num_words=15, skip_top=2, index_from=1),
                                    dict(start_char=None, index_from=2)])
def test_imdb_post_processing_matches(tfk, caches, monkeypatch, kwargs):
    from tf_keras.src.datasets import imdb as tf_imdb
    _place(caches, monkeypatch, "imdb.npz", "imdb.npz", lambda p: np.savez(
        p, x_train=_sequences(12), y_train=RNG.integers(0, 2, 12), x_test=_sequences(7),
        y_test=RNG.integers(0, 2, 7)))
    _without_hash(monkeypatch, tf_imdb)
    ours = keras.datasets.imdb.load_data(**kwargs)
    theirs = tf_imdb.load_data(cache_dir=str(caches[1].parent), **kwargs)
    for (x, y), (tx, ty) in zip(ours, theirs):
        assert [list(s) for s in x] == [list(s) for s in tx]
        assert y.dtype == ty.dtype
        np.testing.assert_array_equal(y, ty)


@pytest.mark.parametrize("kwargs", [{}, dict(test_split=0.4, num_words=10, skip_top=1), dict(maxlen=7, seed=2)])
def test_reuters_post_processing_matches(tfk, caches, monkeypatch, kwargs):
    from tf_keras.src.datasets import reuters as tf_reuters
    _place(caches, monkeypatch, "reuters.npz", "reuters.npz",
           lambda p: np.savez(p, x=_sequences(15), y=RNG.integers(0, 46, 15)))
    _without_hash(monkeypatch, tf_reuters)
    ours = keras.datasets.reuters.load_data(**kwargs)
    theirs = tf_reuters.load_data(cache_dir=str(caches[1].parent), **kwargs)
    for (x, y), (tx, ty) in zip(ours, theirs):
        assert [list(s) for s in x] == [list(s) for s in tx]
        np.testing.assert_array_equal(y, ty)
    assert keras.datasets.reuters.get_label_names() == tuple(tf_reuters.get_label_names())


def test_boston_housing_matches(tfk, caches, monkeypatch):
    from tf_keras.src.datasets import boston_housing as tf_boston
    _place(caches, monkeypatch, "boston_housing.npz", "boston_housing.npz",
           lambda p: np.savez(p, x=RNG.normal(size=(23, 13)), y=RNG.normal(size=23)))
    _without_hash(monkeypatch, tf_boston)
    for (x, y), (tx, ty) in zip(keras.datasets.boston_housing.load_data(test_split=0.3, seed=4),
                                tf_boston.load_data(test_split=0.3, seed=4, cache_dir=str(caches[1].parent))):
        np.testing.assert_array_equal(x, tx)
        np.testing.assert_array_equal(y, ty)


def _cifar_tar(path, folder, batches):
    with tarfile.open(path, "w:gz") as tar:
        for name, batch in batches.items():
            payload = pickle.dumps({k.encode(): v for k, v in batch.items()})
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def _planar(count):
    return RNG.integers(0, 256, (count, 3 * 32 * 32), dtype=np.uint8)


def test_cifar10_matches(tfk, caches, monkeypatch):
    from tf_keras.src.datasets import cifar10 as tf_cifar10
    batches = {f"data_batch_{i}": {"data": _planar(2), "labels": [i, 9 - i]} for i in range(1, 6)}
    batches["test_batch"] = {"data": _planar(3), "labels": [4, 5, 6]}
    _place(caches, monkeypatch, "cifar-10-python.tar.gz", "cifar-10-batches-py.tar.gz",
           lambda p: _cifar_tar(p, "cifar-10-batches-py", batches))
    _without_hash(monkeypatch, tf_cifar10)
    ours = keras.datasets.cifar10.load_data()
    # tf.keras fills fixed 10,000-image batches; compare its arrays where our tiny batches put data
    monkeypatch.setattr(tf_cifar10, "load_batch", _padded_batch(tf_cifar10.load_batch))
    theirs = tf_cifar10.load_data(cache_dir=str(caches[1].parent))
    (x, y), (tx, ty) = ours[0], theirs[0]
    rows = np.concatenate([np.arange(2) + 10000 * i for i in range(5)])
    np.testing.assert_array_equal(x, tx[rows])
    np.testing.assert_array_equal(y, ty[rows])
    assert x.dtype == tx.dtype and y.dtype == ty.dtype and y.shape[1:] == ty.shape[1:]
    for ours_part, theirs_part in zip(ours[1], theirs[1]):
        assert ours_part.dtype == theirs_part.dtype
        np.testing.assert_array_equal(ours_part, theirs_part[:3])


def _padded_batch(load_batch):
    """tf.keras's batch reader with the tiny training batches padded to the 10,000 rows it expects."""
    def load(fpath, label_key="labels"):
        data, labels = load_batch(fpath, label_key)
        if os.path.basename(fpath).startswith("data_batch"):
            data = np.concatenate([data, np.zeros((10000 - len(data),) + data.shape[1:], data.dtype)])
            labels = list(labels) + [0] * (10000 - len(labels))
        return data, labels
    return load


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_matches(tfk, caches, monkeypatch, label_mode):
    from tf_keras.src.datasets import cifar100 as tf_cifar100
    batches = {name: {"data": _planar(n), "fine_labels": list(RNG.integers(0, 100, n)),
                      "coarse_labels": list(RNG.integers(0, 20, n))} for name, n in (("train", 4), ("test", 2))}
    _place(caches, monkeypatch, "cifar-100-python.tar.gz", "cifar-100-python.tar.gz",
           lambda p: _cifar_tar(p, "cifar-100-python", batches))
    _without_hash(monkeypatch, tf_cifar100)
    for (x, y), (tx, ty) in zip(keras.datasets.cifar100.load_data(label_mode),
                                tf_cifar100.load_data(label_mode, cache_dir=str(caches[1].parent))):
        assert x.dtype == tx.dtype and y.dtype == ty.dtype
        np.testing.assert_array_equal(x, tx)
        np.testing.assert_array_equal(y, ty)
