"""Seeded random generators for the layers that draw random numbers (dropout, noise, augmentation)."""
from typing import Dict, Optional

import torch


class SeedGenerator:
    """One torch generator per device, seeded with `seed`; without a seed, or inside a compiled step (whose
    random numbers come from the compiler's own graph-safe generator, seeded from torch's), None (torch's global
    generator)."""

    def __init__(self, seed: Optional[int]):
        self.seed = seed
        self._generators: Dict[torch.device, torch.Generator] = {}

    def __call__(self, device: torch.device) -> Optional[torch.Generator]:
        if self.seed is None or device.type == "meta" or torch.compiler.is_compiling():
            return None
        generator = self._generators.get(device)
        if generator is None:
            generator = self._generators[device] = torch.Generator(device=device).manual_seed(int(self.seed))
        return generator
