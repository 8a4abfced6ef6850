"""Unit tests of torchkeras_api.backend (K): values, dtypes, variables, state, errors and symbolic use."""
import warnings

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import backend as K
from torchkeras_api import backend_config
from torchkeras_api.engine import call_context
from torchkeras_api.engine.device import default_device
from torchkeras_api.engine.variables import Layout, Variable


@pytest.fixture(autouse=True)
def _fresh_state():
    K.clear_session()
    yield
    K.clear_session()


def _t(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype, device=default_device())


# ---- inputs and dtypes -------------------------------------------------------------------------


def test_numpy_and_python_inputs_are_converted_as_tf_does():
    assert K.mean([[1.0, 2.0], [3.0, 5.0]], axis=1).tolist() == [1.5, 4.0]
    assert K.sum([1, 2, 3]).dtype == torch.int32
    assert K.square(2.0).dtype == torch.float32
    assert K.exp(np.zeros(2, "float64")).dtype == torch.float64
    assert K.concatenate([np.ones((1, 2)), np.zeros((1, 1))]).tolist() == [[1.0, 1.0, 0.0]]
    np.testing.assert_allclose(K.dot(np.eye(2, dtype="float32"), np.full((2, 3), 2.0, "float32")).cpu(),
                               np.full((2, 3), 2.0))
    assert K.maximum(_t([-1.0, 2.0]), 0).tolist() == [0.0, 2.0]
    assert K.less(0.5, _t([0.0, 1.0])).tolist() == [False, True]


def test_integer_results_keep_their_dtype():
    x = _t([[1, 2], [3, 4]], torch.int32)
    for result in (K.sum(x), K.prod(x, axis=0), K.cumsum(x), K.cumprod(x, axis=1), K.max(x), K.abs(x)):
        assert result.dtype == torch.int32
    assert K.mean(_t([-1, -2], torch.int32)).item() == -1
    assert K.argmax(x).dtype == torch.int64


def test_empty_axis_list_reduces_nothing():
    x = _t([[1.0, 2.0]])
    assert torch.equal(K.sum(x, axis=[]), x)


def test_no_host_sync_on_meta_tensors():
    """Meta tensors have no data: any .item()/numpy round trip inside these functions would fail."""
    x = torch.empty(4, 5, device="meta")
    labels = torch.empty(4, dtype=torch.int64, device="meta")
    results = [
        K.mean(x, axis=1), K.std(x), K.prod(x, axis=[0, 1]), K.clip(x, 0.0, 1.0), K.maximum(x, 0.0),
        K.relu(x, alpha=0.1, max_value=2.0, threshold=0.5), K.softmax(x, axis=(0, 1)), K.l2_normalize(x, 1),
        K.binary_crossentropy(x, x), K.categorical_crossentropy(x, x), K.sparse_categorical_crossentropy(labels, x),
        K.batch_dot(x, x), K.dot(x, x.T), K.one_hot(labels, 3), K.switch(x > 0, x, -x), K.repeat(x, 2),
        K.repeat_elements(x, 2, 1), K.gather(x, labels), K.in_top_k(x, labels, 2), K.mean(x > 0),
    ]
    assert all(r.device.type == "meta" for r in results)


# ---- values not covered by the tf.keras comparison -------------------------------------------------


def test_softmax_and_sigmoid_outputs_remember_logits():
    logits = _t([[30.0, 0.0, -30.0]])
    target = _t([[0.0, 0.0, 1.0]])
    assert K.categorical_crossentropy(target, K.softmax(logits)).item() == pytest.approx(60.0)
    assert K.categorical_crossentropy(target, K.softmax(logits).detach().clone()).item() == pytest.approx(16.118, 1e-4)
    with pytest.warns(UserWarning, match="does not represent logits"):
        K.binary_crossentropy(target, K.sigmoid(logits), from_logits=True)


def test_crossentropies_are_differentiable():
    output = torch.full((2, 3), 0.3, requires_grad=True)
    target = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    loss = K.sum(K.categorical_crossentropy(target, output)) + K.sum(K.binary_crossentropy(target, output))
    loss = loss + K.sum(K.sparse_categorical_crossentropy(torch.tensor([1, 0]), output))
    loss.backward()
    assert output.grad is not None and torch.isfinite(output.grad).all()


def test_epsilon_controls_crossentropy_clipping():
    target, output = _t([1.0]), _t([0.0])
    backend_config.set_epsilon(1e-3)
    try:
        loss = K.binary_crossentropy(target, output).item()
    finally:
        backend_config.set_epsilon(1e-7)
    assert loss == pytest.approx(-np.log(2e-3), rel=1e-4)
    assert K.epsilon() == 1e-7


def test_stop_gradient_and_variable_gradients():
    v = K.variable([1.0, 2.0])
    loss = K.sum(K.square(v)) + K.sum(K.stop_gradient(K.square(v)))
    loss.backward()
    assert v.grad.tolist() == [2.0, 4.0]
    assert [t.requires_grad for t in K.stop_gradient([v, v * 2])] == [False, False]


def test_shape_is_a_cpu_int32_tensor_usable_as_a_shape():
    x = torch.zeros(3, 4, device=default_device())
    s = K.shape(x)
    assert s.dtype == torch.int32 and s.device.type == "cpu" and s.tolist() == [3, 4]
    assert K.reshape(x, (s[0], -1, 2)).shape == (3, 2, 2)
    assert K.random_normal(s).shape == (3, 4)
    assert K.zeros((s[0], 2)).shape == (3, 2) and not isinstance(K.zeros((s[0], 2)), Variable)
    assert K.tile(x, (1, s[0])).shape == (3, 12)
    assert K.cast(s[0], "float32").item() == 3.0


def test_switch_picks_python_branches_and_broadcasts_scalar_conditions():
    assert K.switch(True, lambda: 1, 2) == 1 and K.switch(0, 1, lambda: 2) == 2
    x, y = _t([1.0, 2.0]), _t([3.0, 4.0])
    assert K.switch(_t(False, torch.bool), x, y).tolist() == [3.0, 4.0]
    with pytest.raises(ValueError, match="Rank of `condition`"):
        K.switch(_t([[True]], torch.bool), x, y)


def test_in_train_phase_follows_call_context_then_learning_phase():
    assert K.in_train_phase("train", "test") == "test"
    call_context.state.training = True
    try:
        assert K.in_train_phase("train", "test") == "train"
        assert K.in_test_phase("test", "train") == "train"
    finally:
        call_context.state.training = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        K.set_learning_phase(1)
    assert K.in_train_phase("train", "test") == "train"
    flag = _t(True, torch.bool)
    assert K.in_train_phase(_t([1.0]), _t([2.0]), training=flag).tolist() == [1.0]


def test_random_functions_are_seeded_and_distributed():
    a = K.random_normal((2000,), mean=1.0, stddev=2.0, seed=3)
    assert torch.equal(a, K.random_normal((2000,), mean=1.0, stddev=2.0, seed=3))
    assert not torch.equal(K.random_normal((5,)), K.random_normal((5,)))
    assert abs(a.mean().item() - 1.0) < 0.2 and abs(a.std().item() - 2.0) < 0.2
    u = K.random_uniform((2000,), -1.0, 3.0, dtype="float64", seed=1)
    assert u.dtype == torch.float64 and u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean().item() - 1.0) < 0.15
    ints = K.random_uniform((500,), 2, 5, dtype="int32", seed=0)
    assert ints.dtype == torch.int32 and set(ints.tolist()) == {2, 3, 4}
    t = K.truncated_normal((2000,), mean=5.0, stddev=0.5, seed=2)
    assert t.min() >= 4.0 and t.max() <= 6.0
    b = K.random_bernoulli((2000,), p=0.25, seed=4)
    assert set(b.unique().tolist()) == {0.0, 1.0} and abs(b.mean().item() - 0.25) < 0.05
    assert K.random_bernoulli((3,), p=1.0, dtype="int32").tolist() == [1, 1, 1]
    assert K.random_normal_variable((2, 3), 0.0, 1.0, name="r").name == "r:0"
    assert isinstance(K.random_uniform_variable((2,), 0.0, 1.0), Variable)


def test_dropout_scales_kept_entries_and_broadcasts_noise_shape():
    x = torch.ones(400, 10, device=default_device())
    out = K.dropout(x, 0.5, seed=0)
    assert set(out.unique().tolist()) == {0.0, 2.0} and abs((out == 0).float().mean().item() - 0.5) < 0.1
    rows = K.dropout(x, 0.5, noise_shape=(400, 1), seed=0)
    assert torch.all(rows == rows[:, :1])


def test_map_and_folds():
    x = _t([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert K.map_fn(lambda r: r.sum(), x).tolist() == [3.0, 7.0, 11.0]
    assert K.map_fn(lambda r: r.sum(), x, dtype="int32").dtype == torch.int32
    assert K.foldl(lambda a, r: a - r, x).tolist() == [-7.0, -8.0]
    assert K.foldr(lambda a, r: a - r, x, _t([0.0, 0.0])).tolist() == [-9.0, -12.0]


def test_print_tensor_returns_its_input(capsys):
    x = _t([1.0, 2.0])
    assert K.print_tensor(x, "x =") is x
    assert "x = [1. 2.]" in capsys.readouterr().out


# ---- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda: K.batch_dot(torch.ones(2), torch.ones(2, 3)), ValueError, "rank < 2"),
    (lambda: K.batch_dot(torch.ones(2, 3), torch.ones(3, 3)), ValueError, "different batch sizes"),
    (lambda: K.batch_dot(torch.ones(2, 3), torch.ones(2, 4)), ValueError, r"x.shape\[1\] != y.shape\[1\]"),
    (lambda: K.batch_dot(torch.ones(2, 3), torch.ones(2, 3), axes=(0, 1)), ValueError, "over axis 0"),
    (lambda: K.batch_dot(torch.ones(2, 3), torch.ones(2, 3), axes=[(1,), 1]), ValueError, "Multiple target"),
    (lambda: K.squeeze(torch.ones(2, 3), 1), ValueError, "expected a dimension of 1"),
    (lambda: K.repeat(torch.ones(2, 3, 4), 2), ValueError, "2D"),
    (lambda: K.softmax(torch.ones(3)), ValueError, "1D"),
    (lambda: K.categorical_crossentropy(torch.ones(2, 3), torch.ones(2, 4)), ValueError, "incompatible"),
    (lambda: K.bias_add(torch.ones(2, 3, 4), torch.ones(2, 2, 2, 2)), ValueError, "bias dimensions"),
    (lambda: K.bias_add(torch.ones(2, 3), torch.ones(3), data_format="nhwc"), ValueError, "data_format"),
    (lambda: K.spatial_2d_padding(torch.ones(1, 2, 2, 1), data_format="x"), ValueError, "data_format"),
    (lambda: K.constant([1, 2, 3], shape=(2, 2)), TypeError, "3 elements"),
    (lambda: K.is_keras_tensor(np.ones(2)), ValueError, "Expected a symbolic tensor"),
    (lambda: K.set_learning_phase(2), ValueError, "0 or 1"),
    (lambda: K.cast(torch.ones(2), "float128"), ValueError, "Unknown dtype"),
])
def test_errors(call, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=match):
            call()


# ---- variables and values ------------------------------------------------------------------------


def test_variable_creation():
    v = K.variable([[1, 2], [3, 4]], name="w")
    assert isinstance(v, Variable) and v.name == "w:0" and v.dtype == torch.float32 and v.requires_grad
    assert v.device == default_device()
    assert K.variable(3).name == "Variable:0"
    assert K.variable(np.ones(2), dtype="int32").dtype == torch.int32
    source = torch.ones(2)
    copy = K.variable(source)
    copy.assign([5.0, 5.0])
    assert source.tolist() == [1.0, 1.0]
    constraint = object()
    assert K.variable(1.0, constraint=constraint).constraint is constraint
    assert isinstance(K.zeros((2, 3)), Variable) and K.ones((2,), dtype="int32").dtype == torch.int32
    assert K.eye((2, 3)).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def test_floatx_sets_default_dtypes():
    K.set_floatx("float64")
    try:
        assert K.floatx() == "float64"
        for value in (K.variable(1), K.constant(1), K.zeros((1,)), K.random_normal((1,)), K.cast_to_floatx([1])):
            assert value.dtype in (torch.float64, np.float64)
        assert K.square(2.0).dtype == torch.float64
    finally:
        K.set_floatx("float32")


def test_get_value_and_set_value_on_tensors_parameters_and_assignables():
    t = torch.zeros(2, 2)
    pointer = t.data_ptr()
    K.set_value(t, np.ones((2, 2)))
    assert t.data_ptr() == pointer and t.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    p = torch.nn.Parameter(torch.zeros(3))
    K.set_value(p, [1, 2, 3])
    assert p.requires_grad and p.tolist() == [1.0, 2.0, 3.0]
    lr = torch.tensor(0.1)
    K.set_value(lr, 0.01)
    assert K.get_value(lr) == pytest.approx(0.01) and isinstance(K.get_value(lr), np.float32)

    class Assignable:
        value = None

        def assign(self, value):
            self.value = value

    a = Assignable()
    K.set_value(a, 0.5)
    assert a.value == 0.5
    with pytest.raises(ValueError, match="shape"):
        K.set_value(t, [1.0, 2.0])
    with pytest.raises(TypeError, match="Cannot set"):
        K.set_value(3.0, 1.0)
    assert K.get_value([1, 2]) == [1, 2]
    assert isinstance(K.get_value(K.variable([1.0])), np.ndarray)
    assert K.eval(K.variable([2.0])).tolist() == [2.0]


def test_values_of_laid_out_variables_are_in_keras_layout():
    transpose = Layout(lambda t: t.transpose(0, 1), lambda t: t.transpose(0, 1), lambda s: (s[1], s[0]))
    v = Variable(torch.zeros(3, 2), name="k:0", layout=transpose)
    assert K.int_shape(v) == (2, 3) and K.count_params(v) == 6
    K.set_value(v, np.arange(6.0).reshape(2, 3))
    assert K.get_value(v).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    K.update_add(v, np.ones((2, 3), "float32"))
    assert K.get_value(v)[1].tolist() == [4.0, 5.0, 6.0]


def test_updates_work_in_place_on_tensors_that_require_grad():
    t = torch.ones(2, requires_grad=True)
    assert K.update_add(t, _t([1.0, 2.0]).cpu()) is t and t.tolist() == [2.0, 3.0]
    K.update_sub(t, 1.0)
    K.update(t, t * 2)
    K.moving_average_update(t, torch.zeros(2), 0.5)
    assert t.tolist() == [1.0, 2.0]


def test_static_information():
    x = torch.zeros(2, 3, dtype=torch.float16)
    assert K.int_shape(x) == (2, 3) and K.ndim(x) == 2 and K.dtype(x) == "float16"
    assert K.int_shape(np.zeros((4,))) == (4,) and K.dtype(np.zeros(1, "int8")) == "int8"
    assert K.int_shape(5) is None
    assert K.is_tensor(x) and K.is_tensor(keras.Input((3,))) and not K.is_tensor(np.ones(2))
    assert not K.is_sparse(x) and K.to_dense(x) is x
    assert K.get_uid("foo") == 1 and K.get_uid("foo") == 2
    K.reset_uids()
    assert K.get_uid("foo") == 1


# ---- global state ------------------------------------------------------------------------------


def test_learning_phase_state():
    assert K.learning_phase() == 0
    with pytest.warns(UserWarning, match="deprecated"):
        K.set_learning_phase(1)
    assert K.learning_phase() == 1
    K.clear_session()
    assert K.learning_phase() == 0
    with K.learning_phase_scope(1):
        assert K.learning_phase() == 1
    assert K.learning_phase() == 0


def test_sessions_are_harmless_stand_ins():
    session = K.get_session()
    assert K.get_session() is session
    assert session.run([torch.ones(2), 3])[0].tolist() == [1.0, 1.0]
    with session as s:
        assert s is session

    class TF1Session:
        pass

    tf1 = TF1Session()
    K.set_session(tf1)
    assert K.get_session() is tf1
    K.clear_session()
    assert K.get_session() is not tf1


def test_clear_session_resets_layer_names():
    keras.Input((3,))
    K.clear_session()
    assert keras.Input((3,)).name == "input_1"


# ---- symbolic use ------------------------------------------------------------------------------


def test_symbolic_call_adds_one_node_and_the_model_runs_it():
    inputs = keras.Input((4, 3))
    outputs = K.mean(K.square(inputs), axis=1)
    assert K.is_keras_tensor(outputs) and K.int_shape(outputs) == (None, 3)
    assert K.int_shape(inputs) == (None, 4, 3) and K.ndim(inputs) == 3 and K.dtype(inputs) == "float32"
    model = keras.Model(inputs, outputs)
    assert [layer.name for layer in model.layers] == ["input_1", "tf.math.square", "tf.math.reduce_mean"]
    x = np.random.RandomState(0).randn(2, 4, 3).astype("float32")
    np.testing.assert_allclose(K.get_value(model(x)), (x ** 2).mean(axis=1), rtol=1e-6)


@pytest.mark.parametrize("kwargs, name", [
    ({}, "tf.nn.relu"), ({"alpha": 0.1}, "tf.nn.leaky_relu"), ({"max_value": 6}, "tf.nn.relu6"),
    ({"max_value": 2.0}, "tf.clip_by_value"), ({"threshold": 1.0}, "tf.math.multiply"),
    ({"alpha": 0.1, "threshold": 1.0}, "tf.math.subtract"),
])
def test_symbolic_names_follow_arguments(kwargs, name):
    assert K.relu(keras.Input((3,)), **kwargs)._keras_history.layer.name == name


def test_symbolic_rnn_keeps_its_mask():
    x, mask = keras.Input((3, 2)), keras.Input((3,), dtype="bool")
    last, outputs, states = K.rnn(lambda i, s: (i + s[0], [i + s[0]]), x, [K.zeros_like(x[:, 0])], mask=mask)
    model = keras.Model([x, mask], [last, outputs])
    data = np.ones((1, 3, 2), "float32")
    keep = np.array([[True, False, True]])
    last_value, outputs_value = model([data, keep])
    assert K.get_value(outputs_value)[0, :, 0].tolist() == [1.0, 1.0, 2.0]
    assert K.get_value(last_value)[0].tolist() == [2.0, 2.0]
