"""tf.keras.utils.Progbar: the text progress bar that `fit`, `evaluate` and `predict` print."""
import os
import sys
import time
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch

from torchkeras_api.utils import nest


def print_msg(message: str, line_break: bool = True) -> None:
    """Writes message to the current sys.stdout and flushes it."""
    sys.stdout.write(message + "\n" if line_break else message)
    sys.stdout.flush()


def sync_to_python(structure: Any) -> Any:
    """Torch tensors in a structure as host values: 0-d ones as python scalars, others as numpy arrays.

    Scalars on the same device and of the same dtype come back in one transfer.
    """
    scalars: Dict[Tuple[Any, Any], List[torch.Tensor]] = defaultdict(list)
    for leaf in nest.flatten(structure):
        if isinstance(leaf, torch.Tensor) and leaf.dim() == 0:
            scalars[(leaf.device, leaf.dtype)].append(leaf)
    host: Dict[int, Any] = {}
    for group in scalars.values():
        for tensor, value in zip(group, torch.stack([t.detach() for t in group]).tolist()):
            host[id(tensor)] = value

    def convert(leaf: Any) -> Any:
        if not isinstance(leaf, torch.Tensor):
            return leaf
        return host[id(leaf)] if leaf.dim() == 0 else leaf.detach().cpu().numpy()

    return nest.map_structure(convert, structure)


def _format_time(seconds: float, unit_name: str) -> str:
    """A duration per unit as ` 3s/epoch`, ` 25ms/step` or ` 80us/step`."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


def _format_eta(eta: float) -> str:
    """Remaining time as `h:mm:ss`, `m:ss` or `Ns`."""
    if eta > 3600:
        return "%d:%02d:%02d" % (eta // 3600, (eta % 3600) // 60, eta % 60)
    if eta > 60:
        return "%d:%02d" % (eta // 60, eta % 60)
    return "%ds" % eta


def _format_value(avg: Any, fixed: bool) -> str:
    """` 0.1234` when fixed, else ` 1.2340e-04`."""
    return f" {avg:.4f}" if fixed else f" {avg:.4e}"


def _dynamic_display() -> bool:
    """Whether the bar redraws in place (backspaces and carriage return) rather than printing new lines."""
    return ((hasattr(sys.stdout, "isatty") and sys.stdout.isatty()) or "ipykernel" in sys.modules
            or "posix" in sys.modules or "PYCHARM_HOSTED" in os.environ)


class Progbar:
    """Displays a progress bar.

    Values named in `stateful_metrics` are shown as given; the others are averaged over the steps seen,
    each weighted by how many steps it covers. Values may be torch tensors: they are read from their
    device only when a line is printed.
    """

    def __init__(self, target: Optional[int], width: int = 30, verbose: int = 1, interval: float = 0.05,
                 stateful_metrics: Optional[Iterable[str]] = None, unit_name: str = "step") -> None:
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics else set()
        self._dynamic_display = _dynamic_display()
        self._total_width = 0
        self._seen_so_far = 0
        self._values: Dict[str, List[Any]] = {}
        self._values_order: List[str] = []
        self._start = time.time()
        self._last_update = 0.0
        self._time_at_epoch_start = self._start
        self._time_at_epoch_end: Optional[float] = None
        self._time_after_first_step: Optional[float] = None

    def update(self, current: int, values: Optional[Sequence[Tuple[str, Any]]] = None,
               finalize: Optional[bool] = None) -> None:
        """Moves the bar to step `current`; `values` is a list of `(name, value_for_this_step)` pairs.

        `finalize` (default: `current >= target`) marks the last update, which always prints.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values or [])
        now = time.time()
        if current == self.target:
            self._time_at_epoch_end = now
        if self.verbose == 1:
            if not finalize and now - self._last_update < self.interval:
                return
            print_msg(self._live_line(current, now, finalize), line_break=False)
        elif self.verbose == 2 and finalize:
            print_msg(self._epoch_line(current, now), line_break=False)
        self._last_update = now

    def add(self, n: int, values: Optional[Sequence[Tuple[str, Any]]] = None) -> None:
        """Advances the bar by n steps."""
        self.update(self._seen_so_far + n, values)

    def _update_stateful_metrics(self, stateful_metrics: Iterable[str]) -> None:
        self.stateful_metrics = self.stateful_metrics.union(stateful_metrics)

    def _record(self, current: int, values: Sequence[Tuple[str, Any]]) -> None:
        """Keeps stateful values as given and sums the others weighted by the steps since the last update."""
        for name, value in values:
            if name not in self._values_order:
                self._values_order.append(name)
            if name in self.stateful_metrics:
                self._values[name] = [value, 1]
                continue
            if isinstance(value, torch.Tensor):
                value = value.detach()
                value = value.double() if value.is_floating_point() else value
            steps = max(current - self._seen_so_far, 1)
            if name in self._values:
                self._values[name][0] += value * steps
                self._values[name][1] += steps
            else:
                self._values[name] = [value * steps, steps]
        self._seen_so_far = current

    def _averages(self) -> List[Tuple[str, Any]]:
        """(name, displayed value) pairs, read from the device in one go."""
        totals = sync_to_python([self._values[name][0] for name in self._values_order])
        return [(name, np.mean(total / max(1, self._values[name][1])))
                for name, total in zip(self._values_order, totals)]

    def _bar(self, current: int) -> str:
        if self.target is None:
            return "%7d/Unknown" % current
        digits = int(np.log10(self.target)) + 1
        bar = ("%" + str(digits) + "d/%d [") % (current, self.target)
        filled = int(self.width * (float(current) / self.target))
        if filled > 0:
            bar += "=" * (filled - 1) + (">" if current < self.target else "=")
        return bar + "." * (self.width - filled) + "]"

    def _live_line(self, current: int, now: float, finalize: bool) -> str:
        """The verbose=1 line: redraws the bar over the previous one."""
        previous_width = self._total_width
        message = "\b" * previous_width + "\r" if self._dynamic_display else "\n"
        bar = self._bar(current)
        per_step = self._estimate_step_duration(current, now)
        if self.target is None or finalize:
            info = f" - {now - self._start:.0f}s" + _format_time(per_step, self.unit_name)
        else:
            info = " - ETA: " + _format_eta(per_step * (self.target - current))
        for name, avg in self._averages():
            info += f" - {name}:" + _format_value(avg, abs(avg) > 1e-3)
        self._total_width = len(bar) + len(info)
        if previous_width > self._total_width:
            info += " " * (previous_width - self._total_width)
        return message + bar + info + ("\n" if finalize else "")

    def _epoch_line(self, current: int, now: float) -> str:
        """The verbose=2 line printed once at the end."""
        digits = int(np.log10(self.target)) + 1
        line = ("%" + str(digits) + "d/%d") % (current, self.target) + f" - {now - self._start:.0f}s"
        for name, avg in self._averages():
            line += f" - {name}:" + _format_value(avg, avg > 1e-3)
        if self._time_at_epoch_end:
            epoch_time = self._time_at_epoch_end - self._time_at_epoch_start
            self._time_at_epoch_start = now
            self._time_at_epoch_end = None
            line += " -" + _format_time(epoch_time, "epoch")
            line += " -" + _format_time(epoch_time / self.target, self.unit_name) + "\n"
        return line

    def _estimate_step_duration(self, current: int, now: float) -> float:
        """Seconds per step, leaving out the first step once later ones are known."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step
