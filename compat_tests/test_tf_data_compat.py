"""tf.data on torch against the real tf.data: element values, order, dtypes, specs and cardinalities of the same
pipelines, shuffle semantics, and training on a dataset in tf.keras and in torchkeras_api."""
import collections

import numpy as np
import pytest

import torchkeras_api as keras
from torchkeras_api import data as ours_data

Point = collections.namedtuple("Point", "a b")
X = np.arange(24, dtype="float32").reshape(12, 2)
Y = np.arange(12, dtype="int64") % 3


PIPELINES = {
    "slices_array": lambda D, tf: D.from_tensor_slices(X),
    "slices_tuple": lambda D, tf: D.from_tensor_slices((X, Y)),
    "slices_dict": lambda D, tf: D.from_tensor_slices({"x": X, "y": Y}),
    "slices_namedtuple": lambda D, tf: D.from_tensor_slices(Point(X, Y)),
    "slices_python_lists": lambda D, tf: D.from_tensor_slices(([[1, 2], [3, 4]], [1.5, 2.5])),
    "slices_strings": lambda D, tf: D.from_tensor_slices(np.array(["a", "bb", "ccc"])),
    "from_tensors": lambda D, tf: D.from_tensors(([1, 2, 3], 2.0)),
    "range": lambda D, tf: D.range(7),
    "range_start_stop_step": lambda D, tf: D.range(2, 20, 3),
    "range_negative_step": lambda D, tf: D.range(10, 2, -3),
    "batch": lambda D, tf: D.range(10).batch(3),
    "batch_drop_remainder": lambda D, tf: D.range(10).batch(3, drop_remainder=True),
    "batch_slices": lambda D, tf: D.from_tensor_slices((X, Y)).batch(5),
    "batch_across_repeat": lambda D, tf: D.from_tensor_slices(X).repeat(3).batch(5),
    "batch_skip_take": lambda D, tf: D.from_tensor_slices((X, Y)).skip(3).take(7).batch(4),
    "batch_map": lambda D, tf: D.range(10).map(lambda x: (x, x * 2)).batch(4),
    "batch_dict": lambda D, tf: D.from_tensor_slices({"x": X, "y": Y}).batch(5),
    "batch_strings": lambda D, tf: D.from_tensor_slices(np.array(["a", "bb", "ccc"])).batch(2),
    "unbatch": lambda D, tf: D.from_tensor_slices((X, Y)).batch(5).unbatch(),
    "rebatch": lambda D, tf: D.range(10).batch(3).unbatch().batch(4),
    "map_tuple_args": lambda D, tf: D.from_tensor_slices((X, Y)).map(lambda x, y: x[0] + 1),
    "map_dict": lambda D, tf: D.from_tensor_slices({"x": X, "y": Y}).map(lambda d: {"z": d["y"] * 2}),
    "map_list_to_tuple": lambda D, tf: D.range(4).map(lambda x: [x, x + 1]),
    "map_parallel": lambda D, tf: D.range(20).map(lambda x: x * x, num_parallel_calls=4),
    "map_autotune": lambda D, tf: D.range(20).map(lambda x: x + 1, num_parallel_calls=-1, deterministic=True),
    "filter": lambda D, tf: D.range(10).filter(lambda x: x % 3 == 0),
    "repeat": lambda D, tf: D.range(3).repeat(2),
    "take_skip": lambda D, tf: D.range(10).skip(2).take(5),
    "take_all": lambda D, tf: D.range(5).take(-1),
    "skip_past_end": lambda D, tf: D.range(5).repeat(2).skip(7),
    "take_of_infinite": lambda D, tf: D.range(3).repeat().take(7),
    "concatenate": lambda D, tf: D.range(3).concatenate(D.range(5, 8)),
    "enumerate": lambda D, tf: D.range(3, 6).enumerate(10),
    "zip_tuple": lambda D, tf: D.zip((D.range(3), D.range(5, 10))),
    "zip_args": lambda D, tf: D.zip(D.range(3), D.from_tensor_slices(X)),
    "zip_dict": lambda D, tf: D.zip({"a": D.range(4), "b": D.range(4).map(lambda x: x * 3)}),
    "flat_map": lambda D, tf: D.range(4).flat_map(lambda x: D.range(x)),
    "interleave_blocks": lambda D, tf: D.range(1, 4).interleave(
        lambda x: D.from_tensors(x).repeat(3), cycle_length=2, block_length=2),
    "interleave_uneven": lambda D, tf: D.range(1, 6).interleave(
        lambda x: D.range(x).map(lambda y: x * 10 + y), cycle_length=3),
    "window": lambda D, tf: D.range(7).window(3).flat_map(lambda w: w.batch(3)),
    "window_shift_stride": lambda D, tf: D.range(9).window(3, shift=2, stride=2).flat_map(lambda w: w.batch(3)),
    "window_drop": lambda D, tf: D.range(7).window(3, shift=2, drop_remainder=True).flat_map(lambda w: w.batch(3)),
    "window_tuple": lambda D, tf: D.from_tensor_slices((X, Y)).window(5).flat_map(
        lambda a, b: D.zip((a.batch(5), b.batch(5)))),
    "shard": lambda D, tf: D.range(10).shard(3, 1),
    "shuffle_buffer_one": lambda D, tf: D.range(10).shuffle(1),
    "prefetch": lambda D, tf: D.range(10).batch(3).prefetch(2),
    "cache": lambda D, tf: D.range(5).map(lambda x: x * 2).cache(),
    "apply": lambda D, tf: D.range(5).apply(lambda ds: ds.map(lambda x: x + 1)),
}


def _assert_same_elements(ours, theirs, context):
    assert type(ours) is type(theirs) or (isinstance(ours, tuple) and isinstance(theirs, tuple)), (context, ours)
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs), context
        for key in theirs:
            _assert_same_elements(ours[key], theirs[key], context)
    elif isinstance(theirs, tuple):
        assert len(ours) == len(theirs) and type(ours).__name__ == type(theirs).__name__, context
        for a, b in zip(ours, theirs):
            _assert_same_elements(a, b, context)
    else:
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        assert ours.dtype == theirs.dtype, (context, ours.dtype, theirs.dtype)
        assert ours.shape == theirs.shape, (context, ours.shape, theirs.shape)
        np.testing.assert_array_equal(ours, theirs, err_msg=str(context))


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_pipeline_elements_match(tf, name):
    ours = PIPELINES[name](ours_data.Dataset, None)
    theirs = PIPELINES[name](tf.data.Dataset, tf)
    ours_elements, theirs_elements = list(ours.as_numpy_iterator()), list(theirs.as_numpy_iterator())
    assert len(ours_elements) == len(theirs_elements)
    for index, (a, b) in enumerate(zip(ours_elements, theirs_elements)):
        _assert_same_elements(a, b, (name, index))
    assert int(ours.cardinality()) == int(theirs.cardinality())


@pytest.mark.parametrize("name", ["slices_tuple", "slices_dict", "slices_namedtuple", "slices_python_lists",
                                  "slices_strings", "range", "batch", "batch_drop_remainder", "batch_dict",
                                  "unbatch", "enumerate", "zip_dict"])
def test_element_spec_matches(tf, name):
    ours = PIPELINES[name](ours_data.Dataset, None).element_spec
    theirs = PIPELINES[name](tf.data.Dataset, tf).element_spec
    ours_flat, theirs_flat = tf.nest.flatten(ours), tf.nest.flatten(theirs)
    assert len(ours_flat) == len(theirs_flat)
    for a, b in zip(ours_flat, theirs_flat):
        assert list(a.shape) == b.shape.as_list()
        assert str(a.dtype).replace("torch.", "") == b.dtype.name


CARDINALITIES = {
    "repeat_infinite": lambda D: D.range(10).repeat(),
    "repeat_count": lambda D: D.range(10).repeat(3),
    "filter": lambda D: D.range(10).filter(lambda x: x > 2),
    "infinite_take": lambda D: D.range(10).repeat().take(5),
    "skip": lambda D: D.range(10).skip(3),
    "skip_past_end": lambda D: D.range(10).skip(30),
    "take_minus_one": lambda D: D.range(10).take(-1),
    "skip_minus_one": lambda D: D.range(10).skip(-1),
    "unknown_take": lambda D: D.range(10).filter(lambda x: x > 2).take(3),
    "infinite_batch": lambda D: D.range(10).repeat().batch(3),
    "empty_repeat": lambda D: D.range(0).repeat(),
    "repeat_zero": lambda D: D.range(10).repeat(0),
    "unknown_repeat": lambda D: D.range(3).filter(lambda x: True).repeat(),
    "unknown_repeat_zero": lambda D: D.range(3).filter(lambda x: True).repeat(0),
    "unknown_skip": lambda D: D.range(3).filter(lambda x: True).skip(2),
    "infinite_skip": lambda D: D.range(3).repeat().skip(2),
    "batch": lambda D: D.range(7).batch(3),
    "batch_drop": lambda D: D.range(7).batch(3, drop_remainder=True),
    "unknown_batch": lambda D: D.range(3).filter(lambda x: True).batch(2),
    "shuffle": lambda D: D.range(6).shuffle(3),
    "cache_prefetch_map": lambda D: D.range(6).cache().prefetch(2).map(lambda x: x),
    "unbatch": lambda D: D.range(6).batch(4).unbatch(),
    "flat_map": lambda D: D.range(3).flat_map(lambda x: D.range(x)),
    "interleave": lambda D: D.range(3).interleave(lambda x: D.range(x)),
    "concatenate": lambda D: D.range(3).concatenate(D.range(2)),
    "concatenate_infinite": lambda D: D.range(3).concatenate(D.range(2).repeat()),
    "zip_finite_infinite": lambda D: D.zip((D.range(3), D.range(2).repeat())),
    "zip_infinite": lambda D: D.zip((D.range(3).repeat(), D.range(2).repeat())),
    "zip_unknown": lambda D: D.zip((D.range(3).filter(lambda x: True), D.range(2))),
    "padded_batch": lambda D: D.range(6).padded_batch(4),
    "window": lambda D: D.range(7).window(3),
    "window_drop": lambda D: D.range(10).window(3, shift=2, stride=2, drop_remainder=True),
    "shard": lambda D: D.range(10).shard(3, 1),
    "enumerate": lambda D: D.range(6).enumerate(),
    "from_tensors": lambda D: D.from_tensors([1, 2]),
    "from_generator": lambda D: D.from_generator(lambda: iter([1, 2]), output_types="int64"),
}


@pytest.mark.parametrize("name", sorted(CARDINALITIES))
def test_cardinality_matches(tf, name):
    theirs = int(CARDINALITIES[name](tf.data.Dataset).cardinality())
    ours_dataset = CARDINALITIES[name](ours_data.Dataset)
    assert int(ours_dataset.cardinality()) == theirs
    assert int(ours_data.experimental.cardinality(ours_dataset)) == theirs
    if theirs >= 0:
        assert len(ours_dataset) == theirs
    else:
        with pytest.raises(TypeError, match="infinite" if theirs == -1 else "unknown"):
            len(ours_dataset)


def test_constants_match(tf):
    assert ours_data.AUTOTUNE == tf.data.AUTOTUNE == ours_data.experimental.AUTOTUNE
    assert ours_data.INFINITE_CARDINALITY == tf.data.INFINITE_CARDINALITY
    assert ours_data.UNKNOWN_CARDINALITY == tf.data.UNKNOWN_CARDINALITY
    assert ours_data.experimental.INFINITE_CARDINALITY == tf.data.experimental.INFINITE_CARDINALITY
    assert ({p.name: p.value for p in ours_data.experimental.AutoShardPolicy}
            == {p.name: p.value for p in tf.data.experimental.AutoShardPolicy})


def _ragged(D):
    return D.range(1, 6).flat_map(lambda n: D.range(n).batch(10))


@pytest.mark.parametrize("kwargs", [
    {},
    {"padded_shapes": [7]},
    {"padded_shapes": [None], "padding_values": -1},
    {"drop_remainder": True},
])
def test_padded_batch_matches(tf, kwargs):
    theirs_kwargs = dict(kwargs)
    if "padding_values" in kwargs:
        theirs_kwargs["padding_values"] = np.int64(kwargs["padding_values"])
    ours = list(_ragged(ours_data.Dataset).padded_batch(2, **kwargs).as_numpy_iterator())
    theirs = list(_ragged(tf.data.Dataset).padded_batch(2, **theirs_kwargs).as_numpy_iterator())
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        _assert_same_elements(a, b, kwargs)


def test_padded_batch_of_structures_matches(tf):
    def build(D):
        ragged = D.range(1, 5).flat_map(lambda n: D.range(n).batch(10))
        return D.zip((ragged, ragged)).padded_batch(3, padded_shapes=([None], [6]),
                                                    padding_values=(np.int64(7), np.int64(9)))
    for a, b in zip(build(ours_data.Dataset).as_numpy_iterator(), build(tf.data.Dataset).as_numpy_iterator()):
        _assert_same_elements(a, b, "structure")


def test_from_generator_matches(tf):
    def gen(n):
        for i in range(int(n)):
            yield i, [1.5] * i

    def build(D, signature):
        return D.from_generator(gen, output_signature=signature, args=(4,))
    ours = build(ours_data.Dataset, (ours_data.TensorSpec((), "int32"), ours_data.TensorSpec((None,), "float32")))
    theirs = build(tf.data.Dataset, (tf.TensorSpec((), tf.int32), tf.TensorSpec((None,), tf.float32)))
    for a, b in zip(list(ours.as_numpy_iterator()), list(theirs.as_numpy_iterator())):
        _assert_same_elements(a, b, "generator")
    old_style = ours_data.Dataset.from_generator(gen, output_types=("int64", "float64"), output_shapes=((), (None,)),
                                                 args=(3,))
    old_theirs = tf.data.Dataset.from_generator(gen, output_types=(tf.int64, tf.float64),
                                                output_shapes=((), (None,)), args=(3,))
    for a, b in zip(list(old_style.as_numpy_iterator()), list(old_theirs.as_numpy_iterator())):
        _assert_same_elements(a, b, "generator types")


def test_shuffle_full_buffer_is_a_new_permutation_each_epoch(tf):
    for D in (ours_data.Dataset, tf.data.Dataset):
        dataset = D.range(50).shuffle(50)
        first, second = list(dataset.as_numpy_iterator()), list(dataset.as_numpy_iterator())
        assert sorted(first) == sorted(second) == list(range(50))
        assert first != second and first != list(range(50))
        fixed = D.range(50).shuffle(50, seed=3, reshuffle_each_iteration=False)
        assert list(fixed.as_numpy_iterator()) == list(fixed.as_numpy_iterator())


@pytest.mark.parametrize("buffer_size", [2, 5])
def test_shuffle_draws_only_from_its_buffer(tf, buffer_size):
    """Output position i can only hold input elements 0..i+buffer_size-1, in both libraries."""
    for D in (ours_data.Dataset, tf.data.Dataset):
        for seed in range(5):
            order = list(D.range(30).shuffle(buffer_size, seed=seed).as_numpy_iterator())
            assert sorted(order) == list(range(30))
            assert all(value < position + buffer_size for position, value in enumerate(order))


def _model(lib, weights=None):
    model = lib.Sequential([lib.layers.Dense(4, activation="tanh", input_shape=(3,)), lib.layers.Dense(1)])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    if weights is not None:
        model.set_weights(weights)
    return model


def test_fit_on_dataset_matches_tf_keras(tf, tfk):
    rng = np.random.default_rng(0)
    x = rng.random((20, 3)).astype("float32")
    y = rng.random((20, 1)).astype("float32")
    weights = rng.random((20,)).astype("float32")
    theirs = _model(tfk)
    ours = _model(keras, theirs.get_weights())
    theirs_history = theirs.fit(tf.data.Dataset.from_tensor_slices((x, y, weights)).batch(6), epochs=3, verbose=0,
                                validation_data=tf.data.Dataset.from_tensor_slices((x, y)).batch(7))
    ours_history = ours.fit(ours_data.Dataset.from_tensor_slices((x, y, weights)).batch(6), epochs=3, verbose=0,
                            validation_data=ours_data.Dataset.from_tensor_slices((x, y)).batch(7))
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(ours_history.history[key], theirs_history.history[key], rtol=1e-5)
    np.testing.assert_allclose(ours.predict(ours_data.Dataset.from_tensor_slices(x).batch(8), verbose=0),
                               theirs.predict(tf.data.Dataset.from_tensor_slices(x).batch(8), verbose=0), rtol=1e-5)
    np.testing.assert_allclose(ours.evaluate(ours_data.Dataset.from_tensor_slices((x, y)).batch(8), verbose=0),
                               theirs.evaluate(tf.data.Dataset.from_tensor_slices((x, y)).batch(8), verbose=0),
                               rtol=1e-5)


def test_fit_with_steps_per_epoch_on_repeated_dataset_matches_tf_keras(tf, tfk):
    rng = np.random.default_rng(1)
    x = rng.random((10, 3)).astype("float32")
    y = rng.random((10, 1)).astype("float32")
    theirs = _model(tfk)
    ours = _model(keras, theirs.get_weights())
    theirs_history = theirs.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(4).repeat(), steps_per_epoch=2,
                                epochs=3, verbose=0)
    ours_history = ours.fit(ours_data.Dataset.from_tensor_slices((x, y)).batch(4).repeat(), steps_per_epoch=2,
                            epochs=3, verbose=0)
    np.testing.assert_allclose(ours_history.history["loss"], theirs_history.history["loss"], rtol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"y": np.zeros((10, 1), "float32")}, "`y` argument is not supported when using dataset as input."),
    ({"sample_weight": np.ones(10, "float32")},
     "`sample_weight` argument is not supported when using dataset as input."),
])
def test_fit_rejects_y_and_sample_weight_like_tf_keras(tf, tfk, kwargs, message):
    x = np.zeros((10, 3), "float32")
    y = np.zeros((10, 1), "float32")
    for lib, D in ((tfk, tf.data.Dataset), (keras, ours_data.Dataset)):
        with pytest.raises(ValueError, match=message.replace("`", ".")):
            _model(lib).fit(D.from_tensor_slices((x, y)).batch(4), verbose=0, **kwargs)


def test_fit_rejects_infinite_dataset_without_steps_like_tf_keras(tf, tfk):
    x = np.zeros((10, 3), "float32")
    y = np.zeros((10, 1), "float32")
    for lib, D in ((tfk, tf.data.Dataset), (keras, ours_data.Dataset)):
        with pytest.raises(ValueError, match="When providing an infinite dataset, you must specify the number of "
                                             "steps to run"):
            _model(lib).fit(D.from_tensor_slices((x, y)).batch(4).repeat(), verbose=0)
