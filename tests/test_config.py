"""tf.config on torch: devices, visibility, memory growth, threads."""
import pytest
import torch

import torchkeras_api as keras
from torchkeras_api import config
from torchkeras_api.engine.device import default_device


@pytest.fixture
def restore_gpus():
    yield
    config.set_visible_devices(config.list_physical_devices())


def test_physical_and_logical_devices():
    cpus = config.list_physical_devices("CPU")
    assert cpus == [config.PhysicalDevice(name="/physical_device:CPU:0", device_type="CPU")]
    gpus = config.list_physical_devices("GPU")
    assert len(gpus) == (torch.cuda.device_count() if torch.cuda.is_available() else 0)
    assert config.experimental.list_physical_devices() == cpus + gpus
    assert config.list_logical_devices("CPU")[0].name == "/device:CPU:0"
    assert config.list_physical_devices("TPU") == []


def test_hiding_gpus_runs_on_cpu(restore_gpus):
    config.set_visible_devices([], "GPU")
    assert config.get_visible_devices("GPU") == []
    assert default_device() == torch.device("cpu")
    layer = keras.layers.Dense(2)
    layer.build((None, 3))
    assert layer.kernel.device.type == "cpu"
    with pytest.raises(ValueError, match="CPU cannot be hidden"):
        config.set_visible_devices([], "CPU")
    with pytest.raises(TypeError, match="PhysicalDevice"):
        config.set_visible_devices(["/gpu:0"])


def test_memory_growth_only_for_gpus():
    cpu = config.list_physical_devices("CPU")[0]
    with pytest.raises(ValueError, match="non-GPU"):
        config.experimental.set_memory_growth(cpu, True)
    gpu = config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    config.experimental.set_memory_growth(gpu, True)
    assert config.experimental.get_memory_growth(gpu) is True


def test_threads_and_flags():
    threads = torch.get_num_threads()
    try:
        config.threading.set_intra_op_parallelism_threads(1)
        assert torch.get_num_threads() == 1 and config.threading.get_intra_op_parallelism_threads() == 1
    finally:
        torch.set_num_threads(threads)
    config.set_soft_device_placement(False)
    assert config.get_soft_device_placement() is False
    config.set_soft_device_placement(True)
    config.run_functions_eagerly(True)
    assert config.functions_run_eagerly()
    config.run_functions_eagerly(False)
