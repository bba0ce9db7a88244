"""The spec registry: one entry per layer (or per mode of a layer). Adding a layer = one entry."""
import scratch
from scratch import SimpleInitializer

from .._spec.spec import Floats, FloatTargets, Labels, OneHot, Spec
from .._spec.tolerances import Tolerance
from . import twins
from .lazy import LazyDraws
from .warm_up import warm_up_batches


def _init(config):
    # Parameters are redrawn by hypothesis after build; the initializer only sizes them.
    return SimpleInitializer(rng=config["rng"])


# Dropout's p: 0 (identity), common values, and values where 1/(1-p) is far from 2.
DROPOUT_P = LazyDraws(p=lambda st: st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.8]))
# Rows shifted by up to 1e3 apart: exp of the smaller rows underflows to 0 unless each
# row's own maximum is subtracted.
ROW_OFFSETS = (0.0, 0.0, 1e3, -1e3)
# A logit 1e3 below its row's maximum: its probability underflows to 0, so log(softmax)
# gives log(0) unless the log-softmax is computed as z - logsumexp(z).
EXTREMES = (-1e3,)
# Logits 1e3 apart make the loss itself up to ~1e3, and central-difference round-off is
# eps * |L| / STEP = 2.2e-16 * 1e3 / 1e-6 ~ 2e-7 (measured: 2e-8): above the default
# atol of 1e-8. A cross-entropy gradient element is (p - t) / batch, and the planted
# bugs are off by far more than 1e-6; the torch twin still compares at 1e-12.
LARGE_LOSS = dict(tolerance=Tolerance(atol=1e-6, rtol=1e-6),
                  tolerance_reason="logits 1e3 apart make |L| ~ 1e3: round-off ~2e-7")
ELEMENTWISE = Floats(("batch", "n_features"), low=-3.0, high=3.0, any_shape=True)
# Convolution and pool geometry: small kernels, strides above 1 (and above the kernel, so
# that windows skip elements), padding; drawn per spatial axis for the 2-D layers so that a
# mixed-up height and width shows.
KERNEL, STRIDE, PADDING = (1, 3), (1, 3), (0, 1)  # the ranges drawn
CONV1D_GEOMETRY = LazyDraws(kernel_size=lambda st: st.integers(*KERNEL), stride=lambda st: st.integers(*STRIDE),
                            padding=lambda st: st.integers(*PADDING))


def _per_axis_pair(low, high):
    return lambda st: st.tuples(st.integers(low, high), st.integers(low, high))


CONV2D_GEOMETRY = LazyDraws(kernel_size=_per_axis_pair(*KERNEL), stride=_per_axis_pair(*STRIDE),
                            padding=_per_axis_pair(*PADDING))
# Pools also draw stride None, their default: stride = kernel_size, in scratch and in PyTorch.
POOL2D_GEOMETRY = LazyDraws(kernel_size=_per_axis_pair(*KERNEL),
                            stride=lambda st: st.one_of(st.none(), _per_axis_pair(*STRIDE)(st)),
                            padding=_per_axis_pair(*PADDING))


def _per_axis(value, n):
    return value if isinstance(value, tuple) else (value,) * n


def window_fits(*axes, pool=False):
    """assume for a convolution or pool: each spatial axis, padded, holds one window (else the
    output is empty); for a pool, padding <= kernel // 2 as PyTorch requires."""
    def fits(config):
        kernel, padding = (_per_axis(config[name], len(axes)) for name in ("kernel_size", "padding"))
        return all(config[axis] + 2 * p >= k and (not pool or p <= k // 2)
                   for axis, k, p in zip(axes, kernel, padding))
    return fits


SEQUENCE = Floats(("batch", "seq_len", "n_features"))
STATE = Floats(("batch", "n_nodes"))

def _trained_batch_norm(config):
    """Evaluation mode with the running statistics of a few training steps (taken from a
    trained copy, so that the layer itself has seen no forward: backward must still raise)."""
    trained, layer = scratch.BatchNorm1d(config["n_features"]), scratch.BatchNorm1d(config["n_features"])
    for batch in warm_up_batches(config):
        trained.forward(batch)
    layer.running_mean[...], layer.running_var[...] = trained.running_mean, trained.running_var
    return layer.eval()


SPECS = (
    Spec("FC", scratch.FC,
         build=lambda c: scratch.FC(c["n_in"], c["n_out"], _init(c)),
         inputs={"x": Floats(("batch", "n_in"))},
         layer_dims=("n_in", "n_out"), twin=twins.LINEAR,
         independent_samples=True),
    Spec("TimeFC", scratch.TimeFC,
         build=lambda c: scratch.TimeFC(c["n_in"], c["n_out"], _init(c)),
         inputs={"x": Floats(("batch", "seq_len", "n_in"))},
         layer_dims=("n_in", "n_out"), twin=twins.LINEAR,
         independent_samples=True),
    Spec("Flatten", scratch.Flatten, build=lambda c: scratch.Flatten(),
         inputs={"x": Floats(("batch", "n_features"), low=-3.0, high=3.0, any_shape=True, min_rank=2)},
         twin=twins.FLATTEN,
         independent_samples=True),
    Spec("Embedding", scratch.Embedding,
         build=lambda c: scratch.Embedding(c["n_embeddings"], c["dim"], _init(c)),
         inputs={"indices": Labels(("batch", "seq_len"), classes="n_embeddings")},
         layer_dims=("n_embeddings", "dim"), twin=twins.EMBEDDING,
         independent_samples=True),
    Spec("Sigmoid", scratch.Sigmoid, build=lambda c: scratch.Sigmoid(),
         inputs={"x": ELEMENTWISE}, twin=twins.SIGMOID,
         independent_samples=True),
    Spec("Tanh", scratch.Tanh, build=lambda c: scratch.Tanh(),
         inputs={"x": ELEMENTWISE}, twin=twins.TANH,
         independent_samples=True),
    Spec("ReLU", scratch.ReLU, build=lambda c: scratch.ReLU(),
         inputs={"x": Floats(("batch", "n_features"), low=-3.0, high=3.0, kinks=(0.0,), any_shape=True)},
         twin=twins.RELU,
         independent_samples=True),
    Spec("LeakyReLU", scratch.LeakyReLU, build=lambda c: scratch.LeakyReLU(),
         inputs={"x": Floats(("batch", "n_features"), low=-3.0, high=3.0, kinks=(0.0,), any_shape=True)},
         twin=twins.LEAKY_RELU,
         independent_samples=True),
    Spec("Softmax", scratch.Softmax, build=lambda c: scratch.Softmax(),
         inputs={"x": Floats(("batch", "n_classes"), low=-3.0, high=3.0, row_offsets=ROW_OFFSETS,
                           any_shape=True)},
         twin=twins.SOFTMAX,
         independent_samples=True),
    Spec("Dropout", scratch.Dropout, build=lambda c: scratch.Dropout(c["p"], rng=c["rng"]),
         inputs={"x": ELEMENTWISE}, draws=DROPOUT_P, twin=twins.DROPOUT_TRAIN),
    Spec("Dropout-eval", scratch.Dropout, build=lambda c: scratch.Dropout(c["p"], rng=c["rng"]).eval(),
         inputs={"x": ELEMENTWISE}, draws=DROPOUT_P, twin=twins.DROPOUT_EVAL,
         independent_samples=True),
    Spec("LayerNorm", scratch.LayerNorm, build=lambda c: scratch.LayerNorm(c["n_features"]),
         inputs={"x": ELEMENTWISE}, layer_dims=("n_features",), twin=twins.LAYER_NORM,
         independent_samples=True),
    Spec("BatchNorm1d", scratch.BatchNorm1d, build=lambda c: scratch.BatchNorm1d(c["n_features"]),
         inputs={"x": Floats(("batch", "n_features"))}, layer_dims=("n_features",),
         assume=lambda c: c["batch"] >= 2, twin=twins.BATCH_NORM_TRAIN),
    Spec("BatchNorm1d-eval", scratch.BatchNorm1d, build=_trained_batch_norm,
         inputs={"x": Floats(("batch", "n_features"))}, layer_dims=("n_features",),
         twin=twins.BATCH_NORM_EVAL,
         independent_samples=True),
    Spec("SimpleRNN", scratch.SimpleRNN,
         build=lambda c: scratch.SimpleRNN(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": Floats(("batch", "seq_len", "n_features")), "h0": Floats(("batch", "n_nodes"))},
         layer_dims=("n_features", "n_nodes"), twin=twins.RNN,
         independent_samples=True),
    Spec("SimpleRNN-no-h0", scratch.SimpleRNN,
         build=lambda c: scratch.SimpleRNN(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": Floats(("batch", "seq_len", "n_features"))},
         layer_dims=("n_features", "n_nodes"), twin=twins.RNN,
         independent_samples=True),
    Spec("GRU", scratch.GRU, build=lambda c: scratch.GRU(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": SEQUENCE, "h0": STATE}, layer_dims=("n_features", "n_nodes"), twin=twins.GRU,
         independent_samples=True),
    Spec("GRU-no-h0", scratch.GRU, build=lambda c: scratch.GRU(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": SEQUENCE}, layer_dims=("n_features", "n_nodes"), twin=twins.GRU,
         independent_samples=True),
    Spec("LSTM", scratch.LSTM, build=lambda c: scratch.LSTM(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": SEQUENCE, "h0": STATE, "c0": STATE}, layer_dims=("n_features", "n_nodes"),
         twin=twins.LSTM,
         independent_samples=True),
    # CS231n's lstm_forward(x, h0, ...): c0 is zero
    Spec("LSTM-no-c0", scratch.LSTM, build=lambda c: scratch.LSTM(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": SEQUENCE, "h0": STATE}, layer_dims=("n_features", "n_nodes"), twin=twins.LSTM,
         independent_samples=True),
    Spec("LSTM-no-state", scratch.LSTM, build=lambda c: scratch.LSTM(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": SEQUENCE}, layer_dims=("n_features", "n_nodes"), twin=twins.LSTM,
         independent_samples=True),
    Spec("SimpleRNNCell", scratch.SimpleRNNCell,
         build=lambda c: scratch.SimpleRNNCell(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": Floats(("batch", "n_features")), "h": STATE}, layer_dims=("n_features", "n_nodes"),
         twin=twins.RNN_CELL,
         independent_samples=True),
    Spec("GRUCell", scratch.GRUCell, build=lambda c: scratch.GRUCell(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": Floats(("batch", "n_features")), "h": STATE}, layer_dims=("n_features", "n_nodes"),
         twin=twins.GRU_CELL,
         independent_samples=True),
    Spec("LSTMCell", scratch.LSTMCell, build=lambda c: scratch.LSTMCell(c["n_features"], c["n_nodes"], _init(c)),
         inputs={"x": Floats(("batch", "n_features")), "h": STATE, "c": STATE}, layer_dims=("n_features", "n_nodes"),
         twin=twins.LSTM_CELL, outputs=("h", "c"),
         independent_samples=True),
    Spec("Conv1d", scratch.Conv1d,
         build=lambda c: scratch.Conv1d(c["in_channels"], c["out_channels"], c["kernel_size"], _init(c),
                                        stride=c["stride"], padding=c["padding"]),
         inputs={"x": Floats(("batch", "in_channels", "length"))}, layer_dims=("in_channels", "out_channels"),
         draws=CONV1D_GEOMETRY, assume=window_fits("length"),
         twin=twins.CONV1D,
         independent_samples=True),
    Spec("Conv2d", scratch.Conv2d,
         build=lambda c: scratch.Conv2d(c["in_channels"], c["out_channels"], c["kernel_size"], _init(c),
                                        stride=c["stride"], padding=c["padding"]),
         inputs={"x": Floats(("batch", "in_channels", "height", "width"))},
         layer_dims=("in_channels", "out_channels"), draws=CONV2D_GEOMETRY,
         assume=window_fits("height", "width"), twin=twins.CONV2D,
         independent_samples=True),
    Spec("MaxPool2d", scratch.MaxPool2d,
         build=lambda c: scratch.MaxPool2d(c["kernel_size"], c["stride"], c["padding"]),
         inputs={"x": Floats(("batch", "channels", "height", "width"), distinct=True)},
         draws=POOL2D_GEOMETRY, assume=window_fits("height", "width", pool=True), twin=twins.MAX_POOL2D,
         independent_samples=True),
    Spec("AvgPool2d", scratch.AvgPool2d,
         build=lambda c: scratch.AvgPool2d(c["kernel_size"], c["stride"], c["padding"]),
         inputs={"x": Floats(("batch", "channels", "height", "width"))},
         draws=POOL2D_GEOMETRY, assume=window_fits("height", "width", pool=True), twin=twins.AVG_POOL2D,
         independent_samples=True),
    Spec("SoftmaxCrossEntropy", scratch.SoftmaxCrossEntropy,
         build=lambda c: scratch.SoftmaxCrossEntropy(),
         inputs={"scores": Floats(("batch", "n_classes"), low=-3.0, high=3.0, row_offsets=ROW_OFFSETS,
                                  extremes=EXTREMES),
                 "targets": Labels(("batch",), classes="n_classes")},
         twin=twins.CROSS_ENTROPY, loss=True, **LARGE_LOSS),
    Spec("TimeSoftmaxCrossEntropy", scratch.TimeSoftmaxCrossEntropy,
         build=lambda c: scratch.TimeSoftmaxCrossEntropy(),
         inputs={"scores": Floats(("batch", "seq_len", "n_classes"), low=-3.0, high=3.0, row_offsets=ROW_OFFSETS,
                                  extremes=EXTREMES),
                 "targets": Labels(("batch", "seq_len"), classes="n_classes")},
         twin=twins.TIME_CROSS_ENTROPY, loss=True, **LARGE_LOSS),
    Spec("TimeSoftmaxCrossEntropy-soft", scratch.TimeSoftmaxCrossEntropy,
         build=lambda c: scratch.TimeSoftmaxCrossEntropy(),
         inputs={"scores": Floats(("batch", "seq_len", "n_classes"), low=-3.0, high=3.0, row_offsets=ROW_OFFSETS,
                                  extremes=EXTREMES),
                 "targets": OneHot(("batch", "seq_len", "n_classes"), soft=True)},
         twin=twins.TIME_CROSS_ENTROPY, loss=True, **LARGE_LOSS),
    Spec("SoftmaxCrossEntropy-onehot", scratch.SoftmaxCrossEntropy,
         build=lambda c: scratch.SoftmaxCrossEntropy(),
         inputs={"scores": Floats(("batch", "n_classes"), low=-3.0, high=3.0, row_offsets=ROW_OFFSETS,
                                  extremes=EXTREMES),
                 "targets": OneHot(("batch", "n_classes"))},
         twin=twins.CROSS_ENTROPY, loss=True, **LARGE_LOSS),
    Spec("SoftmaxCrossEntropy-soft", scratch.SoftmaxCrossEntropy,
         build=lambda c: scratch.SoftmaxCrossEntropy(),
         inputs={"scores": Floats(("batch", "n_classes"), low=-3.0, high=3.0, row_offsets=ROW_OFFSETS,
                                  extremes=EXTREMES),
                 "targets": OneHot(("batch", "n_classes"), soft=True)},
         twin=twins.CROSS_ENTROPY, loss=True, **LARGE_LOSS),
    Spec("MSELoss", scratch.MSELoss, build=lambda c: scratch.MSELoss(),
         inputs={"predictions": Floats(("batch", "n_out"), low=-3.0, high=3.0),
                 "targets": FloatTargets(("batch", "n_out"), low=-3.0, high=3.0)},
         twin=twins.MSE, loss=True),
    # A whole character model, for one written as a training step (reference/_external/training.py)
    Spec("CharLSTM", scratch.CharLSTM, build=lambda c: scratch.CharLSTM(c["n_vocab"], c["n_nodes"], _init(c)),
         inputs={"x": OneHot(("batch", "seq_len", "n_vocab")), "targets": OneHot(("batch", "seq_len", "n_vocab"))},
         layer_dims=("n_vocab", "n_nodes"), twin=twins.CHAR_LSTM, loss=True),
    Spec("CharGRU", scratch.CharGRU, build=lambda c: scratch.CharGRU(c["n_vocab"], c["n_nodes"], _init(c)),
         inputs={"x": OneHot(("batch", "seq_len", "n_vocab")), "targets": OneHot(("batch", "seq_len", "n_vocab"))},
         layer_dims=("n_vocab", "n_nodes"), twin=twins.CHAR_GRU, loss=True),
    # A container: FC -> Tanh -> FC, and Tanh first (a bad x then passes the first layer
    # and must be refused by the second, with every layer left as it was).
    Spec("Sequential", scratch.Sequential,
         build=lambda c: scratch.Sequential(scratch.FC(c["n_in"], c["n_hidden"], _init(c)), scratch.Tanh(),
                                            scratch.FC(c["n_hidden"], c["n_out"], _init(c))),
         inputs={"x": Floats(("batch", "n_in"))}, layer_dims=("n_in", "n_hidden", "n_out"),
         twin=twins.SEQUENTIAL_MLP,
         independent_samples=True),
    Spec("Sequential-tanh-first", scratch.Sequential,
         build=lambda c: scratch.Sequential(scratch.Tanh(), scratch.FC(c["n_in"], c["n_out"], _init(c))),
         inputs={"x": Floats(("batch", "n_in"))}, layer_dims=("n_in", "n_out"),
         twin=twins.SEQUENTIAL_TANH_FIRST,
         independent_samples=True),
)

BY_NAME = {spec.name: spec for spec in SPECS}
