"""The tf facade (`torchkeras_api.tf`) on its own: tensors and dtypes, Variables, GradientTape, tf.function,
compat.v1, errors, ops on KerasTensors, and install()/uninstall() of the `tensorflow`/`keras` aliases.

Values are checked against independent computations (numpy, calculus); compat_tests/test_tf_facade_compat.py
compares with real TensorFlow.
"""
import importlib
import importlib.util
import sys

import numpy as np
import pytest
import torch

import torchkeras_api as keras
import torchkeras_api.tf as tf
from torchkeras_api import importer
from torchkeras_api.engine.variables import Variable


@pytest.fixture(autouse=True)
def _fresh():
    keras.backend.clear_session()


# ---- tensors and dtypes -------------------------------------------------------------------------


@pytest.mark.parametrize("value, dtype", [([1, 2], torch.int32), ([1.0, 2], torch.float32), (True, torch.bool),
                                          (np.array([1.0], np.float64), torch.float64),
                                          (np.array([1], np.int64), torch.int64), (3, torch.int32)])
def test_constant_infers_dtype_as_tf(value, dtype):
    assert tf.constant(value).dtype == dtype


def test_constant_dtype_shape_and_numpy():
    t = tf.constant([1, 2], dtype=tf.float32)
    assert t.dtype == tf.float32 and t.numpy().tolist() == [1.0, 2.0]
    filled = tf.constant(7, shape=(2, 3))
    assert filled.shape == (2, 3) and filled.dtype == tf.int32 and (filled.numpy() == 7).all()
    assert tf.constant([1, 2, 3, 4], shape=[2, 2]).numpy().tolist() == [[1, 2], [3, 4]]
    with pytest.raises(TypeError, match="3 elements"):
        tf.constant([1, 2, 3], shape=(2, 2))
    with pytest.raises(TypeError, match="String tensors"):
        tf.constant("text")


def test_creation_functions():
    assert tf.zeros((2, 3)).dtype == torch.float32 and not isinstance(tf.zeros((2,)), tf.Variable)
    assert tf.ones([2], dtype="int64").numpy().tolist() == [1, 1]
    assert tf.fill([2], 1.5).numpy().tolist() == [1.5, 1.5]
    assert tf.range(5).dtype == tf.int32 and tf.range(5).numpy().tolist() == list(range(5))
    assert tf.range(1.0, 2.0, 0.5).dtype == tf.float32
    assert tf.eye(2, 3).numpy().tolist() == np.eye(2, 3).tolist()
    x = tf.zeros((4, 5, 6))
    assert tf.shape(x).numpy().tolist() == [4, 5, 6] and tf.shape(x).dtype == tf.int32
    assert int(tf.rank(x)) == 3 and int(tf.size(x)) == 120
    assert tf.reshape(x, [tf.shape(x)[0], -1]).shape == (4, 30)


def test_dtypes_are_torch_dtypes():
    assert tf.float32 is torch.float32 and tf.int64 is torch.int64 and tf.bool is torch.bool
    assert tf.as_dtype("float16") is torch.float16 and tf.as_dtype(np.int32) is torch.int32
    assert tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy().tolist() == [1, -1]


def test_math_and_array_ops_match_numpy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(tf.reduce_sum(a, axis=1).numpy(), a.sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(tf.reduce_mean(a, axis=[0, 1], keepdims=True).numpy(), a.mean(keepdims=True),
                               rtol=1e-5)
    np.testing.assert_allclose(tf.matmul(a, a, transpose_b=True).numpy(), a @ a.T, rtol=1e-5)
    assert tf.argmax(a).numpy().tolist() == a.argmax(axis=0).tolist()
    assert tf.math.divide(tf.constant([1, 2]), 2).dtype == tf.float64
    assert tf.concat([a, a], axis=0).shape == (6, 4)
    assert [p.shape for p in tf.split(a, [1, -1], axis=1)] == [(3, 1), (3, 3)]
    np.testing.assert_array_equal(tf.gather(a, [2, 0], axis=1).numpy(), a[:, [2, 0]])
    np.testing.assert_array_equal(tf.boolean_mask(a, a[:, 0] > 0).numpy(), a[a[:, 0] > 0])
    np.testing.assert_array_equal(tf.pad(a, [[1, 0], [0, 2]], mode="REFLECT").numpy(),
                                  np.pad(a, [[1, 0], [0, 2]], mode="reflect"))
    np.testing.assert_array_equal(tf.pad(a, [[1, 0], [0, 2]], mode="SYMMETRIC").numpy(),
                                  np.pad(a, [[1, 0], [0, 2]], mode="symmetric"))
    assert tf.one_hot([0, 2], 3).numpy().tolist() == [[1, 0, 0], [0, 0, 1]]
    assert tf.where([True, False], 1, 0).numpy().tolist() == [1, 0]
    assert tf.where([[True, False], [False, True]]).numpy().tolist() == [[0, 0], [1, 1]]
    y, idx = tf.unique(tf.constant([3, 1, 3, 2]))
    assert y.numpy().tolist() == [3, 1, 2] and idx.numpy().tolist() == [0, 1, 0, 2]


def test_nn_cross_entropies_match_definitions():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 3)).astype("float32")
    labels = np.eye(3, dtype="float32")[rng.integers(0, 3, 5)]
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(tf.nn.softmax_cross_entropy_with_logits(labels, logits).numpy(),
                               -(labels * log_p).sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(tf.nn.sparse_softmax_cross_entropy_with_logits(labels.argmax(1), logits).numpy(),
                               -(labels * log_p).sum(axis=1), rtol=1e-5)
    p = 1 / (1 + np.exp(-logits))
    np.testing.assert_allclose(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits).numpy(),
                               -(labels * np.log(p) + (1 - labels) * np.log(1 - p)), rtol=1e-4)


def test_random_is_seeded_and_typed():
    assert tf.random.normal((2, 3), seed=1).numpy().tolist() == tf.random.normal((2, 3), seed=1).numpy().tolist()
    ints = tf.random.uniform((100,), 0, 5, dtype=tf.int32, seed=2)
    assert ints.dtype == tf.int32 and ints.min() >= 0 and ints.max() < 5
    with pytest.raises(ValueError, match="maxval"):
        tf.random.uniform((2,), dtype=tf.int32)
    assert sorted(tf.random.shuffle(tf.range(10)).numpy().tolist()) == list(range(10))


# ---- Variables ----------------------------------------------------------------------------------


def test_variable_is_an_engine_variable():
    v = tf.Variable([1.0, 2.0], name="v")
    assert isinstance(v, tf.Variable) and isinstance(v, Variable)
    assert v.name == "v:0" and v.trainable and v.requires_grad and v.dtype == tf.float32
    v.assign_add([1.0, 1.0])
    assert v.numpy().tolist() == [2.0, 3.0]
    counter = tf.Variable(0, trainable=False)
    assert counter.dtype == tf.int32 and not counter.requires_grad and counter.name == "Variable:0"
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    assert all(isinstance(w, tf.Variable) for w in layer.weights)
    assert not isinstance(torch.zeros(1), tf.Variable)


# ---- GradientTape -------------------------------------------------------------------------------


def test_gradient_of_a_scalar_and_unconnected_sources():
    w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    b = tf.Variable([0.5, -0.5])
    unused = tf.Variable(1.0)
    x = tf.constant([[1.0, -1.0]])
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.square(tf.matmul(x, w) + b))
    grads = tape.gradient(loss, [w, b, unused])
    out = x.numpy() @ w.numpy() + b.numpy()
    np.testing.assert_allclose(grads[0].numpy(), x.numpy().T @ (2 * out))
    np.testing.assert_allclose(grads[1].numpy(), (2 * out).sum(axis=0))
    assert grads[2] is None
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.gradient(loss, [w])


def test_watch_constant_zero_unconnected_and_structures():
    x = tf.constant([1.0, 2.0, 3.0])
    other = tf.constant(1.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.reduce_sum(x ** 2)
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 4.0, 6.0]
    grads = tape.gradient(y, {"x": x, "other": other}, unconnected_gradients="zero")
    assert grads["x"].numpy().tolist() == [2.0, 4.0, 6.0] and float(grads["other"]) == 0.0
    assert tape.gradient(y, other) is None
    assert x.numpy().tolist() == [1.0, 2.0, 3.0] and not x.requires_grad


def test_output_gradients_and_several_targets():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = 3 * x
    assert tape.gradient(y, x, output_gradients=tf.constant([1.0, 10.0])).numpy().tolist() == [2.0, 40.0]
    assert tape.gradient([y, z], x).numpy().tolist() == [5.0, 7.0]


def test_nested_tapes_give_second_derivatives():
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = x ** 3
        dy = inner.gradient(y, x)
    d2y = outer.gradient(dy, x)
    assert float(dy.detach()) == 12.0 and float(d2y) == 12.0


def test_watch_accessed_variables_false_returns_only_watched():
    a, b = tf.Variable(1.0), tf.Variable(2.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    grad_a, grad_b = tape.gradient(y, [a, b])
    assert float(grad_a) == 2.0 and grad_b is None


def test_jacobian_and_stop_recording():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x ** 2
        with tape.stop_recording():
            z = x * 5
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), np.diag([2.0, 4.0]))
    assert tape.gradient(z, x) is None


def test_custom_loop_matches_fit():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 3)).astype("float32")
    y = rng.normal(size=(12, 2)).astype("float32")

    def make():
        model = keras.Sequential([keras.layers.Dense(4, activation="tanh", input_shape=(3,)), keras.layers.Dense(2)])
        model.set_weights(initial)
        return model

    initial = keras.Sequential([keras.layers.Dense(4, activation="tanh", input_shape=(3,)),
                                keras.layers.Dense(2)]).get_weights()
    fitted = make()
    fitted.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    fitted.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)

    looped = make()
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    loss_fn = keras.losses.MeanSquaredError()
    for _ in range(2):
        for start in range(0, 12, 4):
            with tf.GradientTape() as tape:
                loss = loss_fn(y[start:start + 4], looped(x[start:start + 4], training=True))
            grads = tape.gradient(loss, looped.trainable_variables)
            optimizer.apply_gradients(zip(grads, looped.trainable_variables))
    for ours, theirs in zip(looped.get_weights(), fitted.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    assert not np.allclose(looped.get_weights()[0], initial[0])


# ---- tf.function, compat, errors, KerasTensors --------------------------------------------------


def test_function_runs_eagerly_in_every_form():
    calls = []

    @tf.function
    def double(t):
        calls.append(1)
        return t * 2

    @tf.function(jit_compile=True, input_signature=[tf.TensorSpec((None,), tf.float32)])
    def triple(t):
        return t * 3

    class Holder:
        @tf.function
        def add(self, t):
            return t + 1

    assert float(double(tf.constant(2.0))) == 4.0 and float(double(tf.constant(3.0))) == 6.0 and len(calls) == 2
    assert triple(tf.constant([1.0])).numpy().tolist() == [3.0]
    assert float(Holder().add(tf.constant(1.0))) == 2.0
    assert tf.numpy_function(lambda a: a * 2, [tf.constant([1, 2])], tf.int64).dtype == tf.int64


def test_unsupported_names_fail_clearly():
    with pytest.raises(AttributeError, match=r"module 'tensorflow' \(torchkeras_api facade\) has no attribute "
                                             r"'foo': not supported by torchkeras_api"):
        tf.foo
    with pytest.raises(AttributeError, match="'tensorflow.nn'.*'conv_not_there'"):
        tf.nn.conv_not_there
    assert not hasattr(tf, "foo")


@pytest.fixture
def placement_log_off():
    yield
    tf.debugging.set_log_device_placement(False)


def test_log_device_placement_names_each_weights_device(capsys, placement_log_off):
    keras.layers.Dense(2).build((None, 3))
    assert "VarHandleOp" not in capsys.readouterr().err
    config = tf.compat.v1.ConfigProto()
    config.log_device_placement = True
    keras.backend.set_session(tf.compat.v1.Session(config=config))
    model = keras.Sequential([keras.layers.Dense(2, input_shape=(3,), name="d")])
    device = "GPU" if model.weights[0].is_cuda else "CPU"
    assert capsys.readouterr().err.splitlines() == [
        f"d/{w}:0: (VarHandleOp): /job:localhost/replica:0/task:0/device:{device}:0" for w in ("kernel", "bias")]
    tf.debugging.set_log_device_placement(False)
    keras.layers.Dense(2).build((None, 3))
    assert capsys.readouterr().err == ""


def test_compat_v1_leftovers(placement_log_off):
    v1 = tf.compat.v1
    config = v1.ConfigProto(log_device_placement=True)
    config.gpu_options.allow_growth = True
    with v1.Session(config=config) as sess:
        assert sess.run(tf.constant(2.0) * 3) == 6.0
        assert sess.run(v1.global_variables_initializer()) is None
    v1.enable_eager_execution()
    with pytest.warns(UserWarning, match="eagerly"):
        v1.disable_eager_execution()
    assert v1.reduce_sum([1, 2]).numpy() == 3 and tf.compat.v2 is tf
    with pytest.raises(NotImplementedError, match="placeholder"):
        v1.placeholder(tf.float32, (None, 2))
    assert tf.executing_eagerly() and tf.__version__.startswith("2.")


def test_errors():
    assert issubclass(tf.errors.OutOfRangeError, tf.errors.OpError)
    with pytest.raises(tf.errors.InvalidArgumentError):
        next(iter(tf.data.Dataset.from_tensor_slices(np.zeros((3, 2))).batch(0)))


def test_lazy_modules_when_present():
    for name in ("config", "distribute"):
        try:
            module = __import__(f"torchkeras_api.{name}", fromlist=["_"])
        except ModuleNotFoundError:
            with pytest.raises(AttributeError, match="not supported"):
                getattr(tf, name)
        else:
            assert getattr(tf, name) is module


def test_ops_on_keras_tensors_build_a_model():
    inputs = keras.Input((4, 3))
    h = tf.reshape(inputs, [-1, 12])
    h = tf.nn.relu(tf.concat([h, h], axis=1))
    outputs = tf.reduce_sum(h, axis=1, keepdims=True)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(4).normal(size=(2, 4, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), 2 * np.maximum(x, 0).reshape(2, 12).sum(1, keepdims=True),
                               rtol=1e-5)


# ---- install / uninstall ------------------------------------------------------------------------


def _aliases():
    return {name: module for name, module in sys.modules.items()
            if name in ("tensorflow", "keras") or name.startswith(("tensorflow.", "keras."))}


@pytest.fixture
def installed():
    before = _aliases()
    importer.install()
    yield before
    importer.uninstall()


def test_install_serves_the_aliases_and_uninstall_restores(installed):
    import tensorflow
    import tensorflow.keras.backend as K
    from tensorflow.keras.layers import Dense
    from tensorflow.python.keras import layers
    import keras as keras2
    from keras.backend.tensorflow_backend import set_session

    assert tensorflow is tf and K is keras.backend and Dense is keras.layers.Dense
    assert layers is keras.layers and keras2 is keras and set_session is keras.backend.set_session
    assert keras.__spec__.name == "torchkeras_api"
    if importlib.util.find_spec("torchkeras_api.mixed_precision") is not None:
        from tensorflow.keras import mixed_precision
        assert mixed_precision is importlib.import_module("torchkeras_api.mixed_precision")
    with pytest.raises(ImportError, match="not supported by torchkeras_api"):
        import tensorflow.keras.not_a_module  # noqa: F401
    assert (torch.ones(1, requires_grad=True) * 2).numpy().tolist() == [2.0]
    importer.uninstall()
    assert _aliases() == installed
    assert not hasattr(tf, "python") and "numpy" not in torch.Tensor.__dict__
    with pytest.raises(RuntimeError, match="requires grad"):
        (torch.ones(1, requires_grad=True) * 2).numpy()
