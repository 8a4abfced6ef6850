"""Weights saved to a TensorFlow-checkpoint-style prefix (`model.save_weights('ckpt/cp-0001')`, no
extension): the weights go to `<prefix>.h5` in tf.keras's HDF5 layout, and the folder's `checkpoint` file
records the prefix as TensorFlow's does, so `tf.train.latest_checkpoint(folder)` finds it."""
import os
import re
from typing import List, Optional

from torchkeras_api.saving.atomic import atomic_write

_STATE_FILE = "checkpoint"
_LINE = re.compile(r'^(model_checkpoint_path|all_model_checkpoint_paths):\s*"(.*)"\s*$')


def weights_file(prefix: str) -> str:
    """The HDF5 file that holds the weights saved under `prefix`."""
    return prefix + ".h5"


def _read_state(folder: str, latest_filename: Optional[str] = None) -> List[str]:
    """The prefixes the folder's checkpoint state file lists, latest last."""
    path = os.path.join(folder, latest_filename or _STATE_FILE)
    if not os.path.isfile(path):
        return []
    latest, listed = None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            match = _LINE.match(line.strip())
            if match and match.group(1) == "model_checkpoint_path":
                latest = match.group(2)
            elif match:
                listed.append(match.group(2))
    if latest is not None:
        listed = [p for p in listed if p != latest] + [latest]
    return listed


def record(prefix: str) -> None:
    """Makes `prefix` the latest checkpoint in its folder's state file (written atomically)."""
    folder, name = os.path.split(os.path.abspath(prefix))
    listed = [p for p in _read_state(folder) if p != name] + [name]
    lines = [f'model_checkpoint_path: "{name}"'] + [f'all_model_checkpoint_paths: "{p}"' for p in listed]
    with atomic_write(os.path.join(folder, _STATE_FILE)) as temp:
        with open(temp, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


def latest_checkpoint(checkpoint_dir: str, latest_filename: Optional[str] = None) -> Optional[str]:
    """`tf.train.latest_checkpoint`: the prefix of the latest weights saved in `checkpoint_dir`, or None."""
    listed = _read_state(checkpoint_dir, latest_filename)
    if not listed:
        return None
    prefix = listed[-1] if os.path.isabs(listed[-1]) else os.path.join(checkpoint_dir, listed[-1])
    return prefix if os.path.exists(weights_file(prefix)) else None
