"""TorchModuleWrapper: a torch module's parameters and buffers as Keras weights, in models, in fit, lazy
modules, train/eval modes, weights files and the config error."""
import numpy as np
import pytest
import torch
from torch import nn

import torchkeras_api as keras
from torchkeras_api.layers import TorchModuleWrapper


def _mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))


def _data(n=64, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 4).astype("float32")
    return x, (x @ rng.randn(4, 2)).astype("float32")


class _ModeRecorder(nn.Module):
    """Linear layer that records whether it ran in training mode."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 2)
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.linear(x)


def test_parameters_and_buffers_become_weights_in_module_layout():
    module = _mlp()
    layer = TorchModuleWrapper(module, name="mlp")
    expected_trainable = [(f"mlp/{n.replace('.', '/')}:0", tuple(p.shape)) for n, p in module.named_parameters()]
    expected_buffers = [(f"mlp/{n.replace('.', '/')}:0", tuple(b.shape)) for n, b in module.named_buffers()]
    assert [(w.name, tuple(w.shape)) for w in layer.trainable_weights] == expected_trainable
    assert [(w.name, tuple(w.shape)) for w in layer.non_trainable_weights] == expected_buffers
    assert all(w is p for w, p in zip(layer.trainable_weights, module.parameters()))
    assert all(w is b for w, b in zip(layer.non_trainable_weights, module.buffers()))
    assert layer.count_params() == sum(t.numel() for t in list(module.parameters()) + list(module.buffers()))
    assert layer.get_weights()[0].shape == (8, 4)


def test_set_weights_writes_into_the_module():
    module = _mlp()
    layer = TorchModuleWrapper(module)
    values = [np.asarray(np.random.RandomState(i).rand(*w.shape) * 10).astype(w.numpy().dtype)
              for i, w in enumerate(layer.weights)]
    layer.set_weights(values)
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), values[0])
    np.testing.assert_array_equal(module[1].running_var.numpy(), values[7])
    assert module[1].num_batches_tracked.item() == int(values[8])
    with pytest.raises(ValueError, match="expecting 9 weights"):
        layer.set_weights(values[:3])


def test_sequential_and_functional_models_give_the_module_output():
    x, _ = _data()
    module = _mlp().eval()
    with torch.no_grad():
        expected = module(torch.tensor(x)).numpy()
    sequential = keras.Sequential([keras.Input((4,)), TorchModuleWrapper(module)])
    assert tuple(sequential.output_shape) == (None, 2)
    np.testing.assert_allclose(sequential.predict(x, verbose=0), expected, rtol=1e-6)

    inputs = keras.Input((4,))
    hidden = TorchModuleWrapper(nn.Linear(4, 3))(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(hidden))
    assert [tuple(w.shape) for w in model.weights] == [(3, 4), (3,), (3, 1), (1,)]
    assert tuple(model(x).shape) == (64, 1)


def test_summary_counts_module_parameters_and_buffers():
    model = keras.Sequential([keras.Input((4,)), TorchModuleWrapper(_mlp(), name="mlp")])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "mlp (TorchModuleWrapper)" in text and "(None, 2)" in text
    assert "Trainable params: 74" in text and "Non-trainable params: 17" in text


def test_fit_trains_the_module_and_updates_its_buffers():
    x, y = _data()
    module = _mlp()
    model = keras.Sequential([keras.Input((4,)), TorchModuleWrapper(module)])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    before = module[0].weight.detach().clone()
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    assert not torch.equal(module[0].weight.detach(), before)
    assert module[1].num_batches_tracked.item() == 32
    running_mean = module[1].running_mean.clone()
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    torch.testing.assert_close(module[1].running_mean, running_mean)


def test_training_flag_sets_train_and_eval_modes():
    recorder = _ModeRecorder()
    model = keras.Sequential([keras.Input((4,)), TorchModuleWrapper(recorder)])
    model.compile("sgd", "mse")
    x, y = _data(8)
    recorder.modes.clear()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert recorder.modes == [True]
    recorder.modes.clear()
    model.predict(x, verbose=0)
    model(x)
    model(x, training=True)
    assert recorder.modes == [False, False, True]


def test_dropout_inside_the_module_follows_training():
    layer = TorchModuleWrapper(nn.Dropout(0.5))
    x = np.ones((10, 10), "float32")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert (layer(x, training=True).numpy() == 0).any()


def test_trainable_false_and_frozen_parameters():
    module = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    module[0].weight.requires_grad_(False)
    layer = TorchModuleWrapper(module)
    assert [w.name for w in layer.non_trainable_weights] == [f"{layer.name}/0/weight:0"]
    assert len(layer.trainable_weights) == 3
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4
    assert not any(p.requires_grad for p in module.parameters())
    model = keras.Sequential([keras.Input((4,)), layer, keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    before = [p.detach().clone() for p in module.parameters()]
    model.fit(*_data(16), epochs=1, verbose=0)
    assert all(torch.equal(b, p) for b, p in zip(before, module.parameters()))


def test_shared_parameters_are_one_weight():
    first = nn.Linear(3, 3)
    second = nn.Linear(3, 3)
    second.weight = first.weight
    layer = TorchModuleWrapper(nn.Sequential(first, second))
    assert len(layer.trainable_weights) == 3
    assert first.weight is second.weight is layer.trainable_weights[0]


def test_recurrent_module_uses_the_wrapped_weights():
    lstm = nn.LSTM(3, 5, batch_first=True)

    class LastState(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, x):
            return self.lstm(x)[0][:, -1]

    layer = TorchModuleWrapper(LastState())
    x = np.random.RandomState(0).randn(2, 4, 3).astype("float32")
    layer.set_weights([np.zeros(w.shape, "float32") for w in layer.weights])
    np.testing.assert_array_equal(layer(x).detach().numpy(), np.zeros((2, 5)))
    assert tuple(layer(keras.Input((None, 3))).shape) == (None, 5)


def test_lazy_module_is_materialized_by_the_first_call():
    layer = TorchModuleWrapper(nn.Sequential(nn.LazyLinear(6), nn.ReLU(), nn.LazyLinear(2)))
    assert not layer.built and layer.weights == []
    model = keras.Sequential([keras.Input((5,)), layer])
    assert [tuple(w.shape) for w in layer.weights] == [(6, 5), (6,), (2, 6), (2,)]
    assert model.count_params() == 6 * 5 + 6 + 2 * 6 + 2
    model.compile("adam", "mse")
    model.fit(np.ones((8, 5), "float32"), np.ones((8, 2), "float32"), verbose=0)

    eager = TorchModuleWrapper(nn.LazyLinear(3))
    assert tuple(eager(np.ones((2, 7), "float32")).shape) == (2, 3)
    assert eager.get_weights()[0].shape == (3, 7)


def test_lazy_module_with_unknown_input_dims_is_a_clear_error():
    with pytest.raises(ValueError, match="lazy parameters.*input_shape"):
        TorchModuleWrapper(nn.LazyLinear(3))(keras.Input((None,)))


def test_module_dtype_becomes_the_layer_dtype():
    layer = TorchModuleWrapper(nn.Linear(2, 2).double())
    assert layer.dtype == "float64"
    assert layer(np.ones((1, 2))).dtype == torch.float64


def test_buffers_stay_weights_after_conversion():
    layer = TorchModuleWrapper(nn.BatchNorm1d(3))
    layer.to(torch.float64)
    assert all(w.dtype == torch.float64 for w in layer.non_trainable_weights[:2])
    assert all(w is b for w, b in zip(layer.non_trainable_weights, layer.module.buffers()))
    assert layer.non_trainable_weights[0].name == f"{layer.name}/running_mean:0"


def test_state_dict_and_weights_file_round_trip(tmp_path):
    x, _ = _data(8)
    source = keras.Sequential([keras.Input((4,)), TorchModuleWrapper(_mlp(), name="mlp")])
    assert list(source.state_dict())[:2] == ["mlp.module.0.weight", "mlp.module.0.bias"]
    source.layers[0].set_weights([w + 1 for w in source.get_weights()])
    torch.manual_seed(1)
    target = keras.Sequential([keras.Input((4,)), TorchModuleWrapper(
        nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)), name="mlp")])
    source.save_weights(str(tmp_path / "w.h5"))
    target.load_weights(str(tmp_path / "w.h5"))
    np.testing.assert_allclose(target.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-6)

    torch.manual_seed(2)
    other = keras.Sequential([keras.Input((4,)), TorchModuleWrapper(
        nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2)), name="mlp")])
    other.load_state_dict(source.state_dict())
    np.testing.assert_allclose(other.predict(x, verbose=0), source.predict(x, verbose=0), rtol=1e-6)


def test_get_config_names_the_alternatives():
    layer = TorchModuleWrapper(nn.Linear(2, 2))
    with pytest.raises(NotImplementedError, match="save_weights.*register_keras_serializable"):
        layer.get_config()
    model = keras.Sequential([keras.Input((2,)), layer])
    with pytest.raises(NotImplementedError, match="Linear"):
        model.get_config()


@pytest.mark.parametrize("value, error", [(lambda x: x, TypeError), (keras.layers.Dense(2), TypeError)])
def test_rejects_what_is_not_a_torch_module(value, error):
    with pytest.raises(error, match="TorchModuleWrapper"):
        TorchModuleWrapper(value)


def test_module_returning_a_tuple_in_a_functional_model():
    class Split(nn.Module):
        def forward(self, x):
            return x[:, :2], x[:, 2:] * 2

    inputs = keras.Input((5,))
    first, second = TorchModuleWrapper(Split())(inputs)
    assert tuple(first.shape) == (None, 2) and tuple(second.shape) == (None, 3)
    model = keras.Model(inputs, [first, second])
    out = model.predict(np.ones((2, 5), "float32"), verbose=0)
    np.testing.assert_array_equal(out[1], np.full((2, 3), 2.0))
