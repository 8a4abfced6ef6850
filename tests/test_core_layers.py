"""Unit tests of the core, embedding and reshaping layers: errors, training flag, Lambda, masks, configs."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import layers


@pytest.fixture(autouse=True)
def _fresh_names():
    keras.backend.clear_session()


def _scale(x, factor=2.0):
    return x * factor


def _mask_first(inputs, mask=None):
    return inputs[..., 0] != 0


def _all_positive(x):
    if not bool(torch.all(x > 0)):
        raise ValueError("needs positive inputs")
    return x[:, :3]


# ---- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, error, match", [
    (lambda: layers.Dense(-1), ValueError, "expected a positive integer. Received: units=-1"),
    (lambda: layers.Dense("two"), ValueError, "invalid literal"),
    (lambda: layers.Dense(2, bad_arg=1), TypeError, "bad_arg"),
    (lambda: layers.Dropout(1.5), ValueError, "Invalid value 1.5 received for `rate`"),
    (lambda: layers.Dropout(-0.1), ValueError, "between 0 and 1"),
    (lambda: layers.Dropout("half"), TypeError, "`rate` of Dropout"),
    (lambda: layers.Reshape(6), TypeError, "`target_shape` of a Reshape layer must be a tuple"),
    (lambda: layers.Permute((1, 3)), ValueError, "must be consecutive and start from 1. Received dims=\\(1, 3\\)"),
    (lambda: layers.Permute((0, 1)), ValueError, "Invalid permutation argument `dims`"),
    (lambda: layers.RepeatVector(2.0), TypeError, "Expected an integer value for `n`"),
    (lambda: layers.Flatten(data_format="channels_middle"), ValueError, "`data_format` argument must be one of"),
    (lambda: layers.Embedding(0, 3), ValueError, "should be positive, Received input_dim = 0 and output_dim = 3"),
    (lambda: layers.Embedding(4, 3, sparse=True), NotImplementedError, "sparse"),
    (lambda: layers.Lambda(3), TypeError, "`function` of a Lambda layer must be callable"),
    (lambda: layers.Activation("no_such_activation"), ValueError, "no_such_activation"),
])
def test_constructor_errors(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_dense_input_errors_name_the_layer():
    dense = layers.Dense(2, name="head")
    with pytest.raises(ValueError, match='layer "head" is incompatible.*expected min_ndim=2, found ndim=1'):
        dense(np.ones(3, "float32"))
    with pytest.raises(ValueError, match="last dimension of the inputs to a Dense layer should be defined"):
        layers.Dense(2)(keras.Input((None,)))
    dense(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        dense(np.ones((1, 4), "float32"))
    with pytest.raises(TypeError, match="floating-point dtype. Received: dtype=int32"):
        layers.Dense(2, dtype="int32")(np.ones((1, 3), "float32"))


def test_rank_errors():
    with pytest.raises(ValueError, match='"permute".*expected ndim=3, found ndim=2'):
        layers.Permute((2, 1))(keras.Input((3,)))
    with pytest.raises(ValueError, match='"repeat_vector".*expected ndim=2, found ndim=3'):
        layers.RepeatVector(2)(np.ones((1, 2, 3), "float32"))


def test_reshape_size_mismatch_errors():
    with pytest.raises(ValueError, match='(?s)layer "reshape".*total size of new array must be unchanged, '
                                         r"input_shape = \[3\], output_shape = \[4\]"):
        layers.Reshape((4,))(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match=r"input_shape = \[6\], output_shape = \[-1, 4\]"):
        layers.Reshape((-1, 4))(np.ones((2, 6), "float32"))
    with pytest.raises(ValueError, match="total size of new array must be unchanged"):
        layers.Reshape((4,))(keras.Input((3,)))
    with pytest.raises(ValueError, match=r"at most one unknown dimension in output_shape. "
                                         r"Received: output_shape=\[-1, -1\]"):
        layers.Reshape((-1, -1))(keras.Input((6,)))


def test_dropout_rate_one_fails_only_when_training():
    layer = layers.Dropout(1.0)
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    with pytest.raises(ValueError, match=r"float in the range \[0, 1\). Received: rate=1.0"):
        layer(x, training=True)


# ---- training flag -----------------------------------------------------------------------------------
def _dropped_fraction(y):
    return float((np.asarray(y.detach()) == 0).mean())


def test_training_flag_reaches_dropout_in_sequential():
    model = keras.Sequential([layers.Dense(64, kernel_initializer="ones", bias_initializer="ones",
                                           input_shape=(8,)), layers.Dropout(0.5)])
    x = np.ones((16, 8), "float32")
    np.testing.assert_array_equal(model(x).detach().numpy(), np.full((16, 64), 9.0, "float32"))
    np.testing.assert_array_equal(model(x, training=False).detach().numpy(), np.full((16, 64), 9.0, "float32"))
    trained = model(x, training=True)
    assert 0.3 < _dropped_fraction(trained) < 0.7
    assert set(np.unique(trained.detach().numpy())) == {0.0, 18.0}


def test_training_flag_reaches_dropout_in_nested_functional_model():
    inputs = keras.Input((10,))
    inner = keras.Model(inputs, layers.Dropout(0.5)(layers.Activation("linear")(inputs)))
    outer_inputs = keras.Input((10,))
    outer = keras.Model(outer_inputs, layers.Lambda(lambda x: x + 1.0)(inner(outer_inputs)))
    x = np.ones((50, 10), "float32")
    np.testing.assert_array_equal(outer(x).numpy(), x + 1)
    y = outer(x, training=True).numpy()
    assert set(np.unique(y)) == {1.0, 3.0}


def test_lambda_receives_training_and_mask():
    seen = []

    def fn(x, mask=None, training=None):
        seen.append((training, None if mask is None else mask.numpy().tolist()))
        return x

    layer = layers.Lambda(fn)
    masked = layers.Masking()(np.array([[[0.0], [1.0]]], "float32"))
    layer(masked, training=True)
    layer(np.ones((1, 1), "float32"))
    assert seen == [(True, [[False, True]]), (None, None)]


# ---- dropout -----------------------------------------------------------------------------------------
def test_dropout_scales_kept_values_and_gradient():
    x = torch.full((100, 100), 3.0, requires_grad=True)
    y = layers.Dropout(0.25)(x, training=True)
    y.sum().backward()
    kept = y.detach() != 0
    assert abs(kept.float().mean().item() - 0.75) < 0.03
    torch.testing.assert_close(y.detach()[kept], torch.full_like(y.detach()[kept], 4.0))
    torch.testing.assert_close(x.grad, kept.float() / 0.75)


def test_dropout_rate_zero_and_inference_return_input():
    x = torch.randn(3, 4)
    assert layers.Dropout(0.0)(x, training=True) is x
    assert layers.Dropout(0.5)(x) is x


def test_seeded_dropout_is_reproducible():
    x = np.ones((20, 30), "float32")
    first, second = layers.Dropout(0.5, seed=7), layers.Dropout(0.5, seed=7)
    a, b = first(x, training=True).numpy(), second(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, first(x, training=True).numpy())
    assert not np.array_equal(a, layers.Dropout(0.5, seed=8)(x, training=True).numpy())


def test_dropout_noise_shape_with_seed():
    y = layers.Dropout(0.5, noise_shape=[None, 1, 4], seed=1)(np.ones((6, 5, 4), "float32"), training=True).numpy()
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1], y.shape))
    assert set(np.unique(y)) == {0.0, 2.0}


def test_dropout_symbolic_with_training_keeps_shape():
    out = layers.Dropout(0.5, seed=3)(keras.Input((None, 4)), training=True)
    assert tuple(out.shape) == (None, None, 4)


# ---- Lambda ------------------------------------------------------------------------------------------
def test_lambda_on_keras_tensors_builds_graph():
    inputs = keras.Input((None, 3))
    layer = layers.Lambda(_scale, arguments={"factor": 3.0})
    out = layer(inputs)
    assert tuple(out.shape) == (None, None, 3)
    assert out._keras_history.layer is layer
    model = keras.Model(inputs, out)
    x = np.random.RandomState(0).randn(2, 4, 3).astype("float32")
    np.testing.assert_allclose(model(x).numpy(), 3 * x, rtol=1e-6)


def test_lambda_output_shape_used_when_function_cannot_run_on_placeholders():
    out = layers.Lambda(_all_positive, output_shape=(3,))(keras.Input((5,)))
    assert tuple(out.shape) == (None, 3)
    x = np.ones((2, 5), "float32")
    np.testing.assert_array_equal(layers.Lambda(_all_positive)(x).numpy(), x[:, :3])


def test_lambda_output_shape_callable_and_multiple():
    assert layers.Lambda(_scale, output_shape=lambda s: (s[0], 2 * s[1])).compute_output_shape((4, 3)) == (4, 6)
    shapes = layers.Lambda(_scale, output_shape=[(2,), (3, 4)]).compute_output_shape((None, 5))
    assert [tuple(s) for s in shapes] == [(None, 2), (None, 3, 4)]
    assert layers.Lambda(_scale).compute_output_shape((None, 5)) == (None, 5)


def test_lambda_mask_function_and_constant():
    x = np.array([[[0.0, 1.0], [2.0, 3.0]]], "float32")
    assert layers.Lambda(_scale, mask=_mask_first)(x)._keras_mask.tolist() == [[False, True]]
    constant = torch.tensor([[True, False]])
    assert layers.Lambda(_scale, mask=constant)(x)._keras_mask is constant
    assert getattr(layers.Lambda(_scale)(layers.Masking()(x)), "_keras_mask", None) is None


def test_lambda_named_function_config_round_trip():
    layer = layers.Lambda(_scale, mask=_mask_first, arguments={"factor": 5.0})
    config = layer.get_config()
    assert (config["function"], config["function_type"], config["module"]) == ("_scale", "function", __name__)
    assert (config["mask"], config["mask_type"]) == ("_mask_first", "function")
    assert (config["output_shape"], config["output_shape_type"], config["output_shape_module"]) == \
           (None, "raw", None)
    rebuilt = layers.deserialize(layers.serialize(layer))
    assert rebuilt.function is _scale and rebuilt.mask is _mask_first
    assert rebuilt.get_config() == config
    np.testing.assert_array_equal(rebuilt(np.ones((1, 2), "float32")).numpy(), [[5.0, 5.0]])


def test_lambda_from_config_custom_objects_and_ndarray_arguments():
    config = layers.Lambda(_scale).get_config()
    config.update(function="my_fn", module="no.such.module",
                  arguments={"factor": {"type": "ndarray", "value": [1.0, 2.0]}})
    rebuilt = layers.Lambda.from_config(config, custom_objects={"my_fn": _scale})
    assert rebuilt.function is _scale
    assert isinstance(rebuilt.arguments["factor"], np.ndarray)
    with pytest.raises(ValueError, match="Unknown function in Lambda layer: 'my_fn'"):
        layers.Lambda.from_config(config)


def test_lambda_from_config_rejects_lambdas_and_unknown_types():
    config = layers.Lambda(lambda x: x).get_config()
    assert config["function_type"] == "lambda" and isinstance(config["function"][0], str)
    with pytest.raises(ValueError, match="safe_mode"):
        layers.Lambda.from_config(config)
    with pytest.raises(TypeError, match="Received: function_type=bytecode"):
        layers.Lambda.from_config(dict(config, function_type="bytecode"))
    with pytest.raises(ValueError, match="Invalid input for serialization"):
        layers.Lambda(_scale, mask=torch.tensor([True])).get_config()


# ---- Masking, Embedding ------------------------------------------------------------------------------
def test_masking_zeroes_masked_timesteps_and_sets_mask():
    x = np.array([[[2.0, 2.0], [2.0, 1.0], [0.0, 2.0]]], "float32")
    y = layers.Masking(mask_value=2.0)(x)
    np.testing.assert_array_equal(y.numpy(), [[[0.0, 0.0], [2.0, 1.0], [0.0, 2.0]]])
    assert y._keras_mask.tolist() == [[False, True, True]]


def test_mask_reaches_a_mask_consuming_layer_in_a_model():
    seen = []

    def consume(x, mask=None):
        seen.append(mask)
        return x

    inputs = keras.Input((None,), dtype="int32")
    out = layers.Lambda(consume)(layers.Dense(3)(layers.Embedding(5, 2, mask_zero=True)(inputs)))
    model = keras.Model(inputs, out)
    model(np.array([[1, 0, 2]]))
    assert seen[-1].tolist() == [[True, False, True]]


def test_embedding_casts_float_ids_and_looks_up_rows():
    layer = layers.Embedding(4, 2, embeddings_initializer="zeros")
    layer.build((None, 3))
    table = np.arange(8, dtype="float32").reshape(4, 2)
    layer.set_weights([table])
    np.testing.assert_array_equal(layer(np.array([[0.9, 3.2, 1.0]], "float64")).detach().numpy(), table[[[0, 3, 1]]])
    np.testing.assert_array_equal(layer(torch.tensor([[2]], dtype=torch.int16)).detach().numpy(), table[[[2]]])
    assert layer(np.array([[1]])).dtype == torch.float32


def test_embedding_index_out_of_range_names_layer():
    with pytest.raises(IndexError, match='"embedding"'):
        layers.Embedding(3, 2)(np.array([[3]]))


def test_embedding_input_length_defines_sequential_input():
    model = keras.Sequential([layers.Embedding(10, 4, input_length=7)])
    assert tuple(model.inputs[0].shape) == (None, 7)
    assert tuple(model.output_shape) == (None, 7, 4)


def test_embedding_regularizer_and_constraint():
    layer = layers.Embedding(3, 2, embeddings_initializer="ones", embeddings_regularizer="l2",
                             embeddings_constraint="non_neg")
    layer(np.array([[1]]))
    torch.testing.assert_close(layer.losses[0], torch.tensor(0.06))
    assert layer.embeddings.constraint is not None


# ---- shapes and values -------------------------------------------------------------------------------
def test_dense_on_nd_inputs_matches_matmul():
    layer = layers.Dense(3, bias_initializer="ones")
    x = torch.randn(2, 4, 5, 6)
    y = layer(x)
    torch.testing.assert_close(y, x @ layer.kernel + layer.bias)
    assert tuple(layer.kernel.shape) == (6, 3)
    assert tuple(layers.Dense(0)(np.ones((2, 3), "float32")).shape) == (2, 0)


def test_flatten_reshape_handle_rank_one_and_empty_batch():
    assert tuple(layers.Flatten()(np.arange(4.0)).shape) == (4, 1)
    assert tuple(layers.Flatten()(torch.zeros(0, 3, 4)).shape) == (0, 12)
    assert tuple(layers.Reshape((-1, 3))(torch.zeros(0, 6)).shape) == (0, 2, 3)
    assert tuple(layers.Flatten()(keras.Input(shape=(), batch_size=4)).shape) == (4, 1)


def test_reshaping_values():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    np.testing.assert_array_equal(layers.Permute((2, 1))(x).numpy(), x.transpose(0, 2, 1))
    np.testing.assert_array_equal(layers.Reshape((4, -1))(x).numpy(), x.reshape(2, 4, 3))
    np.testing.assert_array_equal(layers.Flatten(data_format="channels_first")(x).numpy(),
                                  x.transpose(0, 2, 1).reshape(2, 12))
    v = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(layers.RepeatVector(2)(v).numpy(), np.stack([v, v], axis=1))


def test_activity_regularization_adds_loss():
    layer = layers.ActivityRegularization(l1=0.5, l2=0.25)
    y = layer(np.array([[1.0, -2.0]], "float32"))
    np.testing.assert_array_equal(y.numpy(), [[1.0, -2.0]])
    torch.testing.assert_close(layer.losses[0], torch.tensor(0.5 * 3 + 0.25 * 5))


@pytest.mark.parametrize("make", [
    lambda: layers.Dense(3, activation="relu", use_bias=False), lambda: layers.Activation("tanh"),
    lambda: layers.Dropout(0.3, noise_shape=(None, 1), seed=2), lambda: layers.ActivityRegularization(l1=0.1),
    lambda: layers.Masking(mask_value=-1.0), lambda: layers.Embedding(5, 3, mask_zero=True, input_length=4),
    lambda: layers.Flatten(data_format="channels_first"), lambda: layers.Reshape((2, -1)),
    lambda: layers.Permute((2, 1)), lambda: layers.RepeatVector(4), lambda: layers.Lambda(_scale, output_shape=(3,))])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    rebuilt = layers.deserialize(layers.serialize(layer))
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == config
