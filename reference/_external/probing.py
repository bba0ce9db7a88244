"""This project's own layer as the reference for a forward-only probe (internal).

A convention of a layer written elsewhere (its gate order, its weight layout, its stride
given as one int) is found by building the layer each way it might be, giving it the same
weights as the spec's own layer, and comparing one forward on the same inputs. No torch is
needed, and backward takes no part: a backward that disagrees with its own forward's
convention is still a bug, which the checks then find.
"""
import numpy as np

from .construction import probe_inputs


class OwnForward:
    """The spec's own layer at `config` with weights of order 1 (so that every block and
    element matters), the inputs of one call and its output."""

    def __init__(self, spec, config, seed=0):
        own = spec.build(config)
        rng = np.random.default_rng(seed)
        for value in own.params.values():
            value[...] = rng.uniform(-1.0, 1.0, np.shape(value))
        self.params = {k: np.array(v) for k, v in own.params.items()}
        self.args = probe_inputs(spec, config, rng)
        self.expected = np.asarray(own.forward(**self._copies()), dtype=np.float64)

    def _copies(self):
        return {k: v.copy() for k, v in self.args.items()}

    def error(self, layer):
        """The largest difference of layer's forward from the reference's, given the same
        weights (layer keeps the contract's params dict); inf for another shape, None if
        building or calling it raised."""
        try:
            for k, value in self.params.items():
                layer.params[k][...] = value
            out = np.asarray(layer.forward(**self._copies()), dtype=np.float64)
        except Exception:  # noqa: BLE001 - the checks report a failing call with its sizes
            return None
        return float(np.max(np.abs(out - self.expected), initial=0.0)) if out.shape == self.expected.shape else np.inf

    def agrees(self, error):
        """Whether an error is the reference's output up to float32 rounding (1e-7
        relative); a wrong convention errs at order 0.1."""
        return error is not None and error <= 1e-4 * max(1.0, float(np.max(np.abs(self.expected), initial=0.0)))
