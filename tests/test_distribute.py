"""tf.distribute strategies: scopes, MirroredStrategy on one device, replicated forward passes, and
MultiWorkerMirroredStrategy over two CPU processes (gloo) against one process on the same global batches."""
import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import distribute
from torchkeras_api.distribute.replicated_forward import ReplicatedForward
from torchkeras_api.distribute.strategies import shard_batch


def _model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.layers.Dense(4, activation="tanh", input_shape=(3,)), keras.layers.Dense(1)])


def _data(n=45):
    rng = np.random.RandomState(1)
    x = rng.rand(n, 3).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.1).astype("float32")


def test_default_strategy_outside_scopes():
    strategy = distribute.get_strategy()
    assert not distribute.has_strategy()
    assert strategy.num_replicas_in_sync == 1
    assert distribute.get_strategy() is strategy


def test_scope_nesting_and_mixing():
    mirrored = distribute.MirroredStrategy()
    with mirrored.scope():
        assert distribute.has_strategy() and distribute.get_strategy() is mirrored
        with mirrored.scope():
            assert distribute.get_strategy() is mirrored
        with pytest.raises(RuntimeError, match="Mixing different tf.distribute.Strategy objects"):
            with distribute.OneDeviceStrategy("/cpu:0").scope():
                pass
        assert distribute.get_strategy() is mirrored
    assert not distribute.has_strategy()


def test_mirrored_strategy_devices():
    expected = torch.cuda.device_count() if torch.cuda.is_available() else 1
    assert distribute.MirroredStrategy().num_replicas_in_sync == expected
    with pytest.raises(ValueError, match="No duplicates"):
        distribute.MirroredStrategy(devices=["/gpu:0", "GPU:0"])
    assert distribute.MirroredStrategy(devices=["/cpu:0"]).extended.worker_devices == (
        "/job:localhost/replica:0/task:0/device:CPU:0",)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the single-device CPU path")
def test_mirrored_fit_matches_plain_fit():
    x, y = _data()
    plain = _model()
    plain.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    expected = plain.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    strategy = distribute.MirroredStrategy()
    with strategy.scope():
        model = _model()
        model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    assert model.distribute_strategy is strategy
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=1e-6)
    for ours, theirs in zip(model.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert model.get_layer(index=0).name == model.layers[0].name


def test_replicated_forward_splits_and_gathers_the_batch():
    model = _model()
    x = torch.as_tensor(_data(10)[0])
    replicated = ReplicatedForward(model, [torch.device("cpu")] * 3)
    out = replicated(x, training=False)
    np.testing.assert_allclose(out.detach().numpy(), model(x).detach().numpy(), rtol=1e-6)
    loss = replicated(x, training=True).square().mean()
    loss.backward()
    grads = [w.grad.clone() for w in model.trainable_weights]
    for w in model.trainable_weights:
        w.grad = None
    model(x).square().mean().backward()
    for ours, theirs in zip(grads, model.trainable_weights):
        np.testing.assert_allclose(ours.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_shard_batch_slices_cover_the_global_batch():
    batch = (torch.arange(7.0)[:, None], torch.arange(7.0))
    shards = [shard_batch(batch, r, 2) for r in range(2)]
    assert [len(s[0]) for s in shards] == [4, 3]
    torch.testing.assert_close(torch.cat([s[1] for s in shards]), batch[1])
    with pytest.raises(ValueError, match="cannot be split over 3 workers"):
        shard_batch((torch.zeros(2),), 0, 3)


_WORKER = textwrap.dedent("""
    import json, os, sys
    import numpy as np, torch
    torch.set_num_threads(1)
    import torchkeras_api as keras
    out, init = sys.argv[1], np.load(sys.argv[2])
    x, y = init["x"], init["y"]
    strategy = keras.distribute.MultiWorkerMirroredStrategy()
    with strategy.scope():
        model = keras.Sequential([keras.layers.Dense(4, activation="tanh", input_shape=(3,)), keras.layers.Dense(1)])
        model.set_weights([init[f"w{i}"] for i in range(4)])
        model.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    rank = strategy.worker_index
    ckpt = keras.callbacks.ModelCheckpoint(os.path.join(out, f"rank{rank}.h5"), save_weights_only=True,
                                           monitor="loss")
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=1, callbacks=[ckpt])
    result = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    np.savez(os.path.join(out, f"weights{rank}.npz"), *model.get_weights())
    with open(os.path.join(out, f"logs{rank}.json"), "w") as f:
        json.dump({"history": history.history, "evaluate": result, "replicas": strategy.num_replicas_in_sync}, f)
""")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_multi_worker_matches_single_process(tmp_path):
    x, y = _data()
    reference = _model(seed=3)
    init = reference.get_weights()
    np.savez(tmp_path / "init.npz", x=x, y=y, **{f"w{i}": w for i, w in enumerate(init)})
    port = str(_free_port())
    procs = []
    for rank in range(2):
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE="2", MASTER_ADDR="127.0.0.1",
                   MASTER_PORT=port, CUDA_VISIBLE_DEVICES="-1", OMP_NUM_THREADS="1")
        procs.append(subprocess.Popen([sys.executable, "-c", _WORKER, str(tmp_path), str(tmp_path / "init.npz")],
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    try:
        outputs = [p.communicate(timeout=120)[0] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert "Epoch 1/2" in outputs[0] and "Epoch 1/2" not in outputs[1]
    assert (tmp_path / "rank0.h5").exists() and not (tmp_path / "rank1.h5").exists()

    reference.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    expected = reference.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history
    expected_eval = reference.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    for rank in range(2):
        logs = json.loads((tmp_path / f"logs{rank}.json").read_text())
        assert logs["replicas"] == 2
        for name in ("loss", "mae"):
            np.testing.assert_allclose(logs["history"][name], expected[name], rtol=1e-5)
            np.testing.assert_allclose(logs["evaluate"][name], expected_eval[name], rtol=1e-5)
        weights = np.load(tmp_path / f"weights{rank}.npz")
        for i, w in enumerate(reference.get_weights()):
            np.testing.assert_allclose(weights[f"arr_{i}"], w, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(torch.cuda.device_count() >= 2, reason="checks the errors of machines with fewer than 2 GPUs")
def test_multi_gpu_model_needs_two_gpus():
    model = _model()
    with pytest.raises(ValueError, match="gpus >= 2"):
        keras.utils.multi_gpu_model(model, gpus=1)
    with pytest.raises(ValueError, match="Try reducing `gpus`"):
        keras.utils.multi_gpu_model(model, gpus=2)
