"""save_weights / load_weights in tf.keras's HDF5 layout: round trips, layout, loading rules, safety."""
import logging
import os
import signal
import stat
import subprocess
import sys
import textwrap
import zipfile

import h5py
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers as L
from torchkeras_api.saving import atomic, hdf5_weights


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()


def _x(*shape, seed=0):
    return np.random.RandomState(seed).rand(*shape).astype("float32")


def _predict(model, x):
    """The model's outputs as a list of numpy arrays."""
    out = model(x)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return [o.detach().cpu().numpy() for o in outs]


def _assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for va, vb in zip(wa, wb):
        np.testing.assert_array_equal(va, vb)


def _scramble(model, seed=1):
    rng = np.random.RandomState(seed)
    model.set_weights([np.asarray(rng.randn(*w.shape)).astype(w.dtype) for w in model.get_weights()])


def _snapshot(model):
    return [w.copy() for w in model.get_weights()]


def _assert_unchanged(model, snapshot):
    now = model.get_weights()
    assert len(now) == len(snapshot)
    for a, b in zip(now, snapshot):
        np.testing.assert_array_equal(a, b)


def _tree(path):
    """{path: (kind, shape, sorted attribute names)} of every object in an HDF5 file, the root as '/'."""
    out = {}
    with h5py.File(path, "r") as f:
        out["/"] = ("group", None, tuple(sorted(f.attrs)))

        def visit(name, obj):
            kind = "dataset" if isinstance(obj, h5py.Dataset) else "group"
            out[name] = (kind, obj.shape if kind == "dataset" else None, tuple(sorted(obj.attrs)))
        f.visititems(visit)
    return out


# ---- models ------------------------------------------------------------------------------------

def _sequential():
    return keras.Sequential([L.Dense(5, activation="relu", input_shape=(4,)), L.Dropout(0.2), L.Dense(3)])


def _functional_multi():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    shared = L.Dense(6, activation="tanh", name="shared")
    h = L.Concatenate(name="cat")([shared(L.Dense(4, name="pa")(a)), shared(L.Dense(4, name="pb")(b))])
    return keras.Model([a, b], [L.Dense(2, name="out1")(h), L.Dense(1, name="out2")(h)])


def _nested():
    inner_seq = keras.Sequential([L.Dense(5, input_shape=(4,), name="in_d1"), L.Dense(5, name="in_d2")],
                                 name="inner_seq")
    xi = keras.Input((5,))
    inner_fn = keras.Model(xi, L.Dense(3, name="fn_d")(xi), name="inner_fn")
    x = keras.Input((4,))
    return keras.Model(x, L.Dense(2, name="head")(inner_fn(inner_seq(x))))


class Scaled(L.Layer):
    """A layer with a trainable and a non-trainable weight (created in that order)."""

    def build(self, input_shape):
        self.moving = self.add_weight("moving", shape=(int(input_shape[-1]),), initializer="ones", trainable=False)
        self.scale = self.add_weight("scale", shape=(int(input_shape[-1]),), initializer="ones")

    def call(self, x):
        return x * self.scale + self.moving


class Sub(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d1 = L.Dense(4)
        self.scaled = Scaled()
        self.d2 = L.Dense(2)

    def build(self, input_shape):
        self.temperature = self.add_weight("temperature", shape=(), initializer="ones")
        super().build(input_shape)

    def call(self, x):
        return self.d2(self.scaled(self.d1(x))) * self.temperature


def _subclassed():
    model = Sub(name="sub")
    model.build((None, 3))
    return model


def _embedding_merge():
    tokens = keras.Input((5,), dtype="int64", name="tokens")
    dense_in = keras.Input((8,), name="dense_in")
    emb = L.Flatten()(L.Embedding(12, 3, name="emb")(tokens))
    proj = L.Dense(15, name="proj")(dense_in)
    merged = L.Add()([emb, proj])
    both = L.Concatenate()([merged, L.Multiply()([emb, proj])])
    return keras.Model([tokens, dense_in], L.Dense(2, name="out")(both))


def _conv_bn_rnn():
    x = keras.Input((8, 8, 2))
    h = L.BatchNormalization()(L.Conv2D(3, 3, padding="same")(x))
    h = L.Reshape((8, 24))(h)
    h = L.GRU(4, return_sequences=True)(L.LSTM(5, return_sequences=True)(h))
    return keras.Model(x, L.Dense(2)(L.SimpleRNN(3)(h)))


MODELS = {
    "sequential": (_sequential, lambda: _x(6, 4)),
    "functional_multi": (_functional_multi, lambda: [_x(6, 4), _x(6, 3, seed=1)]),
    "nested": (_nested, lambda: _x(6, 4)),
    "subclassed": (_subclassed, lambda: _x(6, 3)),
    "conv_bn_rnn": (_conv_bn_rnn, lambda: _x(2, 8, 8, 2)),
    "embedding_merge": (_embedding_merge,
                        lambda: [np.random.RandomState(0).randint(0, 12, (6, 5)), _x(6, 8)]),
}


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_round_trip_restores_weights_and_predictions(tmp_path, kind):
    build, data = MODELS[kind]
    source = build()
    _scramble(source)
    path = tmp_path / "w.h5"
    source.save_weights(str(path))
    keras.backend.clear_session()
    target = build()
    assert not all(np.array_equal(a, b) for a, b in zip(source.get_weights(), target.get_weights()))
    target.load_weights(str(path))
    _assert_same_weights(source, target)
    x = data()
    for a, b in zip(_predict(source, x), _predict(target, x)):
        np.testing.assert_array_equal(a, b)


def test_round_trip_by_name_and_pathlike(tmp_path):
    source = _functional_multi()
    _scramble(source)
    source.save_weights(tmp_path / "w.hdf5")
    keras.backend.clear_session()
    target = _functional_multi()
    target.load_weights(tmp_path / "w.hdf5", by_name=True)
    _assert_same_weights(source, target)


def test_keras_extension_writes_hdf5_weights(tmp_path):
    model = _sequential()
    model.save_weights(str(tmp_path / "w.keras"))
    with h5py.File(tmp_path / "w.keras", "r") as f:
        assert list(f.attrs["layer_names"]) == ["dense", "dropout", "dense_1"]
    other = _sequential()
    other.load_weights(str(tmp_path / "w.keras"))
    _assert_same_weights(model, other)


# ---- layout ------------------------------------------------------------------------------------

def test_layout_of_a_sequential_file(tmp_path):
    model = _sequential()
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        assert set(f.attrs) == {"layer_names", "backend", "keras_version"}
        assert list(f.attrs["layer_names"]) == ["dense", "dropout", "dense_1"]
        assert f.attrs["backend"] == "tensorflow"
        assert f.attrs["keras_version"].startswith("2.")
        assert sorted(f.keys()) == ["dense", "dense_1", "dropout", "top_level_model_weights"]
        assert list(f["dense"].attrs["weight_names"]) == ["dense/kernel:0", "dense/bias:0"]
        np.testing.assert_array_equal(f["dense/dense/kernel:0"][()], model.layers[0].kernel.numpy())
        assert f["dense/dense/kernel:0"].shape == (4, 5)
        for group in ("dropout", "top_level_model_weights"):
            empty = f[group].attrs["weight_names"]
            assert empty.shape == (0,) and empty.dtype == np.float64
        type_id = f.attrs.get_id("layer_names").get_type()
        assert type_id.is_variable_str() and type_id.get_cset() == h5py.h5t.CSET_ASCII


def test_layout_of_functional_nested_and_subclassed_files(tmp_path):
    nested = _nested()
    nested.save_weights(str(tmp_path / "n.h5"))
    with h5py.File(tmp_path / "n.h5", "r") as f:
        assert list(f.attrs["layer_names"]) == ["input_2", "inner_seq", "inner_fn", "head"]  # inner_fn's is 1
        assert list(f["inner_seq"].attrs["weight_names"]) == [
            "in_d1/kernel:0", "in_d1/bias:0", "in_d2/kernel:0", "in_d2/bias:0"]
        assert "inner_seq/in_d2/bias:0" in f
        assert list(f["inner_fn"].attrs["weight_names"]) == ["fn_d/kernel:0", "fn_d/bias:0"]
    sub = _subclassed()
    sub.save_weights(str(tmp_path / "s.h5"))
    with h5py.File(tmp_path / "s.h5", "r") as f:
        assert list(f.attrs["layer_names"]) == ["dense", "scaled", "dense_1"]
        # trainable weights first, then non-trainable ones, whatever the creation order
        assert list(f["scaled"].attrs["weight_names"]) == ["scaled/scale:0", "scaled/moving:0"]
        (top,) = f["top_level_model_weights"].attrs["weight_names"]
        assert top == sub.temperature.name and top.endswith("temperature:0")
        assert f["top_level_model_weights"][top].shape == ()


def test_frozen_layer_weights_keep_their_order(tmp_path):
    model = keras.Sequential([Scaled(input_shape=(3,), name="s")])
    model.layers[0].trainable = False
    model.save_weights(str(tmp_path / "w.h5"))
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert list(f["s"].attrs["weight_names"]) == ["s/scale:0", "s/moving:0"]
    _scramble(model)
    other = keras.Sequential([Scaled(input_shape=(3,), name="s")])
    other.layers[0].trainable = False
    other.load_weights(str(tmp_path / "w.h5"))
    other2 = keras.Sequential([Scaled(input_shape=(3,), name="s")])
    other2.load_weights(str(tmp_path / "w.h5"))
    np.testing.assert_array_equal(other2.layers[0].scale.numpy(), np.ones(3, "float32"))


class ManyWeights(L.Layer):
    """Enough long weight names to overflow one HDF5 object header."""

    def __init__(self, count=300, name_length=250, **kwargs):
        super().__init__(**kwargs)
        self.count = count
        self.name_length = name_length

    def build(self, input_shape):
        self.ws = [self.add_weight(f"{i:04d}" + "w" * self.name_length, shape=(1,), initializer="ones")
                   for i in range(self.count)]

    def call(self, x):
        return x * sum(self.ws)


def test_large_attributes_are_split_and_read_back(tmp_path):
    model = keras.Sequential([ManyWeights(input_shape=(1,), name="many")])
    _scramble(model)
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:
        attrs = f["many"].attrs
        assert "weight_names" not in attrs
        chunks = sorted(k for k in attrs if k.startswith("weight_names"))
        width = len(model.layers[0].ws[0].name)
        expected = 1
        while -(-300 // expected) * width > hdf5_weights.HDF5_OBJECT_HEADER_LIMIT:
            expected += 1
        assert chunks == [f"weight_names{i}" for i in range(expected)]
        assert expected == 2
        assert hdf5_weights.load_attributes_from_hdf5_group(f["many"], "weight_names") == [
            w.name for w in model.layers[0].ws]
    other = keras.Sequential([ManyWeights(input_shape=(1,), name="many")])
    other.load_weights(path)
    _assert_same_weights(model, other)


def test_attribute_helpers_read_both_forms_and_refuse_huge_items(tmp_path):
    with h5py.File(tmp_path / "a.h5", "w") as f:
        hdf5_weights.save_attributes_to_hdf5_group(f, "names", ["a", "bb", "ccc"])
        f.attrs["chunked0"] = np.array([b"x", b"y"])
        f.attrs["chunked1"] = np.array([b"z"])
        assert hdf5_weights.load_attributes_from_hdf5_group(f, "names") == ["a", "bb", "ccc"]
        assert hdf5_weights.load_attributes_from_hdf5_group(f, "chunked") == ["x", "y", "z"]
        assert hdf5_weights.load_attributes_from_hdf5_group(f, "absent") == []
        with pytest.raises(RuntimeError, match="larger than 64512"):
            hdf5_weights.save_attributes_to_hdf5_group(f, "huge", ["x" * 70000])


# ---- loading rules -----------------------------------------------------------------------------

def test_topological_loading_ignores_weightless_layers_and_names(tmp_path):
    source = keras.Sequential([L.Dense(4, input_shape=(3,), name="a"), L.Dense(2, name="b")])
    _scramble(source)
    source.save_weights(str(tmp_path / "w.h5"))
    target = keras.Sequential([L.Dense(4, input_shape=(3,), name="x"), L.Dropout(0.5), L.Activation("relu"),
                               L.Dense(2, name="y")])
    target.load_weights(str(tmp_path / "w.h5"))
    _assert_same_weights(source, target)


def test_topological_count_mismatches_name_the_layer_and_file(tmp_path):
    source = keras.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(2)])
    path = str(tmp_path / "w.h5")
    source.save_weights(path)
    fewer = keras.Sequential([L.Dense(4, input_shape=(3,))])
    before = _snapshot(fewer)
    with pytest.raises(ValueError, match=r"Layer count mismatch when loading weights from file\. Model expected 1 "
                                         r"layers, found 2 saved layers") as info:
        fewer.load_weights(path)
    assert path in str(info.value)
    _assert_unchanged(fewer, before)

    no_bias = keras.Sequential([L.Dense(4, input_shape=(3,), use_bias=False), L.Dense(2)])
    before = _snapshot(no_bias)
    with pytest.raises(ValueError, match=r"Weight count mismatch for layer #0 \(named dense_3 in the current model, "
                                         r"dense in the save file\)\. Layer expects 1 weight\(s\)\. Received 2"):
        no_bias.load_weights(path)
    _assert_unchanged(no_bias, before)


def test_topological_shape_mismatch_leaves_every_weight_unchanged(tmp_path):
    source = keras.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(2)])
    path = str(tmp_path / "w.h5")
    source.save_weights(path)
    target = keras.Sequential([L.Dense(4, input_shape=(3,)), L.Dense(5)])
    before = _snapshot(target)
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #1 \(named dense_3 in the current model, dense_1 "
                                         r"in the save file\) for weight dense_3/kernel:0\. Weight expects shape "
                                         r"\(4, 5\)\. Received saved weight with shape \(4, 2\)"):
        target.load_weights(path)
    _assert_unchanged(target, before)  # the first layer, which did fit, was not assigned either


def test_top_level_weight_mismatch(tmp_path):
    sub = _subclassed()
    path = str(tmp_path / "w.h5")
    sub.save_weights(path)
    with h5py.File(path, "a") as f:
        del f["top_level_model_weights"]
        g = f.create_group("top_level_model_weights")
        hdf5_weights.save_attributes_to_hdf5_group(g, "weight_names", [])
    other = _subclassed()
    before = _snapshot(other)
    with pytest.raises(ValueError, match="Weight count mismatch for top-level weights"):
        other.load_weights(path)
    _assert_unchanged(other, before)


def test_by_name_loads_matching_layers_only(tmp_path):
    source = keras.Sequential([L.Dense(4, input_shape=(3,), name="a"), L.Dense(2, name="b")])
    _scramble(source)
    source.save_weights(str(tmp_path / "w.h5"))
    target = keras.Sequential([L.Dense(4, input_shape=(3,), name="a"), L.Dense(7, name="c"), L.Dense(2, name="b2")])
    before = _snapshot(target)
    target.load_weights(str(tmp_path / "w.h5"), by_name=True)
    np.testing.assert_array_equal(target.get_layer("a").kernel.numpy(), source.get_layer("a").kernel.numpy())
    np.testing.assert_array_equal(target.get_layer("c").kernel.numpy(), before[2])
    np.testing.assert_array_equal(target.get_layer("b2").kernel.numpy(), before[4])


def test_by_name_mismatches_raise_or_skip_with_warnings(tmp_path, caplog):
    source = keras.Sequential([L.Dense(4, input_shape=(3,), name="a"), L.Dense(2, name="b")])
    _scramble(source)
    path = str(tmp_path / "w.h5")
    source.save_weights(path)

    def target():
        return keras.Sequential([L.Dense(4, input_shape=(3,), name="a"), L.Dense(5, name="b")])

    model = target()
    before = _snapshot(model)
    with pytest.raises(ValueError, match=r"Shape mismatch in layer #1 \(named b\) for weight b/kernel:0\. Weight "
                                         r"expects shape \(4, 5\)\. Received saved weight with shape \(4, 2\)"):
        model.load_weights(path, by_name=True)
    _assert_unchanged(model, before)

    with caplog.at_level(logging.WARNING):
        model.load_weights(path, by_name=True, skip_mismatch=True)
    messages = [r.getMessage() for r in caplog.records]
    assert any("Skipping loading weights for layer #1 (named b) due to mismatch in shape for weight b/kernel:0"
               in m for m in messages)
    assert any("for weight b/bias:0" in m for m in messages)
    np.testing.assert_array_equal(model.get_layer("a").kernel.numpy(), source.get_layer("a").kernel.numpy())
    np.testing.assert_array_equal(model.get_layer("b").kernel.numpy(), before[2])

    no_bias = keras.Sequential([L.Dense(4, input_shape=(3,), name="a", use_bias=False)])
    with pytest.raises(ValueError, match=r"Weight count mismatch for layer #0 \(named a\)"):
        no_bias.load_weights(path, by_name=True)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        no_bias.load_weights(path, by_name=True, skip_mismatch=True)
    assert any("due to mismatch in number of weights" in r.getMessage() for r in caplog.records)

    with pytest.raises(ValueError, match="skip_mismatch can only be set to True when by_name is True"):
        model.load_weights(path, skip_mismatch=True)


def test_loads_the_model_weights_group_of_a_whole_model_file(tmp_path):
    source = _nested()
    _scramble(source)
    path = str(tmp_path / "m.h5")
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = '{"class_name": "Functional"}'
        f.attrs["keras_version"] = "2.21.0"
        f.attrs["backend"] = "tensorflow"
        hdf5_weights.save_weights_to_hdf5_group(f.create_group("model_weights"), source)
        f.create_group("optimizer_weights")
    keras.backend.clear_session()
    target = _nested()
    target.load_weights(path)
    _assert_same_weights(source, target)
    keras.backend.clear_session()
    target = _nested()
    target.load_weights(path, by_name=True)
    _assert_same_weights(source, target)


def test_values_are_cast_to_the_weight_dtype(tmp_path):
    model = keras.Sequential([L.Dense(2, input_shape=(3,))])
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        kernel = f["dense/dense/kernel:0"][()]
        del f["dense/dense/kernel:0"]
        f["dense/dense/kernel:0"] = kernel.astype("float64") + 1
    model.load_weights(path)
    assert model.layers[0].kernel.dtype == torch.float32
    np.testing.assert_allclose(model.layers[0].kernel.numpy(), kernel + 1, rtol=1e-6)


class Converting(L.Dense):
    """A layer that converts its saved weights (as a recurrent layer converts CuDNN weights)."""

    seen = []

    def _convert_hdf5_weights(self, weights, keras_version, backend):
        Converting.seen.append((self.name, keras_version, backend))
        return [w * 2 for w in weights]


def test_layers_can_convert_saved_weights_also_when_nested(tmp_path):
    inner = keras.Sequential([Converting(3, input_shape=(2,), name="conv_d"), L.Dense(2, name="plain")], name="in")
    x = keras.Input((2,))
    model = keras.Model(x, inner(x))
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    saved = _snapshot(model)
    Converting.seen.clear()
    model.load_weights(path)
    assert Converting.seen == [("conv_d", hdf5_weights.KERAS_VERSION, "tensorflow")]
    now = model.get_weights()
    np.testing.assert_array_equal(now[0], saved[0] * 2)
    np.testing.assert_array_equal(now[2], saved[2])


# ---- formats -----------------------------------------------------------------------------------

def test_checkpoint_prefix_saves_hdf5_and_records_the_latest(tmp_path):
    """tf.keras's `save_weights('folder/prefix')` (TensorFlow format): `<prefix>.h5` plus the folder's
    `checkpoint` state file, which `tf.train.latest_checkpoint` reads."""
    import torchkeras_api.tf as tf
    model, other = _sequential(), _sequential()
    assert tf.train.latest_checkpoint(str(tmp_path)) is None
    model.save_weights(str(tmp_path / "cp-0001"))
    model.save_weights(str(tmp_path / "cp-0002"), save_format="tf")
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "cp-0001.h5", "cp-0002.h5"]
    state = (tmp_path / "checkpoint").read_text().splitlines()
    assert state == ['model_checkpoint_path: "cp-0002"', 'all_model_checkpoint_paths: "cp-0001"',
                     'all_model_checkpoint_paths: "cp-0002"']
    latest = tf.train.latest_checkpoint(str(tmp_path))
    assert latest == str(tmp_path / "cp-0002")
    other.load_weights(latest)
    _assert_same_weights(model, other)
    model.save_weights(str(tmp_path / "cp-0001"))
    assert tf.train.latest_checkpoint(str(tmp_path)) == str(tmp_path / "cp-0001")


def test_unsupported_formats_raise_clear_errors(tmp_path):
    model = _sequential()
    with pytest.raises(ValueError, match='save_format="tf"/"tensorflow", but the filepath'):
        model.save_weights(str(tmp_path / "w.h5"), save_format="tf")
    with pytest.raises(ValueError, match="Unknown format"):
        model.save_weights(str(tmp_path / "w.h5"), save_format="pickle")
    with pytest.raises(NotImplementedError, match="Keras v3 weights layout"):
        model.save_weights(str(tmp_path / "w.weights.h5"))
    assert os.listdir(tmp_path) == []
    model.save_weights(str(tmp_path / "plain"), save_format="h5")  # as tf.keras: HDF5 without extension
    other = _sequential()
    other.load_weights(str(tmp_path / "plain"))
    _assert_same_weights(model, other)

    with pytest.raises(NotImplementedError, match="directory"):
        model.load_weights(str(tmp_path))
    (tmp_path / "tfckpt.index").write_bytes(b"")
    with pytest.raises(NotImplementedError, match="checkpoint written by TensorFlow"):
        model.load_weights(str(tmp_path / "tfckpt"))
    with zipfile.ZipFile(tmp_path / "m.keras", "w") as z:
        z.writestr("config.json", "{}")
    with pytest.raises(NotImplementedError, match="zip archive"):
        model.load_weights(str(tmp_path / "m.keras"))
    with h5py.File(tmp_path / "v3.weights.h5", "w") as f:
        f.create_group("layers/dense/vars").create_dataset("0", data=np.zeros((4, 5), "float32"))
        f.create_group("vars")
    with pytest.raises(NotImplementedError, match="Keras v3 weights layout"):
        model.load_weights(str(tmp_path / "v3.weights.h5"))


def test_unbuilt_models(tmp_path):
    unbuilt = keras.Sequential([L.Dense(3)])
    with pytest.raises(ValueError, match="Weights for model 'sequential' have not yet been created"):
        unbuilt.save_weights(str(tmp_path / "w.h5"))
    _sequential().save_weights(str(tmp_path / "w.h5"))
    with pytest.raises(ValueError, match="subclassed Model which has not created its variables yet"):
        unbuilt.load_weights(str(tmp_path / "w.h5"))
    with pytest.raises(ValueError, match="subclassed Model which has not created its variables yet"):
        Sub().load_weights(str(tmp_path / "w.h5"))


# ---- bad files ---------------------------------------------------------------------------------

@pytest.fixture
def saved(tmp_path):
    """(path, bytes) of a valid weights file of _sequential(), and a fresh model to load into."""
    source = _sequential()
    _scramble(source)
    path = str(tmp_path / "w.h5")
    source.save_weights(path)
    with open(path, "rb") as f:
        data = f.read()
    return path, data


def _fresh_target():
    model = _sequential()
    return model, _snapshot(model)


def test_missing_file(tmp_path):
    model, before = _fresh_target()
    with pytest.raises(FileNotFoundError, match="no such file"):
        model.load_weights(str(tmp_path / "absent.h5"))
    _assert_unchanged(model, before)


@pytest.mark.parametrize("content", [b"", b"hello, not hdf5", b"\x89PNG\r\n\x1a\n" + b"\0" * 100])
def test_non_hdf5_files(tmp_path, content):
    path = tmp_path / "w.h5"
    path.write_bytes(content)
    model, before = _fresh_target()
    with pytest.raises(OSError, match="not an HDF5 file") as info:
        model.load_weights(str(path))
    assert str(path) in str(info.value)
    _assert_unchanged(model, before)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_files(saved, fraction):
    path, data = saved
    with open(path, "wb") as f:
        f.write(data[:int(len(data) * fraction)])
    model, before = _fresh_target()
    with pytest.raises(OSError, match="truncated or corrupted") as info:
        model.load_weights(path)
    assert path in str(info.value)
    _assert_unchanged(model, before)


def test_corrupted_files_never_change_weights(saved):
    """Garbage written over each region of the file in turn: every load either raises a clear error or
    (when only weight bytes were hit, which HDF5 cannot detect) loads; a failure never changes weights."""
    path, data = saved
    errors = 0
    rng = np.random.RandomState(0)
    step = max(1, len(data) // 40)
    for start in range(0, len(data), step):
        damaged = bytearray(data)
        damaged[start:start + 64] = rng.randint(0, 256, len(damaged[start:start + 64])).astype(np.uint8).tobytes()
        with open(path, "wb") as f:
            f.write(bytes(damaged))
        model, before = _fresh_target()
        try:
            model.load_weights(path)
        except (OSError, ValueError) as e:
            errors += 1
            assert path in str(e)
            _assert_unchanged(model, before)
    assert errors > 0


def _global_heap_free_space_offset(data):
    """Offset of the size field of the free-space entry of the file's first global heap collection."""
    import struct
    start = data.find(b"GCOL\x01\x00\x00\x00")
    assert start >= 0
    position = start + 16
    while True:
        index, _, _, size = struct.unpack_from("<HHIQ", data, position)
        if index == 0:
            return position + 8
        position += 16 + ((size + 7) & ~7)


def test_a_damaged_global_heap_raises_instead_of_hanging(saved):
    """HDF5 loops forever on a zero-sized free-space entry in a global heap (where the names live)."""
    path, data = saved
    damaged = bytearray(data)
    offset = _global_heap_free_space_offset(data)
    damaged[offset:offset + 8] = b"\0" * 8
    with open(path, "wb") as f:
        f.write(bytes(damaged))
    model, before = _fresh_target()
    with pytest.raises(OSError, match="damaged HDF5 global heap"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_hdf5_file_of_the_wrong_kind(tmp_path):
    path = str(tmp_path / "w.h5")
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(3)
    model, before = _fresh_target()
    with pytest.raises(ValueError, match="not a tf.keras weights file: it has no 'layer_names'"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_incomplete_files_name_the_missing_part(saved):
    path, _ = saved
    with h5py.File(path, "a") as f:
        del f["dense_1/dense_1/bias:0"]
    model, before = _fresh_target()
    with pytest.raises(ValueError, match="lists weight 'dense_1/bias:0' for layer 'dense_1' but has no dataset"):
        model.load_weights(path)
    _assert_unchanged(model, before)
    with h5py.File(path, "a") as f:
        del f["dense_1"]
    with pytest.raises(ValueError, match="lists layer 'dense_1' in `layer_names` but has no group"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_non_numeric_weight_data(saved):
    path, _ = saved
    with h5py.File(path, "a") as f:
        del f["dense/dense/bias:0"]
        f["dense/dense/bias:0"] = np.array([b"a", b"b", b"c", b"d", b"e"])
    model, before = _fresh_target()
    with pytest.raises(ValueError, match="'dense/bias:0' of layer 'dense' holds values of dtype"):
        model.load_weights(path)
    _assert_unchanged(model, before)


def test_wrong_model_leaves_weights_unchanged(saved):
    path, _ = saved
    other = _functional_multi()
    before = _snapshot(other)
    with pytest.raises(ValueError, match="Layer count mismatch"):
        other.load_weights(path)
    _assert_unchanged(other, before)


def test_a_failed_assignment_rolls_back(saved, monkeypatch):
    path, _ = saved
    model, before = _fresh_target()
    target_var = model.layers[2].kernel
    real_assign = type(target_var).assign

    def failing_assign(self, value):
        if self is target_var:
            raise KeyboardInterrupt
        return real_assign(self, value)

    monkeypatch.setattr(type(target_var), "assign", failing_assign)
    with pytest.raises(KeyboardInterrupt):
        model.load_weights(path)
    monkeypatch.undo()
    _assert_unchanged(model, before)


# ---- atomic saving -----------------------------------------------------------------------------

def _temp_files(folder):
    return [n for n in os.listdir(folder) if n.endswith(".tmp")]


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failed_save_keeps_the_existing_file_and_leaves_no_temp_file(tmp_path, monkeypatch, error):
    model = _sequential()
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    with open(path, "rb") as f:
        original = f.read()
    _scramble(model)
    calls = []
    real = hdf5_weights.save_subset_weights_to_hdf5_group

    def failing(group, weights, owner=""):
        calls.append(owner)
        if len(calls) == 2:
            raise error
        return real(group, weights, owner)

    monkeypatch.setattr(hdf5_weights, "save_subset_weights_to_hdf5_group", failing)
    with pytest.raises(type(error)):
        model.save_weights(path)
    assert len(calls) == 2
    with open(path, "rb") as f:
        assert f.read() == original
    assert _temp_files(tmp_path) == []
    assert os.listdir(tmp_path) == ["w.h5"]


def test_failed_first_save_creates_no_file(tmp_path, monkeypatch):
    model = _sequential()

    def failing(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(hdf5_weights, "save_weights_to_hdf5_group", failing)
    with pytest.raises(RuntimeError, match="boom"):
        model.save_weights(str(tmp_path / "w.h5"))
    assert os.listdir(tmp_path) == []


def test_killed_save_keeps_the_existing_file(tmp_path):
    path = str(tmp_path / "w.h5")
    script = textwrap.dedent(f"""
        import sys, time
        import numpy as np
        import torchkeras_api as keras
        from torchkeras_api.saving import hdf5_weights
        model = keras.Sequential([keras.layers.Dense(5, input_shape=(4,)), keras.layers.Dense(3)])
        model.save_weights({path!r})
        print("saved", flush=True)
        real = hdf5_weights.save_subset_weights_to_hdf5_group
        def slow(group, weights, owner=""):
            real(group, weights, owner)
            print("writing", flush=True)
            time.sleep(60)
        hdf5_weights.save_subset_weights_to_hdf5_group = slow
        model.set_weights([w + 1 for w in model.get_weights()])
        model.save_weights({path!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "saved"
        with open(path, "rb") as f:
            original = f.read()
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with open(path, "rb") as f:
        assert f.read() == original
    keras.backend.clear_session()
    model = keras.Sequential([L.Dense(5, input_shape=(4,)), L.Dense(3)])
    model.load_weights(path)
    leftovers = _temp_files(tmp_path)
    assert len(leftovers) == 1 and leftovers[0].startswith(".w.h5.")  # hidden, never under the final name


def test_overwrite_false_refuses_when_not_interactive(tmp_path, monkeypatch):
    model = _sequential()
    path = str(tmp_path / "w.h5")
    model.save_weights(path, overwrite=False)  # nothing there yet: saves
    with open(path, "rb") as f:
        original = f.read()
    _scramble(model)
    monkeypatch.setattr(atomic, "is_interactive", lambda: False)
    with pytest.raises(FileExistsError, match="overwrite=False.*not interactive"):
        model.save_weights(path, overwrite=False)
    with open(path, "rb") as f:
        assert f.read() == original


@pytest.mark.parametrize("answers, replaced", [(["n"], False), (["maybe", "y"], True)])
def test_overwrite_false_asks_when_interactive(tmp_path, monkeypatch, capsys, answers, replaced):
    model = _sequential()
    path = str(tmp_path / "w.h5")
    model.save_weights(path)
    with open(path, "rb") as f:
        original = f.read()
    _scramble(model)
    prompts = []
    replies = iter(answers)
    monkeypatch.setattr(atomic, "is_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or next(replies))
    model.save_weights(path, overwrite=False)
    assert prompts[0] == f"[WARNING] {path} already exists - overwrite? [y/n]"
    with open(path, "rb") as f:
        assert (f.read() != original) == replaced
    if replaced:
        assert prompts[1] == 'Enter "y" (overwrite) or "n" (cancel).'
        assert "[TIP] Next time specify overwrite=True!" in capsys.readouterr().out


def test_saving_keeps_permissions_and_symlinks(tmp_path):
    model = _sequential()
    real = tmp_path / "real.h5"
    model.save_weights(str(real))
    os.chmod(real, 0o640)
    link = tmp_path / "link.h5"
    os.symlink(real, link)
    _scramble(model)
    model.save_weights(str(link))
    assert os.path.islink(link)
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o640
    other = _sequential()
    other.load_weights(str(real))
    _assert_same_weights(model, other)


def test_saving_to_a_directory_or_missing_folder(tmp_path):
    model = _sequential()
    with pytest.raises(IsADirectoryError):
        model.save_weights(str(tmp_path), save_format="h5")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.save_weights(str(tmp_path / "nope" / "w.h5"))


def test_new_files_get_the_usual_permissions(tmp_path):
    model = _sequential()
    model.save_weights(str(tmp_path / "w.h5"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "w.h5").st_mode) == 0o666 & ~umask
