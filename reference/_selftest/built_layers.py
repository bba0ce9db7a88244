"""The layers whose initial weights are checked as their constructors draw them
(initializer_stats.check_built), each at sizes where every weight has at least 30 000
elements, unequal fans and a kernel larger than 1, so that a fan that is swapped, or lacks
the kernel area, moves the std by many standard errors. The spec of the same name gives
the twin, whose parameter map puts each weight in torch's layout."""
from dataclasses import dataclass
from typing import Callable

import scratch

from .._builtin.specs import BY_NAME


@dataclass(frozen=True)
class Built:
    name: str  # the spec whose twin maps the weights to torch's layout
    cls: type
    build: Callable  # (cls, initializer) -> the layer, cls being cls or a planted subclass

    @property
    def twin(self):
        return BY_NAME[self.name].twin


BUILT = (
    Built("FC", scratch.FC, lambda cls, init: cls(300, 200, init)),
    Built("TimeFC", scratch.TimeFC, lambda cls, init: cls(200, 300, init)),
    Built("Embedding", scratch.Embedding, lambda cls, init: cls(300, 200, init)),
    Built("SimpleRNN", scratch.SimpleRNN, lambda cls, init: cls(300, 200, init)),
    Built("GRU", scratch.GRU, lambda cls, init: cls(200, 100, init)),
    Built("LSTM", scratch.LSTM, lambda cls, init: cls(200, 100, init)),
    Built("Conv1d", scratch.Conv1d, lambda cls, init: cls(64, 96, 5, init)),
    Built("Conv2d", scratch.Conv2d, lambda cls, init: cls(32, 64, (5, 3), init)),
)
BY_LAYER = {built.name: built for built in BUILT}
