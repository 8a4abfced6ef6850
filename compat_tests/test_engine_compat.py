"""The layer/graph engine against real tf.keras: names, weight order, shapes, outputs, gradients, configs."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close


def _build_functional(k):
    """Two inputs, a shared Dense, operators and slicing; works for both libraries."""
    L = k.layers
    a, b = k.Input((3,)), k.Input((3,), name="bb")
    shared = L.Dense(4, activation="tanh")
    x = shared(a) + shared(b)
    y = L.Dense(2, name="head")(x * 2.0)
    return k.Model([a, b], [x, y, y[:, 0]])


def _build_sequential(k):
    L = k.layers
    return k.Sequential([L.Dense(8, activation="relu", input_shape=(5,)), L.Dense(3, activation="softmax")])


def _build_deferred_sequential(k):
    L = k.layers
    model = k.Sequential()
    model.add(L.Dense(units=10, activation="sigmoid"))
    model.add(L.Dense(units=20, activation="sigmoid"))
    return model


def _subclassed(k):
    L = k.layers

    class TestModel(k.Model):
        def __init__(self):
            super(TestModel, self).__init__()
            self.dense1 = L.Dense(units=10, activation="sigmoid")
            self.blocks = [L.Dense(3)]
            self.inner = k.Sequential([L.Dense(6, activation="relu")])
            self.heads = {"out": L.Dense(2)}
            self.blocks.append(L.Dense(4))

        def call(self, x):
            x = self.inner(self.dense1(x))
            for block in self.blocks:
                x = block(x)
            return self.heads["out"](x)

    return TestModel()


def _compare_models(ours, theirs, inputs, tf):
    assert [l.name for l in ours.layers] == [l.name for l in theirs.layers]
    assert [type(l).__name__ for l in ours.layers] == [type(l).__name__ for l in theirs.layers]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    tf_inputs = [tf.constant(x) for x in inputs]
    with tf.GradientTape() as tape:
        tape.watch(tf_inputs)
        tf_out = theirs(tf_inputs if len(inputs) > 1 else tf_inputs[0])
        tf_total = tf.add_n([tf.reduce_sum(o * o) for o in tf.nest.flatten(tf_out)])
    tf_grads = tape.gradient(tf_total, tf_inputs)
    torch_inputs = [torch.tensor(x, requires_grad=True) for x in inputs]
    out = ours(torch_inputs if len(inputs) > 1 else torch_inputs[0])
    total = sum((o * o).sum() for o in (out if isinstance(out, (list, tuple)) else [out]))
    total.backward()
    for o, t in zip(out if isinstance(out, (list, tuple)) else [out], tf.nest.flatten(tf_out)):
        assert_close(o, t)
    for g, t in zip(torch_inputs, tf_grads):
        assert_close(g.grad, t, rtol=1e-4, atol=1e-5)


def test_functional_graph_matches(tf, tfk):
    ours, theirs = _build_functional(keras), _build_functional(tfk)
    assert [tuple(o.shape) for o in ours.outputs] == [tuple(o.shape) for o in theirs.outputs]
    assert ours.input_names == theirs.input_names and ours.output_names == theirs.output_names
    x = [np.random.RandomState(i).rand(4, 3).astype("float32") for i in range(2)]
    _compare_models(ours, theirs, x, tf)


def test_functional_config_matches(tfk):
    ours, theirs = _build_functional(keras).get_config(), _build_functional(tfk).get_config()
    assert set(ours) == set(theirs)
    assert ours["input_layers"] == theirs["input_layers"]
    assert ours["output_layers"] == theirs["output_layers"]
    for mine, ref in zip(ours["layers"], theirs["layers"]):
        assert (mine["class_name"], mine["name"]) == (ref["class_name"], ref["name"])
        assert set(mine["config"]) == set(ref["config"])
        if ref["class_name"] in ("Dense", "InputLayer"):
            assert mine["inbound_nodes"] == ref["inbound_nodes"]
            assert mine["config"] == ref["config"]


def test_tf_keras_config_builds_here(tf, tfk):
    theirs = _build_functional(tfk)
    ours = keras.Model.from_config(theirs.get_config())
    x = [np.random.RandomState(i).rand(4, 3).astype("float32") for i in range(2)]
    _compare_models(ours, theirs, x, tf)


def test_sequential_matches(tf, tfk):
    ours, theirs = _build_sequential(keras), _build_sequential(tfk)
    assert ours.output_shape == theirs.output_shape and ours.input_shape == theirs.input_shape
    _compare_models(ours, theirs, [np.random.rand(6, 5).astype("float32")], tf)
    assert set(ours.get_config()) == set(theirs.get_config())


def test_deferred_sequential_matches(tf, tfk):
    ours, theirs = _build_deferred_sequential(keras), _build_deferred_sequential(tfk)
    x = np.random.rand(4, 10).astype("float32")
    ours(x)
    theirs(tf.constant(x))
    assert ours.built and theirs.built
    _compare_models(ours, theirs, [x], tf)


@pytest.mark.parametrize("how", ["build", "call"])
def test_subclassed_model_matches(tf, tfk, how):
    ours, theirs = _subclassed(keras), _subclassed(tfk)
    if how == "build":
        ours.build(input_shape=(None, 5))
        theirs.build(input_shape=(None, 5))
    else:
        ours(np.zeros((2, 5), "float32"))
        theirs(tf.zeros((2, 5)))
    assert ours.name == theirs.name
    _compare_models(ours, theirs, [np.random.rand(3, 5).astype("float32")], tf)


def test_freezing_reorders_weights_like_tf(tfk):
    def build(k):
        L = k.layers
        model = k.Sequential([L.Dense(3, input_shape=(2,)), L.Dense(4), L.Dense(1)])
        model.layers[1].trainable = False
        return model

    ours, theirs = build(keras), build(tfk)
    for attr in ("weights", "trainable_weights", "non_trainable_weights"):
        assert [w.name for w in getattr(ours, attr)] == [w.name for w in getattr(theirs, attr)], attr
    ours.trainable, theirs.trainable = False, False
    assert [l.trainable for l in ours.layers] == [l.trainable for l in theirs.layers]
    assert [w.name for w in ours.non_trainable_weights] == [w.name for w in theirs.non_trainable_weights]


def test_layer_properties_match(tfk):
    def build(k):
        inp = k.Input((None, 16), name="model_input")
        dense = k.layers.Dense(4)
        return dense, dense(inp), inp

    (ours, out, inp), (theirs, tout, tinp) = build(keras), build(tfk)
    assert ours.input_shape == theirs.input_shape and ours.output_shape == theirs.output_shape
    assert tuple(out.shape) == tuple(tout.shape) and tuple(inp.shape) == tuple(tinp.shape)
    assert ours.get_config() == theirs.get_config()
    assert out._keras_history.node_index == tout._keras_history.node_index
    assert ours.count_params() == theirs.count_params()


@pytest.mark.parametrize("case", ["bad_rank", "wrong_count", "bad_dim"])
def test_error_types_match(tfk, case):
    def attempt(k):
        L = k.layers
        if case == "bad_rank":
            L.Dense(2)(k.Input(()))
        elif case == "wrong_count":
            a, b = k.Input((3,)), k.Input((3,))
            k.Model([a, b], L.Dense(2)(a + b))(np.ones((1, 3), "float32"))
        else:
            a = k.Input((3,))
            k.Model(a, L.Dense(2)(a))(np.ones((1, 4), "float32"))

    with pytest.raises(Exception) as ref:
        attempt(tfk)
    with pytest.raises(type(ref.value)):
        attempt(keras)


def test_model_own_weights_come_last(tfk):
    def build(k):
        class WithOwn(k.Model):
            def __init__(self):
                super().__init__()
                self.d = k.layers.Dense(4)
                self.t = self.add_weight(name="t", shape=(), initializer="ones")

            def call(self, x):
                return self.d(x) * self.t

        model = WithOwn()
        model(np.zeros((1, 3), "float32"))
        return model

    ours, theirs = build(keras), build(tfk)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    assert [w.name.split("/")[-1] for w in ours.weights] == [w.name.split("/")[-1] for w in theirs.weights]


def test_sequential_starting_with_a_functional_model_is_built(tfk):
    def build(k):
        x = k.Input((4,))
        return k.Sequential([k.Model(x, k.layers.Dense(2)(x)), k.layers.Dense(1)])

    ours, theirs = build(keras), build(tfk)
    assert ours.built and theirs.built
    assert ours.output_shape == theirs.output_shape and ours.count_params() == theirs.count_params()
