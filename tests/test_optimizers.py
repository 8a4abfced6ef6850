"""keras.optimizers and keras.optimizers.schedules: behaviour, state, hot path and errors."""
import warnings

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import backend as K
from torchkeras_api import optimizers
from torchkeras_api.engine.variables import Layout, Variable
from torchkeras_api.optimizers import schedules

ALL_OPTIMIZERS = [optimizers.SGD, optimizers.Adam, optimizers.AdamW, optimizers.RMSprop, optimizers.Adadelta,
                  optimizers.Adagrad, optimizers.Adamax, optimizers.Nadam, optimizers.Ftrl, optimizers.Lion]


def _params(*values):
    return [torch.nn.Parameter(torch.tensor(v, dtype=torch.float32)) for v in values]


def _set_grads(params, *grads):
    for p, g in zip(params, grads):
        p.grad = None if g is None else torch.tensor(g, dtype=p.dtype)


# ---- get / serialize / deserialize ---------------------------------------------------------------
@pytest.mark.parametrize("name,cls", [("adam", optimizers.Adam), ("ADAM", optimizers.Adam), ("sgd", optimizers.SGD),
                                      ("RMSprop", optimizers.RMSprop), ("rmsprop", optimizers.RMSprop),
                                      ("adamw", optimizers.AdamW), ("Nadam", optimizers.Nadam),
                                      ("ftrl", optimizers.Ftrl), ("adadelta", optimizers.Adadelta),
                                      ("adagrad", optimizers.Adagrad), ("adamax", optimizers.Adamax),
                                      ("lion", optimizers.Lion)])
def test_get_by_name_is_case_insensitive(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert opt.name == cls.__name__


def test_get_instance_dict_and_errors():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    from_dict = optimizers.get({"class_name": "sgd", "config": {"learning_rate": 0.5, "momentum": 0.9}})
    assert isinstance(from_dict, optimizers.SGD) and from_dict.momentum == 0.9
    assert float(from_dict.learning_rate) == 0.5
    with pytest.raises(ValueError, match="Unknown optimizer: 'adamm'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 3"):
        optimizers.get(3)


@pytest.mark.parametrize("cls", ALL_OPTIMIZERS)
def test_serialize_round_trip(cls):
    opt = cls(learning_rate=0.25, clipnorm=1.5)
    config = optimizers.serialize(opt)
    assert config["module"] == "keras.optimizers" and config["class_name"] == cls.__name__
    again = optimizers.deserialize(config)
    assert type(again) is cls
    assert again.get_config() == opt.get_config()


def test_schedule_learning_rate_round_trips_through_config():
    schedule = schedules.PiecewiseConstantDecay([3, 6], [0.3, 0.2, 0.1])
    opt = optimizers.SGD(schedule, momentum=0.5)
    again = optimizers.SGD.from_config(opt.get_config())
    assert isinstance(again._learning_rate, schedules.PiecewiseConstantDecay)
    assert again._learning_rate.get_config() == schedule.get_config()


def test_legacy_config_and_module():
    legacy = {"class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9,
                                               "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = optimizers.deserialize(legacy)
    assert isinstance(opt, optimizers.Adam) and opt.decay == 0.0
    assert optimizers.legacy.Adam is optimizers.Adam and optimizers.legacy.SGD is optimizers.SGD


# ---- learning rate -------------------------------------------------------------------------------
def test_learning_rate_reads_and_writes_every_way():
    opt = optimizers.Adam(learning_rate=0.001)
    assert opt.lr is opt.learning_rate
    assert float(opt.lr) == pytest.approx(0.001)
    assert K.get_value(opt.lr) == pytest.approx(0.001)
    assert opt.lr.numpy() == pytest.approx(0.001)
    K.set_value(opt.lr, 0.01)
    assert float(opt.learning_rate) == pytest.approx(0.01)
    opt.learning_rate.assign(0.02)
    assert float(opt.lr) == pytest.approx(0.02)
    opt.learning_rate = 0.03
    assert float(opt.lr) == pytest.approx(0.03)
    opt.lr = 0.04
    assert opt.get_config()["learning_rate"] == pytest.approx(0.04)
    assert opt.lr.dtype == torch.float32 and opt.lr.shape == ()


def test_set_value_changes_the_next_step():
    (w,) = _params([1.0, 2.0])
    opt = optimizers.SGD(0.1)
    _set_grads([w], [1.0, 1.0])
    opt.step([w])
    K.set_value(opt.lr, 1.0)
    opt.step([w])
    np.testing.assert_allclose(w.detach().numpy(), [1.0 - 0.1 - 1.0, 2.0 - 0.1 - 1.0], rtol=1e-6)


def test_lr_keyword_sets_the_rate_and_warns():
    with pytest.warns(DeprecationWarning, match="`lr` argument is deprecated, use `learning_rate`"):
        opt = optimizers.Adam(lr=0.0001)
    assert float(opt.learning_rate) == pytest.approx(0.0001)
    with pytest.warns(DeprecationWarning) as record:
        sgd = optimizers.SGD(lr=0.5)
        optimizers.AdamW(lr=0.5)
    assert [w.filename for w in record] == [__file__, __file__]
    (w,) = _params([1.0])
    _set_grads([w], [1.0])
    sgd.step([w])
    assert w.item() == pytest.approx(0.5)


def test_legacy_decay_is_time_based():
    with pytest.warns(DeprecationWarning, match="`decay` argument is deprecated"):
        opt = optimizers.SGD(1.0, decay=0.5)
    (w,) = _params([0.0])
    for _ in range(3):
        _set_grads([w], [1.0])
        opt.step([w])
    assert w.item() == pytest.approx(-(1.0 + 1.0 / 1.5 + 1.0 / 2.0), rel=1e-6)
    assert opt.get_config()["decay"] == 0.5


def test_callable_learning_rate_is_read_at_construction():
    opt = optimizers.SGD(lambda: 0.3)
    assert float(opt.learning_rate) == pytest.approx(0.3)


def test_schedule_learning_rate_reports_the_rate_of_the_latest_step():
    opt = optimizers.SGD(schedules.ExponentialDecay(0.1, 1, 0.5))
    (w,) = _params([0.0])
    assert float(opt.lr) == pytest.approx(0.1)
    seen = []
    for _ in range(3):
        _set_grads([w], [1.0])
        opt.step([w])
        seen.append(float(opt.learning_rate))
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    assert w.item() == pytest.approx(-0.175)
    with pytest.raises(TypeError, match="its learning rate is not settable"):
        opt.learning_rate = 0.1


def test_a_schedule_can_replace_a_float_rate():
    opt = optimizers.SGD(0.1)
    opt.learning_rate = schedules.PiecewiseConstantDecay([0], [1.0, 2.0])
    (w,) = _params([0.0])
    for _ in range(2):
        _set_grads([w], [1.0])
        opt.step([w])
    assert w.item() == pytest.approx(-3.0)


def test_bad_learning_rate_is_a_type_error():
    with pytest.raises(TypeError, match="learning_rate='fast'"):
        optimizers.Adam(learning_rate="fast")


# ---- iterations, build, variables -----------------------------------------------------------------
def test_iterations_counts_steps_and_is_int64():
    opt = optimizers.Adam()
    assert opt.iterations.dtype == torch.int64 and int(opt.iterations) == 0
    a, b = _params([1.0, 2.0], [[1.0]])
    for _ in range(3):
        _set_grads([a, b], [0.1, 0.2], [[0.3]])
        opt.step([a, b])
    assert int(opt.iterations) == 3 and opt.iterations.numpy() == 3
    with pytest.raises(RuntimeError, match="Cannot set `iterations`"):
        opt.iterations = 5
    fresh = optimizers.SGD()
    fresh.iterations = 7
    assert int(fresh.iterations) == 7


def test_variables_names_order_and_callable_list():
    dense = keras.layers.Dense(2, name="d")
    dense.build((None, 3))
    opt = optimizers.Adam(amsgrad=True)
    opt.build(dense.trainable_variables)
    names = [v.name for v in opt.variables()]
    assert names == ["iteration:0", "Adam/m/d/kernel:0", "Adam/v/d/kernel:0", "Adam/m/d/bias:0", "Adam/v/d/bias:0",
                     "Adam/vhat/d/kernel:0", "Adam/vhat/d/bias:0"]
    assert [v.name for v in opt.variables] == names
    assert opt.variables()[1].shape == dense.kernel.shape
    opt.build(dense.trainable_variables)
    assert len(opt.variables()) == 7


def test_rmsprop_groups_slots_by_kind():
    a, b = _params([1.0], [2.0])
    opt = optimizers.RMSprop(momentum=0.5, centered=True, use_ema=True)
    opt.build([a, b])
    kinds = [v.name.split("/")[1] for v in opt.variables()[1:]]
    assert kinds == ["average", "average", "velocity", "velocity", "momentum", "momentum", "average_gradient",
                     "average_gradient"]
    assert opt.variables()[1].name == "RMSprop/average/Variable:0"


def test_get_set_weights_round_trip_and_length_check():
    a, b = _params([1.0, 2.0], [3.0])
    opt = optimizers.Adam()
    _set_grads([a, b], [0.5, 0.5], [1.0])
    opt.step([a, b])
    weights = opt.get_weights()
    other = optimizers.Adam()
    other.build([a, b])
    other.set_weights(weights)
    for x, y in zip(other.get_weights(), weights):
        np.testing.assert_array_equal(x, y)
    store = {}
    opt.save_own_variables(store)
    assert sorted(store) == ["0", "1", "2", "3", "4"]
    with pytest.raises(ValueError, match="expecting 5 weights"):
        other.set_weights(weights[:2])


def test_new_variables_after_build_get_their_own_state():
    a, b = _params([1.0], [2.0])
    opt = optimizers.Adam(0.1)
    _set_grads([a], [1.0])
    opt.step([a])
    _set_grads([a, b], [1.0], [1.0])
    opt.step([a, b])
    assert [v.name for v in opt.variables()][-2:] == ["Adam/m/Variable:0", "Adam/v/Variable:0"]
    assert b.item() == pytest.approx(2.0 - 0.1 * np.sqrt(1 - 0.999 ** 2) / (1 - 0.9 ** 2) * 0.1 / (0.001 ** 0.5),
                                     rel=1e-5)


# ---- step / apply_gradients / minimize -------------------------------------------------------------
def test_step_skips_variables_without_gradients():
    a, b = _params([1.0], [2.0])
    opt = optimizers.SGD(0.5, momentum=0.9)
    _set_grads([a, b], [1.0], None)
    opt.step([a, b])
    assert a.item() == pytest.approx(0.5) and b.item() == 2.0
    assert len(opt.variables()) == 3


def test_step_without_any_gradient_raises_and_empty_is_a_no_op():
    (a,) = _params([1.0])
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.step([a])
    opt.step([])
    assert int(opt.iterations) == 0


def test_step_leaves_gradients_untouched_when_clipping():
    (a,) = _params([0.0, 0.0])
    opt = optimizers.SGD(1.0, clipvalue=0.5)
    _set_grads([a], [3.0, -0.2])
    opt.step([a])
    np.testing.assert_allclose(a.detach().numpy(), [-0.5, 0.2])
    np.testing.assert_allclose(a.grad.numpy(), [3.0, -0.2])


def test_clipnorm_and_global_clipnorm():
    a, b = _params([0.0, 0.0], [0.0])
    opt = optimizers.SGD(1.0, clipnorm=1.0)
    _set_grads([a, b], [3.0, 4.0], [0.5])
    opt.step([a, b])
    np.testing.assert_allclose(a.detach().numpy(), [-0.6, -0.8], rtol=1e-6)
    assert b.item() == pytest.approx(-0.5)
    a, b = _params([0.0, 0.0], [0.0])
    opt = optimizers.SGD(1.0, global_clipnorm=1.3)
    _set_grads([a, b], [3.0, 4.0], [12.0])
    opt.step([a, b])
    np.testing.assert_allclose(a.detach().numpy(), [-0.3, -0.4], rtol=1e-6)
    assert b.item() == pytest.approx(-1.2, rel=1e-6)


def test_apply_gradients_accepts_numpy_skips_none_and_returns_iterations():
    a, b = _params([1.0, 1.0], [2.0])
    opt = optimizers.SGD(0.5)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        result = opt.apply_gradients([(np.array([1.0, 2.0]), a), (None, b)])
    assert result is opt.iterations and int(result) == 1
    np.testing.assert_allclose(a.detach().numpy(), [0.5, 0.0])
    assert b.item() == 2.0
    assert opt.apply_gradients([]) is opt.iterations
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, a)])
    with pytest.raises(ValueError, match="does not match variable"):
        opt.apply_gradients([(np.ones(3), a)])


def test_minimize_with_callable_and_tensor_loss():
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    frozen = torch.nn.Parameter(torch.tensor([5.0]), requires_grad=False)
    opt = optimizers.SGD(0.25)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['Variable'\]"):
        assert opt.minimize(lambda: torch.sum(w ** 2) + frozen.sum(), [w, frozen]) is None
    np.testing.assert_allclose(w.detach().numpy(), [0.5, -1.0])
    opt.minimize(torch.sum(w ** 2), lambda: [w])
    np.testing.assert_allclose(w.detach().numpy(), [0.25, -0.5])
    assert frozen.item() == 5.0 and int(opt.iterations) == 2


def test_minimize_on_a_keras_model_reduces_the_loss():
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)), keras.layers.Dense(1)])
    x, y = torch.randn(32, 4), torch.randn(32, 1)
    loss = lambda: torch.mean((model(x) - y) ** 2)
    opt = optimizers.Adam(0.01)
    before = loss().item()
    for _ in range(30):
        opt.minimize(loss, model.trainable_variables)
    assert loss().item() < before


# ---- weight decay, EMA, constraints, layouts --------------------------------------------------------
def test_weight_decay_and_exclusions():
    w = Variable(torch.tensor([1.0, 2.0]), name="dense/kernel:0")
    b = Variable(torch.tensor([1.0, 2.0]), name="dense/bias:0")
    opt = optimizers.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    _set_grads([w, b], [1.0, 1.0], [1.0, 1.0])
    opt.step([w, b])
    np.testing.assert_allclose(w.detach().numpy(), [0.85, 1.8], rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), [0.9, 1.9], rtol=1e-6)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_list=[w])


def test_ema_overwrites_and_finalizes():
    (w,) = _params([1.0])
    opt = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=3)
    values = []
    for _ in range(4):
        _set_grads([w], [1.0])
        opt.step([w])
        values.append(w.item())
    assert values == pytest.approx([0.9, 0.8, 0.7875, 0.6875])
    opt.finalize_variable_values([w])
    assert w.item() == pytest.approx(0.7375)


def _transposed_layout():
    return Layout(to_keras=lambda t: t.transpose(0, 1), from_keras=lambda t: t.transpose(0, 1),
                  keras_shape=lambda s: (s[1], s[0]))


def test_constraint_sees_the_keras_layout():
    seen = []

    def constraint(value):
        seen.append(tuple(value.shape))
        return value.clamp(min=0.0)

    var = Variable(torch.tensor([[1.0, -1.0, 2.0], [0.5, 3.0, -2.0]]), name="conv/kernel:0",
                   layout=_transposed_layout())
    var.constraint = constraint
    opt = optimizers.SGD(0.1)
    var.grad = torch.zeros_like(var)
    opt.step([var])
    assert seen == [(3, 2)]
    assert (var.detach() >= 0).all()


def test_slots_follow_the_weight_layout_and_keras_layout_gradients_are_accepted():
    var = Variable(torch.zeros(2, 3), name="conv/kernel:0", layout=_transposed_layout())
    opt = optimizers.SGD(1.0, momentum=0.5)
    keras_grad = np.arange(6, dtype="float32").reshape(3, 2)
    opt.apply_gradients([(keras_grad, var)])
    np.testing.assert_allclose(var.numpy(), -keras_grad)
    assert opt.variables()[1].numpy().shape == (3, 2)
    np.testing.assert_allclose(opt.variables()[1].numpy(), -keras_grad)


def test_mixed_dtypes_update_like_single_dtype_runs():
    a32 = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    a64 = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    alone = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    mixed, single = optimizers.Adam(0.1, clipnorm=0.5), optimizers.Adam(0.1, clipnorm=0.5)
    for step in range(3):
        g = torch.tensor([0.3 * (step + 1), -0.7])
        a32.grad, a64.grad, alone.grad = g.clone(), g.double(), g.clone()
        mixed.step([a32, a64])
        single.step([alone])
    assert a64.dtype == torch.float64
    np.testing.assert_allclose(a64.detach().numpy(), alone.detach().numpy(), rtol=1e-5)
    np.testing.assert_array_equal(a32.detach().numpy(), alone.detach().numpy())
    assert int(mixed.iterations) == 3


# ---- the hot path never reads device values on the host --------------------------------------------
class _NoHostReads:
    """Makes every tensor-to-host conversion raise while active."""

    NAMES = ("item", "tolist", "numpy", "cpu", "__float__", "__int__", "__bool__", "__index__")

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch

    def __enter__(self):
        def refuse(*args, **kwargs):
            raise AssertionError("host sync in the optimizer step")
        for name in self.NAMES:
            self.monkeypatch.setattr(torch.Tensor, name, refuse)
        return self

    def __exit__(self, *exc):
        self.monkeypatch.undo()


@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True, clipnorm=1.0, weight_decay=0.01),
    lambda: optimizers.Adam(schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=2), amsgrad=True,
                            global_clipnorm=1.0, use_ema=True, ema_overwrite_frequency=2),
    lambda: optimizers.AdamW(schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.05, 0.01])),
    lambda: optimizers.RMSprop(momentum=0.5, centered=True, clipvalue=0.1),
    lambda: optimizers.Adadelta(schedules.PolynomialDecay(1.0, 3, cycle=True)),
    lambda: optimizers.Adagrad(schedules.InverseTimeDecay(0.1, 2, 0.5)),
    lambda: optimizers.Adamax(schedules.ExponentialDecay(0.1, 2, 0.5)),
    lambda: optimizers.Nadam(schedules.CosineDecayRestarts(0.1, 2)),
    lambda: optimizers.Ftrl(l1_regularization_strength=0.1, l2_shrinkage_regularization_strength=0.1, beta=0.1),
    lambda: optimizers.Lion(),
])
def test_step_has_no_host_sync(make, monkeypatch):
    opt = make()
    opt.decay = 0.01
    w = Variable(torch.ones(3, 2), name="w:0", layout=_transposed_layout())
    w.constraint = keras.constraints.NonNeg()
    b = torch.nn.Parameter(torch.ones(2))
    opt.build([w, b])
    opt.step(_with_grads([w, b]))
    with _NoHostReads(monkeypatch):
        for _ in range(3):
            opt.step(_with_grads([w, b]))
    assert int(opt.iterations) == 4


def _with_grads(params):
    for p in params:
        p.grad = torch.full_like(p, 0.5)
    return params


# ---- argument errors --------------------------------------------------------------------------------
def test_argument_errors():
    with pytest.raises(ValueError, match="At most one of `clipnorm` and `global_clipnorm`"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match=r"`momentum` must be between \[0, 1\]. Received: momentum=1.5"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="Missing value of `weight_decay`"):
        optimizers.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="`l1_regularization_strength` needs to be positive or zero"):
        optimizers.Ftrl(l1_regularization_strength=-1.0)
    with pytest.raises(ValueError, match="`learning_rate_power` needs to be negative or zero"):
        optimizers.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="`ema_momentum` must be in the range"):
        optimizers.SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="`ema_overwrite_frequency` must be an integer"):
        optimizers.SGD(use_ema=True, ema_overwrite_frequency=1.5)
    with pytest.raises(TypeError, match="betta_1 is not a valid argument for optimizer Adam"):
        optimizers.Adam(betta_1=0.9)
    with pytest.raises(ValueError, match=r"`beta_1`=0.0 must be between \]0, 1\]"):
        optimizers.Lion(beta_1=0.0)


# ---- schedules ----------------------------------------------------------------------------------------
ALL_SCHEDULES = [
    schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True),
    schedules.PiecewiseConstantDecay([2, 5], [1.0, 0.5, 0.1]),
    schedules.PolynomialDecay(0.1, 4, cycle=True, power=2.0),
    schedules.InverseTimeDecay(0.1, 2, 0.5),
    schedules.CosineDecay(0.1, 5, alpha=0.1, warmup_target=0.5, warmup_steps=3),
    schedules.CosineDecayRestarts(0.1, 3, t_mul=2.0, m_mul=0.5),
]


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=lambda s: type(s).__name__)
def test_schedule_accepts_ints_numpy_and_tensors(schedule):
    for step in (0, 4, 9):
        expected = schedule(step)
        assert expected.dtype == torch.float32 and expected.shape == ()
        assert float(schedule(np.int64(step))) == float(expected)
        assert float(schedule(torch.tensor(step, dtype=torch.int64))) == float(expected)


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=lambda s: type(s).__name__)
def test_schedule_serialization_round_trip(schedule):
    config = schedules.serialize(schedule)
    assert config["module"] == "keras.optimizers.schedules"
    again = schedules.deserialize(config)
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()
    assert [float(again(i)) for i in range(8)] == [float(schedule(i)) for i in range(8)]


def test_schedule_values_and_errors():
    assert [float(v) for v in map(schedules.PiecewiseConstantDecay([2, 5], [3.0, 2.0, 1.0]), [0, 2, 3, 5, 6])] \
        == [3.0, 3.0, 2.0, 2.0, 1.0]
    assert float(schedules.ExponentialDecay(1.0, 2, 0.25)(1)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="The length of boundaries should be 1 less than the length of values"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 2.0])
    with pytest.raises(NotImplementedError, match="must override `__call__"):
        schedules.LearningRateSchedule()(1)
    with pytest.raises(NotImplementedError, match="must override `get_config"):
        schedules.LearningRateSchedule().get_config()
    with pytest.raises(ValueError, match="Unknown learning rate schedule: 'Nope'"):
        schedules.deserialize({"class_name": "Nope", "config": {}})


def test_custom_schedule_subclass_drives_an_optimizer():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / (2.0 ** step.to(torch.float32))

        def get_config(self):
            return {}

    opt = optimizers.SGD(Halving())
    (w,) = _params([0.0])
    for _ in range(3):
        _set_grads([w], [1.0])
        opt.step([w])
    assert w.item() == pytest.approx(-1.75)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_adam_step_after_iterations_are_set_from_outside(dtype):
    """Adam's bias correction follows `iterations` when it is assigned between steps (numpy reference)."""
    rng = np.random.default_rng(3)
    value, grads = rng.normal(size=(3, 2)), rng.normal(size=(3, 3, 2))
    var = Variable(torch.tensor(value, dtype=dtype), name="w:0")
    opt = optimizers.Adam(0.1)
    m = v = np.zeros_like(value)
    w = value.copy()
    for t, g in zip([1, 51, 52], grads):
        if t == 51:
            opt.iterations.assign(50)
        var.grad = torch.tensor(g, dtype=dtype)
        opt.step([var])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w = w - 0.1 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-7)
        tolerance = {"rtol": 1e-5, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-7, "atol": 1e-9}
        np.testing.assert_allclose(var.detach().numpy(), w, **tolerance)
    assert int(opt.iterations.numpy()) == 52
