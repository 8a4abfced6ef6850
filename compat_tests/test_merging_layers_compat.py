"""Merging layers against the real tf.keras: values, input gradients, symbolic shapes, masks, errors, config."""
import numpy as np
import pytest
import torch

from compat_tests.conftest import assert_close
from torchkeras_api import Input, Model, layers

# (class name, constructor kwargs, input shapes with batch)
CASES = [
    ("Add", {}, [(3, 4), (3, 4)]),
    ("Add", {}, [(3, 4), (3, 4), (3, 4)]),
    ("Add", {}, [(3, 4)]),
    ("Add", {}, [(3, 4), (3, 5, 4)]),
    ("Add", {}, [(3, 2, 5, 4), (3, 4)]),
    ("Add", {}, [(3, 5, 1), (3, 1, 4)]),
    ("Subtract", {}, [(3, 4), (3, 4)]),
    ("Subtract", {}, [(3, 5, 4), (3, 4)]),
    ("Multiply", {}, [(3, 4), (3, 4), (3, 4)]),
    ("Multiply", {}, [(3,), (3, 4)]),
    ("Average", {}, [(3, 4), (3, 4), (3, 4)]),
    ("Average", {}, [(3, 4), (3, 2, 4)]),
    ("Maximum", {}, [(3, 4), (3, 4), (3, 4)]),
    ("Maximum", {}, [(3, 4), (3, 6, 4)]),
    ("Minimum", {}, [(3, 4), (3, 4)]),
    ("Minimum", {}, [(3, 6, 1), (3, 4)]),
    ("Concatenate", {}, [(3, 4), (3, 5)]),
    ("Concatenate", {}, [(3, 7, 2), (3, 7, 5), (3, 7, 42)]),
    ("Concatenate", {"axis": 1}, [(3, 2, 5), (3, 6, 5)]),
    ("Concatenate", {"axis": -2}, [(3, 2, 5), (3, 6, 5)]),
    ("Concatenate", {"axis": 0}, [(3, 5), (2, 5)]),
    ("Dot", {"axes": 1}, [(3, 4), (3, 4)]),
    ("Dot", {"axes": -1}, [(3, 5, 4), (3, 6, 4)]),
    ("Dot", {"axes": 1}, [(3, 5, 4), (3, 5, 6)]),
    ("Dot", {"axes": (2, 1)}, [(3, 5, 4), (3, 4, 6)]),
    ("Dot", {"axes": [1, 2]}, [(3, 5, 4), (3, 6, 5)]),
    ("Dot", {"axes": (-1, -2)}, [(3, 5, 4), (3, 4, 6)]),
    ("Dot", {"axes": (2, 1)}, [(3, 5, 4), (3, 4)]),
    ("Dot", {"axes": (1, 2)}, [(3, 4), (3, 5, 4)]),
    ("Dot", {"axes": (3, 2)}, [(3, 2, 5, 4), (3, 6, 4, 7)]),
    ("Dot", {"axes": 1, "normalize": True}, [(3, 4), (3, 4)]),
    ("Dot", {"axes": (2, 1), "normalize": True}, [(3, 5, 4), (3, 4, 6)]),
]


def _case_id(value):
    return str(value).replace(" ", "")


def _plain_config(tf_layer):
    """tf.keras's config with its tracked list wrappers turned into lists."""
    return {k: list(v) if type(v).__name__ == "ListWrapper" else v for k, v in tf_layer.get_config().items()}


def _random_inputs(shapes, seed):
    rng = np.random.RandomState(seed)
    return [rng.randn(*s).astype("float32") for s in shapes]


def _theirs(tf, layer, arrays, upstream):
    tensors = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        out = layer(tensors)
    return out, tape.gradient(out, tensors, output_gradients=tf.constant(upstream))


def _ours(layer, arrays, upstream):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = layer(tensors)
    out.backward(torch.tensor(upstream))
    return out, [t.grad for t in tensors]


@pytest.mark.parametrize("name, kwargs, shapes", CASES, ids=_case_id)
def test_values_gradients_shapes_and_config(tf, tfk, name, kwargs, shapes):
    arrays = _random_inputs(shapes, seed=len(CASES) + len(str((name, kwargs, shapes))))
    ours_layer, theirs_layer = getattr(layers, name)(**kwargs), getattr(tfk.layers, name)(**kwargs)
    out_shape = theirs_layer([tf.constant(a) for a in arrays]).shape
    upstream = np.random.RandomState(1).randn(*out_shape).astype("float32")
    theirs, theirs_grads = _theirs(tf, theirs_layer, arrays, upstream)
    ours, ours_grads = _ours(ours_layer, arrays, upstream)
    assert ours.dtype == torch.float32
    assert_close(ours, theirs)
    for ours_grad, theirs_grad in zip(ours_grads, theirs_grads):
        assert_close(ours_grad, theirs_grad)

    ours_symbolic = getattr(layers, name)(**kwargs)([Input(s[1:]) for s in shapes])
    theirs_symbolic = getattr(tfk.layers, name)(**kwargs)([tfk.Input(s[1:]) for s in shapes])
    assert tuple(ours_symbolic.shape) == tuple(theirs_symbolic.shape)
    assert ours_layer.get_config() == _plain_config(theirs_layer)


@pytest.mark.parametrize("name, kwargs", [("Maximum", {}), ("Minimum", {}), ("Dot", {"axes": 1, "normalize": True})])
def test_gradients_at_ties_and_zero_vectors(tf, tfk, name, kwargs):
    arrays = [np.array([[1, 2, 3], [0, 0, 0]], "float32"), np.array([[1, 1, 4], [0, 1, 0]], "float32")]
    if name != "Dot":
        arrays.append(np.array([[1, 2, 0], [0, 0, 0]], "float32"))
    upstream = np.ones((2, 1 if name == "Dot" else 3), "float32")
    theirs, theirs_grads = _theirs(tf, getattr(tfk.layers, name)(**kwargs), arrays, upstream)
    ours, ours_grads = _ours(getattr(layers, name)(**kwargs), arrays, upstream)
    assert_close(ours, theirs)
    for ours_grad, theirs_grad in zip(ours_grads, theirs_grads):
        assert_close(ours_grad, theirs_grad)


@pytest.mark.parametrize("name, kwargs", [("add", {}), ("subtract", {}), ("multiply", {}), ("average", {}),
                                          ("maximum", {}), ("minimum", {}), ("concatenate", {}),
                                          ("concatenate", {"axis": 0}), ("dot", {"axes": 1})])
@pytest.mark.parametrize("dtype", ["int32", "int64", "int8"])
def test_integer_inputs(tf, tfk, name, kwargs, dtype):
    if name == "dot" and dtype == "int8":
        pytest.skip("tf's batch_dot has no int8 kernel")
    x, y = np.array([[1, 2], [3, 4]], dtype), np.array([[5, 6], [7, 8]], dtype)
    theirs = getattr(tfk.layers, name)([tf.constant(x), tf.constant(y)], **kwargs)
    ours = getattr(layers, name)([torch.tensor(x), torch.tensor(y)], **kwargs)
    assert str(ours.dtype).replace("torch.", "") == theirs.dtype.name
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    from_numpy = getattr(layers, name)([x, y], **kwargs)
    assert str(from_numpy.dtype).replace("torch.", "") == theirs.dtype.name


# (function, kwargs, input batch shapes): accepted or rejected alike, with the same output shape.
SYMBOLIC = [
    ("add", {}, [(None, None), (None, 5)]),
    ("add", {}, [(None, 5), (None, None)]),
    ("add", {}, [(None, 3), (1, 3)]),
    ("add", {}, [(2, 3), (1, 3)]),
    ("add", {}, [(2, 3), (2, 3)]),
    ("add", {}, [(None, 3), (None, 4, 3)]),
    ("add", {}, [(None, 3), (None, None, 3)]),
    ("add", {}, [(None, None), (None, 4, 3)]),
    ("add", {}, [(None, None, 3), (None, 4, 1)]),
    ("add", {}, [(None, 4), (None, 4, 3)]),
    ("add", {}, [(None, 3), (None, 4)]),
    ("maximum", {}, [(None, 2, 1), (None, 1, 5), (None, 5)]),
    ("subtract", {}, [(None, 3), (None, 3), (None, 3)]),
    ("subtract", {}, [(None, 3)]),
    ("concatenate", {}, [(None, None, 3), (None, None, 5), (None, None, 42)]),
    ("concatenate", {"axis": 1}, [(None, None, 3), (None, 7, 3)]),
    ("concatenate", {}, [(None, None, 4), (None, 7, 3)]),
    ("concatenate", {}, [(None, 4, 3), (None, 7, 3)]),
    ("concatenate", {}, [(None, 4, 3), (None, 3)]),
    ("concatenate", {}, [(2, 3), (1, 3)]),
    ("concatenate", {"axis": 0}, [(None, 4, 3), (None, 4, 3)]),
    ("concatenate", {"axis": 0}, [(2, 4, 3), (3, 4, 3)]),
    ("concatenate", {}, [(None, 3)]),
    ("dot", {"axes": 1}, [(None, 3), (None, 3)]),
    ("dot", {"axes": 1}, [(None, None, 3), (None, None, 3)]),
    ("dot", {"axes": 1}, [(None, None, 3), (None, 5, 3)]),
    ("dot", {"axes": -1}, [(None, 4, 3), (None, 5, 4)]),
    ("dot", {"axes": (2, 1)}, [(None, 4, None), (None, None, 5)]),
    ("dot", {"axes": 1}, [(None, 3), (None, 3), (None, 3)]),
]


@pytest.mark.parametrize("name, kwargs, shapes", SYMBOLIC, ids=_case_id)
def test_symbolic_acceptance_and_shapes(tf, tfk, name, kwargs, shapes):
    def attempt(module, make_input):
        try:
            out = getattr(module, name)([make_input(s) for s in shapes], **kwargs)
        except (ValueError, TypeError) as error:
            return type(error)
        return tuple(out.shape)

    theirs = attempt(tfk.layers, lambda s: tfk.Input(batch_shape=s))
    ours = attempt(layers, lambda s: Input(batch_shape=s))
    assert ours == theirs


@pytest.mark.parametrize("shapes", [[(2, 3), (1, 3)], [(2, 3), (3, 3)], [(2, 3), (2, 4)], [(2, 4), (2, 4, 3)]],
                         ids=_case_id)
def test_eager_rejections_match(tf, tfk, shapes):
    arrays = [np.zeros(s, "float32") for s in shapes]
    with pytest.raises(ValueError):
        tfk.layers.add([tf.constant(a) for a in arrays])
    with pytest.raises(ValueError):
        layers.add(arrays)


def test_errors_on_bad_call_arguments(tf, tfk):
    x = np.zeros((2, 3), "float32")
    for module, convert in ((tfk.layers, tf.constant), (layers, torch.tensor)):
        with pytest.raises(ValueError, match="list of inputs"):
            module.Add()(convert(x))
        with pytest.raises(ValueError, match="exactly 2|list of 2"):
            module.Subtract()([convert(x)] * 3)
        with pytest.raises(ValueError, match="exactly 2|list of 2"):
            module.Dot(axes=1)([convert(x)])
        with pytest.raises(ValueError, match="axis 0"):
            module.Dot(axes=0)([convert(x), convert(x)])
        with pytest.raises(TypeError, match="list or an int"):
            module.Dot(axes="a")
        with pytest.raises(ValueError, match="two elements"):
            module.Dot(axes=(1, 1, 1))


M1 = np.array([[True, True, False], [True, False, False]])
M2 = np.array([[True, False, True], [True, True, False]])
MASK_CASES = [
    ("Add", {}, [(2, 3, 4), (2, 3, 4)], [M1, M2]),
    ("Add", {}, [(2, 3, 4), (2, 3, 4)], [None, M2]),
    ("Add", {}, [(2, 3, 4), (2, 3, 4)], [None, None]),
    ("Multiply", {}, [(2, 3, 4), (2, 3, 4), (2, 3, 4)], [M1, None, M2]),
    ("Subtract", {}, [(2, 3, 4), (2, 3, 4)], [M2, M1]),
    ("Maximum", {}, [(2, 3, 4), (2, 3, 4)], [M1, M2]),
    ("Concatenate", {}, [(2, 3, 4), (2, 3, 5)], [M1, M2]),
    ("Concatenate", {}, [(2, 3, 4), (2, 3, 5)], [M1, None]),
    ("Concatenate", {}, [(2, 3, 4), (2, 3, 4)], [np.ones((2, 3, 4), bool), None]),
    ("Concatenate", {"axis": 1}, [(2, 3, 4), (2, 3, 4)], [M1, M2]),
    ("Concatenate", {"axis": 1}, [(2, 3, 1), (2, 3, 1)], [M1, None]),
    ("Concatenate", {}, [(2, 3), (2, 3)], [np.array([True, False]), None]),
    ("Dot", {"axes": 2}, [(2, 3, 4), (2, 3, 4)], [M1, M2]),
]


@pytest.mark.parametrize("name, kwargs, shapes, masks", MASK_CASES, ids=_case_id)
def test_compute_mask(tf, tfk, name, kwargs, shapes, masks):
    arrays = _random_inputs(shapes, seed=3)
    theirs = getattr(tfk.layers, name)(**kwargs).compute_mask(
        [tf.constant(a) for a in arrays], [None if m is None else tf.constant(m) for m in masks])
    ours = getattr(layers, name)(**kwargs).compute_mask(
        [torch.tensor(a) for a in arrays], [None if m is None else torch.tensor(m) for m in masks])
    if theirs is None:
        assert ours is None
    else:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_masks_through_a_functional_graph(tf, tfk):
    class MaskZeros(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def compute_mask(self, inputs, mask=None):
            return torch.any(inputs != 0, dim=-1)

    xa = np.array([[[1, 1], [0, 0], [1, 1], [2, 0]]], "float32")
    xb = np.array([[[1, 1], [1, 1], [0, 0], [0, 3]]], "float32")
    ta, tb = tfk.Input((4, 2)), tfk.Input((4, 2))
    ma, mb = tfk.layers.Masking(0.0)(ta), tfk.layers.Masking(0.0)(tb)
    theirs_model = tfk.Model([ta, tb], [tfk.layers.add([ma, mb]), tfk.layers.concatenate([ma, tb])])
    oa, ob = Input((4, 2)), Input((4, 2))
    na, nb = MaskZeros()(oa), MaskZeros()(ob)
    ours_model = Model([oa, ob], [layers.add([na, nb]), layers.concatenate([na, ob])])
    theirs = theirs_model([tf.constant(xa), tf.constant(xb)])
    ours = ours_model([xa, xb])
    for o, t in zip(ours, theirs):
        assert_close(o, t)
    eager_theirs = tfk.layers.add([tfk.layers.Masking(0.0)(xa), tfk.layers.Masking(0.0)(xb)])._keras_mask
    eager_ours = layers.add([MaskZeros()(xa), MaskZeros()(xb)])._keras_mask
    np.testing.assert_array_equal(eager_ours.numpy(), eager_theirs.numpy())
    eager_theirs = tfk.layers.concatenate([tfk.layers.Masking(0.0)(xa), xb])._keras_mask
    eager_ours = layers.concatenate([MaskZeros()(xa), xb])._keras_mask
    np.testing.assert_array_equal(eager_ours.numpy(), eager_theirs.numpy())


def test_rnnoise_style_model(tf, tfk):
    """concatenate([x, vad, model_input]) over a None time axis, with shared weights in both libraries."""
    def build(module, make_input, model_cls):
        model_input = make_input((None, 42))
        x = module.Dense(24, activation="tanh", name="dense_in")(model_input)
        vad = module.Dense(24, activation="relu", name="vad")(x)
        merged = module.concatenate([x, vad, model_input])
        out = module.Dense(22, activation="sigmoid", name="out")(merged)
        return model_cls(model_input, out), merged

    theirs_model, theirs_merged = build(tfk.layers, lambda s: tfk.Input(s), tfk.Model)
    ours_model, ours_merged = build(layers, lambda s: Input(s), Model)
    assert tuple(ours_merged.shape) == tuple(theirs_merged.shape) == (None, None, 90)
    ours_model.set_weights(theirs_model.get_weights())
    data = np.random.RandomState(5).randn(2, 7, 42).astype("float32")
    x = tf.constant(data)
    with tf.GradientTape() as tape:
        tape.watch(x)
        theirs = theirs_model(x)
    theirs_grad = tape.gradient(theirs, x)
    ours_x = torch.tensor(data, requires_grad=True)
    ours = ours_model(ours_x)
    ours.sum().backward()
    assert_close(ours, theirs)
    assert_close(ours_x.grad, theirs_grad, rtol=1e-5, atol=1e-5)
