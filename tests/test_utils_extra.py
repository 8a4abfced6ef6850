"""keras.utils: get_file (offline, against a local server), pad_sequences, normalize, TimeseriesGenerator, the
*_dataset_from_directory / timeseries_dataset_from_array constructors, image conversions and plot_model."""
import hashlib
import http.server
import io
import os
import sys
import tarfile
import threading
import types
import zipfile

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api.utils import data_utils
from torchkeras_api.utils.data_utils import DownloadError, get_file


# ---- a local server ---------------------------------------------------------------------------------------------
class _Server:
    """Serves `folder` on 127.0.0.1; `/truncated` promises more bytes than it sends."""

    def __init__(self, folder):
        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=folder, **kwargs)

            def do_GET(self):
                if self.path != "/truncated":
                    return super().do_GET()
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.folder = folder
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
def server(tmp_path, monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "served"
    folder.mkdir()
    served = _Server(str(folder))
    yield served
    served.close()


def _digest(path, algorithm):
    return hashlib.new(algorithm, open(path, "rb").read()).hexdigest()


# ---- get_file ---------------------------------------------------------------------------------------------------
def test_get_file_names_the_file_after_the_url_and_checks_md5(server, tmp_path):
    served = os.path.join(server.folder, "notes.txt")
    open(served, "w").write("hello")
    path = get_file(origin=server.url + "notes.txt", md5_hash=_digest(served, "md5"), cache_dir=str(tmp_path / "c"),
                    cache_subdir="sub")
    assert path == str(tmp_path / "c" / "sub" / "notes.txt")
    assert open(path).read() == "hello"
    assert data_utils.validate_file(path, _digest(served, "sha256"))
    assert not data_utils.validate_file(path, _digest(served, "sha256"), algorithm="md5")


def test_get_file_defaults_to_keras_home(server, tmp_path, monkeypatch):
    open(os.path.join(server.folder, "a.bin"), "wb").write(b"\1\2")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    assert get_file("b.bin", server.url + "a.bin") == str(tmp_path / "home" / "datasets" / "b.bin")


def test_get_file_untar_extracts_once_and_returns_the_folder(server, tmp_path):
    archive = os.path.join(server.folder, "pack.tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        info = tarfile.TarInfo("pack/inner.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    folder = get_file("pack", server.url + "pack.tar.gz", untar=True, cache_dir=str(tmp_path),
                      file_hash=_digest(archive, "sha256"))
    assert folder == str(tmp_path / "datasets" / "pack")
    assert open(os.path.join(folder, "inner.txt")).read() == "abc"
    assert os.path.isfile(str(tmp_path / "datasets" / "pack.tar.gz"))
    assert [n for n in os.listdir(tmp_path / "datasets") if n.startswith(".")] == []


def test_get_file_extract_zip_returns_the_archive_path(server, tmp_path):
    archive = os.path.join(server.folder, "bundle.zip")
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("bundle/a.txt", "zipped")
    path = get_file(origin=server.url + "bundle.zip", extract=True, cache_dir=str(tmp_path))
    assert path == str(tmp_path / "datasets" / "bundle.zip")
    assert open(tmp_path / "datasets" / "bundle" / "a.txt").read() == "zipped"
    assert not data_utils.extract_archive(path, str(tmp_path / "none"), archive_format="tar")
    assert not data_utils.extract_archive(path, str(tmp_path / "none"), archive_format=None)


def test_extracting_refuses_members_outside_the_folder(tmp_path):
    archive = str(tmp_path / "evil.tar")
    with tarfile.open(archive, "w") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"!"))
    with pytest.raises(Exception):
        data_utils.extract_archive(archive, str(tmp_path / "out"))
    assert not os.path.exists(tmp_path / "escaped.txt")
    assert os.listdir(tmp_path / "out") == []


def test_an_interrupted_download_leaves_no_file(server, tmp_path):
    with pytest.raises(DownloadError, match="closed after 10 of 1000 bytes") as info:
        get_file("big.bin", server.url + "truncated", cache_dir=str(tmp_path))
    assert str(tmp_path / "datasets" / "big.bin") in str(info.value)
    assert os.listdir(tmp_path / "datasets") == []


def test_get_file_argument_errors():
    with pytest.raises(ValueError, match='"origin"'):
        get_file("x")
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(origin="http://127.0.0.1:9/")


# ---- pad_sequences, normalize -----------------------------------------------------------------------------------
def test_pad_sequences_padding_and_truncating():
    seqs = [[1, 2, 3, 4], [5], []]
    np.testing.assert_array_equal(keras.utils.pad_sequences(seqs), [[1, 2, 3, 4], [0, 0, 0, 5], [0, 0, 0, 0]])
    np.testing.assert_array_equal(keras.utils.pad_sequences(seqs, maxlen=2, padding="post", truncating="post",
                                                            value=-1), [[1, 2], [5, -1], [-1, -1]])
    np.testing.assert_array_equal(keras.preprocessing.sequence.pad_sequences(seqs, maxlen=3), [[2, 3, 4], [0, 0, 5],
                                                                                               [0, 0, 0]])
    out = keras.utils.pad_sequences([[[1, 2]], [[3, 4], [5, 6]]], dtype="float32")
    assert out.shape == (2, 2, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0], [[0, 0], [1, 2]])


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match="must be iterable"):
        keras.utils.pad_sequences(iter([[1]]))
    with pytest.raises(ValueError, match="Found non-iterable: 3"):
        keras.utils.pad_sequences([[1], 3])
    with pytest.raises(ValueError, match='Truncating type "middle"'):
        keras.utils.pad_sequences([[1, 2]], truncating="middle")
    with pytest.raises(ValueError, match='Padding type "mid"'):
        keras.utils.pad_sequences([[1, 2]], padding="mid")
    with pytest.raises(ValueError, match="dtype=object"):
        keras.utils.pad_sequences([["a"]], value="pad")
    with pytest.raises(ValueError, match=r"Shape of sample \(3,\) of sequence at position 1"):
        keras.utils.pad_sequences([[[1, 2]], [[1, 2, 3]]])
    assert keras.utils.pad_sequences([["ab"], []], dtype=object, value="-").tolist() == [["ab"], ["-"]]


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x, axis=0, order=1), [[1.0, 1.0], [0.0, 0.0]])


# ---- time series ------------------------------------------------------------------------------------------------
def test_timeseries_dataset_windows_and_targets():
    data = np.arange(20, dtype="float64").reshape(10, 2)
    targets = np.arange(100, 110)
    ds = keras.utils.timeseries_dataset_from_array(data, targets, sequence_length=3, sequence_stride=2,
                                                   sampling_rate=2, batch_size=2, start_index=1)
    batches = list(ds.as_numpy_iterator())
    windows = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    assert [len(b[0]) for b in batches] == [2, 1] and windows.dtype == np.float64
    np.testing.assert_array_equal(windows[:, :, 0], [[2, 6, 10], [6, 10, 14], [10, 14, 18]])
    np.testing.assert_array_equal(labels, [101, 103, 105])
    shuffled = keras.utils.timeseries_dataset_from_array(data, None, 3, batch_size=None, shuffle=True, seed=4)
    firsts = sorted(int(w[0, 0]) for w in shuffled.as_numpy_iterator())
    assert firsts == [0, 2, 4, 6, 8, 10, 12, 14]
    with pytest.raises(ValueError, match="sampling_rate"):
        keras.utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="start_index"):
        keras.utils.timeseries_dataset_from_array(data, None, 3, start_index=10)


def test_timeseries_generator_batches():
    gen = keras.preprocessing.sequence.TimeseriesGenerator(np.arange(10), np.arange(10) * 10, length=4,
                                                           sampling_rate=2, batch_size=3)
    assert len(gen) == 2
    samples, targets = gen[0]
    np.testing.assert_array_equal(samples, [[0, 2], [1, 3], [2, 4]])
    np.testing.assert_array_equal(targets, [40, 50, 60])
    assert gen[1][1].tolist() == [70, 80, 90]
    with pytest.raises(ValueError, match="same length"):
        keras.preprocessing.sequence.TimeseriesGenerator(np.arange(3), np.arange(4), length=1)
    assert '"length": 4' in gen.to_json()


# ---- folders of files -------------------------------------------------------------------------------------------
def _text_tree(root):
    for cls, names in {"neg": ["b.txt", "a.txt", "skip.md"], "pos": ["c.txt"], ".hidden": ["h.txt"]}.items():
        os.makedirs(root / cls, exist_ok=True)
        for name in names:
            (root / cls / name).write_text(f"{cls}:{name}")
    os.makedirs(root / "pos" / "deep")
    (root / "pos" / "deep" / "d.txt").write_text("pos:deep")


def test_text_dataset_from_directory_labels_and_order(tmp_path):
    _text_tree(tmp_path)
    ds = keras.utils.text_dataset_from_directory(str(tmp_path), batch_size=2, shuffle=False, max_length=5)
    assert ds.class_names == ["neg", "pos"]
    batches = list(ds.as_numpy_iterator())
    texts = [t for b in batches for t in b[0].tolist()]
    assert texts == [b"neg:a", b"neg:b", b"pos:c", b"pos:d"]
    labels = np.concatenate([b[1] for b in batches])
    assert labels.tolist() == [0, 0, 1, 1] and labels.dtype == np.int32
    binary = next(iter(keras.utils.text_dataset_from_directory(str(tmp_path), label_mode="binary", shuffle=False)))
    assert tuple(binary[1].shape) == (4, 1) and binary[1].dtype == torch.float32
    onehot = next(iter(keras.utils.text_dataset_from_directory(str(tmp_path), label_mode="categorical",
                                                               shuffle=False)))
    np.testing.assert_array_equal(onehot[1].numpy(), [[1, 0], [1, 0], [0, 1], [0, 1]])


def test_directory_validation_split_subsets(tmp_path):
    _text_tree(tmp_path)
    train, val = keras.utils.text_dataset_from_directory(str(tmp_path), validation_split=0.25, subset="both",
                                                         seed=3, batch_size=None)
    train_texts = {t for t, _ in train.as_numpy_iterator()}
    val_texts = {t for t, _ in val.as_numpy_iterator()}
    assert len(train_texts) == 3 and len(val_texts) == 1 and not train_texts & val_texts
    only_val = keras.utils.text_dataset_from_directory(str(tmp_path), validation_split=0.25, subset="validation",
                                                       seed=3, batch_size=None)
    assert {t for t, _ in only_val.as_numpy_iterator()} == val_texts
    with pytest.raises(ValueError, match="provide a `seed`"):
        keras.utils.text_dataset_from_directory(str(tmp_path), validation_split=0.25, subset="training")
    with pytest.raises(ValueError, match="`subset` must be either"):
        keras.utils.text_dataset_from_directory(str(tmp_path), validation_split=0.25, subset="test", seed=1)
    with pytest.raises(ValueError, match="exactly 2"):
        os.makedirs(tmp_path / "third")
        (tmp_path / "third" / "x.txt").write_text("x")
        keras.utils.text_dataset_from_directory(str(tmp_path), label_mode="binary")


def test_directory_given_labels_and_class_names(tmp_path):
    _text_tree(tmp_path)
    ds = keras.utils.text_dataset_from_directory(str(tmp_path), labels=[1, 0, 1, 1, 0], shuffle=False)
    assert ds.class_names == [0, 1]
    texts, labels = next(iter(ds))
    assert labels.tolist() == [1, 0, 1, 1, 0]
    assert texts.tolist() == [b".hidden:h.txt", b"neg:a.txt", b"neg:b.txt", b"pos:c.txt", b"pos:deep"]
    flipped = keras.utils.text_dataset_from_directory(str(tmp_path), class_names=["pos", "neg"], shuffle=False)
    assert next(iter(flipped))[1].tolist() == [1, 1, 0, 0]
    with pytest.raises(ValueError, match="did not match"):
        keras.utils.text_dataset_from_directory(str(tmp_path), class_names=["pos"])
    with pytest.raises(ValueError, match="Expected the lengths of `labels`"):
        keras.utils.text_dataset_from_directory(str(tmp_path), labels=[0, 1])
    unlabelled = keras.utils.text_dataset_from_directory(str(tmp_path), labels=None, shuffle=False)
    assert len(next(iter(unlabelled))) == 5


# ---- images -----------------------------------------------------------------------------------------------------
def test_image_utils_without_pillow_name_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        keras.utils.array_to_img(np.zeros((2, 2, 3)))
    with pytest.raises(ImportError, match="pip install pillow"):
        keras.utils.image_dataset_from_directory("/nonexistent")


def test_image_round_trips_and_saving(tmp_path):
    pytest.importorskip("PIL")
    pixels = np.arange(4 * 5 * 3, dtype="float32").reshape(4, 5, 3)
    img = keras.utils.array_to_img(pixels, scale=False)
    assert img.size == (5, 4) and img.mode == "RGB"
    np.testing.assert_array_equal(keras.utils.img_to_array(img), pixels)
    assert keras.utils.img_to_array(img, data_format="channels_first").shape == (3, 4, 5)
    scaled = keras.utils.img_to_array(keras.utils.array_to_img(pixels))
    assert scaled.min() == 0 and scaled.max() == 255
    path = str(tmp_path / "x.png")
    keras.utils.save_img(path, pixels, scale=False)
    np.testing.assert_array_equal(keras.utils.img_to_array(keras.utils.load_img(path)), pixels)
    gray = keras.utils.load_img(path, color_mode="grayscale", target_size=(2, 3))
    assert gray.mode == "L" and keras.utils.img_to_array(gray).shape == (2, 3, 1)
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        keras.utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="Invalid interpolation method"):
        keras.utils.load_img(path, target_size=(2, 2), interpolation="sinc")


def _image_tree(root):
    from PIL import Image
    values = {}
    for cls, count in (("cats", 2), ("dogs", 1)):
        os.makedirs(root / cls)
        for i in range(count):
            pixels = np.full((6, 4, 3), 40 * i + (0 if cls == "cats" else 100), dtype=np.uint8)
            Image.fromarray(pixels).save(root / cls / f"{i}.png")
            values[f"{cls}/{i}.png"] = pixels
    (root / "cats" / "notes.txt").write_text("not an image")
    return values


def test_image_dataset_from_directory(tmp_path):
    pytest.importorskip("PIL")
    values = _image_tree(tmp_path)
    ds = keras.utils.image_dataset_from_directory(str(tmp_path), image_size=(6, 4), batch_size=2, shuffle=False)
    assert ds.class_names == ["cats", "dogs"]
    assert [os.path.relpath(p, tmp_path) for p in ds.file_paths] == ["cats/0.png", "cats/1.png", "dogs/0.png"]
    (images, labels), (last, _) = list(ds)
    assert tuple(images.shape) == (2, 6, 4, 3) and images.dtype == torch.float32 and labels.dtype == torch.int32
    np.testing.assert_array_equal(images[1].numpy(), values["cats/1.png"])
    np.testing.assert_array_equal(last[0].numpy(), values["dogs/0.png"])
    small = keras.utils.image_dataset_from_directory(str(tmp_path), image_size=(3, 2), color_mode="grayscale",
                                                     interpolation="nearest", shuffle=False, label_mode=None)
    batch = next(iter(small))
    assert tuple(batch.shape) == (3, 3, 2, 1) and batch.dtype == torch.uint8
    with pytest.raises(NotImplementedError, match="lanczos3"):
        keras.utils.image_dataset_from_directory(str(tmp_path), interpolation="lanczos3")
    with pytest.raises(ValueError, match="color_mode"):
        keras.utils.image_dataset_from_directory(str(tmp_path), color_mode="cmyk")
    with pytest.raises(TypeError, match="Unknown keywords"):
        keras.utils.image_dataset_from_directory(str(tmp_path), sizes=1)


# ---- plot_model -------------------------------------------------------------------------------------------------
def _fake_pydot():
    """A stand-in for pydot that records the graph it is given."""
    module = types.ModuleType("pydot")

    class Node:
        def __init__(self, name, **attrs):
            self.name, self.attrs = name, attrs

        def get_name(self):
            return self.name

    class Edge:
        def __init__(self, src, dst):
            self.ends = (src, dst)

    class Dot:
        def __init__(self, **attrs):
            self.attrs, self.nodes, self.edges, self.subgraphs = dict(attrs), [], [], []

        def set(self, key, value):
            self.attrs[key] = value

        def set_node_defaults(self, **attrs):
            self.node_defaults = attrs

        def add_node(self, node):
            self.nodes.append(node)

        def get_nodes(self):
            return self.nodes

        def add_edge(self, edge):
            self.edges.append(edge.ends)

        def get_edge(self, src, dst):
            return [e for e in self.edges if e == (src, dst)]

        def add_subgraph(self, graph):
            self.subgraphs.append(graph)

        def create(self):
            return b""

        def write(self, path, format):
            open(path, "w").write(format)

    module.Node, module.Edge, module.Dot, module.Cluster = Node, Edge, Dot, Dot
    return module


def test_plot_model_without_pydot_raises_tf_keras_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pydot", None)
    monkeypatch.delitem(sys.modules, "IPython.core.magics.namespace", raising=False)
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,))])
    with pytest.raises(ImportError, match=r"You must install pydot \(`pip install pydot`\) and install graphviz"):
        keras.utils.plot_model(model)
    with pytest.raises(ImportError, match="for model_to_dot to work"):
        keras.utils.model_to_dot(model)
    monkeypatch.setitem(sys.modules, "IPython.core.magics.namespace", object())
    assert keras.utils.plot_model(model) is None
    assert "You must install pydot" in capsys.readouterr().out


def test_model_to_dot_nodes_labels_and_edges(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pydot", _fake_pydot())
    inputs = keras.Input((4,), name="x")
    left = keras.layers.Dense(3, activation="relu", name="left")(inputs)
    right = keras.layers.Dense(3, name="right")(inputs)
    outputs = keras.layers.Add(name="sum")([left, right])
    model = keras.Model(inputs, outputs)
    dot = keras.utils.model_to_dot(model, show_shapes=True, show_layer_activations=True, rankdir="LR")
    labels = {n.attrs["label"].split("|")[0]: n.attrs["label"] for n in dot.nodes}
    assert set(labels) == {"{x", "{left", "{right", "{sum"}
    assert "relu" in labels["{left"] and "(None, 4)" in labels["{left"] and "(None, 3)" in labels["{left"]
    names = {n.attrs["label"].split("|")[0].strip("{"): n.name for n in dot.nodes}
    assert sorted(dot.edges) == sorted([(names["x"], names["left"]), (names["x"], names["right"]),
                                        (names["left"], names["sum"]), (names["right"], names["sum"])])
    assert dot.attrs["rankdir"] == "LR"
    seq = keras.Sequential([keras.layers.Dense(2, input_shape=(3,), name="d1"), keras.layers.Dense(1, name="d2")])
    seq_dot = keras.utils.model_to_dot(seq, show_layer_names=True)
    assert [n.attrs["label"] for n in seq_dot.nodes][1:] == ["d1|Dense", "d2|Dense"]
    assert len(seq_dot.edges) == 2
    assert keras.utils.plot_model(seq, to_file=str(tmp_path / "m.pdf")) is None
    assert open(tmp_path / "m.pdf").read() == "pdf"
