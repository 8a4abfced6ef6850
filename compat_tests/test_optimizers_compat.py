"""keras.optimizers and schedules against tf.keras (tf-keras 2.21): updates, state, configs, schedule values."""
import numpy as np
import pytest
import torch

from compat_tests.conftest import assert_close
from torchkeras_api import constraints, optimizers
from torchkeras_api.engine.variables import Layout, Variable
from torchkeras_api.optimizers import schedules

SHAPES = [(3, 4), (4,), ()]
STEPS = 5

CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("SGD", {"learning_rate": 0.1, "clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.1, "global_clipnorm": 0.5}),
    ("SGD", {"learning_rate": 0.1, "clipvalue": 0.3}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.2}),
    ("Adam", {}),
    ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
    ("Adam", {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3}),
    ("Adam", {"learning_rate": 0.1, "use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 2}),
    ("AdamW", {}),
    ("AdamW", {"learning_rate": 0.1, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "rho": 0.8}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.5, "epsilon": 1e-3}),
    ("Adagrad", {"learning_rate": 0.1}),
    ("Adagrad", {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "clipnorm": 0.7}),
    ("Adamax", {"learning_rate": 0.1}),
    ("Nadam", {"learning_rate": 0.1}),
    ("Nadam", {"learning_rate": 0.1, "beta_1": 0.8, "global_clipnorm": 1.0}),
    ("Ftrl", {"learning_rate": 0.1}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.1,
              "l2_shrinkage_regularization_strength": 0.05, "beta": 0.3, "learning_rate_power": -0.7}),
    ("Lion", {"learning_rate": 0.01}),
    ("Lion", {"learning_rate": 0.01, "weight_decay": 0.5}),
]


def _data(seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [[rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(STEPS)]
    return init, grads


def _run_side_by_side(tf, tf_opt, our_opt, state_too=True):
    """Same start, same gradients: the weights (and the optimizer state) agree after every step."""
    init, grads = _data()
    tf_vars = [tf.Variable(v, name=f"w{i}") for i, v in enumerate(init)]
    ours = [Variable(torch.tensor(v), name=f"w{i}:0") for i, v in enumerate(init)]
    for step_grads in grads:
        tf_opt.apply_gradients(zip([tf.constant(g) for g in step_grads], tf_vars))
        for var, g in zip(ours, step_grads):
            var.grad = torch.tensor(g)
        our_opt.step(ours)
        for mine, theirs in zip(ours, tf_vars):
            assert_close(mine, theirs)
    assert int(our_opt.iterations) == int(tf_opt.iterations.numpy()) == STEPS
    names = [v.name for v in tf_opt.variables()]
    assert [v.name for v in our_opt.variables()] == names
    if state_too:
        for mine, theirs in zip(our_opt.variables(), tf_opt.variables()):
            assert_close(mine.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{'-'.join(k) or 'default'}" for n, k in CASES])
def test_updates_state_and_config_match(tf, tfk, name, kwargs):
    tf_opt = getattr(tfk.optimizers, name)(**kwargs)
    our_opt = getattr(optimizers, name)(**kwargs)
    assert our_opt.get_config() == tf_opt.get_config()
    # tf.keras keeps SGD's `m` slot at -lr * g without momentum; ours leaves the unused slot at zero.
    _run_side_by_side(tf, tf_opt, our_opt, state_too=not (name == "SGD" and not kwargs.get("momentum")))


def test_adam_adaptive_epsilon(tf, tfk):
    kwargs = {"learning_rate": 0.1, "adaptive_epsilon": True, "epsilon": 0.5}
    _run_side_by_side(tf, tfk.optimizers.Adam(**kwargs), optimizers.Adam(**kwargs))


@pytest.mark.parametrize("make", [
    lambda S: S.ExponentialDecay(0.1, 2, 0.5),
    lambda S: S.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]),
    lambda S: S.PolynomialDecay(0.1, 3, cycle=True),
    lambda S: S.InverseTimeDecay(0.1, 1, 0.5, staircase=True),
    lambda S: S.CosineDecay(0.05, 4, warmup_target=0.1, warmup_steps=2),
    lambda S: S.CosineDecayRestarts(0.1, 2),
])
def test_schedules_drive_optimizers_like_tf(tf, tfk, make):
    tf_opt = tfk.optimizers.AdamW(make(tfk.optimizers.schedules), weight_decay=0.3)
    our_opt = optimizers.AdamW(make(schedules), weight_decay=0.3)
    assert our_opt.get_config() == tf_opt.get_config()
    assert_close(our_opt.learning_rate.numpy(), tf_opt.learning_rate.numpy())
    _run_side_by_side(tf, tf_opt, our_opt)
    assert_close(our_opt.learning_rate.numpy(), tf_opt.learning_rate.numpy())


SCHEDULES = [
    ("ExponentialDecay", (0.1, 3, 0.5), {"staircase": True}),
    ("ExponentialDecay", (0.1, 7, 0.96), {}),
    ("PiecewiseConstantDecay", ([2, 5], [1.0, 0.5, 0.1]), {}),
    ("PiecewiseConstantDecay", ([2.5, 5.0], [1.0, 0.5, 0.1]), {}),
    ("PolynomialDecay", (0.1, 4), {"cycle": True, "power": 2.0}),
    ("PolynomialDecay", (0.1, 4), {"power": 0.5, "end_learning_rate": 0.01}),
    ("InverseTimeDecay", (0.1, 2, 0.5), {}),
    ("InverseTimeDecay", (0.1, 2, 0.5), {"staircase": True}),
    ("CosineDecay", (0.1, 5), {}),
    ("CosineDecay", (0.1, 5), {"alpha": 0.1, "warmup_target": 0.5, "warmup_steps": 3}),
    ("CosineDecayRestarts", (0.1, 3), {"t_mul": 2.0, "m_mul": 0.5, "alpha": 0.1}),
    ("CosineDecayRestarts", (0.1, 3), {"t_mul": 1.0}),
]


@pytest.mark.parametrize("name,args,kwargs", SCHEDULES,
                         ids=[f"{n}-{'-'.join(k) or 'default'}" for n, _, k in SCHEDULES])
def test_schedule_values_and_config_match(tfk, name, args, kwargs):
    theirs = getattr(tfk.optimizers.schedules, name)(*args, **kwargs)
    ours = getattr(schedules, name)(*args, **kwargs)
    steps = range(0, 40)
    assert_close([float(ours(s)) for s in steps], [float(theirs(s)) for s in steps])
    assert_close([float(ours(torch.tensor(s))) for s in steps], [float(theirs(s)) for s in steps])
    assert ours.get_config() == theirs.get_config()
    assert schedules.serialize(ours) == tfk.optimizers.schedules.serialize(theirs)


def test_serialize_and_get_match(tfk):
    for name in ("adam", "SGD", "rmsprop", "Adagrad", "nadam", "adamw", "ftrl", "adadelta", "adamax"):
        ours, theirs = optimizers.get(name), tfk.optimizers.get(name)
        assert type(ours).__name__ == type(theirs).__name__
        assert optimizers.serialize(ours) == tfk.optimizers.serialize(theirs)
    config = tfk.optimizers.serialize(tfk.optimizers.RMSprop(0.5, momentum=0.3, clipvalue=2.0))
    assert optimizers.deserialize(config).get_config() == tfk.optimizers.deserialize(config).get_config()


def test_lr_keyword_sets_the_rate(tf, tfk):
    with pytest.warns(DeprecationWarning, match="use `learning_rate`"):
        our_opt = optimizers.Adam(lr=0.05)
    _run_side_by_side(tf, tfk.optimizers.Adam(learning_rate=0.05), our_opt)


def test_constraints_and_slots_in_keras_layout(tf, tfk):
    """A weight stored transposed: updates, slots and its MaxNorm constraint all act in tf.keras layout."""
    init = np.random.default_rng(1).normal(size=(4, 3)).astype("float32") * 2
    layout = Layout(to_keras=lambda t: t.transpose(0, 1), from_keras=lambda t: t.transpose(0, 1),
                    keras_shape=lambda s: (s[1], s[0]))
    theirs = tf.Variable(init, name="kernel", constraint=tfk.constraints.MaxNorm(1.5, axis=0))
    ours = Variable(torch.tensor(init.T.copy()), name="kernel:0", layout=layout)
    ours.constraint = constraints.MaxNorm(1.5, axis=0)
    tf_opt, our_opt = tfk.optimizers.Adam(0.3), optimizers.Adam(0.3)
    for g in _data(2)[1]:
        grad = np.resize(g[0], (4, 3))
        tf_opt.apply_gradients([(tf.constant(grad), theirs)])
        ours.grad = torch.tensor(grad.T.copy())
        our_opt.step([ours])
        assert_close(ours.numpy(), theirs)
    for mine, other in zip(our_opt.variables(), tf_opt.variables()):
        assert_close(mine.numpy(), other.numpy())
