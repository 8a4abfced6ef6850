"""The data layer against tf.keras's own data adapters: same errors, splits, class weights and epoch/step plans."""
import warnings

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api.engine import data_adapter as ours
from torchkeras_api.utils import nest


@pytest.fixture(scope="module")
def theirs(tfk):
    from tf_keras.src.engine import data_adapter
    return data_adapter


def to_numpy(value):
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def tf_batches(theirs, tf, *args, **kwargs):
    """(epoch, step, flat numpy leaves) for every batch of tf.keras's DataHandler."""
    handler = theirs.DataHandler(*args, **kwargs)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch, iterator in handler.enumerate_epochs():
            with handler.catch_stop_iteration():
                for step in handler.steps():
                    out.append((epoch, step, [to_numpy(t) for t in tf.nest.flatten(next(iterator))]))
    return out


def our_batches(*args, **kwargs):
    handler = ours.DataHandler(*args, **kwargs)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch, iterator in handler.enumerate_epochs():
            for step in handler.steps():
                out.append((epoch, step, [to_numpy(t) for t in nest.flatten(next(iterator))]))
    return out


def assert_same_batches(mine, tfs):
    assert [(e, s) for e, s, _ in mine] == [(e, s) for e, s, _ in tfs]
    for (_, _, a), (_, _, b) in zip(mine, tfs):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert u.shape == v.shape and u.dtype == v.dtype, (u.dtype, v.dtype)
            np.testing.assert_allclose(u, v)


def raised(fn):
    try:
        fn()
    except Exception as error:  # the error itself is what is compared
        return error
    return None


def assert_same_error(mine_fn, theirs_fn, prefix_only=False):
    mine, tfs = raised(mine_fn), raised(theirs_fn)
    assert tfs is not None and mine is not None, (mine, tfs)
    assert type(mine) is type(tfs)
    if prefix_only:
        assert str(mine).split("found:")[0] == str(tfs).split("found:")[0]
    else:
        assert str(mine) == str(tfs)


X = np.arange(20, dtype="float64").reshape(10, 2)
Y = np.arange(10)


def gen(*batches):
    yield from batches


@pytest.mark.parametrize("name, args, kwargs", [
    ("cardinality", (X, Y[:9]), {}),
    ("sample weight length", (X, Y), {"sample_weight": np.ones(7)}),
    ("x sizes", ([X, X[:4]], Y), {}),
    ("class weight multi-output", (X, [Y, Y]), {"class_weight": {0: 1.0}}),
    ("class weight missing class", (X, Y), {"class_weight": {0: 1.0, 2: 3.0}}),
    ("unsupported string", ("abc", Y), {}),
    ("unsupported set", ({1, 2}, None), {}),
    ("unsupported dict of ints", ({"a": 1}, None), {}),
    ("batch size", (X, Y), {"batch_size": 0}),
    ("steps per epoch", (X, Y), {"steps_per_epoch": 0}),
    ("initial epoch", (X, Y), {"initial_epoch": -1}),
    ("epochs", (X, Y), {"epochs": 0}),
    ("workers", (X, Y), {"workers": 0}),
    ("empty", (X[:0], Y[:0]), {}),
])
def test_same_errors(theirs, name, args, kwargs):
    assert_same_error(lambda: ours.DataHandler(*args, **kwargs), lambda: theirs.DataHandler(*args, **kwargs))


def test_same_errors_for_generators(theirs):
    assert_same_error(lambda: ours.DataHandler(gen((X, Y, Y, Y))), lambda: theirs.DataHandler(gen((X, Y, Y, Y))),
                      prefix_only=True)
    assert_same_error(lambda: ours.DataHandler(gen(X), Y), lambda: theirs.DataHandler(gen(X), Y))
    assert_same_error(lambda: ours.DataHandler(gen((X, {"a": Y})), class_weight={0: 1.0}),
                      lambda: theirs.DataHandler(gen((X, {"a": Y})), class_weight={0: 1.0}))


def test_same_errors_for_sequences(theirs, tfk):
    class Mine(keras.utils.Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return X[:2], Y[:2]

    class Theirs(tfk.utils.Sequence):
        __len__, __getitem__ = Mine.__len__, Mine.__getitem__

    assert_same_error(lambda: ours.DataHandler(Mine(), Y), lambda: theirs.DataHandler(Theirs(), Y))
    assert_same_error(lambda: ours.DataHandler(Mine(), sample_weight=Y),
                      lambda: theirs.DataHandler(Theirs(), sample_weight=Y))


def test_unpack_errors_alike(theirs):
    data = (1, 2, 3, 4)
    assert_same_error(lambda: ours.unpack_x_y_sample_weight(data), lambda: theirs.unpack_x_y_sample_weight(data))
    for value in [X, (X,), (X, Y), [X, Y], (X, Y, Y)]:
        mine, tfs = ours.unpack_x_y_sample_weight(value), theirs.unpack_x_y_sample_weight(value)
        assert [m is t for m, t in zip(mine, tfs)] == [True] * 3


@pytest.mark.parametrize("split", [0.1, 0.25, 0.3, 0.5, 0.8])
def test_validation_split_matches(theirs, split):
    arrays = ({"a": X, "b": X[:, :1]}, Y, None)
    mine_train, mine_val = ours.train_validation_split(arrays, split)
    tf_train, tf_val = theirs.train_validation_split(arrays, split)
    for mine, tfs in ((mine_train, tf_train), (mine_val, tf_val)):
        assert mine[2] is None and tfs[2] is None
        np.testing.assert_array_equal(mine[0]["a"], tfs[0]["a"])
        np.testing.assert_array_equal(mine[0]["b"], tfs[0]["b"])
        np.testing.assert_array_equal(mine[1], tfs[1])


@pytest.mark.parametrize("arrays, split", [((X[:1], Y[:1]), 0.5), ((X, Y), 0.9), (((i for i in range(3)), None), 0.2),
                                           (([1, 2, 3], None), 0.5)])
def test_validation_split_errors_match(theirs, arrays, split):
    assert_same_error(lambda: ours.train_validation_split(arrays, split),
                      lambda: theirs.train_validation_split(arrays, split))


CLASS_WEIGHT = {0: 0.5, 1: 2.0, 2: 3.0}


@pytest.mark.parametrize("y, sample_weight", [
    (np.array([0, 1, 2, 1, 0]), None),
    (np.array([0.0, 1.0, 2.0, 1.0, 2.0]), None),
    (np.array([[0], [2], [1], [1], [0]]), None),
    (np.eye(3)[[0, 1, 2, 1, 2]], None),
    (np.eye(3)[np.array([[0, 1], [2, 2], [1, 0], [0, 0], [2, 1]])], None),
    (np.array([0, 1, 2, 1, 0]), np.array([1.0, 2.0, 3.0, 4.0, 5.0])),
    (np.array([0, 1, 2, 1, 0]), np.array([1, 2, 3, 4, 5])),
])
def test_class_weight_matches(theirs, tf, y, sample_weight):
    x = np.zeros((5, 1))
    # One batch: tf.keras itself fails to combine class and sample weights in batches of unknown size.
    kwargs = dict(sample_weight=sample_weight, batch_size=5, class_weight=CLASS_WEIGHT)
    mine = our_batches(x, y, **kwargs)
    tfs = tf_batches(theirs, tf, x, y, **kwargs)
    for (_, _, a), (_, _, b) in zip(mine, tfs):
        np.testing.assert_allclose(a[2], b[2])
        if sample_weight is not None:
            assert a[2].dtype == b[2].dtype


@pytest.mark.parametrize("kwargs", [
    {},
    {"batch_size": 3},
    {"steps_per_epoch": 3},
    {"batch_size": 3, "steps_per_epoch": 2, "epochs": 3},
    {"batch_size": 3, "steps_per_epoch": 5, "epochs": 3},
    {"batch_size": 4, "initial_epoch": 1, "epochs": 3},
])
def test_array_epoch_and_step_plans_match(theirs, tf, kwargs):
    assert_same_batches(our_batches(X, Y, **kwargs), tf_batches(theirs, tf, X, Y, **kwargs))


def test_nested_array_batches_match(theirs, tf):
    x = {"a": X, "b": Y.astype("int32")}
    y = [Y.astype("float64"), X]
    sample_weight = [None, np.ones(10)]
    assert_same_batches(our_batches(x, y, sample_weight=sample_weight, batch_size=4),
                        tf_batches(theirs, tf, x, y, sample_weight=sample_weight, batch_size=4))


@pytest.mark.parametrize("kwargs", [{}, {"epochs": 3}, {"steps_per_epoch": 2, "epochs": 2},
                                    {"steps_per_epoch": 5, "epochs": 2}, {"batch_size": 4}])
def test_generator_epoch_and_step_plans_match(theirs, tf, kwargs):
    def make():
        return gen(*[(X[i:i + 2], {"output1": Y[i:i + 2], "output2": X[i:i + 2]}) for i in range(0, 10, 2)])

    assert_same_batches(our_batches(make(), **kwargs), tf_batches(theirs, tf, make(), **kwargs))


def test_sequence_calls_match(theirs, tf, tfk):
    def make(base):
        class Numbers(base):
            def __init__(self):
                self.log = []

            def __len__(self):
                return 3

            def __getitem__(self, i):
                self.log.append(i)
                return np.full((2, 1), float(i)), np.full((2,), i)

            def on_epoch_end(self):
                self.log.append("end")

        return Numbers()

    mine, tfs = make(keras.utils.Sequence), make(tfk.utils.Sequence)
    assert_same_batches(our_batches(mine, epochs=2), tf_batches(theirs, tf, tfs, epochs=2))
    assert mine.log == tfs.log
    kwargs = {"epochs": 2, "steps_per_epoch": 2}
    assert_same_batches(our_batches(mine, **kwargs), tf_batches(theirs, tf, tfs, **kwargs))
