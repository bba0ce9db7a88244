"""Loading this project's specs imports neither torch nor hypothesis: `check` answers that
a class cannot be adapted before any example is drawn, and those two imports alone take
longer than the answer should (torch about 1.5 s)."""
import importlib
from collections.abc import Mapping


class LazyModule:
    """A module imported at the first use of one of its attributes."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attribute):
        return getattr(importlib.import_module(self._name), attribute)


class LazyDraws(Mapping):
    """A spec's draws whose hypothesis strategies are made when first looked up: each value
    is a function of the module hypothesis.strategies (lambda st: st.integers(1, 3))."""

    def __init__(self, **makers):
        self._makers, self._made = makers, {}

    def __getitem__(self, key):
        if key not in self._made:
            self._made[key] = self._makers[key](importlib.import_module("hypothesis.strategies"))
        return self._made[key]

    def __iter__(self):
        return iter(self._makers)

    def __len__(self):
        return len(self._makers)

    def __repr__(self):
        return f"LazyDraws({', '.join(self._makers)})"

    def with_makers(self, **makers):
        """A LazyDraws with these makers added (or in place of those of the same name)."""
        return LazyDraws(**{**self._makers, **makers})

    def maker(self, key):
        """The function that makes `key`'s strategy from hypothesis.strategies."""
        return self._makers[key]

    def made_with(self, strategies):
        """{name: maker(strategies)}: the draws made with another module in hypothesis's place
        (the external check's stand-in that gives one value of each, without hypothesis)."""
        return {k: maker(strategies) for k, maker in self._makers.items()}
