"""Unit tests of the layer/graph engine: layers, weights, KerasTensors, functional, Sequential, subclassing."""
import copy
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers as L
from torchkeras_api.engine.keras_tensor import KerasTensor


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()


class MaskFirstFeature(L.Layer):
    """Masks timesteps whose first feature is 0."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return inputs[..., 0] != 0


class ApplyMask(L.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return inputs if mask is None else inputs * mask[..., None].to(inputs.dtype)


class ZeroWhenTraining(L.Layer):
    def call(self, inputs, training=None):
        return inputs * 0 if training else inputs


def test_default_names_and_clear_session():
    assert [L.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert keras.Input((2,)).name == "input_1"
    keras.backend.clear_session()
    assert L.Dense(1).name == "dense"
    assert keras.Input((2,)).name == "input_1"
    assert keras.Sequential().name == "sequential"


def test_weights_are_named_parameters_in_keras_layout():
    layer = L.Dense(4)
    out = layer(np.ones((2, 3), "float32"))
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (2, 4)
    assert [w.name for w in layer.weights] == ["dense/kernel:0", "dense/bias:0"]
    assert all(isinstance(w, torch.nn.Parameter) for w in layer.weights)
    assert layer.kernel.numpy().shape == (3, 4)
    assert list(layer.state_dict()) == ["kernel", "bias"]
    kernel = np.arange(12, dtype="float32").reshape(3, 4)
    layer.set_weights([kernel, np.ones(4, "float32")])
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    np.testing.assert_allclose(layer(np.eye(3, dtype="float32")).detach().numpy(), kernel + 1)


def test_get_weights_returns_copies():
    layer = L.Dense(2)
    layer.build((None, 3))
    saved = layer.get_weights()
    with torch.no_grad():
        layer.kernel.add_(1.0)
    assert not np.allclose(saved[0], layer.get_weights()[0])


def test_variable_assign_ops_stay_on_tensors():
    var = keras.backend.variable(np.zeros((2, 3), "float32"))
    var.assign_add(torch.ones(2, 3))
    var.assign_sub(np.full((2, 3), 0.25, "float32"))
    np.testing.assert_allclose(var.numpy(), np.full((2, 3), 0.75))
    var.assign(torch.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(var.numpy(), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ValueError, match="Cannot assign value of shape"):
        var.assign(np.zeros(4))


def test_weight_named_like_a_property_does_not_clash():
    class Odd(L.Layer):
        @property
        def total(self):
            return 1

        def build(self, input_shape):
            self.w = self.add_weight("total", shape=(1,))

    layer = Odd()
    layer.build((None, 1))
    assert layer.weights[0].name == "odd/total:0" and layer.total == 1


def test_set_weights_errors_name_the_layer_and_change_nothing():
    layer = L.Dense(2)
    layer.build((None, 3))
    before = layer.get_weights()
    with pytest.raises(ValueError, match='layer "dense".*length 1.*expecting 2'):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"dense weight shape \(2,\) is not compatible"):
        layer.set_weights([np.zeros((3, 2)), np.zeros(3)])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_trainable_freezes_parameters():
    model = keras.Sequential([L.Dense(3, input_shape=(2,)), L.Dense(1)])
    model.layers[0].trainable = False
    assert [w.name for w in model.trainable_weights] == ["dense_1/kernel:0", "dense_1/bias:0"]
    assert [w.name for w in model.non_trainable_weights] == ["dense/kernel:0", "dense/bias:0"]
    assert [p.requires_grad for p in model.layers[0].parameters()] == [False, False]
    out = model(np.ones((4, 2), "float32")).sum()
    out.backward()
    assert model.layers[0].kernel.grad is None and model.layers[1].kernel.grad is not None
    model.trainable = False
    assert not model.layers[1].trainable and model.trainable_weights == []
    model.trainable = True
    assert all(p.requires_grad for p in model.parameters())


def test_keras_tensor_symbolic_properties():
    x = keras.Input(shape=(None, 16), name="model_input")
    assert isinstance(x, KerasTensor) and x.shape == (None, None, 16) and x.dtype == torch.float32
    layer, node_index, tensor_index = x._keras_history
    assert layer.name == "model_input" and (node_index, tensor_index) == (0, 0)
    y = L.Dense(4)(x)
    assert y.shape == (None, None, 4)
    assert y._keras_history.layer._inbound_nodes[0].keras_inputs == [x]
    assert layer._outbound_nodes[0].layer is y._keras_history.layer
    assert keras.Input(batch_shape=(8, 5, 3)).shape == (8, 5, 3)
    with pytest.raises(TypeError):
        bool(x)
    with pytest.raises(TypeError):
        np.asarray(x)


def test_operators_on_keras_tensors_become_layers():
    a = keras.Input((3,))
    b = keras.Input((3,))
    outs = [a + b, a * 2, 2 - a, a[:, 0], -a, a / 2, abs(a), a @ torch.ones(3, 2)]
    names = [t._keras_history.layer.name for t in outs]
    assert names[:3] == ["tf.__operators__.add", "tf.math.multiply", "tf.math.subtract"]
    assert names[3:] == ["tf.__operators__.getitem", "tf.math.negative", "tf.math.truediv", "tf.math.abs",
                         "tf.linalg.matmul"]
    model = keras.Model([a, b], outs)
    xa, xb = np.random.rand(5, 3).astype("float32"), np.random.rand(5, 3).astype("float32")
    got = model([xa, xb])
    want = [xa + xb, xa * 2, 2 - xa, xa[:, 0], -xa, xa / 2, abs(xa), xa @ np.ones((3, 2), "float32")]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.detach().numpy(), w, rtol=1e-6)
    assert outs[3].shape == (None,) and outs[7].shape == (None, 2)


def test_torch_functions_on_keras_tensors_are_recorded():
    a = keras.Input((4,))
    out = torch.tanh(a)
    model = keras.Model(a, out)
    x = np.random.rand(2, 4).astype("float32")
    np.testing.assert_allclose(model(x).detach().numpy(), np.tanh(x), rtol=1e-6)


def test_functional_multi_io_shared_layers_and_nesting():
    shared = L.Dense(2, name="shared")
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    out1, out2 = shared(a), shared(b)
    model = keras.Model(inputs=[a, b], outputs=[out1, out2 + out1])
    assert [l.name for l in model.layers] == ["a", "b", "shared", "tf.__operators__.add"]
    assert model.input_names == ["a", "b"] and len(shared._inbound_nodes) == 2
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        _ = shared.output
    xa, xb = np.ones((2, 3), "float32"), np.zeros((2, 3), "float32")
    r1, r2 = model([xa, xb])
    r1d, r2d = model({"a": xa, "b": xb})
    assert torch.equal(r1, r1d) and torch.equal(r2, r2d)
    inner_in = keras.Input((2,))
    inner = keras.Model(inner_in, L.Dense(5)(inner_in), name="inner")
    c = keras.Input((3,))
    outer = keras.Model(c, inner(L.Dense(2)(c)))
    assert [l.name for l in outer.layers][-1] == "inner"
    assert outer(np.ones((7, 3), "float32")).shape == (7, 5)
    assert len(outer.weights) == 4 and outer.get_layer("inner") is inner


def test_dict_inputs_and_outputs():
    a, b = keras.Input((3,)), keras.Input((2,))
    out = {"sum": L.Dense(1)(a), "other": L.Dense(4)(b)}
    model = keras.Model(inputs={"x": a, "y": b}, outputs=out)
    res = model({"x": np.ones((2, 3)), "y": np.ones((2, 2))})
    assert set(res) == {"sum", "other"} and res["other"].shape == (2, 4)


def test_functional_errors():
    a, b = keras.Input((3,)), keras.Input((3,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, L.Dense(2)(b))
    with pytest.raises(ValueError, match='"dup" is used 2 times'):
        keras.Model(a, L.Dense(2, name="dup")(L.Dense(3, name="dup")(a)))
    model = keras.Model([a, b], L.Dense(2)(a + b))
    with pytest.raises(ValueError, match="expects 2 input"):
        model(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(1, 4\)"):
        model([np.ones((1, 4)), np.ones((1, 4))])
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="min_ndim=2"):
        L.Dense(2)(keras.Input(()))


def test_sequential_add_pop_build_and_deferred():
    model = keras.Sequential()
    model.add(L.Dense(units=10, activation="sigmoid"))
    model.add(L.Dense(units=20, activation="sigmoid"))
    assert not model.built
    y = model(torch.randn(4, 10))
    assert y.shape == (4, 20) and model.built
    assert [w.name for w in model.weights] == ["dense/kernel:0", "dense/bias:0", "dense_1/kernel:0",
                                               "dense_1/bias:0"]
    built = keras.Sequential([L.Dense(3)])
    built.build(input_shape=(None, 7))
    assert built.output_shape == (None, 3) and built.count_params() == 24
    stacked = keras.Sequential([L.Dense(4, input_shape=(2,)), L.Dense(5)])
    assert stacked.built and stacked.output_shape == (None, 5)
    popped = stacked.pop()
    assert popped.name == "dense_4" and stacked.output_shape == (None, 4)
    batch = keras.Sequential([L.Dense(2, batch_input_shape=(8, 3))])
    assert batch.input_shape == (8, 3)
    with pytest.raises(TypeError, match="must be an instance of class Layer"):
        stacked.add("dense")


class TestModel(keras.Model):
    __test__ = False

    def __init__(self):
        super(TestModel, self).__init__()
        self.dense1 = L.Dense(units=10, activation="sigmoid")
        self.blocks = [L.Dense(3)]
        self.heads = {"out": L.Dense(2)}
        self.blocks.append(L.Dense(4))

    def call(self, x):
        x = self.dense1(x)
        for block in self.blocks:
            x = block(x)
        return self.heads["out"](x)


def test_subclassed_model_tracks_attributes_lists_and_dicts():
    model = TestModel()
    y = model(torch.randn(4, 10))
    assert y.shape == (4, 2)
    assert [l.name for l in model.layers] == ["dense", "dense_1", "dense_3", "dense_2"]
    assert model.weights[0].name == "test_model/dense/kernel:0"
    assert list(model.state_dict()) == ["dense1.kernel", "dense1.bias", "blocks.0.kernel", "blocks.0.bias",
                                        "blocks.1.kernel", "blocks.1.bias", "heads.out.kernel", "heads.out.bias"]
    assert len(list(model.parameters())) == 8


def test_subclassed_build_then_summary_ready():
    model = TestModel()
    with pytest.raises(ValueError, match="not yet been built"):
        model.summary()
    model.build(input_shape=(None, 10))
    assert model.built and model.count_params() == 10 * 10 + 10 + 33 + 16 + 10
    assert model.layers[0].kernel.shape == (10, 10)


def test_masks_flow_through_the_graph():
    inp = keras.Input((4, 2))
    masked = MaskFirstFeature()(inp)
    dense = L.Dense(3)(masked)
    assert dense._keras_mask is not None and dense._keras_mask.shape == (None, 4)
    model = keras.Model(inp, ApplyMask()(dense))
    x = np.random.rand(2, 4, 2).astype("float32") + 0.1
    x[0, 2:] = 0
    out = model(x)
    assert torch.all(out[0, 2:] == 0) and torch.all(out[1] != 0)
    eager = L.Dense(3)(MaskFirstFeature()(torch.as_tensor(x)))
    assert torch.equal(eager._keras_mask, torch.as_tensor(x[..., 0] != 0))


def test_training_argument_reaches_nested_layers():
    inp = keras.Input((3,))
    model = keras.Model(inp, ZeroWhenTraining()(L.Dense(3)(inp)))
    seq = keras.Sequential([model])
    x = np.ones((2, 3), "float32")
    assert model(x).abs().sum() > 0
    assert model(x, training=True).abs().sum() == 0
    assert seq(x, training=True).abs().sum() == 0
    assert seq(x, training=False).abs().sum() > 0


def test_call_with_var_kwargs_receives_explicit_training():
    class Seen(L.Layer):
        def call(self, inputs, **kwargs):
            self.seen = kwargs.get("training")
            return inputs

    layer = Seen()
    layer(np.ones((1, 2), "float32"), training=True)
    assert layer.seen is True
    layer(np.ones((1, 2), "float32"))
    assert layer.seen is None


def test_losses_regularizers_and_add_loss():
    class AddsLoss(L.Layer):
        def call(self, x):
            self.add_loss(x.abs().mean())
            return x

    model = keras.Sequential([L.Dense(2, kernel_regularizer=keras.regularizers.l2(0.1),
                                      activity_regularizer="l1", input_shape=(3,)), AddsLoss()])
    x = np.ones((4, 3), "float32")
    out = model(x)
    kernel = model.layers[0].kernel
    with torch.no_grad():
        expected = [float(out.abs().sum() * 0.01 / 4), float(0.1 * (kernel ** 2).sum()), float(out.abs().mean())]
    assert sorted(float(l.detach()) for l in model.losses) == pytest.approx(sorted(expected), rel=1e-5)
    model(x)
    assert len(model.losses) == 3
    inp = keras.Input((3,))
    functional = keras.Model(inp, L.Dense(1)(inp))
    functional.add_loss(keras.backend.mean(inp) if hasattr(keras.backend, "mean") else inp.__abs__())
    functional(x)
    assert len(functional.losses) == 1


def test_get_config_from_config_roundtrip():
    a = keras.Input((3,))
    b = keras.Input((3,), name="bb")
    d = L.Dense(2)
    z = d(a) + d(b)
    model = keras.Model([a, b], [z, (z * 2.0)[:, 0]])
    clone = keras.Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    xs = [np.random.rand(4, 3).astype("float32") for _ in range(2)]
    for p, q in zip(model(xs), clone(xs)):
        assert torch.allclose(p, q)
    seq = keras.Sequential([L.Dense(2, input_shape=(3,)), L.Dense(1)])
    seq_clone = keras.Sequential.from_config(seq.get_config())
    assert seq_clone.count_params() == seq.count_params()
    with pytest.raises(ValueError, match="Unknown layer: 'Nope'"):
        keras.layers.deserialize({"class_name": "Nope", "config": {}})


def test_unknown_kwarg_is_a_type_error():
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        L.Dense(2, foo=1)


def test_deepcopy_and_state_dict_roundtrip():
    inp = keras.Input((3,))
    model = keras.Model(inp, L.Dense(2)(L.Dense(4)(inp)))
    twin = copy.deepcopy(model)
    assert [w.name for w in twin.weights] == [w.name for w in model.weights]
    fresh = keras.Model.from_config(model.get_config())
    fresh.load_state_dict(model.state_dict())
    x = np.random.rand(3, 3).astype("float32")
    assert torch.equal(fresh(x), model(x)) and torch.equal(twin(x), model(x))


def test_pickled_layer_keeps_tf_keras_layout():
    import pickle

    layer = L.Conv2D(4, 3)
    layer(np.zeros((1, 5, 5, 2), "float32"))
    copy_ = pickle.loads(pickle.dumps(layer))
    assert copy_.get_weights()[0].shape == (3, 3, 2, 4)
    np.testing.assert_array_equal(copy_.get_weights()[0], layer.get_weights()[0])


def test_layer_call_error_names_the_layer():
    class Broken(L.Layer):
        def call(self, x):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match='calling layer "broken" .type Broken.(.|\n)*boom'):
        Broken()(keras.Input((2,)))


def test_cpu_when_cuda_hidden():
    code = ("import torchkeras_api as keras, numpy as np; l = keras.layers.Dense(2); "
            "y = l(np.ones((1, 3), 'float32')); print(l.kernel.device, y.device)")
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="-1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["cpu", "cpu"]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_weights_and_inputs_on_gpu():
    layer = L.Dense(2)
    y = layer(np.ones((1, 3), "float32"))
    assert layer.kernel.device.type == "cuda" and y.device.type == "cuda"
    inp = keras.Input((3,))
    model = keras.Model(inp, L.Dense(4)(inp) * 2)
    assert model(torch.ones(5, 3)).device.type == "cuda"
    cpu_model = keras.Sequential([L.Dense(2, input_shape=(3,))]).to("cpu")
    assert cpu_model(torch.ones(1, 3)).device.type == "cpu"


def test_model_reset_states_resets_stateful_layers():
    model = keras.Sequential([L.LSTM(2, stateful=True, batch_input_shape=(1, 3, 2))])
    x = np.ones((1, 3, 2), "float32")
    first = model(x).detach().clone()
    assert not torch.allclose(model(x), first)
    model.reset_states()
    assert torch.allclose(model(x), first)
