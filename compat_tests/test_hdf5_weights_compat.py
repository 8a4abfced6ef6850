"""HDF5 weights files both ways with the real tf.keras: same predictions, same file structure."""
import os

import h5py
import numpy as np
import pytest

import torchkeras_api as keras
from compat_tests.conftest import assert_close


# ---- the same models in both libraries ---------------------------------------------------------

def _sequential(k):
    L = k.layers
    return k.Sequential([L.Dense(6, activation="relu", input_shape=(4,)), L.Dropout(0.3), L.Dense(3)])


def _functional_shared_multi_output(k):
    L = k.layers
    a = k.Input((4,), name="a")
    b = k.Input((4,), name="b")
    shared = L.Dense(5, activation="tanh", name="shared")
    h = L.Concatenate(name="cat")([shared(a), shared(b), L.Dense(2, name="side")(b)])
    return k.Model([a, b], [L.Dense(3, name="out1")(h), L.Dense(1, activation="sigmoid", name="out2")(h)])


def _nested(k):
    L = k.layers
    inner_seq = k.Sequential([L.Dense(5, activation="relu", input_shape=(4,)), L.Dense(5)], name="inner_seq")
    xi = k.Input((5,))
    inner_fn = k.Model(xi, L.Dense(3, name="fn_dense")(L.Dense(4, name="fn_hidden")(xi)), name="inner_fn")
    x = k.Input((4,))
    h = inner_fn(inner_seq(x))
    outer = k.Model(x, L.Dense(2, name="head")(h), name="outer")
    # and that model nested once more, inside a Sequential (an explicit Input: our Sequential does not yet take
    # its input shape from a functional first layer, as tf.keras does)
    return k.Sequential([k.Input((4,)), outer, L.Dense(1, name="final")], name="top")


def _embedding_merging(k):
    L = k.layers
    tokens = k.Input((6,), dtype="int32", name="tokens")
    feats = k.Input((12,), name="feats")
    emb = L.Flatten()(L.Embedding(20, 2, name="emb")(tokens))
    proj = L.Dense(12, name="proj")(feats)
    merged = [L.Add()([emb, proj]), L.Subtract()([emb, proj]), L.Multiply()([emb, proj]),
              L.Average()([emb, proj]), L.Maximum()([emb, proj]), L.Minimum()([emb, proj]),
              L.Dot(axes=1)([emb, proj])]
    return k.Model([tokens, feats], L.Dense(2, name="out")(L.Concatenate()(merged)))


def _subclassed(k):
    L = k.layers

    class Sub(k.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = L.Dense(4, activation="relu")
            self.d2 = L.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

    model = Sub(name="sub")
    model(np.zeros((1, 3), "float32"))
    return model


def _scaled_layer_class(k):
    class Scaled(k.layers.Layer):
        """A non-trainable weight created before a trainable one: files hold trainable ones first."""

        def build(self, input_shape):
            self.moving = self.add_weight(name="moving", shape=(int(input_shape[-1]),), initializer="ones",
                                          trainable=False)
            self.scale = self.add_weight(name="scale", shape=(int(input_shape[-1]),), initializer="ones")

        def call(self, x):
            return x * self.scale + self.moving

    return Scaled


def _custom_non_trainable(k):
    L = k.layers
    Scaled = _scaled_layer_class(k)
    frozen = L.Dense(3, name="frozen")
    model = k.Sequential([L.Dense(4, input_shape=(4,)), Scaled(name="scaled"), frozen, Scaled(name="scaled_2")])
    frozen.trainable = False
    return model


def _subclassed_own_weights(k):
    L = k.layers
    Scaled = _scaled_layer_class(k)

    class SubWithOwnWeight(k.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = L.Dense(4)
            self.scaled = Scaled()
            self.temperature = self.add_weight(name="temperature", shape=(), initializer="ones")

        def call(self, x):
            return self.scaled(self.d1(x)) * self.temperature

    model = SubWithOwnWeight(name="sub_own")
    model(np.zeros((1, 3), "float32"))
    return model


def _convolutional(k):
    L = k.layers
    x = k.Input((10, 10, 3))
    h = L.Conv2D(4, 3, padding="same", name="conv")(x)
    h = L.BatchNormalization(name="bn")(h)
    h = L.SeparableConv2D(5, 3, name="sep")(L.MaxPooling2D()(h))
    h = L.DepthwiseConv2D(2, depth_multiplier=2, name="dw")(h)
    h = L.Conv2DTranspose(3, 2, strides=2, name="deconv")(h)
    return k.Model(x, L.Dense(2, name="out")(L.GlobalAveragePooling2D()(h)))


def _recurrent(k):
    L = k.layers
    tokens = k.Input((7,), dtype="int32")
    h = L.Embedding(30, 6, name="emb")(tokens)
    h = L.LSTM(5, return_sequences=True, name="lstm")(h)
    h = L.GRU(4, return_sequences=True, name="gru")(h)
    h = L.GRU(3, reset_after=False, return_sequences=True, name="gru_v1")(h)
    h = L.SimpleRNN(3, name="rnn")(h)
    return k.Model(tokens, L.Dense(2, name="out")(h))


def _inputs(kind):
    rng = np.random.RandomState(0)
    if kind == "functional_shared_multi_output":
        return [rng.rand(5, 4).astype("float32"), rng.rand(5, 4).astype("float32")]
    if kind == "embedding_merging":
        return [rng.randint(0, 20, (5, 6)).astype("int32"), rng.rand(5, 12).astype("float32")]
    if kind == "convolutional":
        return rng.rand(2, 10, 10, 3).astype("float32")
    if kind == "recurrent":
        return rng.randint(0, 30, (3, 7)).astype("int32")
    if kind in ("subclassed", "subclassed_own_weights"):
        return rng.rand(5, 3).astype("float32")
    return rng.rand(5, 4).astype("float32")


MODELS = {"sequential": _sequential, "functional_shared_multi_output": _functional_shared_multi_output,
          "nested": _nested, "embedding_merging": _embedding_merging, "subclassed": _subclassed,
          "custom_non_trainable": _custom_non_trainable, "subclassed_own_weights": _subclassed_own_weights,
          "convolutional": _convolutional, "recurrent": _recurrent}
# tf.keras names a weight added in a subclassed model's __init__ `temperature:0`, the engine names it
# `sub_own/temperature:0` (and lists the model's own weights first in `model.weights`): the files load both
# ways, but their dataset names differ, so the structure comparison leaves this model out.
SAME_STRUCTURE = sorted(set(MODELS) - {"subclassed_own_weights"})


def _randomize(model, seed=0):
    """Random weights (positive moving variances, so BatchNormalization stays finite)."""
    rng = np.random.RandomState(seed)
    values = []
    for weight, value in zip(model.weights, model.get_weights()):
        random = rng.uniform(0.5, 1.5, value.shape) if "moving_variance" in weight.name else rng.randn(*value.shape)
        values.append(np.asarray(random * 0.5).astype(value.dtype))
    model.set_weights(values)


def _ours_out(model, x):
    out = model(x)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return [o.detach().cpu().numpy() for o in outs]


def _tf_out(model, x):
    out = model(x, training=False)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return [o.numpy() for o in outs]


def _assert_same_outputs(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_close(a, b, rtol=1e-5, atol=1e-5)


def _tree(path, group="/"):
    """{name: (kind, shape, dtype, {attribute: value as a list of str})} of everything under `group`."""
    out = {}

    def attrs(obj):
        values = {}
        for key in obj.attrs:
            value = obj.attrs[key]
            if key == "keras_version":
                value = "<version>"
            elif isinstance(value, np.ndarray):
                value = [v.decode() if isinstance(v, bytes) else str(v) for v in value.tolist()]
            values[key] = value
        return values

    with h5py.File(path, "r") as f:
        root = f[group]
        out["."] = ("group", None, None, attrs(root))

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = ("dataset", obj.shape, str(obj.dtype), attrs(obj))
            else:
                out[name] = ("group", None, None, attrs(obj))
        root.visititems(visit)
    return out


def _attribute_types(path):
    """HDF5 type classes of the root attributes and of every weight_names attribute."""
    out = {}
    with h5py.File(path, "r") as f:
        for key in f.attrs:
            t = f.attrs.get_id(key).get_type()
            out[("/", key)] = (t.get_class(), getattr(t, "is_variable_str", lambda: None)())

        def visit(name, obj):
            for key in obj.attrs:
                t = obj.attrs.get_id(key).get_type()
                out[(name, key)] = (t.get_class(), getattr(t, "is_variable_str", lambda: None)())
        f.visititems(visit)
    return out


# ---- tf.keras -> us ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(MODELS))
def test_tf_keras_weights_load_here(tfk, tmp_path, kind):
    theirs = MODELS[kind](tfk)
    _randomize(theirs)
    path = str(tmp_path / "tf.h5")
    theirs.save_weights(path)
    ours = MODELS[kind](keras)
    ours.load_weights(path)
    x = _inputs(kind)
    _assert_same_outputs(_ours_out(ours, x), _tf_out(theirs, x))
    for layer_ours, layer_theirs in zip(ours.layers, theirs.layers):
        for a, b in zip(layer_ours.get_weights(), layer_theirs.get_weights()):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_our_weights_load_in_tf_keras(tfk, tmp_path, kind):
    theirs = MODELS[kind](tfk)
    ours = MODELS[kind](keras)
    _randomize(ours, seed=3)
    path = str(tmp_path / "ours.h5")
    ours.save_weights(path)
    theirs.load_weights(path)
    x = _inputs(kind)
    _assert_same_outputs(_ours_out(ours, x), _tf_out(theirs, x))
    keras.backend.clear_session()
    tfk.backend.clear_session()
    theirs_by_name = MODELS[kind](tfk)
    theirs_by_name.load_weights(path, by_name=True)
    _assert_same_outputs(_ours_out(ours, x), _tf_out(theirs_by_name, x))


@pytest.mark.parametrize("kind", SAME_STRUCTURE)
def test_files_have_the_same_structure(tfk, tmp_path, kind):
    theirs = MODELS[kind](tfk)
    ours = MODELS[kind](keras)
    theirs.save_weights(str(tmp_path / "tf.h5"))
    ours.save_weights(str(tmp_path / "ours.h5"))
    tree_tf, tree_ours = _tree(str(tmp_path / "tf.h5")), _tree(str(tmp_path / "ours.h5"))
    assert sorted(tree_ours) == sorted(tree_tf)
    for name in tree_tf:
        assert tree_ours[name] == tree_tf[name], name
    assert _attribute_types(str(tmp_path / "ours.h5")) == _attribute_types(str(tmp_path / "tf.h5"))


def test_by_name_from_a_tf_keras_file_into_a_partial_model(tfk, tmp_path):
    theirs = _functional_shared_multi_output(tfk)
    _randomize(theirs)
    path = str(tmp_path / "tf.h5")
    theirs.save_weights(path)
    L = keras.layers
    a = keras.Input((4,), name="a")
    shared = L.Dense(5, activation="tanh", name="shared")
    out = L.Dense(7, name="out1")(shared(a))  # same name, other shape: skipped with a warning
    ours = keras.Model(a, out)
    before = ours.get_layer("out1").get_weights()
    ours.load_weights(path, by_name=True, skip_mismatch=True)
    for w_ours, w_theirs in zip(ours.get_layer("shared").get_weights(), theirs.get_layer("shared").get_weights()):
        np.testing.assert_array_equal(w_ours, w_theirs)
    for w_now, w_before in zip(ours.get_layer("out1").get_weights(), before):
        np.testing.assert_array_equal(w_now, w_before)


@pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")
@pytest.mark.parametrize("kind", ["sequential", "nested", "embedding_merging"])
def test_model_weights_group_of_a_tf_keras_model_file(tfk, tmp_path, kind):
    theirs = MODELS[kind](tfk)
    theirs.compile(optimizer=tfk.optimizers.Adam(), loss="mse")
    x = _inputs(kind)
    y = np.asarray(theirs(x)) + 0.1
    theirs.fit(x, y, epochs=2, verbose=0)  # so the file also has optimizer weights
    path = str(tmp_path / "m.h5")
    theirs.save(path)
    with h5py.File(path, "r") as f:
        assert "model_weights" in f and "optimizer_weights" in f and "layer_names" not in f.attrs
    ours = MODELS[kind](keras)
    ours.load_weights(path)
    _assert_same_outputs(_ours_out(ours, x), _tf_out(theirs, x))
    keras.backend.clear_session()
    ours = MODELS[kind](keras)
    ours.load_weights(path, by_name=True)
    _assert_same_outputs(_ours_out(ours, x), _tf_out(theirs, x))


def test_tf_keras_mismatch_errors_have_the_same_wording(tfk, tmp_path):
    source = tfk.Sequential([tfk.layers.Dense(3, input_shape=(4,)), tfk.layers.Dense(2)])
    path = str(tmp_path / "tf.h5")
    source.save_weights(path)
    theirs = tfk.Sequential([tfk.layers.Dense(3, input_shape=(4,))])
    ours = keras.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    with pytest.raises(ValueError) as tf_error:
        theirs.load_weights(path)
    with pytest.raises(ValueError) as our_error:
        ours.load_weights(path)
    assert str(our_error.value).startswith(str(tf_error.value))


# ---- attributes split over several HDF5 headers -----------------------------------------------

def _many_weights_layer(k):
    class ManyWeights(k.layers.Layer):
        def build(self, input_shape):
            self.ws = [self.add_weight(name=f"{i:04d}" + "w" * 250, shape=(1,), initializer="ones")
                       for i in range(300)]

        def call(self, x):
            return x * sum(self.ws)

    return ManyWeights(name="many")


def test_split_attributes_match_tf_keras_both_ways(tfk, tmp_path):
    theirs = tfk.Sequential([tfk.Input((1,)), _many_weights_layer(tfk)])
    ours = keras.Sequential([keras.Input((1,)), _many_weights_layer(keras)])
    _randomize(theirs)
    theirs.save_weights(str(tmp_path / "tf.h5"))
    ours.load_weights(str(tmp_path / "tf.h5"))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
    _randomize(ours, seed=5)
    ours.save_weights(str(tmp_path / "ours.h5"))
    with h5py.File(tmp_path / "tf.h5", "r") as f_tf, h5py.File(tmp_path / "ours.h5", "r") as f_ours:
        assert sorted(f_ours["many"].attrs) == sorted(f_tf["many"].attrs) == ["weight_names0", "weight_names1"]
        for key in ("weight_names0", "weight_names1"):
            assert f_ours["many"].attrs[key].dtype == f_tf["many"].attrs[key].dtype
            assert list(f_ours["many"].attrs[key]) == list(f_tf["many"].attrs[key])
    theirs.load_weights(str(tmp_path / "ours.h5"))
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---- ModelCheckpoint ---------------------------------------------------------------------------

def test_model_checkpoint_writes_the_same_files_as_tf_keras(tfk, tmp_path, capsys):
    rng = np.random.RandomState(0)
    x = rng.rand(40, 4).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    names = {}
    for label, k in (("tf", tfk), ("ours", keras)):
        folder = tmp_path / label
        folder.mkdir()
        model = _sequential(k)
        model.compile(optimizer="sgd", loss="mse")
        callbacks = [
            k.callbacks.ModelCheckpoint(str(folder / "b.{epoch:02d}-{batch:03d}.h5"), save_weights_only=True,
                                        save_freq=3),
            k.callbacks.ModelCheckpoint(str(folder / "e.{epoch:02d}.h5"), save_weights_only=True, verbose=1),
        ]
        capsys.readouterr()
        model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=callbacks)
        out = capsys.readouterr().out
        names[label] = (sorted(os.listdir(folder)), out.replace(str(folder), "<dir>"))
        if label == "tf":
            tf_model, tf_folder = model, folder
    assert names["ours"] == names["tf"]
    ours = _sequential(keras)
    ours.load_weights(str(tf_folder / "e.03.h5"))
    for a, b in zip(ours.get_weights(), tf_model.get_weights()):
        np.testing.assert_array_equal(a, b)
