"""How a whole model written as a training step (training.py) takes its data and adds up
its loss, found before the checks run (internal).

Inputs and targets may be one-hot columns or character indices (min-char-rnn's), in any
mix; the loss a sum over the steps or their mean. Each way is tried on the probe's inputs,
and taken where the loss at known weights (every weight 0 but the output bias: any LSTM or
GRU then keeps h = 0 and predicts softmax(bias) at every step) is the one expected: a way
train reads otherwise runs, maybe, but gives another loss. A step that keeps an optimizer's
state is refused here too.
"""
import dataclasses

import numpy as np

from .construction import CannotAdapt, probe_config, probe_inputs
from .training import COLUMNS, StatefulStep

# how train takes its inputs and targets: one-hot columns, or character indices (min-char-rnn's
# xs[t][inputs[t]] = 1 and -log(ps[t][targets[t], 0])), tried in this order
GIVEN = (COLUMNS, ("indices", "indices"), ("columns", "indices"), ("indices", "columns"))
SAID = {("indices", "indices"): "its inputs and targets as character indices",
        ("columns", "indices"): "its inputs as one-hot columns and its targets as character indices",
        ("indices", "columns"): "its inputs as character indices and its targets as one-hot columns"}
AVERAGED = ("train averages its loss over the steps (CharLSTM and CharGRU sum it, as nn.CrossEntropyLoss's "
            "reduction='sum'): its loss and gradients are multiplied by each sample's seq_len before they are "
            "compared, a convention")


def probe_sizes(spec, config):
    """config, or one with n_vocab and seq_len of 2 or more where the draws allow it (restricted
    from the command line to start at 1): one character, or one step, tells no convention apart."""
    if config.get("n_vocab", 2) >= 2 and config.get("seq_len", 2) >= 2:
        return config
    assume = spec.assume
    wider = dataclasses.replace(spec, assume=lambda c: (assume is None or assume(c)) and c.get("n_vocab", 2) >= 2
                                and c.get("seq_len", 2) >= 2)
    found = probe_config(wider)
    return found if found.get("n_vocab", 2) >= 2 and found.get("seq_len", 2) >= 2 else config


def probed(layer, spec, config):
    """What to say of how the wrapped model takes its inputs and adds up its loss, set on its
    class: the first way of GIVEN whose train runs and, with the weights set as _reduction
    sets them, gives the loss of a sum or a mean over the steps (else the first that ran).
    CannotAdapt if its step is not plain SGD (an optimizer with state). Tried once, on the
    probe's inputs; where train raises each way, the checks report it."""
    args = probe_inputs(spec, config, np.random.default_rng(0))
    ran = []
    for given in GIVEN:
        type(layer)._given = given
        try:
            layer.forward(**args)
            layer._expect_plain_sgd(layer._samples, clip_seen=False)  # the model's own weights: 0s are common
        except StatefulStep as exc:
            raise CannotAdapt(str(exc)) from None
        except Exception:  # noqa: BLE001 - tried the next way; the checks report a failing call
            continue
        ran.append(given)
        reduction = _reduction(layer, config["n_vocab"])
        if reduction is not None:
            type(layer)._averages = reduction == "mean"
            return _given_said(given) + ([AVERAGED] if reduction == "mean" else [])
    type(layer)._given = (ran or GIVEN)[0]
    return _given_said(type(layer)._given)


def _given_said(given):
    return [f"train takes {SAID[given]} (min-char-rnn's), given so"] if given in SAID else []


def _reduction(layer, n_vocab, seq_len=3):
    """"sum" or "mean": how train's loss adds up seq_len steps, or None for neither (inputs or
    targets given in a way train reads otherwise; a loss of another kind). With every weight 0
    but the output bias (the one array of n_vocab elements, given values), any LSTM or GRU
    keeps h = 0 and predicts softmax(bias) at every step, so the loss is known exactly."""
    if n_vocab < 2:
        return None
    kept = {k: v.copy() for k, v in layer._held.items()}
    try:
        for value in layer._held.values():
            value[...] = 0.0
        logits = np.zeros(n_vocab)
        biases = [v for v in layer._held.values() if v.size == n_vocab and max(v.shape) == n_vocab]
        if len(biases) == 1:
            logits = np.linspace(-1.0, 0.5, n_vocab)
            biases[0][...] = logits.reshape(biases[0].shape)
        log_p = logits - np.log(np.exp(logits).sum())
        inputs, targets = np.eye(n_vocab)[np.arange(seq_len) % n_vocab], np.eye(n_vocab)[(np.arange(seq_len) + 1) % n_vocab]
        loss = layer._step((layer._steps(inputs, layer._given[0]), layer._steps(targets, layer._given[1])), 0.0)
        summed = -float(np.sum(targets @ log_p))
        for reduction, expected in (("sum", summed), ("mean", summed / seq_len)):
            if np.isclose(loss, expected, rtol=1e-9, atol=0):
                return reduction
        return None
    except Exception:  # noqa: BLE001 - the checks report a failing call with its sizes
        return None
    finally:
        for k, value in layer._held.items():
            value[...] = kept[k]
