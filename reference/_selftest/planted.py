"""Planted bugs: the mistakes people really make, as small subclasses of the correct layers.

Each entry names the spec it is checked under, a one-line description, and the buggy
class. `python -m reference --self-test` runs the generic checks on every variant and
must catch each one; tests/test_planted.py asserts the same in CI. Inputs a bug needs
(batch != n_features, seq_len >= 2, non-zero h0, p != 0.5, rows on different scales) come
from the specs' strategies, never from hand-picked examples.

To add one: subclass the layer, override the one method with the mistake, and add a
Planted(...) line to CATALOG.
"""
import dataclasses
from dataclasses import dataclass

import numpy as np

import scratch


@dataclass(frozen=True)
class Planted:
    """only: the one check expected to catch this bug (it shows that check earns its place);
    "example" for a layer that fails before any check, while its example is built.
    twin: False checks the variant as a layer PyTorch has no module for (spec without a
    twin), where finite differences are the only gradient check.
    build: builds the variant from the config, where the mistake is in the constructor
    (swapping the class after the spec's build would skip it).
    """

    name: str
    spec: str
    description: str
    cls: type
    only: str = ""
    twin: bool = True
    build: object = None  # config -> the variant, for a mistake in the constructor itself


def variant_spec(bug, spec):
    """`spec` with its layer swapped for the buggy class after build (same state), or built by
    the bug's own build."""
    def build(config):
        layer = spec.build(config)
        layer.__class__ = bug.cls
        return layer
    twin = spec.twin if bug.twin else None
    return dataclasses.replace(spec, name=f"{spec.name}:{bug.name}", build=bug.build or build, twin=twin)


def scaled_gradient(spec, param, index, factor):
    """`spec` with one element of `param`'s gradient scaled by `factor`: the smallest wrong
    gradient, for measuring how fine an error a check resolves (tests, the benchmark)."""
    def backward(self, *dout):
        dx = spec.cls.backward(self, *dout)
        self.grads[param][index] *= factor
        return dx
    cls = type(f"{spec.cls.__name__}Scaled", (spec.cls,), {"backward": backward})
    return variant_spec(Planted(f"{param}{list(index)}x{factor!r}", spec.name,
                                f"{param}'s gradient at {index} times {factor!r}", cls), spec)


# --- FC -----------------------------------------------------------------------------
class FCBiasAveraged(scratch.FC):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["B"][...] = np.average(dout)
        return dx


class FCWeightOverBatch(scratch.FC):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["W"] /= dout.shape[0]
        return dx


class FCBiasWrongAxis(scratch.FC):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["B"][...] = dout.sum(axis=1, keepdims=True).sum(axis=0)
        return dx


class FCTransposedWeight(scratch.FC):
    def backward(self, dout):
        super().backward(dout)
        return dout @ self.params["W"]


class FCStepInBackward(scratch.FC):
    def backward(self, dout):
        dx = super().backward(dout)
        scratch.SGD(0.01).update(self)
        return dx


class FCGradsAccumulate(scratch.FC):
    def backward(self, dout):
        previous = {k: g.copy() for k, g in self.grads.items()}
        dx = super().backward(dout)
        for k in self.grads:
            self.grads[k] += previous[k]
        return dx


class FCBiasStepInBackward(scratch.FC):
    def backward(self, dout):
        dx = super().backward(dout)
        self.params["B"] -= 0.01 * self.grads["B"]  # no gradient depends on B: backward stays right
        return dx


class FCInputBufferFilledOnce(scratch.FC):
    def forward(self, x):
        buffer = self.cache
        out = super().forward(x)
        if buffer is not None and buffer.shape == self.cache.shape:
            self.cache = buffer  # the buffer is reused, but x is copied into it only when allocated
        return out


class FCSqueezesInput(scratch.FC):
    def forward(self, x):
        return super().forward(np.squeeze(x))  # meant for a stray axis: a batch of 1 goes too


class FCKeepsCallersInput(scratch.FC):
    def forward(self, x):
        out = super().forward(x)
        self.cache = x  # the caller's array itself: their `x += noise` after forward reaches backward
        return out


class FCInputGradInGrads(scratch.FC):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["x"] = dx
        return dx


class FCFloat32Output(scratch.FC):
    def forward(self, x):
        return super().forward(x).astype(np.float32)


class FCUnvalidated(scratch.FC):
    def forward(self, x):
        self.cache = np.array(x, dtype=np.float64)  # its own copy, as it should
        return self.cache @ self.params["W"][: self.cache.shape[-1]] + self.params["B"]


# --- activations ----------------------------------------------------------------------
class SigmoidPrecedence(scratch.Sigmoid):
    def _forward(self, x):
        return 1 / 1 + np.exp(-x)


class SigmoidDerivativeOfInput(scratch.Sigmoid):
    def _backward(self, x, y, dout):
        return dout * x * (1.0 - x)


class TanhReturnsItsCache(scratch.Tanh):
    def forward(self, x):
        super().forward(x)
        return self.cache[1]  # the array backward reads y from: the caller's writes reach it


class TanhDerivativeNotSquared(scratch.Tanh):
    def _backward(self, x, y, dout):
        return dout * (1.0 - y)


class ReLUBackwardIgnoresMask(scratch.ReLU):
    def _backward(self, x, y, dout):
        return dout


class ReLUMaskInverted(scratch.ReLU):
    def _backward(self, x, y, dout):
        return dout * (x < 0)


class ReLUBackwardInPlace(scratch.ReLU):
    def _backward(self, x, y, dout):
        dout[x <= 0] = 0.0
        return dout


class ReLUGradientAtZero(scratch.ReLU):
    def _backward(self, x, y, dout):
        return dout * (x >= 0)


class ReLUForwardInPlace(scratch.ReLU):
    def forward(self, x):
        x[x < 0] = 0.0  # the caller's array, before the layer takes its own copy
        return super().forward(x)


class SoftmaxGlobalMax(scratch.Softmax):
    def _forward(self, x):
        e = np.exp(x - x.max())
        return e / e.sum(axis=-1, keepdims=True)


class SoftmaxWrongAxis(scratch.Softmax):
    def _forward(self, x):
        e = np.exp(x - x.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)


class SoftmaxDiagonalOnly(scratch.Softmax):
    def _backward(self, x, y, dout):
        return dout * y * (1.0 - y)


class SoftmaxBackwardAsLoss(scratch.Softmax):
    def _backward(self, x, y, dout):
        return y - dout


# --- Dropout ----------------------------------------------------------------------------
class DropoutBackwardIgnoresMask(scratch.Dropout):
    def backward(self, dout):
        super().backward(dout)
        return dout.copy()


class DropoutScalesByP(scratch.Dropout):
    def forward(self, x):
        super().forward(x)
        self.cache = self.cache * (1.0 - self.p) / self.p if self.p > 0 else self.cache
        return x * self.cache


class DropoutNotInverted(scratch.Dropout):
    def forward(self, x):
        out = super().forward(x)
        self.cache = self.cache * (1.0 - self.p)
        return out * (1.0 - self.p)


class DropoutNewMaskInBackward(scratch.Dropout):
    def backward(self, dout):
        super().backward(dout)
        return dout * (self.rng.random(dout.shape) >= self.p) / (1.0 - self.p)


class DropoutInPlace(scratch.Dropout):
    def forward(self, x):
        out = super().forward(x)
        x *= self.cache
        return out


class DropoutEvalScales(scratch.Dropout):
    def forward(self, x):
        out = super().forward(x)
        if not self.training:
            self.cache = self.cache * (1.0 - self.p)
            out = out * (1.0 - self.p)
        return out


# --- SimpleRNN ---------------------------------------------------------------------------
def _cached(layer):
    """SimpleRNN's cache as (x, hs) with hs batch-major: hs[:, t] is h_(t-1), hs[:, 0] = h0."""
    x, _, hs = layer.cache
    return x, np.swapaxes(hs, 0, 1)


def _rnn_backward(layer, dout, *, carry=True, accumulate=True, h_for_wh=slice(None, -1), over_batch=False):
    """SimpleRNN.backward as a loop over time, with switches for the classic mistakes."""
    scratch.SimpleRNN.backward(layer, dout)  # the same input checks as the correct layer
    x, hs = _cached(layer)
    W_x, W_h = layer.params["W_x"], layer.params["W_h"]
    per_batch = x.shape[0] if over_batch else 1.0
    dx = np.zeros_like(x)
    dh_next = np.zeros_like(hs[:, 0])
    for k in layer.grads:
        layer.grads[k][...] = 0.0
    previous_hs = hs[:, h_for_wh]
    for t in reversed(range(x.shape[1])):
        da = (dout[:, t] + (dh_next if carry else 0.0)) * (1.0 - hs[:, t + 1] ** 2)
        contributions = {"W_x": x[:, t].T @ da, "W_h": previous_hs[:, t].T @ da, "B": da.sum(axis=0)}
        for k, value in contributions.items():
            if accumulate or k != "W_h":
                layer.grads[k] += value / per_batch
            else:
                layer.grads[k][...] = value / per_batch
        dx[:, t] = da @ W_x.T
        dh_next = da @ W_h.T
    layer.dinputs = {"h0": dh_next}
    return dx


class RNNWhOverwritten(scratch.SimpleRNN):
    def backward(self, dout):
        return _rnn_backward(self, dout, accumulate=False)


class RNNNextStepDropped(scratch.SimpleRNN):
    def backward(self, dout):
        return _rnn_backward(self, dout, carry=False)


class RNNWhWithCurrentState(scratch.SimpleRNN):
    def backward(self, dout):
        return _rnn_backward(self, dout, h_for_wh=slice(1, None))


class RNNGradsOverBatch(scratch.SimpleRNN):
    def backward(self, dout):
        return _rnn_backward(self, dout, over_batch=True)


class RNNNoH0Gradient(scratch.SimpleRNN):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dinputs = {"h0": np.zeros_like(self.dinputs["h0"])}
        return dx


class RNNCarriesHiddenState(scratch.SimpleRNN):
    def forward(self, x, h0=None):
        last_h = getattr(self, "last_h", None)
        if h0 is None and last_h is not None and np.ndim(x) == 3 and len(x) == len(last_h):
            h0 = last_h
        out = super().forward(x, h0)
        self.last_h = out[:, -1]
        return out


class RNNClipsGradient(scratch.SimpleRNN):
    def backward(self, dout):
        scratch.SimpleRNN.backward(self, dout)
        x, hs = _cached(self)
        W_x, W_h = self.params["W_x"], self.params["W_h"]
        da = np.empty_like(dout)
        dh_next = np.zeros_like(hs[:, 0])
        for t in reversed(range(x.shape[1])):
            dh = np.clip(dout[:, t] + dh_next, -20.0, 20.0)
            da[:, t] = dh * (1.0 - hs[:, t + 1] ** 2)
            dh_next = da[:, t] @ W_h.T
        self.grads["W_x"][...] = np.einsum("btf,btn->fn", x, da)
        self.grads["W_h"][...] = np.einsum("btm,btn->mn", hs[:, :-1], da)
        self.grads["B"][...] = da.sum(axis=(0, 1))
        self.dinputs = {"h0": dh_next}
        return da @ W_x.T


class RNNBiasFromLastStep(scratch.SimpleRNN):
    def backward(self, dout):
        dx = super().backward(dout)
        x, hs = _cached(self)
        self.grads["B"][...] = (dout[:, -1] * (1.0 - hs[:, -1] ** 2)).sum(axis=0)
        return dx


# --- LSTM -----------------------------------------------------------------------------------
class LSTMGateOrderSwappedInBackward(scratch.LSTM):
    """forward in PyTorch's gate order (i, f, g, o); the weight gradients and dx taken from the
    gates' gradients stacked as (f, i, g, o): code that changed its gate order in one pass only."""

    def _weight_grads(self, x, hs, dax, dah):
        def swapped(da):
            i, f, g, o = np.split(da, 4, axis=-1)
            return np.concatenate([f, i, g, o], axis=-1)
        return super()._weight_grads(x, hs, swapped(dax), swapped(dah))


# --- Conv1d ---------------------------------------------------------------------------------
class ConvOddKernelsOnly(scratch.Conv1d):
    def __init__(self, in_channels, out_channels, kernel_size, initializer, **kwargs):
        half = (kernel_size - 1) // 2  # 'same' padding, never used, but computed for every kernel
        if 2 * half + 1 != kernel_size:
            raise ValueError(f"ConvOddKernelsOnly: 'same' padding needs an odd kernel_size, got {kernel_size}")
        super().__init__(in_channels, out_channels, kernel_size, initializer, **kwargs)


# --- MaxPool2d ------------------------------------------------------------------------------
class MaxPoolOffsetsIndicesInPlace(scratch.MaxPool2d):
    def _pool_backward(self, dout, flat_shape, argmax):
        argmax += flat_shape[-1] * np.arange(argmax.size).reshape(argmax.shape)  # window -> flat index
        dflat = np.zeros(flat_shape)
        dflat.flat[argmax.ravel()] = dout.ravel()
        return dflat


class MaxPoolEveryTiedMaximum(scratch.MaxPool2d):
    def _pool(self, flat):
        out = flat.max(axis=-1)
        return out, flat == out[..., np.newaxis]

    def _pool_backward(self, dout, flat_shape, maximal):
        return maximal * dout[..., np.newaxis]


# --- SoftmaxCrossEntropy --------------------------------------------------------------------
class CELogOfSoftmax(scratch.SoftmaxCrossEntropy):
    def forward(self, scores, targets):
        super().forward(scores, targets)
        softmax, probs = self.cache
        return float(-(probs * np.log(softmax)).sum() / scores.shape[0])


class CELogOfUnderflowedSoftmax(scratch.SoftmaxCrossEntropy):
    def forward(self, scores, targets):
        super().forward(scores, targets)
        softmax, probs = self.cache
        return float(-np.log((probs * softmax).sum(axis=1)).mean())


class CESumNotMean(scratch.SoftmaxCrossEntropy):
    def forward(self, scores, targets):
        return super().forward(scores, targets) * scores.shape[0]


class CEBackwardNotAveraged(scratch.SoftmaxCrossEntropy):
    def backward(self):
        dscores = super().backward()
        return dscores * dscores.shape[0]


class CEBackwardArgmaxTarget(scratch.SoftmaxCrossEntropy):
    def backward(self):
        super().backward()  # its checks
        softmax, probs = self.cache
        hard = np.eye(probs.shape[1])[probs.argmax(axis=1)]  # the label, as if targets were one-hot
        return (softmax - hard) / softmax.shape[0]


class CEEpsilonInLog(scratch.SoftmaxCrossEntropy):
    def forward(self, scores, targets):
        super().forward(scores, targets)
        softmax, probs = self.cache
        return float(-(probs * np.log(softmax + 1e-7)).sum() / scores.shape[0])


class TimeCESoftStepsScrambled(scratch.TimeSoftmaxCrossEntropy):
    def forward(self, scores, targets):
        if isinstance(targets, np.ndarray) and targets.ndim == 3:  # flattened time-major, the scores batch-major
            targets = np.ascontiguousarray(targets.transpose(1, 0, 2)).reshape(targets.shape)
        return super().forward(scores, targets)


CATALOG = (
    Planted("bias-grad-averaged", "FC", "bias gradient averaged to one scalar (np.average(dout))", FCBiasAveraged),
    Planted("weight-grad-over-batch", "FC", "weight gradient divided by the batch inside the layer",
            FCWeightOverBatch),
    Planted("bias-grad-wrong-axis", "FC", "bias gradient summed over the feature axis first", FCBiasWrongAxis),
    Planted("transposed-weight", "FC", "backward uses W instead of W.T for dx", FCTransposedWeight),
    Planted("step-in-backward", "FC", "an SGD step taken inside backward, as in the exercise", FCStepInBackward),
    Planted("bias-step-in-backward", "FC", "the bias stepped inside backward (no gradient depends on it)",
            FCBiasStepInBackward, only="params_unchanged_by_backward"),
    Planted("grads-accumulate", "FC", "grads added to across backward calls instead of overwritten",
            FCGradsAccumulate),
    Planted("input-buffer-filled-once", "FC", "x cached in a buffer reused across calls but filled only when "
            "allocated: backward uses the first call's x", FCInputBufferFilledOnce, only="stateless"),
    Planted("keeps-callers-input", "FC", "caches the caller's x, not a copy: writing to x after forward changes "
            "the weight gradient", FCKeepsCallersInput, only="output_owned"),
    Planted("input-grad-in-grads", "FC", "dx stored in grads too, which an optimizer then trips over",
            FCInputGradInGrads, only="types_and_shapes"),
    Planted("float32-output", "FC", "output cast to float32, weakening every float64 check", FCFloat32Output),
    Planted("no-validation", "FC", "no input checks: wrong sizes are sliced or broadcast silently", FCUnvalidated, only="rejects_bad_input"),
    Planted("squeezed-input", "FC", "np.squeeze(x) in forward: a batch of 1 loses its axis and forward raises",
            FCSqueezesInput, only="example"),
    Planted("sigmoid-precedence", "Sigmoid", "1/1+np.exp(-x) instead of 1/(1+np.exp(-x))", SigmoidPrecedence),
    Planted("sigmoid-derivative-of-input", "Sigmoid", "x*(1-x) instead of y*(1-y)", SigmoidDerivativeOfInput),
    Planted("tanh-not-squared", "Tanh", "1 - y instead of 1 - y**2", TanhDerivativeNotSquared),
    Planted("tanh-returns-cache", "Tanh", "returns the cached output itself: the caller's h += b changes backward",
            TanhReturnsItsCache, only="output_owned"),
    Planted("relu-ignores-mask", "ReLU", "backward passes dout through unchanged", ReLUBackwardIgnoresMask),
    Planted("relu-mask-inverted", "ReLU", "gradient passed where x < 0 instead of x > 0", ReLUMaskInverted),
    Planted("relu-backward-in-place", "ReLU", "dx = dout; dx[x <= 0] = 0 zeroes the caller's dout",
            ReLUBackwardInPlace, only="arguments_unchanged"),
    Planted("relu-gradient-at-zero", "ReLU", "gradient passed where x >= 0: 1 at the kink, where PyTorch "
            "gives 0", ReLUGradientAtZero, only="kinks_and_ties"),
    Planted("relu-forward-in-place", "ReLU", "x[x < 0] = 0 overwrites the caller's input", ReLUForwardInPlace),
    Planted("softmax-global-max", "Softmax", "one global maximum subtracted instead of each row's",
            SoftmaxGlobalMax),
    Planted("softmax-wrong-axis", "Softmax", "normalised over the batch axis", SoftmaxWrongAxis),
    Planted("softmax-diagonal-only", "Softmax", "backward uses only the Jacobian's diagonal y*(1-y)",
            SoftmaxDiagonalOnly),
    Planted("softmax-backward-as-loss", "Softmax", "backward returns y - dout (the cross-entropy shortcut)",
            SoftmaxBackwardAsLoss),
    Planted("dropout-ignores-mask", "Dropout", "backward ignores the mask", DropoutBackwardIgnoresMask),
    Planted("dropout-scale-p", "Dropout", "kept units scaled by 1/p instead of 1/(1-p)", DropoutScalesByP, only="torch_twin"),
    Planted("dropout-not-inverted", "Dropout", "training multiplies by (1-p) instead of dividing",
            DropoutNotInverted),
    Planted("dropout-new-mask-in-backward", "Dropout", "backward draws a new mask", DropoutNewMaskInBackward),
    Planted("dropout-in-place", "Dropout", "x *= mask overwrites the caller's input", DropoutInPlace),
    Planted("dropout-eval-scales", "Dropout-eval", "evaluation multiplies by (1-p) (the exercise's convention)",
            DropoutEvalScales),
    Planted("rnn-wh-overwritten", "SimpleRNN", "W_h gradient overwritten at each step instead of accumulated",
            RNNWhOverwritten),
    Planted("rnn-next-step-dropped", "SimpleRNN", "gradient from the next time step not added", RNNNextStepDropped),
    Planted("rnn-wh-overwritten-no-twin", "SimpleRNN", "W_h gradient overwritten, in a recurrent layer "
            "checked without a PyTorch twin", RNNWhOverwritten, only="finite_differences", twin=False),
    Planted("rnn-wh-current-state", "SimpleRNN", "W_h gradient uses h_t instead of h_(t-1)", RNNWhWithCurrentState),
    Planted("rnn-grads-over-batch", "SimpleRNN", "every gradient divided by the batch, as in the exercise",
            RNNGradsOverBatch),
    Planted("rnn-no-h0-grad", "SimpleRNN", "gradient for h0 left at zero", RNNNoH0Gradient),
    Planted("rnn-carries-state", "SimpleRNN-no-h0", "starts from the last call's hidden state when h0 is omitted",
            RNNCarriesHiddenState),
    Planted("rnn-clips-gradient", "SimpleRNN", "dh clipped to [-20, 20] inside backward (against exploding "
            "gradients)", RNNClipsGradient, only="linear_in_upstream"),
    Planted("rnn-bias-last-step", "SimpleRNN", "bias gradient from the last time step only", RNNBiasFromLastStep),
    Planted("lstm-gate-order-in-backward", "LSTM", "backward stacks the gates' gradients as f, i, g, o while "
            "forward uses i, f, g, o", LSTMGateOrderSwappedInBackward),
    Planted("conv-odd-kernels-only", "Conv1d", "the constructor raises for an even kernel_size, which the spec "
            "draws", ConvOddKernelsOnly, only="example",
            build=lambda c: ConvOddKernelsOnly(c["in_channels"], c["out_channels"], c["kernel_size"],
                                               scratch.SimpleInitializer(rng=c["rng"]), stride=c["stride"],
                                               padding=c["padding"])),
    Planted("maxpool-index-offset-in-place", "MaxPool2d", "backward turns the cached window indices into "
            "flat ones in place: a second backward is wrong or raises", MaxPoolOffsetsIndicesInPlace,
            only="backward_twice"),
    Planted("maxpool-every-tied-maximum", "MaxPool2d", "the gradient goes to every maximal element of a tied "
            "window, not to the first as in PyTorch", MaxPoolEveryTiedMaximum, only="kinks_and_ties"),
    Planted("ce-log-of-softmax", "SoftmaxCrossEntropy", "log(softmax(x)): log of an underflowed 0 is -inf",
            CELogOfSoftmax),
    Planted("ce-infinite-loss", "SoftmaxCrossEntropy", "-log(softmax[target]): a target probability that "
            "underflows to 0 makes the loss inf", CELogOfUnderflowedSoftmax),
    Planted("ce-sum-not-mean", "SoftmaxCrossEntropy", "loss summed over the batch, gradient still averaged",
            CESumNotMean),
    Planted("ce-backward-not-averaged", "SoftmaxCrossEntropy", "gradient not divided by the batch",
            CEBackwardNotAveraged),
    Planted("ce-epsilon-in-log", "SoftmaxCrossEntropy-onehot", "log(p + 1e-7) biases the loss",
            CEEpsilonInLog),
    Planted("ce-soft-targets-as-labels", "SoftmaxCrossEntropy-soft", "backward softmax - one_hot(argmax(targets)): "
            "right for one-hot targets only", CEBackwardArgmaxTarget),
    Planted("time-ce-soft-steps-scrambled", "TimeSoftmaxCrossEntropy-soft", "probability targets paired with the "
            "wrong (sample, step): flattened time-major against batch-major scores", TimeCESoftStepsScrambled),
)
