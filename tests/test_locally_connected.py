"""LocallyConnected1D/2D against direct numpy computations of tf.keras's documented weight layouts."""
import copy
import itertools
import pickle

import numpy as np
import pytest
import torch

import torchkeras_api as keras


def _windows(size, out, kernel, stride, padding):
    """Each output position's input window start along one axis (tf.keras centres 'same' windows)."""
    offset = kernel // 2 if padding == "same" else 0
    return [o * stride - offset for o in range(out)]


def _out_size(size, kernel, stride, padding):
    return -(-size // stride) if padding == "same" else -(-(size - kernel + 1) // stride)


def _connected_pairs(spatial, kernel, strides, padding):
    """(output position, input position) pairs, as tuples of spatial indices, of one input/output image."""
    outputs = [_out_size(n, k, s, padding) for n, k, s in zip(spatial, kernel, strides)]
    starts = [_windows(n, o, k, s, padding) for n, o, k, s in zip(spatial, outputs, kernel, strides)]
    pairs = []
    for out_pos in itertools.product(*[range(o) for o in outputs]):
        ranges = [range(max(st[p], 0), min(st[p] + k, n)) for st, p, k, n in zip(starts, out_pos, kernel, spatial)]
        pairs += [(out_pos, in_pos) for in_pos in itertools.product(*ranges)]
    return outputs, pairs


def _dense_matrix(layer, spatial, channels):
    """The layer's (input features, output features) matrix, built from its tf.keras-layout weights, with
    the inputs and outputs flattened in the data format's order."""
    kernel = layer.get_weights()[0]
    first = layer.data_format == "channels_first"
    filters, size = layer.filters, layer.kernel_size
    outputs, pairs = _connected_pairs(spatial, size, layer.strides, layer.padding)

    def flat_in(pos, c):
        return np.ravel_multi_index((c,) + pos if first else pos + (c,),
                                    ((channels,) + spatial) if first else (spatial + (channels,)))

    def flat_out(pos, f):
        return np.ravel_multi_index((f,) + pos if first else pos + (f,),
                                    ((filters,) + tuple(outputs)) if first else (tuple(outputs) + (filters,)))

    matrix = np.zeros((channels * int(np.prod(spatial)), filters * int(np.prod(outputs))), np.float64)
    if layer.implementation == 3:
        entries = sorted((flat_out(o, f), flat_in(i, c)) for o, i in pairs for c in range(channels)
                         for f in range(filters))
        assert len(entries) == kernel.shape[0]
        for value, (col, row) in zip(kernel, entries):
            matrix[row, col] = value
    elif layer.implementation == 2:
        for (o, i), c, f in itertools.product(pairs, range(channels), range(filters)):
            index = ((c,) + i + (f,) + o) if first else (i + (c,) + o + (f,))
            matrix[flat_in(i, c), flat_out(o, f)] = kernel[index]
    else:
        for (o, i), c, f in itertools.product(pairs, range(channels), range(filters)):
            tap = tuple(a - o_ * s for a, o_, s in zip(i, o, layer.strides))
            feature = np.ravel_multi_index((c,) + tap if first else tap + (c,),
                                           ((channels,) + size) if first else (size + (channels,)))
            matrix[flat_in(i, c), flat_out(o, f)] = kernel[np.ravel_multi_index(o, outputs), feature, f]
    return matrix, outputs


def _reference(layer, x):
    """The layer's output by a dense matmul; tf.keras adds the bias in its own memory order."""
    first = layer.data_format == "channels_first"
    channels, spatial = (x.shape[1], x.shape[2:]) if first else (x.shape[-1], x.shape[1:-1])
    matrix, outputs = _dense_matrix(layer, tuple(spatial), channels)
    y = x.reshape(len(x), -1).astype(np.float64) @ matrix
    if layer.use_bias:
        y = y + layer.get_weights()[1].reshape(-1)
    shape = ((layer.filters,) + tuple(outputs)) if first else (tuple(outputs) + (layer.filters,))
    return y.reshape((len(x),) + shape)


CASES = [
    (1, dict(filters=3, kernel_size=3), (2, 7, 4)),
    (1, dict(filters=2, kernel_size=2, strides=3, data_format="channels_first"), (2, 3, 10)),
    (1, dict(filters=2, kernel_size=4, strides=2, padding="same"), (2, 9, 2)),
    (2, dict(filters=3, kernel_size=(3, 2), strides=(2, 1)), (2, 7, 5, 2)),
    (2, dict(filters=2, kernel_size=(2, 3), strides=(1, 2), data_format="channels_first"), (2, 3, 4, 7)),
    (2, dict(filters=2, kernel_size=(4, 3), strides=(2, 2), padding="same"), (2, 6, 5, 2)),
    (2, dict(filters=3, kernel_size=3, padding="same", data_format="channels_first", use_bias=False), (2, 2, 4, 5)),
]


def _make(rank, kwargs, implementation):
    cls = keras.layers.LocallyConnected1D if rank == 1 else keras.layers.LocallyConnected2D
    return cls(bias_initializer="random_normal", implementation=implementation, **kwargs)


@pytest.mark.parametrize("case, implementation", [(case, implementation) for case in range(len(CASES))
                                                    for implementation in (1, 2, 3)
                                                    if implementation > 1 or "padding" not in CASES[case][1]])
def test_outputs_match_dense_reference(case, implementation):
    rank, kwargs, shape = CASES[case]
    layer = _make(rank, kwargs, implementation)
    x = np.random.RandomState(case).randn(*shape).astype("float32")
    y = layer(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(y, _reference(layer, x), rtol=1e-5, atol=1e-5)
    symbolic = _make(rank, kwargs, implementation)(keras.Input(shape[1:]))
    assert tuple(symbolic.shape) == (None,) + y.shape[1:]


def test_input_gradient_is_the_transposed_matmul():
    layer = keras.layers.LocallyConnected2D(2, 3, strides=2, padding="same", implementation=3)
    x = torch.randn(2, 5, 6, 3, requires_grad=True)
    y = layer(x)
    upstream = torch.randn(y.shape)
    y.backward(upstream)
    matrix, _ = _dense_matrix(layer, (5, 6), 3)
    expected = upstream.reshape(2, -1).double().numpy() @ matrix.T
    np.testing.assert_allclose(x.grad.reshape(2, -1).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_implementation_2_keeps_masked_kernel_entries_but_ignores_them():
    layer = keras.layers.LocallyConnected1D(2, 2, implementation=2)
    layer.build((None, 5, 3))
    kernel, bias = (np.random.RandomState(0).randn(*w.shape).astype("float32") for w in layer.get_weights())
    layer.set_weights([kernel, bias])
    np.testing.assert_array_equal(layer.get_weights()[0], kernel)
    x = np.random.RandomState(1).randn(4, 5, 3).astype("float32")
    before = layer(torch.tensor(x)).detach().numpy()
    _, pairs = _connected_pairs((5,), (2,), (1,), "valid")
    connected = np.zeros((5, 4), bool)
    for (o,), (i,) in pairs:
        connected[i, o] = True
    kernel[~np.broadcast_to(connected[:, None, :, None], kernel.shape)] = 100.0
    layer.set_weights([kernel, bias])
    np.testing.assert_allclose(layer(torch.tensor(x)).detach().numpy(), before, rtol=1e-6)


def test_implementation_3_training_keeps_padding_slots_zero():
    model = keras.Sequential([
        keras.layers.LocallyConnected2D(2, 3, padding="same", implementation=3, input_shape=(4, 4, 1),
                                        kernel_regularizer="l1"),
        keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    rng = np.random.RandomState(0)
    x, y = rng.randn(8, 4, 4, 1).astype("float32"), rng.randn(8, 1).astype("float32")
    values = model.layers[0].get_weights()[0]
    stored = model.layers[0].kernel.detach().clone()
    model.fit(x, y, epochs=2, verbose=0)
    assert np.count_nonzero(stored) == values.size
    after = model.layers[0].kernel.detach()
    assert torch.equal(after == 0, stored == 0)
    assert not np.allclose(model.layers[0].get_weights()[0], values)


@pytest.mark.parametrize("implementation", [1, 2, 3])
def test_copies_pickles_and_configs_rebuild_the_same_layer(implementation):
    layer = keras.layers.LocallyConnected2D(2, 2, strides=(1, 2), implementation=implementation)
    x = torch.randn(2, 4, 5, 3)
    y = layer(x).detach()
    for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
        torch.testing.assert_close(clone(x), y)
    rebuilt = keras.layers.deserialize(keras.layers.serialize(layer))
    rebuilt.build(x.shape)
    rebuilt.set_weights(layer.get_weights())
    torch.testing.assert_close(rebuilt(x), y)


def test_float64_layer_keeps_float64():
    layer = keras.layers.LocallyConnected1D(2, 3, dtype="float64", implementation=2)
    y = layer(np.random.RandomState(0).randn(2, 6, 2))
    assert y.dtype == torch.float64


def test_unknown_steps_is_a_clear_error():
    with pytest.raises(ValueError, match="LocallyConnected1D.*fully-defined.*None, None, 3"):
        keras.layers.LocallyConnected1D(2, 2)(keras.Input((None, 3)))


@pytest.mark.parametrize("implementation", [1, 2, 3])
def test_other_spatial_size_after_build_is_a_clear_error(implementation):
    layer = keras.layers.LocallyConnected1D(2, 2, implementation=implementation)
    layer(np.zeros((1, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"built for spatial dimensions \(5,\).*\(1, 6, 3\)"):
        layer(np.zeros((1, 6, 3), "float32"))


def test_same_padding_needs_implementation_2_or_3():
    with pytest.raises(ValueError, match="only \"valid\" is supported if implementation is 1"):
        keras.layers.LocallyConnected2D(2, 3, padding="same")
