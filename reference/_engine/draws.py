"""The random draws of one finite-difference check: sign directions and sampled elements.

They are a function of the example's seed alone (a rerun of an example perturbs the same
directions), taken from SHAKE-128 of the seed and a counter: creating a NumPy Generator
costs more than the whole draw of a small layer's check, which runs for every example.
"""
import hashlib

import numpy as np


class Draws:
    def __init__(self, seed):
        self.seed, self.taken = int(seed), 0

    def _bytes(self, count):
        self.taken += 1
        return hashlib.shake_128(f"fd:{self.seed}:{self.taken}".encode()).digest(count)

    def signs(self, count, size=1.0):
        """`count` random signs times `size` (+size or -size, each with probability 1/2)."""
        bits = np.unpackbits(np.frombuffer(self._bytes((count + 7) // 8), dtype=np.uint8), count=count)
        return bits * (2.0 * size) - size

    def sample(self, n, k):
        """k distinct indices below n (k <= n), in the order drawn."""
        if not 0 <= k <= n:
            raise ValueError(f"cannot sample {k} distinct indices below {n}")
        chosen = []
        while len(chosen) < k:
            for word in np.frombuffer(self._bytes(8 * k), dtype=np.uint64) % np.uint64(n):
                if len(chosen) < k and int(word) not in chosen:
                    chosen.append(int(word))
        return np.asarray(chosen, dtype=int)
