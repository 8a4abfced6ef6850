"""tf.data on torch: sources, transformations, laziness, threads, caching, specs, errors, and training on datasets."""
import collections
import gc
import threading
import time

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api.data import AUTOTUNE, Dataset, InvalidArgumentError, Options, TensorSpec

Point = collections.namedtuple("Point", "a b")


def values(dataset):
    """The elements as Python ints (scalars) or lists."""
    return [np.asarray(e).tolist() for e in dataset.as_numpy_iterator()]


def _tf_data_threads():
    return [t for t in threading.enumerate() if t.name.startswith("tf.data")]


def _wait_for_no_threads(timeout=3.0):
    deadline = time.time() + timeout
    while _tf_data_threads() and time.time() < deadline:
        time.sleep(0.01)
    return _tf_data_threads()


# ---- sources -------------------------------------------------------------------------------------------------------
def test_from_tensor_slices_structures_and_dtypes():
    x = np.arange(6, dtype="float64").reshape(3, 2)
    a, b = next(iter(Dataset.from_tensor_slices((x, [1, 2, 3]))))
    assert isinstance(a, torch.Tensor) and a.dtype == torch.float64 and a.tolist() == [0.0, 1.0]
    assert b.dtype == torch.int32 and int(b) == 1
    element = next(iter(Dataset.from_tensor_slices({"x": x, "y": [0.5, 1.5, 2.5]})))
    assert element["y"].dtype == torch.float32 and element["x"].tolist() == [0.0, 1.0]
    point = next(iter(Dataset.from_tensor_slices(Point(x, np.arange(3)))))
    assert isinstance(point, Point) and point.b.dtype == torch.int64
    assert values(Dataset.from_tensor_slices([[1, 2], [3, 4]])) == [[1, 2], [3, 4]]
    assert values(Dataset.from_tensor_slices([2 ** 40])) == [2 ** 40]
    assert list(Dataset.from_tensor_slices(np.array(["a", "bb"])).as_numpy_iterator()) == [b"a", b"bb"]


def test_from_tensor_slices_snapshots_numpy_input():
    x = np.arange(4)
    dataset = Dataset.from_tensor_slices(x)
    x[:] = 100
    assert values(dataset) == [0, 1, 2, 3]


def test_from_tensor_slices_errors():
    with pytest.raises(ValueError, match="Dimensions 3 and 4 are not compatible"):
        Dataset.from_tensor_slices((np.ones(3), np.ones(4)))
    with pytest.raises(ValueError, match="rank >= 1"):
        Dataset.from_tensor_slices(np.float32(3))


def test_from_tensors_is_one_element():
    dataset = Dataset.from_tensors(([1, 2, 3], "s"))
    assert len(dataset) == 1
    (tensor, string), = list(dataset.as_numpy_iterator())
    assert tensor.tolist() == [1, 2, 3] and string == b"s"


@pytest.mark.parametrize("args", [(5,), (2, 9), (2, 20, 3), (10, 2, -3), (3, 3)])
def test_range_matches_python_range(args):
    dataset = Dataset.range(*args)
    assert values(dataset) == list(range(*args))
    assert len(dataset) == len(range(*args))
    assert dataset.element_spec == TensorSpec((), torch.int64)


def test_range_errors_and_output_type():
    with pytest.raises(ValueError, match="between 1 and 3 but was 0"):
        Dataset.range()
    with pytest.raises(TypeError, match="Cannot convert 3.5"):
        Dataset.range(3.5)
    with pytest.raises(InvalidArgumentError, match="step must be a non-zero integer"):
        Dataset.range(0, 5, 0)
    assert next(iter(Dataset.range(3, output_type=torch.int32))).dtype == torch.int32


def test_from_generator_calls_generator_each_iteration_with_numpy_args():
    calls = []

    def gen(n, label):
        calls.append((type(n), label))
        for i in range(int(n)):
            yield i, [1.0] * i

    dataset = Dataset.from_generator(gen, output_types=("int32", "float32"), output_shapes=((), (None,)),
                                     args=(3, "name"))
    assert calls == []
    assert [(int(i), v.tolist()) for i, v in dataset] == [(0, []), (1, [1.0]), (2, [1.0, 1.0])]
    list(dataset)
    assert calls == [(np.int32, b"name")] * 2
    assert next(iter(dataset))[1].dtype == torch.float32
    assert int(dataset.cardinality()) == -2


def test_from_generator_errors():
    with pytest.raises(TypeError, match="must be a Python callable"):
        Dataset.from_generator(5, output_types="int32")
    with pytest.raises(TypeError, match="either the `output_signature` argument or the `output_types`"):
        Dataset.from_generator(lambda: iter([]))
    mismatch = Dataset.from_generator(lambda: iter([[1, 2, 3]]), output_signature=TensorSpec((2,), "int32"))
    with pytest.raises(InvalidArgumentError, match=r"shape \(3,\) where an element of shape \(2,\)"):
        list(mismatch)
    with pytest.raises(InvalidArgumentError, match="did not match the expected structure"):
        list(Dataset.from_generator(lambda: iter([1.5]), output_types="int32"))


def test_zip_structures_and_errors():
    assert values(Dataset.zip(Dataset.range(3), Dataset.range(5, 10))) == [[0, 5], [1, 6], [2, 7]]
    element = next(iter(Dataset.zip({"a": Dataset.range(2), "b": Dataset.range(4, 6)})))
    assert {k: int(v) for k, v in element.items()} == {"a": 0, "b": 4}
    with pytest.raises(TypeError, match="Invalid input to `zip`"):
        Dataset.zip((Dataset.range(3), 5))


def test_list_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_text("x")
    listed = list(Dataset.list_files(str(tmp_path / "*.txt"), shuffle=False).as_numpy_iterator())
    assert listed == [str(tmp_path / "a.txt").encode(), str(tmp_path / "b.txt").encode()]
    assert sorted(Dataset.list_files(str(tmp_path / "*.txt"), seed=1).as_numpy_iterator()) == listed
    with pytest.raises(InvalidArgumentError, match="No files matched pattern"):
        Dataset.list_files(str(tmp_path / "*.png"))


# ---- laziness ------------------------------------------------------------------------------------------------------
def test_datasets_are_lazy_and_each_iteration_starts_afresh():
    calls = []
    dataset = Dataset.range(4).map(lambda x: calls.append(int(x)) or x * 2)
    assert calls == []
    iterator = iter(dataset)
    assert int(next(iterator)) == 0 and calls == [0]
    assert values(dataset) == [0, 2, 4, 6]
    assert int(next(iterator)) == 2
    assert calls == [0, 0, 1, 2, 3, 1]


# ---- batching ------------------------------------------------------------------------------------------------------
def test_batch_and_drop_remainder():
    expected = [list(range(i, min(i + 3, 10))) for i in range(0, 10, 3)]
    assert values(Dataset.range(10).batch(3)) == expected
    assert values(Dataset.range(10).batch(3, drop_remainder=True)) == expected[:3]
    assert Dataset.range(10).batch(3, drop_remainder=True).element_spec.shape == (3,)
    assert Dataset.range(10).batch(3).element_spec.shape == (None,)


@pytest.mark.parametrize("build", [
    lambda d: d.repeat(3).batch(5),
    lambda d: d.skip(3).take(9).batch(4),
    lambda d: d.batch(3).unbatch().batch(4),
    lambda d: d.concatenate(d).batch(7),
    lambda d: d.cache().batch(6),
])
def test_batches_cut_from_blocks_match_elementwise_batching(build):
    data = np.arange(22).reshape(11, 2)
    fast = build(Dataset.from_tensor_slices(data))
    slow = build(Dataset.from_tensor_slices(data).map(lambda x: x))
    assert values(fast) == values(slow)
    assert len(values(fast)) > 1


def test_batch_of_slices_is_views_of_the_source():
    data = torch.arange(12.0).reshape(6, 2)
    first = next(iter(Dataset.from_tensor_slices(data).batch(3)))
    assert first.data_ptr() == data.data_ptr()


def test_batch_errors():
    with pytest.raises(InvalidArgumentError, match="Batch size must be greater than zero"):
        Dataset.range(3).batch(0)
    ragged = Dataset.range(1, 4).map(lambda n: torch.zeros(int(n)))
    with pytest.raises(InvalidArgumentError, match="Cannot batch tensors with different shapes in component 0"):
        list(ragged.batch(3))


def test_unbatch():
    dataset = Dataset.from_tensor_slices((np.arange(10), np.arange(10) * 2)).batch(4).unbatch()
    assert values(dataset) == [[i, 2 * i] for i in range(10)]
    assert int(dataset.cardinality()) == -2
    with pytest.raises(ValueError, match="Cannot unbatch an input with scalar components"):
        list(Dataset.range(3).unbatch())


def test_padded_batch_values():
    ragged = Dataset.range(1, 5).map(lambda n: torch.full((int(n),), int(n)))
    expected = [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    assert values(ragged.padded_batch(2)) == expected
    assert values(ragged.padded_batch(2, padded_shapes=[5], padding_values=-1)) == [
        [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]], [[3, 3, 3, -1, -1], [4, 4, 4, 4, -1]]]
    with pytest.raises(InvalidArgumentError, match="pad to a smaller size"):
        list(ragged.padded_batch(2, padded_shapes=[2]))


def test_window():
    windows = Dataset.range(7).window(3, shift=2).flat_map(lambda w: w.batch(3))
    assert values(windows) == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
    assert len(Dataset.range(7).window(3, shift=2)) == 4


# ---- shuffling -----------------------------------------------------------------------------------------------------
def test_shuffle_buffer_of_one_keeps_order():
    assert values(Dataset.range(20).shuffle(1)) == list(range(20))


@pytest.mark.parametrize("source", [Dataset.range(40), Dataset.range(40).map(lambda x: x)])
def test_full_buffer_shuffle_is_a_fresh_permutation_each_iteration(source):
    dataset = source.shuffle(40)
    first, second = values(dataset), values(dataset)
    assert sorted(first) == sorted(second) == list(range(40))
    assert first != second and first != list(range(40))


def test_shuffle_seed_and_reshuffle_each_iteration():
    fixed = Dataset.range(30).shuffle(30, seed=5, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    again = Dataset.range(30).shuffle(30, seed=5, reshuffle_each_iteration=False)
    assert values(again) == values(fixed)
    seeded = Dataset.range(30).shuffle(30, seed=5)
    twin = Dataset.range(30).shuffle(30, seed=5)
    assert [values(seeded), values(seeded)] == [values(twin), values(twin)]
    keras.utils.set_random_seed(7)
    unseeded = values(Dataset.range(30).shuffle(8))
    keras.utils.set_random_seed(7)
    assert values(Dataset.range(30).shuffle(8)) == unseeded


def test_shuffle_draws_only_from_its_buffer():
    for seed in range(10):
        order = values(Dataset.range(50).shuffle(4, seed=seed))
        assert sorted(order) == list(range(50))
        assert all(value < position + 4 for position, value in enumerate(order))


def test_shuffle_then_batch_keeps_rows_together():
    data = np.stack([np.arange(30), np.arange(30) * 10], axis=1)
    batches = values(Dataset.from_tensor_slices(data).shuffle(30).batch(8))
    rows = [row for batch in batches for row in batch]
    assert sorted(rows) == data.tolist()
    assert [len(b) for b in batches] == [8, 8, 8, 6]


def test_shuffle_rejects_empty_buffer():
    with pytest.raises(InvalidArgumentError, match="buffer_size must be greater than zero"):
        Dataset.range(3).shuffle(0)


# ---- user functions ------------------------------------------------------------------------------------------------
def test_map_unpacks_tuples_and_converts_results():
    pairs = Dataset.from_tensor_slices((np.arange(3), np.arange(3) * 10))
    assert values(pairs.map(lambda a, b: a + b)) == [0, 11, 22]
    assert values(Dataset.range(3).map(lambda x: [x, x + 1])) == [[0, 1], [1, 2], [2, 3]]
    assert isinstance(next(iter(Dataset.range(3).map(lambda x: [x, 1]))), tuple)
    points = Dataset.from_tensor_slices(Point(np.arange(3), np.arange(3))).map(lambda p: p.a * 2)
    assert values(points) == [0, 2, 4]
    with pytest.raises(TypeError, match="`map_func` must be a callable"):
        Dataset.range(3).map(5)


def test_parallel_map_runs_calls_concurrently_and_keeps_order():
    barrier = threading.Barrier(2, timeout=5)

    def slow(x):
        barrier.wait()
        time.sleep(0.002 * (5 - int(x) % 5))
        return x * 3

    assert values(Dataset.range(10).map(slow, num_parallel_calls=2)) == [3 * i for i in range(10)]
    barrier.reset()
    unordered = values(Dataset.range(10).map(slow, num_parallel_calls=2, deterministic=False))
    assert sorted(unordered) == [3 * i for i in range(10)]
    assert values(Dataset.range(6).map(lambda x: x + 1, num_parallel_calls=AUTOTUNE)) == list(range(1, 7))
    with pytest.raises(InvalidArgumentError, match="num_parallel_calls must be greater than zero"):
        Dataset.range(3).map(lambda x: x, num_parallel_calls=0)


def test_filter():
    assert values(Dataset.range(10).filter(lambda x: x % 3 == 0)) == [0, 3, 6, 9]
    with pytest.raises(ValueError, match="`predicate` must return a `tf.bool` scalar tensor"):
        list(Dataset.range(3).filter(lambda x: x))


def test_flat_map_interleave_enumerate_concatenate_shard():
    assert values(Dataset.range(4).flat_map(lambda n: Dataset.range(n))) == [0, 0, 1, 0, 1, 2]
    interleaved = Dataset.range(1, 4).interleave(lambda x: Dataset.from_tensors(x).repeat(3), cycle_length=2,
                                                 block_length=2)
    assert values(interleaved) == [1, 1, 2, 2, 1, 2, 3, 3, 3]
    assert values(Dataset.range(3).enumerate(start=5)) == [[5, 0], [6, 1], [7, 2]]
    assert values(Dataset.range(2).concatenate(Dataset.range(7, 9))) == [0, 1, 7, 8]
    assert values(Dataset.range(10).shard(3, 1)) == [1, 4, 7]
    with pytest.raises(TypeError, match="must return a `Dataset`"):
        list(Dataset.range(3).flat_map(lambda x: x))
    with pytest.raises(InvalidArgumentError, match="Index must be between 0 and 1"):
        Dataset.range(3).shard(2, 2)


def test_reduce_apply_and_single_element():
    total = Dataset.range(5).reduce(np.int64(0), lambda state, x: state + x)
    assert isinstance(total, torch.Tensor) and int(total) == 10
    assert values(Dataset.range(3).apply(lambda d: d.map(lambda x: x * 2))) == [0, 2, 4]
    with pytest.raises(TypeError, match="must return a `tf.data.Dataset`"):
        Dataset.range(3).apply(lambda d: 5)
    assert int(Dataset.range(1).get_single_element()) == 0
    with pytest.raises(InvalidArgumentError, match="more than one element"):
        Dataset.range(2).get_single_element()


def test_repeat_take_skip():
    assert values(Dataset.range(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert values(Dataset.range(3).repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert values(Dataset.range(5).skip(2).take(2)) == [2, 3]
    assert values(Dataset.range(5).skip(-1)) == [] and values(Dataset.range(5).take(-1)) == list(range(5))
    assert values(Dataset.range(0).repeat()) == []


def test_len_and_cardinality():
    assert len(Dataset.range(10).batch(3)) == 4
    assert int(Dataset.range(10).repeat().cardinality()) == -1
    with pytest.raises(TypeError, match="The dataset is infinite"):
        len(Dataset.range(3).repeat())
    with pytest.raises(TypeError, match="The dataset length is unknown"):
        len(Dataset.range(3).filter(lambda x: x > 0))
    assert bool(Dataset.range(3).repeat())


# ---- prefetch, cache -----------------------------------------------------------------------------------------------
def test_prefetch_yields_everything_and_propagates_errors():
    assert values(Dataset.range(25).batch(4).prefetch(2)) == values(Dataset.range(25).batch(4))

    def fail_at_three(x):
        if int(x) == 3:
            raise RuntimeError("bad element 3")
        return x

    iterator = iter(Dataset.range(10).map(fail_at_three).prefetch(AUTOTUNE))
    assert [int(next(iterator)) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(RuntimeError, match="bad element 3"):
        next(iterator)
    assert _wait_for_no_threads() == []


def test_dropped_iterators_stop_their_threads():
    assert _wait_for_no_threads() == []
    dataset = Dataset.range(10 ** 9).map(lambda x: x + 1, num_parallel_calls=2).prefetch(3)
    iterator = iter(dataset)
    assert int(next(iterator)) == 1
    assert len(_tf_data_threads()) >= 2
    del iterator
    gc.collect()
    assert _wait_for_no_threads() == []
    closing = iter(dataset)
    next(closing)
    closing.close()
    assert _wait_for_no_threads() == []


def test_cache_computes_once_and_only_after_a_full_pass():
    calls = []
    dataset = Dataset.range(4).map(lambda x: calls.append(int(x)) or x).cache()
    iterator = iter(dataset)
    next(iterator)
    assert values(dataset) == [0, 1, 2, 3]
    assert values(dataset) == [0, 1, 2, 3]
    assert calls == [0, 0, 1, 2, 3]


def test_file_cache_is_read_by_a_later_dataset(tmp_path):
    path = str(tmp_path / "cache")
    assert values(Dataset.range(3).map(lambda x: x * 2).cache(path)) == [0, 2, 4]
    reread = Dataset.range(3).map(lambda x: pytest.fail("input was recomputed")).cache(path)
    assert values(reread) == [0, 2, 4]


# ---- specs, numpy, options -----------------------------------------------------------------------------------------
def test_element_spec_and_numpy_outputs():
    dataset = Dataset.from_tensor_slices({"x": np.zeros((4, 3), "float32"), "y": np.arange(4)}).batch(2)
    spec = dataset.element_spec
    assert spec["x"] == TensorSpec((None, 3), torch.float32) and spec["y"] == TensorSpec((None,), torch.int64)
    element = next(dataset.as_numpy_iterator())
    assert element["x"].dtype == np.float32 and element["y"].dtype == np.int64
    scalar = next(Dataset.range(3).as_numpy_iterator())
    assert isinstance(scalar, np.int64)
    assert "BatchDataset element_spec=" in repr(dataset)
    assert iter(dataset).element_spec == spec


def test_options():
    options = Options()
    options.experimental_distribute.auto_shard_policy = keras.data.experimental.AutoShardPolicy.OFF
    options.deterministic = False
    dataset = Dataset.range(3).with_options(options)
    assert dataset.options().deterministic is False
    assert dataset.map(lambda x: x).options().experimental_distribute.auto_shard_policy == -1
    with pytest.raises(AttributeError, match="Cannot set the property foo on Options"):
        options.foo = 1


# ---- training ------------------------------------------------------------------------------------------------------
def _model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.layers.Dense(3, activation="relu", input_shape=(4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return model


X = np.random.default_rng(0).random((21, 4)).astype("float32")
Y = np.random.default_rng(1).random((21, 1)).astype("float32")


def test_fit_on_dataset_equals_fit_on_arrays():
    on_arrays = _model().fit(X, Y, batch_size=5, epochs=3, shuffle=False, verbose=0).history["loss"]
    on_dataset = _model().fit(Dataset.from_tensor_slices((X, Y)).batch(5), epochs=3, verbose=0).history["loss"]
    np.testing.assert_allclose(on_dataset, on_arrays, rtol=1e-6)
    mapped = Dataset.from_tensor_slices((X, Y)).map(lambda x, y: (x, y)).batch(5).prefetch(2)
    np.testing.assert_allclose(_model().fit(mapped, epochs=3, verbose=0).history["loss"], on_arrays, rtol=1e-6)


def test_fit_evaluate_predict_on_datasets():
    model = _model()
    weights = np.linspace(0.5, 1.5, 21).astype("float32")
    history = model.fit(Dataset.from_tensor_slices((X, Y, weights)).batch(5), epochs=2, verbose=0,
                        validation_data=Dataset.from_tensor_slices((X, Y)).batch(7))
    assert set(history.history) == {"loss", "val_loss"}
    assert model.evaluate(Dataset.from_tensor_slices((X, Y)).batch(4), verbose=0) == pytest.approx(
        model.evaluate(X, Y, batch_size=4, verbose=0), rel=1e-6)
    np.testing.assert_allclose(model.predict(Dataset.from_tensor_slices(X).batch(4), verbose=0),
                               model.predict(X, verbose=0), rtol=1e-6)
    repeated = Dataset.from_tensor_slices((X, Y)).batch(5).repeat()
    assert len(model.fit(repeated, steps_per_epoch=3, epochs=2, verbose=0).history["loss"]) == 2
    with pytest.raises(ValueError, match="you must specify the number of steps to run"):
        model.fit(repeated, verbose=0)
    with pytest.raises(ValueError, match="`y` argument is not supported when using dataset as input"):
        model.fit(Dataset.from_tensor_slices((X, Y)).batch(5), Y, verbose=0)
