"""Unit tests of the merging layers: values, dtypes, broadcasting, shapes, masks, errors and config."""
import functools

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers

RNG = np.random.RandomState(0)
ELEMENTWISE = {
    "Add": (layers.Add, layers.add, lambda xs: functools.reduce(np.add, xs)),
    "Multiply": (layers.Multiply, layers.multiply, lambda xs: functools.reduce(np.multiply, xs)),
    "Average": (layers.Average, layers.average, lambda xs: functools.reduce(np.add, xs) / len(xs)),
    "Maximum": (layers.Maximum, layers.maximum, lambda xs: functools.reduce(np.maximum, xs)),
    "Minimum": (layers.Minimum, layers.minimum, lambda xs: functools.reduce(np.minimum, xs)),
}


class MaskZeros(layers.Layer):
    """Passes inputs through with a mask that is False on all-zero timesteps."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return torch.any(inputs != 0, dim=-1)


def _data(*shape, dtype="float32"):
    return RNG.randn(*shape).astype(dtype)


def _np(t):
    return t.detach().numpy()


# ---- values and dtypes ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@pytest.mark.parametrize("count", [1, 2, 3])
def test_elementwise_values(name, count):
    cls, fn, reference = ELEMENTWISE[name]
    xs = [_data(4, 5) for _ in range(count)]
    expected = reference(xs)
    np.testing.assert_allclose(_np(cls()(xs)), expected, rtol=1e-6)
    np.testing.assert_allclose(_np(fn(xs)), expected, rtol=1e-6)


def test_subtract_values():
    x, y = _data(3, 4), _data(3, 4)
    np.testing.assert_allclose(_np(layers.Subtract()([x, y])), x - y, rtol=1e-6)
    np.testing.assert_allclose(_np(layers.subtract((torch.tensor(x), torch.tensor(y)))), x - y, rtol=1e-6)


def test_integer_inputs_keep_tf_dtypes():
    x, y = np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8]])
    assert layers.add([x, y]).dtype == torch.int64
    assert layers.Add()([x, y]).tolist() == [[6, 8], [10, 12]]
    assert layers.subtract([x, y]).tolist() == [[-4, -4], [-4, -4]]
    assert layers.multiply([x, y]).tolist() == [[5, 12], [21, 32]]
    assert layers.maximum([x, y]).tolist() == [[5, 6], [7, 8]]
    assert layers.minimum([x, y]).tolist() == [[1, 2], [3, 4]]
    assert layers.concatenate([x, y]).tolist() == [[1, 2, 5, 6], [3, 4, 7, 8]]
    assert layers.dot([x, y], axes=1).tolist() == [[17], [53]]
    t32 = torch.tensor([[1, 2], [3, 4]], dtype=torch.int32)
    assert layers.add([t32, t32]).dtype == torch.int32
    mean = layers.average([t32, t32 + 1])
    assert mean.dtype == torch.float64 and mean.tolist() == [[1.5, 2.5], [3.5, 4.5]]
    assert layers.average([t32.to(torch.int8)] * 2).dtype == torch.float32


def test_float64_inputs_are_autocast():
    out = layers.add([np.ones((2, 3)), np.ones((2, 3))])
    assert out.dtype == torch.float32


def test_mixed_dtypes_rejected():
    with pytest.raises(TypeError, match='"add.*one dtype.*int32.*float32'):
        layers.add([np.ones((2, 3), "int32"), np.ones((2, 3), "float32")])
    with pytest.raises(TypeError, match="one dtype"):
        layers.concatenate([np.ones((2, 3), "int64"), np.ones((2, 3), "float32")])


def test_maximum_minimum_ties_send_gradient_to_first_input_and_keep_nans():
    a = torch.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    b = torch.tensor([[1.0, 1.0, 4.0]], requires_grad=True)
    c = torch.tensor([[1.0, 2.0, 0.0]], requires_grad=True)
    out = layers.Maximum()([a, b, c])
    out.sum().backward()
    assert out.tolist() == [[1.0, 2.0, 4.0]]
    assert (a.grad.tolist(), b.grad.tolist(), c.grad.tolist()) == ([[1, 1, 0]], [[0, 0, 1]], [[0, 0, 0]])
    for x in (a, b, c):
        x.grad = None
    out = layers.Minimum()([a, b, c])
    out.sum().backward()
    assert out.tolist() == [[1.0, 1.0, 0.0]]
    assert (a.grad.tolist(), b.grad.tolist(), c.grad.tolist()) == ([[1, 0, 0]], [[0, 1, 0]], [[0, 0, 1]])
    nan = np.array([[np.nan, 1.0, np.nan]], "float32")
    other = np.array([[1.0, np.nan, np.nan]], "float32")
    assert np.isnan(_np(layers.maximum([nan, other]))).all()
    assert np.isnan(_np(layers.minimum([nan, other]))).all()


# ---- broadcasting -----------------------------------------------------------------------------
def test_lower_rank_inputs_get_axes_after_batch():
    x, y = _data(2, 3), _data(2, 4, 3)
    np.testing.assert_allclose(_np(layers.add([x, y])), x[:, None, :] + y, rtol=1e-6)
    np.testing.assert_allclose(_np(layers.subtract([y, x])), y - x[:, None, :], rtol=1e-6)
    z = _data(2, 5, 4, 3)
    np.testing.assert_allclose(_np(layers.add([x, z])), x[:, None, None, :] + z, rtol=1e-6)
    v = _data(2)
    np.testing.assert_allclose(_np(layers.multiply([v, x])), v[:, None] * x, rtol=1e-6)


def test_same_rank_broadcasts_size_one_axes():
    x, y = _data(2, 4, 1), _data(2, 1, 3)
    np.testing.assert_allclose(_np(layers.maximum([x, y])), np.maximum(x, y), rtol=1e-6)


def test_batch_of_one_broadcasts_in_a_model_built_with_unknown_batch():
    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], layers.add([a, b]))
    x, y = _data(1, 3), _data(4, 3)
    np.testing.assert_allclose(_np(model([x, y])), x + y, rtol=1e-6)


@pytest.mark.parametrize("shapes, expected", [
    ([(None, None), (None, 5)], (None, 5)),
    ([(None, 5), (None, None)], (None, 5)),
    ([(None, 3), (None, 4, 3)], (None, 4, 3)),
    ([(None, 3), (None, None, 3)], (None, None, 3)),
    ([(None, None, 3), (None, 4, 1)], (None, 4, 3)),
    ([(None, 3), (1, 3)], (None, 3)),
    ([(2, 3), (2, 3)], (2, 3)),
])
def test_symbolic_output_shapes(shapes, expected):
    inputs = [keras.Input(batch_shape=s) for s in shapes]
    assert tuple(layers.add(inputs).shape) == expected
    assert tuple(layers.Add().compute_output_shape(shapes)) == expected


@pytest.mark.parametrize("shapes, match", [
    ([(2, 3), (1, 3)], "different batch sizes"),
    ([(2, 3), (3, 3)], "different batch sizes"),
    ([(None, 3), (None, 4)], "incompatible shapes"),
    ([(None, 4), (None, 4, 3)], "incompatible shapes"),
])
def test_rejected_shapes(shapes, match):
    inputs = [keras.Input(batch_shape=s) for s in shapes]
    with pytest.raises(ValueError, match=f'"add.*{match}'):
        layers.add(inputs)
    with pytest.raises(ValueError, match=match):
        layers.Add()([np.zeros([d or 2 for d in s], "float32") for s in shapes])


def test_rejects_non_lists_and_wrong_counts():
    x = _data(2, 3)
    with pytest.raises(ValueError, match='"add.*list of inputs'):
        layers.Add()(x)
    with pytest.raises(ValueError, match="at least 1"):
        layers.Add()([])
    with pytest.raises(ValueError, match='"subtract.*exactly 2'):
        layers.Subtract()([x, x, x])
    with pytest.raises(ValueError, match="exactly 2"):
        layers.subtract([x])
    with pytest.raises(ValueError, match='"dot.*exactly 2'):
        layers.Dot(1)([x])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Concatenate()(x)


def test_built_layer_checks_list_at_call():
    layer = layers.Subtract()
    x = _data(2, 3)
    layer([x, x])
    with pytest.raises(ValueError, match="exactly 2"):
        layer([x, x, x])
    with pytest.raises(ValueError, match="list of inputs"):
        layer(x)


def test_scalar_with_higher_rank_rejected():
    with pytest.raises(ValueError, match="scalar"):
        layers.add([np.float32(1.0), _data(2, 3)])


# ---- Concatenate ------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [-1, 1, 2, -2, 0])
def test_concatenate_values(axis):
    x, y = _data(2, 3, 4), _data(2, 3, 4)
    np.testing.assert_allclose(_np(layers.Concatenate(axis=axis)([x, y])), np.concatenate([x, y], axis))
    np.testing.assert_allclose(_np(layers.concatenate([x, y], axis=axis)), np.concatenate([x, y], axis))


@pytest.mark.parametrize("shapes, axis, expected", [
    ([(None, None, 3), (None, None, 5), (None, None, 42)], -1, (None, None, 50)),
    ([(None, None, 3), (None, 7, 3)], 1, (None, None, 3)),
    ([(None, 4, 3), (None, 6, 3)], 1, (None, 10, 3)),
    ([(None, None, 4), (None, 7, 3)], -1, (None, 7, 7)),
    ([(None, 4, 3), (None, 4, 3)], 0, (None, 4, 3)),
    ([(2, 4, 3), (3, 4, 3)], 0, (5, 4, 3)),
])
def test_concatenate_shapes(shapes, axis, expected):
    inputs = [keras.Input(batch_shape=s) for s in shapes]
    assert tuple(layers.concatenate(inputs, axis=axis).shape) == expected
    assert tuple(layers.Concatenate(axis).compute_output_shape(shapes)) == expected


def test_concatenate_rejects_mismatches():
    with pytest.raises(ValueError, match='"concatenate.*matching shapes except for the concatenation axis'):
        layers.concatenate([keras.Input((4, 3)), keras.Input((7, 3))])
    with pytest.raises(ValueError, match="matching shapes"):
        layers.concatenate([keras.Input((4, 3)), keras.Input((3,))])
    with pytest.raises(ValueError, match="matching shapes"):
        layers.concatenate([_data(2, 3), _data(1, 3)])
    with pytest.raises(IndexError, match="axis 5 is out of range"):
        layers.concatenate([keras.Input((4, 3)), keras.Input((4, 3))], axis=5)


def test_rnnoise_concatenation_with_unknown_time_dimension():
    model_input = keras.Input(shape=(None, 42))
    x = layers.Dense(24, activation="tanh")(model_input)
    vad = layers.Dense(24, activation="relu")(x)
    merged = layers.concatenate([x, vad, model_input])
    assert tuple(merged.shape) == (None, None, 90)
    out = layers.Dense(1)(merged)
    model = keras.Model(model_input, [out, merged])
    for steps in (5, 9):
        data = torch.tensor(_data(3, steps, 42), requires_grad=True)
        result, concatenated = model(data)
        assert tuple(concatenated.shape) == (3, steps, 90)
        torch.testing.assert_close(concatenated[..., 48:], data)
        result.sum().backward()
        assert data.grad is not None and data.grad.abs().sum() > 0


# ---- Dot --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape1, shape2, axes, equation", [
    ((2, 3), (2, 3), 1, "bi,bi->b"),
    ((2, 3), (2, 3), -1, "bi,bi->b"),
    ((2, 4, 3), (2, 5, 3), 2, "bxi,byi->bxy"),
    ((2, 4, 3), (2, 3, 5), (2, 1), "bxi,biy->bxy"),
    ((2, 3, 4), (2, 3, 5), 1, "bix,biy->bxy"),
    ((2, 3, 4), (2, 5, 3), (1, 2), "bix,byi->bxy"),
    ((2, 4, 3), (2, 3), (2, 1), "bxi,bi->bx"),
    ((2, 3), (2, 4, 3), (1, 2), "bi,bxi->bx"),
    ((2, 2, 4, 3), (2, 6, 3, 5), (3, 2), "bpqi,bric->bpqrc"),
    ((2, 3, 4), (2, 4, 5), (-1, -2), "bxi,biy->bxy"),
])
def test_dot_matches_einsum(shape1, shape2, axes, equation):
    x, y = _data(*shape1), _data(*shape2)
    expected = np.einsum(equation, x, y)
    if expected.ndim == 1:
        expected = expected[:, None]
    out = layers.Dot(axes=axes)([x, y])
    np.testing.assert_allclose(_np(out), expected, rtol=1e-5, atol=1e-6)
    symbolic = layers.dot([keras.Input(shape1[1:]), keras.Input(shape2[1:])], axes=axes)
    assert tuple(symbolic.shape) == (None,) + expected.shape[1:]
    assert tuple(layers.Dot(axes).compute_output_shape([(None,) + shape1[1:], (None,) + shape2[1:]])) == \
        (None,) + expected.shape[1:]


def test_dot_normalize_is_cosine_similarity():
    x, y = _data(4, 6), _data(4, 6)
    cosine = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(_np(layers.dot([x, y], axes=1, normalize=True))[:, 0], cosine, rtol=1e-5)
    zeros = torch.zeros(2, 3, requires_grad=True)
    out = layers.dot([zeros, torch.ones(2, 3)], axes=1, normalize=True)
    assert out.tolist() == [[0.0], [0.0]]
    out.sum().backward()
    np.testing.assert_allclose(_np(zeros.grad), np.full((2, 3), 1e6 / np.sqrt(3)), rtol=1e-5)


def test_dot_argument_and_input_errors():
    with pytest.raises(TypeError, match="should be a list or an int"):
        layers.Dot(axes="a")
    with pytest.raises(TypeError, match="should be a list or an int"):
        layers.Dot(axes=None)
    with pytest.raises(ValueError, match="two elements"):
        layers.Dot(axes=(1, 1, 1))
    with pytest.raises(ValueError, match="should be integers"):
        layers.Dot(axes=(1.0, 1))
    with pytest.raises(ValueError, match=r'"dot.*axis values 3 \(at axis 2\) != 4 \(at axis 2\)'):
        layers.dot([keras.Input((4, 3)), keras.Input((5, 4))], axes=-1)
    with pytest.raises(ValueError, match="axis values None"):
        layers.dot([keras.Input((None, 3)), keras.Input((5, 3))], axes=1)
    with pytest.raises(ValueError, match="over axis 0"):
        layers.dot([_data(2, 3), _data(2, 3)], axes=0)
    with pytest.raises(ValueError, match="rank < 2"):
        layers.Dot(axes=0)([_data(3), _data(3)])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Dot(axes=1)([_data(2, 3), _data(3, 3)])
    with pytest.raises(TypeError, match="normalize=True needs floating-point"):
        layers.dot([np.ones((2, 3), "int32")] * 2, axes=1, normalize=True)


# ---- masks ------------------------------------------------------------------------------------
M1 = torch.tensor([[True, True, False], [True, False, False]])
M2 = torch.tensor([[True, False, True], [True, True, False]])
X3 = torch.ones(2, 3, 4)


@pytest.mark.parametrize("cls", [layers.Add, layers.Subtract, layers.Multiply, layers.Average, layers.Maximum,
                                 layers.Minimum])
def test_elementwise_mask_is_and_of_masks(cls):
    layer = cls()
    assert layer.supports_masking
    assert layer.compute_mask([X3, X3], [M1, M2]).tolist() == (M1 & M2).tolist()
    assert layer.compute_mask([X3, X3], [None, M2]).tolist() == M2.tolist()
    assert layer.compute_mask([X3, X3], [None, None]) is None
    assert layer.compute_mask([X3, X3], None) is None


def test_mask_argument_errors():
    for layer in (layers.Add(), layers.Concatenate()):
        with pytest.raises(ValueError, match="`mask` should be a list"):
            layer.compute_mask([X3, X3], M1)
        with pytest.raises(ValueError, match="same length"):
            layer.compute_mask([X3, X3], [M1])


def test_concatenate_mask():
    layer = layers.Concatenate()
    assert layer.compute_mask([X3, X3], [M1, M2]).tolist() == (M1 & M2).tolist()
    assert layer.compute_mask([X3, torch.ones(2, 3, 5)], [M1, None]).tolist() == M1.tolist()
    assert layer.compute_mask([X3, X3], [torch.ones(2, 3, 4, dtype=torch.bool), None]).all()
    along_time = layers.Concatenate(axis=1).compute_mask([X3, X3], [M1, M2])
    assert along_time.tolist() == torch.cat([M1, M2], 1).tolist()
    padded = layers.Concatenate(axis=1).compute_mask([X3, X3], [M1, None])
    assert padded.tolist() == torch.cat([M1, torch.ones(2, 3, dtype=torch.bool)], 1).tolist()


def test_dot_has_no_mask():
    assert layers.Dot(2).compute_mask([X3, X3], [M1, M2]) is None


def test_masks_propagate_through_merges_in_models():
    a, b = keras.Input((3, 2)), keras.Input((3, 2))
    masked_a, masked_b = MaskZeros()(a), MaskZeros()(b)
    added = layers.add([masked_a, masked_b])
    joined = layers.concatenate([masked_a, b])
    dotted = layers.dot([masked_a, masked_b], axes=2)
    assert tuple(added._keras_mask.shape) == (None, 3)
    assert joined._keras_mask is not None and dotted._keras_mask is None
    model = keras.Model([a, b], [added, joined])
    xa = np.array([[[1, 1], [0, 0], [1, 1]]], "float32")
    xb = np.array([[[1, 1], [1, 1], [0, 0]]], "float32")
    out_added, out_joined = model([xa, xb])
    eager = layers.add([MaskZeros()(xa), MaskZeros()(xb)])
    assert eager._keras_mask.tolist() == [[True, False, False]]
    eager_joined = layers.concatenate([MaskZeros()(xa), xb])
    assert eager_joined._keras_mask.tolist() == [[True, False, True]]
    np.testing.assert_allclose(_np(out_added), xa + xb)
    np.testing.assert_allclose(_np(out_joined), np.concatenate([xa, xb], -1))


# ---- config -----------------------------------------------------------------------------------
@pytest.mark.parametrize("layer, extra", [
    (layers.Add(), {}), (layers.Subtract(), {}), (layers.Multiply(), {}), (layers.Average(), {}),
    (layers.Maximum(), {}), (layers.Minimum(), {}),
    (layers.Concatenate(axis=1, name="cat"), {"axis": 1}),
    (layers.Dot(axes=(1, 2), normalize=True), {"axes": (1, 2), "normalize": True}),
    (layers.Dot(axes=[1, 2]), {"axes": [1, 2], "normalize": False}),
], ids=lambda v: type(v).__name__ if isinstance(v, layers.Layer) else str(v))
def test_config_round_trip(layer, extra):
    config = layer.get_config()
    assert config == {"name": layer.name, "trainable": True, "dtype": "float32", **extra}
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = layers.deserialize(layers.serialize(layer))
    assert type(restored) is type(layer) and restored.get_config() == config


def test_functional_forms_pass_layer_kwargs():
    a, b = keras.Input((3,)), keras.Input((3,))
    out = layers.concatenate([a, b], axis=1, name="joined")
    assert out._keras_history.layer.name == "joined"
    assert isinstance(out._keras_history.layer, layers.Concatenate)
    dotted = layers.dot([a, b], axes=1, normalize=True, name="cos")
    assert dotted._keras_history.layer.get_config()["normalize"] is True
    with pytest.raises(TypeError, match="foo"):
        layers.add([a, b], foo=1)


def test_merge_layers_have_no_weights():
    layer = layers.Add()
    layer([_data(2, 3), _data(2, 3)])
    assert layer.weights == [] and layer.count_params() == 0
