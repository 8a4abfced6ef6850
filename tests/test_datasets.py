"""keras.datasets loaders, offline: tiny files of the real formats served from a local HTTP server, placed in the
cache by hand, and failed downloads."""
import gzip
import hashlib
import http.server
import io
import json
import os
import pickle
import tarfile
import threading

import numpy as np
import pytest

from torchkeras_api import backend_config, datasets
from torchkeras_api.datasets import remote
from torchkeras_api.utils.data_utils import DownloadError

RNG = np.random.default_rng(0)


# ---- a local server and a private cache ---------------------------------------------------------------------------
class _Server:
    """Serves the files of `folder` on 127.0.0.1 and counts the requests."""

    def __init__(self, folder):
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=folder, **kwargs)

            def do_GET(self):
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.folder = folder
        self.requests = []
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server(tmp_path):
    folder = tmp_path / "served"
    folder.mkdir()
    served = _Server(str(folder))
    yield served
    served.close()


@pytest.fixture(autouse=True)
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return home


def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _serve(server, monkeypatch, source, write):
    """Writes the file of `source` into the served folder with `write(path)` and points SOURCES at it."""
    path = os.path.join(server.folder, source)
    write(path)
    monkeypatch.setitem(remote.SOURCES, source, remote.Source(server.url + source, _sha256(path)))
    return path


# ---- fixture files in the published formats ---------------------------------------------------------------------
def _mnist_npz(path, n_train=10, n_test=4):
    np.savez(path, x_train=RNG.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
             y_train=RNG.integers(0, 10, n_train, dtype=np.uint8),
             x_test=RNG.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
             y_test=RNG.integers(0, 10, n_test, dtype=np.uint8))


def _idx_gz(path, payload, header_size):
    with gzip.open(path, "wb") as file:
        file.write(b"\0" * header_size + payload.tobytes())


def _cifar_pickle(data, labels, label_key):
    return pickle.dumps({b"data": data, label_key.encode(): labels, b"batch_label": b"x"})


def _tar_gz(path, folder, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def _object_array(lists):
    array = np.empty(len(lists), dtype=object)
    array[:] = lists
    return array


def _imdb_npz(path):
    np.savez(path, x_train=_object_array([[1, 5, 2], [7, 3], [4, 4, 4, 9], [6]]), y_train=np.array([0, 1, 1, 0]),
             x_test=_object_array([[2, 2], [8, 1, 3]]), y_test=np.array([1, 0]))


# ---- mnist: download, cache, failures ------------------------------------------------------------------------------
def test_mnist_downloads_once_into_keras_home(server, monkeypatch, keras_home):
    path = _serve(server, monkeypatch, "mnist.npz", _mnist_npz)
    (x_train, y_train), (x_test, y_test) = datasets.mnist.load_data()
    with np.load(path) as expected:
        np.testing.assert_array_equal(x_train, expected["x_train"])
        np.testing.assert_array_equal(y_test, expected["y_test"])
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert x_train.shape == (10, 28, 28) and x_test.shape == (4, 28, 28) and y_train.shape == (10,)
    assert os.path.isfile(keras_home / "datasets" / "mnist.npz")
    datasets.mnist.load_data()
    assert server.requests == ["/mnist.npz"]
    assert [n for n in os.listdir(keras_home / "datasets") if n.endswith(".tmp")] == []


def test_mnist_reads_a_file_placed_in_the_cache_without_downloading(tmp_path, monkeypatch, keras_home):
    placed = keras_home / "datasets" / "mnist.npz"
    placed.parent.mkdir(parents=True)
    _mnist_npz(str(placed), n_train=3, n_test=2)
    monkeypatch.setitem(remote.SOURCES, "mnist.npz", remote.Source("http://127.0.0.1:9/mnist.npz", _sha256(placed)))
    (x_train, _), (x_test, _) = datasets.mnist.load_data()
    assert x_train.shape == (3, 28, 28) and x_test.shape == (2, 28, 28)


def test_cache_dir_argument_is_used_instead_of_keras_home(server, monkeypatch, tmp_path, keras_home):
    _serve(server, monkeypatch, "mnist.npz", _mnist_npz)
    datasets.mnist.load_data(path="digits.npz", cache_dir=str(tmp_path / "elsewhere"))
    assert os.path.isfile(tmp_path / "elsewhere" / "datasets" / "digits.npz")
    assert not os.path.exists(keras_home / "datasets" / "mnist.npz")


def test_404_says_which_url_failed_and_where_to_put_the_file(server, monkeypatch, keras_home):
    monkeypatch.setitem(remote.SOURCES, "mnist.npz", remote.Source(server.url + "missing.npz", "0" * 64))
    with pytest.raises(DownloadError) as info:
        datasets.mnist.load_data()
    message = str(info.value)
    assert server.url + "missing.npz" in message and "404" in message
    assert str(keras_home / "datasets" / "mnist.npz") in message and "0" * 64 in message
    assert os.listdir(keras_home / "datasets") == []


def test_refused_connection_raises_download_error(monkeypatch, keras_home):
    monkeypatch.setitem(remote.SOURCES, "mnist.npz", remote.Source("http://127.0.0.1:9/mnist.npz", None))
    with pytest.raises(DownloadError, match=r"URL fetch failure on http://127.0.0.1:9/mnist.npz"):
        datasets.mnist.load_data()
    assert os.listdir(keras_home / "datasets") == []


def test_a_cached_file_with_the_wrong_hash_is_downloaded_again(server, monkeypatch, keras_home):
    path = _serve(server, monkeypatch, "mnist.npz", _mnist_npz)
    stale = keras_home / "datasets" / "mnist.npz"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"truncated")
    datasets.mnist.load_data()
    assert server.requests == ["/mnist.npz"]
    assert _sha256(stale) == _sha256(path)


def test_a_download_with_the_wrong_hash_is_refused_and_not_kept(server, monkeypatch, keras_home):
    _serve(server, monkeypatch, "mnist.npz", _mnist_npz)
    monkeypatch.setitem(remote.SOURCES, "mnist.npz", remote.Source(server.url + "mnist.npz", "f" * 64))
    with pytest.raises(ValueError, match="file hash does not match"):
        datasets.mnist.load_data()
    assert os.listdir(keras_home / "datasets") == []


def test_production_sources_are_tf_keras_urls_with_hashes():
    assert remote.SOURCES["mnist.npz"].origin == \
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    assert remote.SOURCES["imdb.npz"].file_hash == "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
    assert remote.SOURCES["cifar-10-python.tar.gz"].origin.endswith("cifar-10-python.tar.gz")


# ---- the other image datasets ----------------------------------------------------------------------------------------
def test_fashion_mnist_reads_the_gzipped_idx_files(server, monkeypatch, keras_home):
    images = RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = RNG.integers(0, 10, 5, dtype=np.uint8)
    for prefix, count in (("train", 5), ("t10k", 2)):
        _serve(server, monkeypatch, f"{prefix}-labels-idx1-ubyte.gz", lambda p, n=count: _idx_gz(p, labels[:n], 8))
        _serve(server, monkeypatch, f"{prefix}-images-idx3-ubyte.gz", lambda p, n=count: _idx_gz(p, images[:n], 16))
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, images)
    np.testing.assert_array_equal(y_test, labels[:2])
    assert x_test.shape == (2, 28, 28) and y_train.dtype == np.uint8
    assert os.path.isfile(keras_home / "datasets" / "fashion-mnist" / "t10k-images-idx3-ubyte.gz")


def _cifar10_members():
    planar = RNG.integers(0, 256, (12, 3 * 32 * 32), dtype=np.uint8)
    labels = [int(v) for v in RNG.integers(0, 10, 12)]
    members = {f"data_batch_{i}": _cifar_pickle(planar[2 * i - 2:2 * i], labels[2 * i - 2:2 * i], "labels")
               for i in range(1, 6)}
    members["test_batch"] = _cifar_pickle(planar[10:], labels[10:], "labels")
    return planar, labels, members


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cifar10_extracts_the_archive_and_orders_channels(server, monkeypatch, keras_home, data_format):
    planar, labels, members = _cifar10_members()
    _serve(server, monkeypatch, "cifar-10-python.tar.gz", lambda p: _tar_gz(p, "cifar-10-batches-py", members))
    monkeypatch.setattr(backend_config, "_IMAGE_DATA_FORMAT", data_format)
    (x_train, y_train), (x_test, y_test) = datasets.cifar10.load_data()
    nchw = planar.reshape(12, 3, 32, 32)
    expected = nchw if data_format == "channels_first" else nchw.transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(x_train, expected[:10])
    np.testing.assert_array_equal(x_test, expected[10:])
    np.testing.assert_array_equal(y_train[:, 0], labels[:10])
    assert y_train.shape == (10, 1) and y_test.shape == (2, 1)
    assert x_train.dtype == y_train.dtype == y_test.dtype == np.uint8
    assert os.path.isfile(keras_home / "datasets" / "cifar-10-batches-py" / "test_batch")
    assert os.path.isfile(keras_home / "datasets" / "cifar-10-batches-py.tar.gz")


def test_cifar100_label_modes(server, monkeypatch, keras_home):
    planar = RNG.integers(0, 256, (6, 3 * 32 * 32), dtype=np.uint8)
    fine, coarse = [5, 99, 0, 42, 7, 8], [1, 19, 0, 3, 2, 2]

    def batch(rows):
        return pickle.dumps({b"data": planar[rows], b"fine_labels": [fine[i] for i in range(6)][rows],
                             b"coarse_labels": [coarse[i] for i in range(6)][rows]})

    members = {"train": batch(slice(0, 4)), "test": batch(slice(4, 6))}
    _serve(server, monkeypatch, "cifar-100-python.tar.gz", lambda p: _tar_gz(p, "cifar-100-python", members))
    (x_train, y_fine), (_, y_fine_test) = datasets.cifar100.load_data()
    (_, y_coarse), _ = datasets.cifar100.load_data(label_mode="coarse")
    assert x_train.shape == (4, 32, 32, 3) and x_train.dtype == np.uint8
    np.testing.assert_array_equal(y_fine[:, 0], fine[:4])
    np.testing.assert_array_equal(y_fine_test[:, 0], fine[4:])
    np.testing.assert_array_equal(y_coarse[:, 0], coarse[:4])
    assert y_fine.shape == (4, 1)
    assert server.requests == ["/cifar-100-python.tar.gz"]
    with pytest.raises(ValueError, match="label_mode=medium"):
        datasets.cifar100.load_data(label_mode="medium")


# ---- word sequences ----------------------------------------------------------------------------------------------------
def test_imdb_shifts_indices_adds_the_start_char_and_keeps_labels_paired(server, monkeypatch):
    _serve(server, monkeypatch, "imdb.npz", _imdb_npz)
    (x_train, y_train), (x_test, y_test) = datasets.imdb.load_data(seed=1)
    assert x_train.dtype == object and x_train.shape == (4,) and x_test.shape == (2,)
    # index + 3 after start_char 1; without num_words the largest index (12) is itself out of vocabulary (2)
    assert dict(zip(map(tuple, x_train), y_train.tolist())) == {
        (1, 4, 8, 5): 0, (1, 10, 6): 1, (1, 7, 7, 7, 2): 1, (1, 9): 0}
    assert dict(zip(map(tuple, x_test), y_test.tolist())) == {(1, 5, 5): 1, (1, 11, 4, 6): 0}


def test_imdb_vocabulary_limits_and_maxlen(server, monkeypatch):
    _serve(server, monkeypatch, "imdb.npz", _imdb_npz)
    (x_train, y_train), (x_test, _) = datasets.imdb.load_data(num_words=8, skip_top=2, oov_char=None, maxlen=4)
    assert dict(zip(map(tuple, x_train), y_train.tolist())) == {(6,): 1, (): 0}
    assert x_train.shape == (2,) and [list(x) for x in x_test] == [[5, 5]]
    (x_train, _), _ = datasets.imdb.load_data(num_words=8, skip_top=2, start_char=None, index_from=0)
    assert sorted(map(tuple, x_train)) == sorted([(2, 5, 2), (7, 3), (4, 4, 4, 2), (6,)])
    with pytest.raises(ValueError, match="maxlen=1"):
        datasets.imdb.load_data(maxlen=1)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        datasets.imdb.load_data(bogus=1)


def test_imdb_word_index_is_checked_with_its_md5(server, monkeypatch):
    path = os.path.join(server.folder, "imdb_word_index.json")
    with open(path, "w") as file:
        json.dump({"the": 1, "film": 2}, file)
    md5 = hashlib.md5(open(path, "rb").read()).hexdigest()
    monkeypatch.setitem(remote.SOURCES, "imdb_word_index.json",
                        remote.Source(server.url + "imdb_word_index.json", md5))
    assert datasets.imdb.get_word_index() == {"the": 1, "film": 2}


def test_reuters_split_labels_and_names(server, monkeypatch):
    def write(path):
        np.savez(path, x=_object_array([[i + 1] * (i % 3 + 1) for i in range(10)]), y=np.arange(10))

    _serve(server, monkeypatch, "reuters.npz", write)
    (x_train, y_train), (x_test, y_test) = datasets.reuters.load_data(test_split=0.3, start_char=None,
                                                                       index_from=0, num_words=100)
    assert len(x_train) == 7 and len(x_test) == 3
    assert sorted(y_train.tolist() + y_test.tolist()) == list(range(10))
    for sequence, label in zip(list(x_train) + list(x_test), list(y_train) + list(y_test)):
        assert sequence == [label + 1] * (label % 3 + 1)
    names = datasets.reuters.get_label_names()
    assert len(names) == 46 and names[3] == "earn" and names[-1] == "lead"


def test_boston_housing_shuffles_and_splits(server, monkeypatch):
    x = np.arange(50 * 13, dtype="float64").reshape(50, 13)
    y = np.arange(50, dtype="float64")
    _serve(server, monkeypatch, "boston_housing.npz", lambda p: np.savez(p, x=x, y=y))
    (x_train, y_train), (x_test, y_test) = datasets.boston_housing.load_data(test_split=0.2)
    assert x_train.shape == (40, 13) and x_test.shape == (10, 13) and y_test.shape == (10,)
    rows = np.concatenate([y_train, y_test]).astype(int)
    assert sorted(rows) == list(range(50)) and list(rows) != list(range(50))
    np.testing.assert_array_equal(np.concatenate([x_train, x_test]), x[rows])
    (_, again), _ = datasets.boston_housing.load_data(test_split=0.2)
    np.testing.assert_array_equal(again, y_train)
    with pytest.raises(ValueError, match="test_split"):
        datasets.boston_housing.load_data(test_split=1.0)
