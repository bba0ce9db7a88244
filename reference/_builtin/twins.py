"""The PyTorch twins of this project's own layers, and their parameter maps.

A twin builds the equivalent torch module from the drawn sizes and says how weights
cross over. The map owns every convention difference, in one place:
  - torch stores Linear/RNN weights as (out, in); scratch stores (in, out): transpose.
  - torch's RNN has two biases, bias_ih + bias_hh; scratch has one B. We load B into
    bias_ih and zeros into bias_hh; d(loss)/dB is then the gradient of bias_ih.
Test bodies never transpose.
"""
import dataclasses

import numpy as np

from .._spec.twin import Twin
from .lazy import LazyModule
from .warm_up import warm_up_batches

torch, nn = LazyModule("torch"), LazyModule("torch.nn")  # imported when a twin first runs

LINEAR = Twin(
    module=lambda c: nn.Linear(c["n_in"], c["n_out"]),
    load={"weight": lambda p: p["W"].T, "bias": lambda p: p["B"]},
    grads={"W": lambda g: g["weight"].T, "B": lambda g: g["bias"]},
)
SIGMOID = Twin(module=lambda c: nn.Sigmoid())
TANH = Twin(module=lambda c: nn.Tanh())
RELU = Twin(module=lambda c: nn.ReLU())
LEAKY_RELU = Twin(module=lambda c: nn.LeakyReLU(0.01))
SOFTMAX = Twin(module=lambda c: nn.Softmax(dim=-1))
FLATTEN = Twin(module=lambda c: nn.Flatten())


def _dropout_with_scratch_mask(module, config, x):
    """nn.Dropout draws its mask from torch's generator, which NumPy cannot reproduce.
    So the twin redraws the documented mask (keep where uniform >= p, from the layer's
    seeded generator) and applies PyTorch's inverted-dropout scaling to it."""
    keep = np.random.default_rng(config["seed"]).random(tuple(x.shape)) >= config["p"]
    return torch.where(torch.from_numpy(keep), x / (1.0 - config["p"]), torch.zeros_like(x))


DROPOUT_TRAIN = Twin(module=lambda c: nn.Identity(), call=_dropout_with_scratch_mask)
DROPOUT_EVAL = Twin(module=lambda c: nn.Dropout(c["p"]).eval())


def _stacked(module, config, x, h0=None):
    """Call a torch RNN: h0 as (num_layers, batch, n_nodes); return every hidden state."""
    return module(x, None if h0 is None else h0.unsqueeze(0))[0]


RNN = Twin(
    module=lambda c: nn.RNN(c["n_features"], c["n_nodes"], nonlinearity="tanh", batch_first=True),
    load={
        "weight_ih_l0": lambda p: p["W_x"].T,
        "weight_hh_l0": lambda p: p["W_h"].T,
        "bias_ih_l0": lambda p: p["B"],
        "bias_hh_l0": lambda p: np.zeros_like(p["B"]),
    },
    grads={
        "W_x": lambda g: g["weight_ih_l0"].T,
        "W_h": lambda g: g["weight_hh_l0"].T,
        "B": lambda g: g["bias_ih_l0"],
    },
    call=_stacked,
)
EMBEDDING = Twin(
    module=lambda c: nn.Embedding(c["n_embeddings"], c["dim"]),
    load={"weight": lambda p: p["W"]},
    grads={"W": lambda g: g["weight"]},
)
LAYER_NORM = Twin(
    module=lambda c: nn.LayerNorm(c["n_features"], eps=1e-5),  # scratch.LayerNorm's default eps
    load={"weight": lambda p: p["gamma"], "bias": lambda p: p["beta"]},
    grads={"gamma": lambda g: g["weight"], "beta": lambda g: g["bias"]},
)


def _lstm(module, config, x, h0=None, c0=None):
    """nn.LSTM takes (h0, c0) together or neither; scratch takes each or None for zeros."""
    if h0 is None and c0 is None:
        return module(x)[0]
    zeros = torch.zeros(1, x.shape[0], config["n_nodes"], dtype=x.dtype)
    return module(x, tuple(zeros if s is None else s.unsqueeze(0) for s in (h0, c0)))[0]


# Scratch keeps PyTorch's gate order (GATE_ORDER) side by side in the columns of W_x
# (n_features, gates * n_nodes) and W_h: a transpose loads them. Scratch's
# single B holds bias_ih + bias_hh: B goes to bias_ih, zeros to bias_hh.
GATE_ORDER = {"LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n")}
LSTM = Twin(
    module=lambda c: nn.LSTM(c["n_features"], c["n_nodes"], batch_first=True),
    load={
        "weight_ih_l0": lambda p: p["W_x"].T,
        "weight_hh_l0": lambda p: p["W_h"].T,
        "bias_ih_l0": lambda p: p["B"],
        "bias_hh_l0": lambda p: np.zeros_like(p["B"]),
    },
    grads=RNN.grads,
    call=_lstm,
)
# GRU's n gate is tanh(x W_in + b_in + r * (h W_hn + b_hn)): b_hn sits inside r * (...),
# so it cannot be folded into B; scratch keeps it as B_hn, and bias_hh is (0, 0, B_hn).
GRU = Twin(
    module=lambda c: nn.GRU(c["n_features"], c["n_nodes"], batch_first=True),
    load={
        **LSTM.load,
        "bias_hh_l0": lambda p: np.concatenate([np.zeros(2 * p["B_hn"].size), p["B_hn"]]),
    },
    grads={**RNN.grads, "B_hn": lambda g: g["bias_hh_l0"][2 * g["bias_hh_l0"].size // 3:]},
    call=_stacked,
)


# PyTorch's formulation in a GRU written elsewhere that holds no b_hn (one bias B, which
# bias_ih takes): nn.GRU with b_hn, and all of bias_hh, held at 0 and not compared
# (gru_formulation.py).
GRU_NO_B_HN = Twin(module=GRU.module, load=LSTM.load, grads=RNN.grads, call=_stacked)


def _cell(twin, module, **call):
    """The twin of a one-step cell from its sequence layer's: nn.RNNCell, nn.GRUCell and
    nn.LSTMCell name their parameters as nn.RNN does, without the layer suffix "_l0"."""
    def renamed(g):
        return {f"{k}_l0": v for k, v in g.items()}
    return Twin(module=module,
                load={k[:-len("_l0")]: f for k, f in twin.load.items()},
                grads={k: (lambda g, f=f: f(renamed(g))) for k, f in twin.grads.items()}, **call)


# The other GRU formulation, which nn.GRU does not compute (Cho et al. 2014, Keras'
# reset_after=False): the reset gate multiplies h before W_h, n = tanh(x W_xn + (r * h) W_hn + B_n),
# and there is one bias B, so no b_hn. Written with torch operations (autograd gives the
# gradients) on parameters in scratch's layout and PyTorch's gate order r, z, n: no transpose.
# Where z weighs h, h' = (1 - z) n + z h as PyTorch's; where it weighs the candidate,
# h' = (1 - z) h + z n (Deep Learning from Scratch 2's).
Z_WEIGHS = ("h", "candidate")


def _reset_before_params(c):
    width = 3 * c["n_nodes"]
    return nn.ParameterDict({"W_x": nn.Parameter(torch.zeros(c["n_features"], width)),
                             "W_h": nn.Parameter(torch.zeros(c["n_nodes"], width)),
                             "B": nn.Parameter(torch.zeros(width))})


def _reset_before_step(p, x, h, z_weighs):
    n = h.shape[-1]
    ax = x @ p["W_x"] + p["B"]
    r, z = torch.sigmoid(ax[:, :2 * n] + h @ p["W_h"][:, :2 * n]).split(n, dim=1)
    candidate = torch.tanh(ax[:, 2 * n:] + (r * h) @ p["W_h"][:, 2 * n:])
    kept, new = (h, candidate) if z_weighs == "h" else (candidate, h)  # z * kept + (1 - z) * new
    return z * kept + (1 - z) * new


def gru_reset_before(z_weighs, cell=False):
    """The twin of a GRU (a GRU cell if `cell`) of the reset-before formulation, z weighing
    `z_weighs` (one of Z_WEIGHS); a layer written elsewhere is checked against it (gru_formulation.py)."""
    def sequence(module, config, x, h0=None):
        h = torch.zeros(x.shape[0], config["n_nodes"], dtype=x.dtype) if h0 is None else h0
        states = []
        for t in range(x.shape[1]):
            h = _reset_before_step(module, x[:, t], h, z_weighs)
            states.append(h)
        return torch.stack(states, dim=1)

    def step(module, config, x, h):
        return _reset_before_step(module, x, h, z_weighs)

    same = {k: (lambda p, k=k: p[k]) for k in ("W_x", "W_h", "B")}
    return Twin(module=_reset_before_params, load=same, grads=same, call=step if cell else sequence)


RNN_CELL = _cell(RNN, lambda c: nn.RNNCell(c["n_features"], c["n_nodes"], nonlinearity="tanh"))
GRU_CELL = _cell(GRU, lambda c: nn.GRUCell(c["n_features"], c["n_nodes"]))
GRU_CELL_NO_B_HN = _cell(GRU_NO_B_HN, GRU_CELL.module)
# nn.LSTMCell returns (h, c): side by side, as the checks see a layer with outputs ("h", "c")
LSTM_CELL = _cell(LSTM, lambda c: nn.LSTMCell(c["n_features"], c["n_nodes"]),
                  call=lambda module, config, x, h, c: torch.cat(module(x, (h, c)), dim=-1))


def _conv(module_name):
    """Scratch's W is (in_channels, *kernel, out_channels), torch's (out_channels, in_channels,
    *kernel): the output axis moves from last to first."""
    return Twin(
        module=lambda c: getattr(nn, module_name)(c["in_channels"], c["out_channels"], c["kernel_size"],
                                      stride=c["stride"], padding=c["padding"]),
        load={"weight": lambda p: np.moveaxis(p["W"], -1, 0), "bias": lambda p: p["B"]},
        grads={"W": lambda g: np.moveaxis(g["weight"], 0, -1), "B": lambda g: g["bias"]},
    )


CONV1D = _conv("Conv1d")
CONV2D = _conv("Conv2d")
MAX_POOL2D = Twin(module=lambda c: nn.MaxPool2d(c["kernel_size"], c["stride"], c["padding"]))
AVG_POOL2D = Twin(module=lambda c: nn.AvgPool2d(c["kernel_size"], c["stride"], c["padding"]))


def _batch_norm(config, warm_up=(), eps=1e-5):
    """nn.BatchNorm1d with scratch.BatchNorm1d's defaults (or another eps), after training
    steps on `warm_up`; running_mean and running_var are buffers, so the parameter map does
    not load them."""
    module = nn.BatchNorm1d(config["n_features"], eps=eps, momentum=0.1).double()
    with torch.no_grad():
        for batch in warm_up:
            module(torch.from_numpy(batch))
    return module


BATCH_NORM_TRAIN = Twin(module=_batch_norm, load=LAYER_NORM.load, grads=LAYER_NORM.grads)


def batch_norm_train(eps):
    """BATCH_NORM_TRAIN normalising with another eps (a layer written elsewhere, norms.py)."""
    return dataclasses.replace(BATCH_NORM_TRAIN, module=lambda c: _batch_norm(c, eps=eps))


def layer_norm(eps):
    """LAYER_NORM normalising with another eps (a layer written elsewhere, norms.py)."""
    return dataclasses.replace(LAYER_NORM, module=lambda c: nn.LayerNorm(c["n_features"], eps=eps))


BATCH_NORM_EVAL = Twin(module=lambda c: _batch_norm(c, warm_up_batches(c)).eval(),
                       load=LAYER_NORM.load, grads=LAYER_NORM.grads)
CROSS_ENTROPY = Twin(module=lambda c: nn.CrossEntropyLoss())
# nn.CrossEntropyLoss takes the classes on axis 1 of a 3-d input; the steps flattened instead
# (labels (batch, seq_len) to one per step, probabilities (batch, seq_len, n_classes) to a row each)
TIME_CROSS_ENTROPY = Twin(module=lambda c: nn.CrossEntropyLoss(),
                          call=lambda module, c, scores, targets: module(
                              scores.reshape(-1, scores.shape[-1]),
                              targets.reshape(-1, scores.shape[-1]) if targets.ndim == 3 else targets.reshape(-1)))
MSE = Twin(module=lambda c: nn.MSELoss())


def _linear_at(index):
    """The parameter map of an nn.Linear at position `index` of an nn.Sequential, whose
    scratch counterpart is the FC named str(index) in a scratch Sequential."""
    return ({f"{index}.weight": lambda p: p[f"{index}.W"].T, f"{index}.bias": lambda p: p[f"{index}.B"]},
            {f"{index}.W": lambda g: g[f"{index}.weight"].T, f"{index}.B": lambda g: g[f"{index}.bias"]})


SEQUENTIAL_MLP = Twin(
    module=lambda c: nn.Sequential(nn.Linear(c["n_in"], c["n_hidden"]), nn.Tanh(), nn.Linear(c["n_hidden"], c["n_out"])),
    load={**_linear_at(0)[0], **_linear_at(2)[0]},
    grads={**_linear_at(0)[1], **_linear_at(2)[1]},
)
SEQUENTIAL_TANH_FIRST = Twin(
    module=lambda c: nn.Sequential(nn.Tanh(), nn.Linear(c["n_in"], c["n_out"])),
    load=_linear_at(1)[0], grads=_linear_at(1)[1],
)


# A character model: a recurrent twin, then nn.Linear at every step, then the cross-entropy
# of the one-hot next characters summed over samples and steps (reduction="sum").
def char_model(rnn):
    """The twin of a character model whose recurrent layer has the twin `rnn` (its
    parameters under their own names beside W_y and B_y): one-hot x of n_vocab features."""
    def sizes(c):
        return {**c, "n_features": c["n_vocab"]}

    def call(module, config, x, targets):
        scores = module["out"](rnn.call(module["rnn"], sizes(config), x))
        return nn.functional.cross_entropy(scores.reshape(-1, scores.shape[-1]),
                                           targets.reshape(-1, scores.shape[-1]), reduction="sum")

    def inner(f):
        return lambda g: f({name[len("rnn."):]: v for name, v in g.items() if name.startswith("rnn.")})

    return Twin(module=lambda c: nn.ModuleDict({"rnn": rnn.module(sizes(c)),
                                                "out": nn.Linear(c["n_nodes"], c["n_vocab"])}),
                load={**{f"rnn.{k}": f for k, f in rnn.load.items()},
                      "out.weight": lambda p: p["W_y"].T, "out.bias": lambda p: p["B_y"]},
                grads={**{k: inner(f) for k, f in rnn.grads.items()},
                       "W_y": lambda g: g["out.weight"].T, "B_y": lambda g: g["out.bias"]},
                call=call)


CHAR_LSTM = char_model(LSTM)
CHAR_GRU = char_model(GRU)
