"""The data layer of fit/evaluate/predict: every input kind, shuffling, splits, class weights, workers, errors."""
import os
import threading
import time
import warnings

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api.engine import data_adapter
from torchkeras_api.engine.data_adapter import (DataHandler, pack_x_y_sample_weight, train_validation_split,
                                                unpack_x_y_sample_weight)


def batches(handler):
    """All batches, as (epoch, step, batch)."""
    out = []
    for epoch, iterator in handler.enumerate_epochs():
        for step in handler.steps():
            out.append((epoch, step, next(iterator)))
    return out


def first_batch(handler):
    for _, iterator in handler.enumerate_epochs():
        return next(iterator)


def column(batch_x):
    return batch_x[:, 0].long().tolist()


X = np.arange(20, dtype="float64").reshape(10, 2)
Y = np.arange(10)


# ---- pack / unpack -------------------------------------------------------------------------------------------------
def test_unpack_and_pack():
    x, y, sw = object(), object(), object()
    assert unpack_x_y_sample_weight(x) == (x, None, None)
    assert unpack_x_y_sample_weight((x,)) == (x, None, None)
    assert unpack_x_y_sample_weight([x, y]) == (x, y, None)
    assert unpack_x_y_sample_weight((x, y, sw)) == (x, y, sw)
    with pytest.raises(ValueError, match=r"Data is expected to be in format `x`, `\(x,\)`, `\(x, y\)`"):
        unpack_x_y_sample_weight((x, y, sw, sw))
    assert pack_x_y_sample_weight(x) is x
    assert pack_x_y_sample_weight((x, y)) == ((x, y),)
    assert pack_x_y_sample_weight(x, y) == (x, y)
    assert pack_x_y_sample_weight(x, y, sw) == (x, y, sw)
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight([x, y])) == ([x, y], None, None)


# ---- arrays --------------------------------------------------------------------------------------------------------
def test_arrays_in_order_with_partial_batch_and_dtypes():
    out = batches(DataHandler(X, Y, batch_size=4, device="cpu"))
    assert [step for _, step, _ in out] == [0, 1, 2]
    assert [column(b[0]) for _, _, b in out] == [[0, 2, 4, 6], [8, 10, 12, 14], [16, 18]]
    bx, by = out[0][2]
    assert bx.dtype == torch.float32 and by.dtype == torch.int64
    assert bx.device.type == "cpu"
    assert torch.equal(by, torch.arange(4))


def test_x_only_batches_are_x_itself():
    batch = first_batch(DataHandler(X, batch_size=4))
    assert isinstance(batch, torch.Tensor) and batch.shape == (4, 2)
    batch = first_batch(DataHandler([X, X[:, :1]], batch_size=4))
    assert isinstance(batch, tuple) and len(batch) == 1 and isinstance(batch[0], list)


def test_nested_structures_are_kept():
    x = {"image": X, "meta": torch.arange(10)}
    y = [Y, Y.astype("float64")]
    bx, by = first_batch(DataHandler(x, y, batch_size=5))
    assert set(bx) == {"image", "meta"} and bx["image"].shape == (5, 2)
    assert bx["meta"].dtype == torch.int64
    assert isinstance(by, list) and by[1].dtype == torch.float32 and by[0].tolist() == [0, 1, 2, 3, 4]


def test_torch_tensors_keep_their_dtype():
    x = torch.arange(10, dtype=torch.float64)[:, None]
    bx = first_batch(DataHandler(x, batch_size=10))
    assert bx.dtype == torch.float64 and torch.equal(bx, x)


def test_lists_of_numbers_are_arrays():
    bx, by = first_batch(DataHandler([[1, 2], [3, 4], [5, 6]], [0, 1, 0]))
    assert bx.shape == (3, 2) and by.tolist() == [0, 1, 0]


def test_default_batch_size_is_32_and_steps_set_it_when_missing():
    x = np.zeros((70, 1))
    handler = DataHandler(x)
    assert handler.inferred_steps == 3
    assert [b.shape[0] for _, _, b in batches(handler)] == [32, 32, 6]
    assert [b.shape[0] for _, _, b in batches(DataHandler(X, steps_per_epoch=3))] == [4, 4, 2]


def test_sample_weights_follow_their_samples():
    sw = np.linspace(0, 1, 10)
    keras.utils.set_random_seed(1)
    for _, _, (bx, by, bw) in batches(DataHandler(X, Y, sample_weight=sw, batch_size=3, shuffle=True)):
        assert torch.equal(by, bx[:, 0].long() // 2)
        np.testing.assert_allclose(bw.numpy(), sw[by.numpy()], rtol=1e-6)


def test_partial_sample_weights_get_ones():
    _, _, (w0, w1) = first_batch(DataHandler(X, [Y, Y], sample_weight=[None, np.full(10, 2.0)], batch_size=4))
    assert w0.tolist() == [1.0] * 4 and w1.tolist() == [2.0] * 4


# ---- shuffling -----------------------------------------------------------------------------------------------------
def test_shuffle_covers_every_sample_once_per_epoch_and_reshuffles():
    keras.utils.set_random_seed(0)
    handler = DataHandler(X, Y, batch_size=3, epochs=3, shuffle=True)
    orders = {}
    for epoch, _, (bx, by) in batches(handler):
        assert torch.equal(bx[:, 0].long() // 2, by)
        orders.setdefault(epoch, []).extend(by.tolist())
    assert all(sorted(order) == list(range(10)) for order in orders.values())
    assert len({tuple(order) for order in orders.values()}) == 3


def test_shuffle_is_reproducible_with_the_seed():
    def order():
        keras.utils.set_random_seed(7)
        return [b[1].tolist() for _, _, b in batches(DataHandler(X, Y, batch_size=4, shuffle=True))]
    assert order() == order()


def test_batch_shuffle_keeps_contiguous_blocks():
    keras.utils.set_random_seed(3)
    x = np.arange(23)
    handler = DataHandler(x, batch_size=5, epochs=4, shuffle="batch")
    block_orders = set()
    per_epoch = {}
    for epoch, _, batch in batches(handler):
        values = batch.tolist()
        assert sorted(values) == list(range(min(values), min(values) + len(values)))
        assert min(values) % 5 == 0
        per_epoch.setdefault(epoch, []).append(min(values))
    for starts in per_epoch.values():
        assert sorted(starts) == [0, 5, 10, 15, 20]
        block_orders.add(tuple(starts))
    assert len(block_orders) > 1


def test_shuffle_false_keeps_order_every_epoch():
    out = batches(DataHandler(X, Y, batch_size=5, epochs=2))
    assert [b[1].tolist() for _, _, b in out] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]] * 2


# ---- epochs and steps ----------------------------------------------------------------------------------------------
def test_initial_epoch_and_epochs():
    handler = DataHandler(X, batch_size=5, initial_epoch=2, epochs=4)
    assert [(epoch, step) for epoch, step, _ in batches(handler)] == [(2, 0), (2, 1), (3, 0), (3, 1)]


def test_steps_per_epoch_continues_through_the_data_across_epochs():
    handler = DataHandler(X, Y, batch_size=3, steps_per_epoch=2, epochs=3)
    assert [(e, b[1].tolist()) for e, _, b in batches(handler)] == [
        (0, [0, 1, 2]), (0, [3, 4, 5]), (1, [6, 7, 8]), (1, [9]), (2, [0, 1, 2]), (2, [3, 4, 5])]


def test_running_out_of_data_warns_and_stops():
    handler = DataHandler(X, batch_size=3, steps_per_epoch=5, epochs=3)
    with pytest.warns(UserWarning, match="Your input ran out of data; interrupting training.*15 batches"):
        out = batches(handler)
    assert [(e, s) for e, s, _ in out] == [(0, 0), (0, 1), (0, 2), (0, 3), (0, 4),
                                           (1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (2, 0), (2, 1)]


def test_steps_per_execution_groups_steps_within_the_epoch():
    handler = DataHandler(X, batch_size=3, steps_per_execution=3, epochs=2)
    seen = []
    for epoch, iterator in handler.enumerate_epochs():
        for step in handler.steps():
            pulled = []
            for _ in range(3):
                try:
                    pulled.append(next(iterator).shape[0])
                except StopIteration:
                    break
            seen.append((epoch, step, handler.step_increment, pulled))
    assert seen == [(0, 0, 2, [3, 3, 3]), (0, 3, 0, [1]), (1, 0, 2, [3, 3, 3]), (1, 3, 0, [1])]


def test_iterator_next_method():
    for _, iterator in DataHandler(X, batch_size=4).enumerate_epochs():
        assert iterator.next().shape == (4, 2)


# ---- validation split ----------------------------------------------------------------------------------------------
def test_validation_split_takes_the_tail():
    sw = torch.arange(10.0)
    (tx, ty, tsw), (vx, vy, vsw) = train_validation_split(({"a": X}, Y, sw), validation_split=0.2)
    assert tx["a"].shape == (8, 2) and vx["a"].tolist() == X[8:].tolist()
    assert ty.tolist() == list(range(8)) and vy.tolist() == [8, 9]
    assert isinstance(vsw, torch.Tensor) and vsw.tolist() == [8.0, 9.0]
    (tx, ty, tsw), (vx, vy, vsw) = train_validation_split((X, None, None), 0.3)
    assert (len(tx), len(vx), ty, vsw) == (7, 3, None, None)


def test_validation_split_errors():
    with pytest.raises(ValueError, match="`validation_split` is only supported for Tensors or NumPy arrays, found "
                                         r"following types in the input: \[<class 'generator'>\]"):
        train_validation_split(((i for i in range(3)), None, None), 0.2)
    with pytest.raises(ValueError, match="Training data contains 1 samples, which is not sufficient"):
        train_validation_split((X[:1], Y[:1]), 0.1)


# ---- class weights -------------------------------------------------------------------------------------------------
CLASS_WEIGHT = {0: 0.5, 1: 2.0, 2: 3.0}


@pytest.mark.parametrize("y", [np.array([0, 1, 2, 1]), np.array([0.0, 1.0, 2.0, 1.0]),
                               np.array([[0], [1], [2], [1]]), np.eye(3)[[0, 1, 2, 1]]])
def test_class_weight_maps_sparse_and_one_hot_targets(y):
    _, _, weights = first_batch(DataHandler(np.zeros((4, 1)), y, class_weight=CLASS_WEIGHT))
    assert weights.tolist() == [0.5, 2.0, 3.0, 2.0]


def test_class_weight_multiplies_sample_weight():
    _, _, weights = first_batch(DataHandler(np.zeros((4, 1)), np.array([0, 1, 2, 1]),
                                            sample_weight=np.array([1.0, 2.0, 3.0, 4.0]), class_weight=CLASS_WEIGHT))
    assert weights.tolist() == [0.5, 4.0, 9.0, 8.0]


def test_class_weight_per_timestep_for_sequences():
    y = np.eye(3)[np.array([[0, 1], [2, 2]])]
    _, _, weights = first_batch(DataHandler(np.zeros((2, 1)), y, class_weight=CLASS_WEIGHT))
    assert weights.tolist() == [[0.5, 2.0], [3.0, 3.0]]


def test_class_weight_on_generator_batches():
    gen = ((np.zeros((2, 1)), np.array([i % 3, 2])) for i in range(3))
    out = batches(DataHandler(gen, class_weight=CLASS_WEIGHT))
    assert [b[2].tolist() for _, _, b in out] == [[0.5, 3.0], [2.0, 3.0], [3.0, 3.0]]


def test_class_weight_errors():
    with pytest.raises(ValueError, match="Expected `class_weight` to be a dict with keys from 0 to one less than the "
                                         r"number of classes, found \{0: 1.0, 2: 3.0\}"):
        DataHandler(X, Y, class_weight={0: 1.0, 2: 3.0})
    with pytest.raises(ValueError, match="`class_weight` is only supported for Models with a single output."):
        DataHandler(X, [Y, Y], class_weight={0: 1.0})
    with pytest.raises(ValueError, match="`class_weight` is only supported for Models with a single output."):
        DataHandler(iter([(X, {"a": Y})]), class_weight={0: 1.0})
    with pytest.raises(ValueError, match="the targets contain class 9"):
        DataHandler(X, Y, class_weight=CLASS_WEIGHT)


# ---- generators ----------------------------------------------------------------------------------------------------
def test_generator_with_dict_targets_runs_to_exhaustion():
    def gen():
        for i in range(3):
            yield X[2 * i:2 * i + 2], {"output1": Y[2 * i:2 * i + 2], "output2": Y[2 * i:2 * i + 2] * 1.0}

    handler = DataHandler(gen(), epochs=1)
    assert handler.inferred_steps is None
    out = batches(handler)
    assert handler.inferred_steps == 3
    bx, by = out[2][2]
    assert bx.dtype == torch.float32 and by["output1"].tolist() == [4, 5]
    assert by["output2"].dtype == torch.float32


def test_exhausted_generator_stops_later_epochs_with_a_warning():
    handler = DataHandler(iter([X[:2], X[2:4]]), epochs=3)
    with pytest.warns(UserWarning, match="ran out of data"):
        out = batches(handler)
    assert [(e, s) for e, s, _ in out] == [(0, 0), (0, 1)]


def test_generator_steps_per_epoch_continues_across_epochs():
    def gen():
        i = 0
        while True:
            yield np.full((1, 1), i), np.full((1,), i)
            i += 1

    out = batches(DataHandler(gen(), steps_per_epoch=2, epochs=3))
    assert [(e, s, int(b[1])) for e, s, b in out] == [(0, 0, 0), (0, 1, 1), (1, 0, 2), (1, 1, 3), (2, 0, 4), (2, 1, 5)]


def test_generator_of_x_y_sample_weight():
    bx, by, bw = first_batch(DataHandler(iter([(X[:3], Y[:3], np.ones(3))])))
    assert bw.dtype == torch.float32 and by.tolist() == [0, 1, 2]


def test_generator_batch_size_is_whatever_it_yields():
    out = batches(DataHandler(iter([X[:3], X[3:10]]), batch_size=4))
    assert [b.shape[0] for _, _, b in out] == [3, 7]


def test_generator_in_a_background_thread_keeps_order():
    drawn_in = []

    def gen():
        for i in range(6):
            drawn_in.append(threading.current_thread().name)
            yield np.full((1, 1), i)

    out = batches(DataHandler(gen(), workers=3, max_queue_size=2))
    assert [int(b) for _, _, b in out] == list(range(6))
    assert drawn_in[0] == "MainThread" and set(drawn_in[1:]) == {"generator_worker"}


def test_generator_errors_reach_the_caller():
    def gen():
        yield X[:2]
        raise RuntimeError("broken generator")

    with pytest.raises(RuntimeError, match="broken generator"):
        batches(DataHandler(gen(), workers=2))


# ---- Sequence ------------------------------------------------------------------------------------------------------
class Numbers(keras.utils.Sequence):
    """Batch i is (pid, i) repeated twice; counts epoch ends and tracks concurrency."""

    def __init__(self, length=6, delay=0.0):
        self.length, self.delay = length, delay
        self.epoch_ends = 0
        self.calls = []
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        with self.lock:
            self.calls.append(i)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        time.sleep(self.delay)
        with self.lock:
            self.active -= 1
        return np.array([[os.getpid(), i]] * 2, dtype="float64"), np.array([i, i])

    def on_epoch_end(self):
        self.epoch_ends += 1


def sequence_indices(out):
    return [int(b[1][0]) for _, _, b in out]


def test_sequence_in_order_with_on_epoch_end():
    seq = Numbers()
    out = batches(DataHandler(seq, epochs=2))
    assert sequence_indices(out) == list(range(6)) * 2
    assert seq.epoch_ends == 2
    assert seq.calls == [0] + list(range(6)) * 2


def test_sequence_shuffle_visits_each_batch_once_per_epoch():
    keras.utils.set_random_seed(2)
    seq = Numbers(length=8)
    out = batches(DataHandler(seq, epochs=3, shuffle=True))
    epochs = [sequence_indices(out)[i:i + 8] for i in (0, 8, 16)]
    assert all(sorted(e) == list(range(8)) for e in epochs)
    assert len({tuple(e) for e in epochs}) > 1


def test_sequence_thread_workers_run_in_parallel_and_in_order():
    seq = Numbers(length=8, delay=0.03)
    out = batches(DataHandler(seq, epochs=2, workers=4))
    assert sequence_indices(out) == list(range(8)) * 2
    assert seq.max_active >= 2
    assert seq.epoch_ends == 2


def test_sequence_workers_respect_max_queue_size():
    consumed = [0]
    ahead = []

    class Watched(Numbers):
        def __getitem__(self, i):
            ahead.append(i - consumed[0])
            return super().__getitem__(i)

    handler = DataHandler(Watched(length=12), workers=2, max_queue_size=3)
    for _, iterator in handler.enumerate_epochs():
        for _ in handler.steps():
            next(iterator)
            time.sleep(0.01)
            consumed[0] += 1
    assert max(ahead[1:]) <= 3
    assert max(ahead[1:]) == 3


def test_sequence_process_workers_keep_order():
    seq = Numbers(length=5)
    out = batches(DataHandler(seq, epochs=2, workers=2, use_multiprocessing=True))
    assert sequence_indices(out) == list(range(5)) * 2
    assert {int(b[0][0, 0]) for _, _, b in out} - {os.getpid()}
    assert seq.epoch_ends == 2


def test_sequence_steps_per_epoch_restarts_each_epoch():
    out = batches(DataHandler(Numbers(), steps_per_epoch=2, epochs=2))
    assert sequence_indices(out) == [0, 1, 0, 1]


# ---- torch datasets ------------------------------------------------------------------------------------------------
def test_tensor_dataset_is_batched_like_arrays():
    dataset = torch.utils.data.TensorDataset(torch.arange(10.0)[:, None], torch.arange(10))
    out = batches(DataHandler(dataset, batch_size=4))
    assert [b[1].tolist() for _, _, b in out] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_map_style_dataset_is_batched_by_us():
    class Samples(torch.utils.data.Dataset):
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return {"a": np.full(2, i, "float32")}, i

    handler = DataHandler(Samples(), batch_size=3, epochs=2, shuffle=True)
    assert handler.inferred_steps == 3
    out = batches(handler)
    for epoch in (0, 1):
        ys = [v for e, _, b in out if e == epoch for v in b[1].tolist()]
        assert sorted(ys) == list(range(7))
    bx, by = out[0][2]
    assert torch.equal(bx["a"][:, 0].long(), by)


def test_data_loader_yields_its_batches_each_epoch():
    dataset = torch.utils.data.TensorDataset(torch.arange(10.0)[:, None], torch.arange(10))
    loader = torch.utils.data.DataLoader(dataset, batch_size=4)
    handler = DataHandler(loader, epochs=2)
    assert handler.inferred_steps == 3
    assert [b[1].tolist() for _, _, b in batches(handler)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] * 2


def test_iterable_dataset_without_length_runs_to_exhaustion():
    class Stream(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(np.arange(5, dtype="float32"))

    handler = DataHandler(Stream(), batch_size=2)
    assert handler.inferred_steps is None
    assert [b.tolist() for _, _, b in batches(handler)] == [[0, 1], [2, 3], [4]]
    assert handler.inferred_steps == 3


# ---- errors --------------------------------------------------------------------------------------------------------
def test_cardinality_errors():
    with pytest.raises(ValueError, match=r"Data cardinality is ambiguous:\n  x sizes: 10\n  y sizes: 9\nMake sure all "
                                         "arrays contain the same number of samples."):
        DataHandler(X, Y[:9])
    with pytest.raises(ValueError, match=r"  x sizes: 10\n  y sizes: 10\n  sample_weight sizes: 7\n"):
        DataHandler(X, Y, sample_weight=np.ones(7))
    with pytest.raises(ValueError, match=r"  x sizes: 10, 5\n"):
        DataHandler([X, X[:5]])


def test_unsupported_input_types():
    with pytest.raises(ValueError, match="Failed to find data adapter that can handle input: <class 'str'>, "
                                         "<class 'numpy.ndarray'>"):
        DataHandler("abc", Y)
    with pytest.raises(ValueError, match="Failed to find data adapter that can handle input: <class 'set'>"):
        DataHandler({1, 2})
    with pytest.raises(ValueError, match="Failed to find data adapter"):
        DataHandler(X, iter([Y]))


def test_generator_structure_and_argument_errors():
    with pytest.raises(ValueError, match=r"Data is expected to be in format `x`, `\(x,\)`, `\(x, y\)`, or "
                                         r"`\(x, y, sample_weight\)`, found: "):
        DataHandler(iter([(X, Y, Y, Y)]))
    with pytest.raises(ValueError, match="`y` argument is not supported when using python generator as input."):
        DataHandler(iter([X]), Y)
    with pytest.raises(ValueError, match="`sample_weight` argument is not supported when using "
                                         "`keras.utils.Sequence` as input."):
        DataHandler(Numbers(), sample_weight=np.ones(2))
    with pytest.raises(ValueError, match="`y` argument is not supported when using dataset as input."):
        DataHandler(torch.utils.data.TensorDataset(torch.zeros(2)), Y)
    with pytest.raises(ValueError, match="Expected input data to be non-empty."):
        DataHandler(iter([]))


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "Expected batch_size to be positive. Received is 0."),
    ({"steps_per_epoch": 0}, r"steps_per_epoch must be positive, None or -1. Received 0. See `Model.fit`."),
    ({"initial_epoch": -1}, "Expected initial_epoch to be non-negative. Received is -1."),
    ({"epochs": 0}, "Expected epochs to be positive. Received is 0."),
    ({"workers": 0}, "Expected workers to be positive. Received is 0."),
    ({"max_queue_size": 0}, "Expected max_queue_size to be positive. Received is 0."),
])
def test_argument_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataHandler(X, Y, **kwargs)


def test_empty_data_and_unknown_size_with_steps_per_execution():
    with pytest.raises(ValueError, match="Expected input data to be non-empty."):
        DataHandler(X[:0], Y[:0])
    with pytest.raises(ValueError, match=r"Could not infer the size of the data. With `steps_per_execution > 1`"):
        DataHandler(iter([X]), steps_per_execution=2)


# ---- devices -------------------------------------------------------------------------------------------------------
cuda_only = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


@cuda_only
def test_cuda_data_moves_once_and_batches_stay_there():
    handler = DataHandler(X, Y, batch_size=4, shuffle=True, device="cuda")
    assert all(t.device.type == "cuda" for t in handler._adapter._data)
    for _, _, (bx, by) in batches(handler):
        assert bx.device.type == "cuda" and by.device.type == "cuda"


@cuda_only
def test_cuda_data_too_large_stays_on_host(monkeypatch):
    monkeypatch.setattr(data_adapter, "DEVICE_DATA_FRACTION", 0.0)
    handler = DataHandler(X, Y, batch_size=4, shuffle=True, device="cuda")
    assert all(t.device.type == "cpu" for t in handler._adapter._data)
    ys = []
    for _, _, (bx, by) in batches(handler):
        assert bx.device.type == "cuda"
        ys += by.tolist()
    assert sorted(ys) == list(range(10))


def test_generator_batches_move_to_the_device():
    bx = first_batch(DataHandler(iter([torch.zeros(2, 1)]), device="cpu"))
    assert bx.device == torch.device("cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert first_batch(DataHandler(np.broadcast_to(np.zeros(1), (3, 1)))).shape == (3, 1)
