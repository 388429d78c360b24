"""Training batches: one rank's shard of a prepared image set (alis_studio.evaluation.datasets), in
shuffled epochs with random x-flips."""
from __future__ import annotations

import json

import numpy as np


class Sampler:
    """Batches of one rank's shard (images i with i % world == rank), in shuffled epochs, with
    random x-flips. Its whole state is a numpy PCG64 state and a position: `state_dict()`."""

    def __init__(self, images: np.ndarray, batch: int, *, seed: int = 0, rank: int = 0, world: int = 1,
                 xflip: bool = True):
        self.images, self.batch, self.xflip = images, int(batch), xflip
        self.shard = np.arange(rank, len(images), world)
        self.rng = np.random.Generator(np.random.PCG64([int(seed), rank]))
        self._new_epoch()

    def _new_epoch(self):
        self._epoch_state = self.rng.bit_generator.state
        self.perm = self.shard[self.rng.permutation(len(self.shard))]
        self.pos = 0

    def next(self) -> np.ndarray:
        """(batch, H, W, 3) uint8."""
        idx = []
        while len(idx) < self.batch:
            if self.pos >= len(self.perm):
                self._new_epoch()
            take = self.perm[self.pos:self.pos + self.batch - len(idx)]
            idx.extend(take.tolist())
            self.pos += len(take)
        idx = np.asarray(idx)
        order = np.argsort(idx, kind="stable")  # read the memory map in file order
        out = np.empty((len(idx),) + self.images.shape[1:], np.uint8)
        out[order] = self.images[idx[order]]
        if self.xflip:
            flip = self.rng.random(len(idx)) < 0.5
            out[flip] = out[flip, :, ::-1]
        return out

    def state_dict(self) -> dict:
        return {"epoch_state": json.dumps(self._epoch_state), "pos": self.pos,
                "state": json.dumps(self.rng.bit_generator.state)}

    def load_state_dict(self, d: dict) -> None:
        self.rng.bit_generator.state = json.loads(d["epoch_state"])
        self._new_epoch()
        self.pos = int(d["pos"])
        self.rng.bit_generator.state = json.loads(d["state"])
