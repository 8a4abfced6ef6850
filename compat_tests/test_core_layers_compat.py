"""Core, embedding and reshaping layers against the real tf.keras: outputs, input gradients, shapes, weights,
masks and configs."""
import numpy as np
import pytest
import torch

import torchkeras_api as keras
from compat_tests.conftest import assert_close, assert_symbolic_shapes_match, ours_with_gradient, theirs_with_gradient

# name: (layer factory taking the library, eager input shape, symbolic input shapes without the batch axis)
CASES = {
    "dense": (lambda K: K.layers.Dense(4), (3, 5), [(5,)]),
    "dense_relu_no_bias": (lambda K: K.layers.Dense(4, activation="relu", use_bias=False), (3, 5), [(5,)]),
    "dense_3d": (lambda K: K.layers.Dense(4, activation="tanh"), (2, 3, 5), [(None, 5), (3, 5)]),
    "dense_4d": (lambda K: K.layers.Dense(2, activation="sigmoid"), (2, 3, 4, 5), [(None, None, 5)]),
    "activation_softmax": (lambda K: K.layers.Activation("softmax"), (3, 6), [(6,), (None,)]),
    "activation_tanh": (lambda K: K.layers.Activation("tanh"), (2, 3, 4), [(None, 4)]),
    "dropout_inference": (lambda K: K.layers.Dropout(0.5), (3, 4), [(None,)]),
    "flatten": (lambda K: K.layers.Flatten(), (2, 3, 4, 5), [(3, 4, 5), (None, 4, 5)]),
    "flatten_channels_first": (lambda K: K.layers.Flatten(data_format="channels_first"), (2, 3, 4, 5),
                               [(3, 4, 5)]),
    "flatten_2d": (lambda K: K.layers.Flatten(), (3, 4), [(4,), (None,)]),
    "reshape": (lambda K: K.layers.Reshape((4, 3)), (2, 12), [(12,), (None,)]),
    "reshape_infer_last": (lambda K: K.layers.Reshape((-1, 2)), (2, 3, 4), [(3, 4), (None, 4), (None, 3)]),
    "reshape_infer_middle": (lambda K: K.layers.Reshape((2, -1, 3)), (2, 4, 3), [(4, 3), (None, 3)]),
    "permute": (lambda K: K.layers.Permute((2, 1)), (2, 3, 4), [(3, 4), (None, 4)]),
    "permute_3": (lambda K: K.layers.Permute((3, 1, 2)), (2, 3, 4, 5), [(None, 4, 5)]),
    "repeat_vector": (lambda K: K.layers.RepeatVector(3), (2, 5), [(5,), (None,)]),
    "lambda": (lambda K: K.layers.Lambda(lambda x: x * x + 1.0), (2, 3), [(3,), (None, 3)]),
    "lambda_arguments": (lambda K: K.layers.Lambda(lambda x, scale: x * scale, arguments={"scale": 3.0}),
                         (2, 3), [(None,)]),
    "masking": (lambda K: K.layers.Masking(), (2, 5, 3), [(None, 3), (5, 3)]),
    "masking_value": (lambda K: K.layers.Masking(mask_value=1.5), (2, 5, 3), [(None, 3)]),
    "activity_regularization": (lambda K: K.layers.ActivityRegularization(l1=0.01, l2=0.02), (3, 4),
                                [(None,)]),
}
LAMBDA_FUNCTION_KEYS = {"function", "function_type", "module"}


def _inputs(name, shape, seed=0):
    x = np.random.RandomState(seed).randn(*shape).astype("float32")
    if name.startswith("masking"):
        value = 1.5 if name == "masking_value" else 0.0
        x[0, 1] = value
        x[1, 3:] = value
        x[1, 0, 0] = value
    return x



@pytest.mark.parametrize("name", sorted(CASES))
def test_outputs_gradients_weights_match(tf, tfk, name):
    factory, shape, _ = CASES[name]
    x = _inputs(name, shape)
    theirs, ours = factory(tfk), factory(keras)
    theirs(x)
    ours(x)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    assert ours.count_params() == theirs.count_params()

    upstream = np.random.RandomState(1).randn(*theirs(x).shape).astype("float32")
    theirs_y, theirs_grad = theirs_with_gradient(tf, theirs, x, upstream)
    ours_y, ours_grad = ours_with_gradient(ours, x, upstream)
    assert_close(ours_y, theirs_y)
    assert_close(ours_grad, theirs_grad)
    assert len(ours.losses) == len(theirs.losses)
    for our_loss, their_loss in zip(ours.losses, theirs.losses):
        assert_close(our_loss, their_loss)


@pytest.mark.parametrize("name", sorted(CASES))
def test_symbolic_shapes_match(tfk, name):
    factory, _, symbolic_shapes = CASES[name]
    assert_symbolic_shapes_match(keras, tfk, factory, symbolic_shapes)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_matches(tfk, name):
    factory, shape, _ = CASES[name]
    ours, theirs = factory(keras), factory(tfk)
    ours_config, theirs_config = ours.get_config(), theirs.get_config()
    assert list(ours_config) == list(theirs_config)
    skip = LAMBDA_FUNCTION_KEYS if name.startswith("lambda") else set()
    assert {k: v for k, v in ours_config.items() if k not in skip} == \
           {k: v for k, v in theirs_config.items() if k not in skip}
    assert ours.supports_masking == theirs.supports_masking
    if not name.startswith("lambda"):
        assert type(ours).from_config(ours_config).get_config() == ours_config


def test_dense_config_with_objects(tfk):
    def make(K):
        return K.layers.Dense(3, activation="softmax", kernel_initializer=K.initializers.HeNormal(seed=3),
                              bias_initializer="ones", kernel_regularizer=K.regularizers.L2(0.1),
                              activity_regularizer="l1", kernel_constraint=K.constraints.MaxNorm(2.0),
                              bias_constraint="non_neg", name="head", input_shape=(4,))

    assert make(keras).get_config() == make(tfk).get_config()


def test_dense_regularization_losses_and_int_inputs_match(tfk):
    def make(K):
        return K.layers.Dense(3, kernel_regularizer=K.regularizers.L2(0.1), bias_regularizer="l1",
                              activity_regularizer=K.regularizers.L1L2(0.01, 0.02))

    x = np.arange(8, dtype="int32").reshape(2, 4)
    theirs, ours = make(tfk), make(keras)
    theirs_y = theirs(x)
    ours(x)
    ours.set_weights(theirs.get_weights())
    ours_y = ours(x)
    assert ours_y.dtype == torch.float32
    assert_close(ours_y, theirs_y)
    assert len(ours.losses) == len(theirs.losses) == 3
    assert_close(torch.stack(ours.losses).sum(), sum(l.numpy() for l in theirs.losses))


# ---- embedding ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["int32", "int64", "int8", "uint8", "float32", "float64"])
def test_embedding_outputs_and_weight_gradient_match(tf, tfk, dtype):
    ids = np.array([[0, 3, 9, 2], [5, 5, 1, 0]]).astype(dtype)
    if dtype.startswith("float"):
        ids = ids + np.array(0.7, dtype)  # truncated toward zero, as tf.cast does
    theirs, ours = tfk.layers.Embedding(10, 4), keras.layers.Embedding(10, 4)
    theirs(ids)
    ours(ids)
    ours.set_weights(theirs.get_weights())
    upstream = np.random.RandomState(0).randn(2, 4, 4).astype("float32")
    with tf.GradientTape() as tape:
        theirs_y = theirs(tf.constant(ids))
    theirs_grad = tf.convert_to_tensor(tape.gradient(theirs_y, theirs.embeddings,
                                                     output_gradients=tf.constant(upstream)))
    ours_y = ours(ids)
    ours_y.backward(torch.tensor(upstream))
    assert_close(ours_y, theirs_y)
    assert_close(ours.embeddings.grad, theirs_grad)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights] == ["embedding/embeddings:0"]
    assert ours.count_params() == theirs.count_params() == 40


@pytest.mark.parametrize("kwargs", [{}, {"mask_zero": True}, {"input_length": 6},
                                    {"embeddings_initializer": "glorot_normal", "embeddings_regularizer": "l2",
                                     "activity_regularizer": "l1", "embeddings_constraint": "unit_norm"},
                                    {"input_shape": (3, 4)}])
def test_embedding_config_matches(tfk, kwargs):
    ours, theirs = keras.layers.Embedding(10, 4, **kwargs), tfk.layers.Embedding(10, 4, **kwargs)
    assert ours.get_config() == theirs.get_config()
    assert ours.supports_masking == theirs.supports_masking
    assert keras.layers.Embedding.from_config(ours.get_config()).get_config() == ours.get_config()


@pytest.mark.parametrize("shape", [(None,), (6,), (3, None)])
def test_embedding_symbolic_shapes_and_masks_match(tfk, shape):
    ours = keras.layers.Embedding(10, 4, mask_zero=True)(keras.Input(shape, dtype="int32"))
    theirs = tfk.layers.Embedding(10, 4, mask_zero=True)(tfk.Input(shape, dtype="int32"))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert tuple(ours._keras_mask.shape) == tuple(theirs._keras_mask.shape)
    assert ours._keras_mask.dtype == torch.bool


def test_embedding_eager_mask_matches(tfk):
    ids = np.array([[0, 1, 2, 0], [3, 0, 0, 0]])
    ours, theirs = keras.layers.Embedding(5, 2, mask_zero=True)(ids), tfk.layers.Embedding(5, 2, mask_zero=True)(ids)
    np.testing.assert_array_equal(ours._keras_mask.numpy(), theirs._keras_mask.numpy())
    assert getattr(keras.layers.Embedding(5, 2)(ids), "_keras_mask", None) is None
    assert getattr(tfk.layers.Embedding(5, 2)(ids), "_keras_mask", None) is None


def test_sequential_embedding_model_matches(tfk):
    def make(K):
        return K.Sequential([K.layers.Embedding(20, 6, input_length=5), K.layers.Flatten(),
                             K.layers.Dense(3, activation="softmax")])

    ids = np.random.RandomState(0).randint(0, 20, size=(4, 5))
    theirs, ours = make(tfk), make(keras)
    assert ours.inputs[0].shape == tuple(theirs.inputs[0].shape)
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    assert_close(ours(ids), theirs(ids))


# ---- masks -------------------------------------------------------------------------------------------
def test_masking_eager_mask_matches(tfk):
    x = _inputs("masking", (2, 5, 3))
    ours, theirs = keras.layers.Masking()(x), tfk.layers.Masking()(x)
    np.testing.assert_array_equal(ours._keras_mask.numpy(), theirs._keras_mask.numpy())
    assert_close(ours, theirs)


@pytest.mark.parametrize("follower, keeps_mask", [
    (lambda K: K.layers.Dense(2), True), (lambda K: K.layers.Activation("relu"), True),
    (lambda K: K.layers.Dropout(0.3), True), (lambda K: K.layers.ActivityRegularization(l1=0.1), True),
    (lambda K: K.layers.Lambda(lambda x: x * 2.0, mask=lambda inputs, mask: mask), True),
    (lambda K: K.layers.Flatten(), False), (lambda K: K.layers.Reshape((15,)), False),
    (lambda K: K.layers.Permute((2, 1)), False), (lambda K: K.layers.Lambda(lambda x: x * 2.0), False)])
def test_mask_propagation_matches(tfk, follower, keeps_mask):
    x = _inputs("masking", (2, 5, 3))
    ours_kt = follower(keras)(keras.layers.Masking()(keras.Input((5, 3))))
    theirs_kt = follower(tfk)(tfk.layers.Masking()(tfk.Input((5, 3))))
    ours_y = follower(keras)(keras.layers.Masking()(x))
    theirs_y = follower(tfk)(tfk.layers.Masking()(x))
    if keeps_mask:
        assert tuple(ours_kt._keras_mask.shape) == tuple(theirs_kt._keras_mask.shape) == (None, 5)
        np.testing.assert_array_equal(ours_y._keras_mask.numpy(), theirs_y._keras_mask.numpy())
    else:
        assert getattr(theirs_kt, "_keras_mask", None) is None and ours_kt._keras_mask is None
        assert getattr(theirs_y, "_keras_mask", None) is None and getattr(ours_y, "_keras_mask", None) is None


def test_masking_symbolic_mask_shape_matches(tfk):
    for shape in [(None, 3), (7, 3), (None, None, 2)]:
        ours = keras.layers.Masking()(keras.Input(shape))
        theirs = tfk.layers.Masking()(tfk.Input(shape))
        assert tuple(ours._keras_mask.shape) == tuple(theirs._keras_mask.shape)


# ---- dropout -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_training_statistics_match(tfk, rate):
    x = np.ones((200, 100), "float32")
    ours = keras.layers.Dropout(rate)(x, training=True).numpy()
    theirs = tfk.layers.Dropout(rate)(x, training=True).numpy()
    for y in (ours, theirs):
        np.testing.assert_allclose(np.unique(y), [0.0, 1.0 / (1.0 - rate)], rtol=1e-6)
        assert abs((y == 0).mean() - rate) < 0.02
    assert abs(ours.mean() - theirs.mean()) < 0.08


def test_dropout_noise_shape_broadcasts_like_tf(tfk):
    x = np.ones((8, 6, 5), "float32")
    for lib in (keras, tfk):
        y = np.asarray(lib.layers.Dropout(0.5, noise_shape=(None, 1, 5))(x, training=True))
        np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))
        assert 0 < (y == 0).mean() < 1


def test_dropout_inference_is_identity_in_models(tfk):
    x = np.random.RandomState(0).randn(4, 3).astype("float32")
    for lib in (keras, tfk):
        model = lib.Sequential([lib.layers.Dropout(0.9, input_shape=(3,))])
        np.testing.assert_array_equal(np.asarray(model(x)), x)
        np.testing.assert_array_equal(np.asarray(model(x, training=False)), x)
        assert (np.asarray(model(x, training=True)) == 0).mean() > 0.5


# ---- lambda ------------------------------------------------------------------------------------------
def _double(x):
    return x * 2.0


def test_lambda_config_types_match(tfk):
    def make(K):
        return K.layers.Lambda(lambda x: x, output_shape=(3,), mask=lambda inputs, mask: mask,
                               arguments={"a": 1})

    ours, theirs = make(keras).get_config(), make(tfk).get_config()
    assert list(ours) == list(theirs)
    for key in ("function_type", "module", "output_shape", "output_shape_type", "output_shape_module",
                "mask_type", "mask_module", "arguments"):
        assert ours[key] == theirs[key], key
    assert isinstance(ours["function"][0], str) and ours["function"][1:] == theirs["function"][1:]


def test_lambda_builtin_function_config_matches(tfk):
    ours, theirs = keras.layers.Lambda(np.abs).get_config(), tfk.layers.Lambda(np.abs).get_config()
    assert ours == theirs


def test_lambda_output_shape_matches(tfk):
    for output_shape in [(7,), lambda s: (s[0], 9)]:
        ours = keras.layers.Lambda(lambda x: x, output_shape=output_shape).compute_output_shape((None, 3))
        theirs = tfk.layers.Lambda(lambda x: x, output_shape=output_shape).compute_output_shape((None, 3))
        assert tuple(ours) == tuple(theirs)
    ours = keras.layers.Lambda(lambda x: x, output_shape=[(2,), (3, 4)]).compute_output_shape((None, 3))
    theirs = tfk.layers.Lambda(lambda x: x, output_shape=[(2,), (3, 4)]).compute_output_shape((None, 3))
    assert [tuple(s) for s in ours] == [tuple(s) for s in theirs] == [(None, 2), (None, 3, 4)]


def test_lambda_on_keras_tensors_in_model_matches(tfk):
    def make(K):
        inputs = K.Input((None, 4))
        hidden = K.layers.Dense(3)(inputs)
        outputs = K.layers.Lambda(lambda x, power: x ** power, arguments={"power": 2})(hidden)
        return K.Model(inputs, outputs)

    x = np.random.RandomState(0).randn(2, 5, 4).astype("float32")
    theirs, ours = make(tfk), make(keras)
    assert tuple(ours.output_shape) == tuple(theirs.output_shape)
    ours.set_weights(theirs.get_weights())
    assert_close(ours(x), theirs(x))
