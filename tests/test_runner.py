"""`python -m torchkeras_api run` and `tka-run`: unmodified `import tensorflow` scripts run in a subprocess.

One subprocess checks the runner's contract (argv, __name__, the script's folder on sys.path, exit codes,
tracebacks); the others run each script of examples/tf_scripts/ (each also runs under real TensorFlow).
"""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from tests.script_driver import driver_source

ROOT = pathlib.Path(__file__).resolve().parents[1]
TF_SCRIPTS = sorted((ROOT / "examples" / "tf_scripts").glob("*.py"))


def _env() -> dict:
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _run(args, cwd):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300)


def test_runner_contract(tmp_path):
    (tmp_path / "helper_module.py").write_text("VALUE = 41\n")
    (tmp_path / "script.py").write_text(textwrap.dedent("""
        import sys
        import numpy as np
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras.layers import Dense
        import tensorflow.keras.backend as K
        import keras as keras2
        from keras.backend.tensorflow_backend import set_session
        import helper_module

        assert __name__ == "__main__"
        assert tf.keras is keras is keras2 and Dense is keras.layers.Dense
        x = tf.constant([[1.0, 2.0]])
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(Dense(3)(x))
        print("argv", sys.argv[1:], "helper", helper_module.VALUE + 1, "grad", tape.gradient(y, x).numpy().shape,
              "value", y.numpy().shape, float(y) == y.numpy())
        sys.exit(int(sys.argv[2]))
    """))
    (tmp_path / "broken.py").write_text("import tensorflow as tf\ntf.not_a_function()\n")
    cli = ("import sys; from torchkeras_api.__main__ import run_cli; sys.argv = ['tka-run', 'script.py', 'a', '3'];"
           " sys.exit(run_cli())")
    with_cli = _run(["-c", cli], tmp_path)
    assert with_cli.returncode == 3, with_cli.stderr[-3000:]
    assert "argv ['a', '3'] helper 42 grad (1, 2) value () True" in with_cli.stdout
    assert "requires_grad=True to a scalar" not in with_cli.stderr
    broken = _run(["-m", "torchkeras_api", "run", "broken.py"], tmp_path)
    assert broken.returncode == 1
    assert "AttributeError: module 'tensorflow' (torchkeras_api facade) has no attribute 'not_a_function'" \
        in broken.stderr


def test_tf_scripts_found():
    assert len(TF_SCRIPTS) >= 3, TF_SCRIPTS


@pytest.mark.parametrize("path", TF_SCRIPTS, ids=[p.name for p in TF_SCRIPTS])
def test_tf_script_runs_unchanged(path):
    proc = _run(["-m", "torchkeras_api", "run", str(path)], ROOT)
    assert proc.returncode == 0, f"{path.name}\n--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n" \
                                 f"{proc.stderr[-3000:]}"
    assert f"{path.stem}: ok" in proc.stdout


_UNDER_TENSORFLOW = driver_source("import tensorflow as tf\n", "tf.keras.backend.clear_session()", "TensorFlow")



def test_tf_scripts_run_under_real_tensorflow():
    """The same scripts pass under TensorFlow itself (tf.keras as Keras 2), so what they assert is what TF does."""
    pytest.importorskip("tensorflow")
    pytest.importorskip("tf_keras")
    env = dict(_env(), TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1")
    proc = subprocess.run([sys.executable, "-c", _UNDER_TENSORFLOW] + [str(p) for p in TF_SCRIPTS], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
    assert all(f"{p.stem}: ok" in proc.stdout for p in TF_SCRIPTS), proc.stdout[-3000:]


_UNDER_FACADE = driver_source("""
    import torchkeras_api
    torchkeras_api.install()
    import tensorflow as tf
""", "tf.keras.backend.clear_session()", "the tf facade")



def test_examples_run_with_tensorflow_imports(tmp_path):
    """Every Keras example of examples/, its imports rewritten to `tensorflow.keras`, runs under the facade."""
    from tests.test_examples import KERAS_ONLY
    rewritten = []
    for path in KERAS_ONLY:
        target = tmp_path / path.name
        target.write_text(path.read_text().replace("torchkeras_api", "tensorflow.keras"))
        assert "import tensorflow.keras" in target.read_text() or "from tensorflow.keras" in target.read_text()
        rewritten.append(str(target))
    proc = subprocess.run([sys.executable, "-c", _UNDER_FACADE] + rewritten, cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"--- stdout ---\n{proc.stdout[-3000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
