"""`python -m reference check` on layers from public from-scratch code, unmodified, in a
folder outside this repository (the project holds no code copied from elsewhere), and a
table of what each run said: `python bench/public_layers.py SOURCES [--record FILE]`.

SOURCES holds each repository at the commit below, in a folder of its short name:
    git clone https://github.com/<repository> SOURCES/<short> && git -C SOURCES/<short> checkout <commit>
CI has no network: the table in docs/external.md is the recorded file of one run.
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

REPOSITORIES = {
    "dlfs1": ("oreilly-japan/deep-learning-from-scratch", "07b11618"),
    "dlfs2": ("oreilly-japan/deep-learning-from-scratch-2", "842ae31c"),
    "cs231n": ("0809zheng/CS231n-assignment2019", "3f5c8539"),
    "numpy-ml": ("ddbourgin/numpy-ml", "b0359af5"),
    "lstm_from_scratch": ("gstechgeek/LSTM_from_scratch", "2887873f"),
}
# (short, file, FORWARD,BACKWARD or CLASS, --like, more options)
LAYERS = [
    ("dlfs1", "common/layers.py", "Affine", "FC", ()),
    ("dlfs1", "common/layers.py", "Relu", "ReLU", ()),
    ("dlfs1", "common/layers.py", "Sigmoid", "Sigmoid", ()),
    ("dlfs1", "common/layers.py", "Dropout", "Dropout", ()),
    ("dlfs1", "common/layers.py", "SoftmaxWithLoss", "SoftmaxCrossEntropy", ("--sizes", "n_classes=2:5")),
    ("dlfs1", "common/layers.py", "BatchNormalization", "BatchNorm1d", ()),
    ("dlfs1", "common/layers.py", "Convolution", "Conv2d", ()),
    ("dlfs1", "common/layers.py", "Pooling", "MaxPool2d", ("--fix", "stride=2", "--fix", "padding=0")),
    ("dlfs2", "common/layers.py", "Affine", "FC", ()),
    ("dlfs2", "common/layers.py", "Sigmoid", "Sigmoid", ()),
    ("dlfs2", "common/layers.py", "Softmax", "Softmax", ()),
    ("dlfs2", "common/layers.py", "SoftmaxWithLoss", "SoftmaxCrossEntropy", ("--sizes", "n_classes=2:5")),
    ("dlfs2", "common/layers.py", "Dropout", "Dropout", ()),
    ("dlfs2", "common/layers.py", "Embedding", "Embedding", ()),
    ("dlfs2", "common/time_layers.py", "RNN", "SimpleRNNCell", ()),
    ("dlfs2", "common/time_layers.py", "LSTM", "LSTMCell", ()),
    ("dlfs2", "common/time_layers.py", "GRU", "GRUCell", ()),
    ("dlfs2", "common/time_layers.py", "TimeRNN", "SimpleRNN", ()),
    ("dlfs2", "common/time_layers.py", "TimeLSTM", "LSTM", ()),
    ("dlfs2", "common/time_layers.py", "TimeGRU", "GRU", ()),
    ("dlfs2", "common/time_layers.py", "TimeEmbedding", "Embedding", ()),
    ("dlfs2", "common/time_layers.py", "TimeAffine", "TimeFC", ()),
    ("dlfs2", "common/time_layers.py", "TimeDropout", "Dropout", ()),
    ("dlfs2", "common/time_layers.py", "TimeSoftmaxWithLoss", "TimeSoftmaxCrossEntropy", ()),
    ("cs231n", "assignment2/cs231n/layers.py", "affine_forward,affine_backward", "FC", ()),
    ("cs231n", "assignment2/cs231n/layers.py", "relu_forward,relu_backward", "ReLU", ()),
    ("cs231n", "assignment3/cs231n/rnn_layers.py", "rnn_step_forward,rnn_step_backward", "SimpleRNNCell", ()),
    ("cs231n", "assignment3/cs231n/rnn_layers.py", "rnn_forward,rnn_backward", "SimpleRNN", ()),
    ("cs231n", "assignment3/cs231n/rnn_layers.py", "lstm_step_forward,lstm_step_backward", "LSTMCell", ()),
    ("cs231n", "assignment3/cs231n/rnn_layers.py", "lstm_forward,lstm_backward", "LSTM", ()),
    ("cs231n", "assignment3/cs231n/rnn_layers.py", "temporal_affine_forward,temporal_affine_backward", "TimeFC", ()),
    ("cs231n", "assignment3/cs231n/rnn_layers.py", "word_embedding_forward,word_embedding_backward", "Embedding",
     ()),
    ("numpy-ml", "numpy_ml/neural_nets/layers/layers.py", "FullyConnected", "FC", ()),
    ("numpy-ml", "numpy_ml/neural_nets/layers/layers.py", "BatchNorm1D", "BatchNorm1d", ()),
    ("numpy-ml", "numpy_ml/neural_nets/layers/layers.py", "Embedding", "Embedding", ()),
    ("numpy-ml", "numpy_ml/neural_nets/layers/layers.py", "RNNCell", "SimpleRNNCell", ()),
    ("numpy-ml", "numpy_ml/neural_nets/layers/layers.py", "LSTMCell", "LSTMCell", ()),
    ("lstm_from_scratch", "lstm_archs.py", "LSTM", "LSTM", ()),
    ("lstm_from_scratch", "lstm_archs.py", "GRU", "GRU", ()),
]
CONVENTIONS = ("gate order", "float32", "not inverted", "computes in float32", "draws restricted",
               "a convention: the twin uses it")
# notes whose first words say too little, and what the table says for them
LABELS = {"weight layout:": "weights outputs first (PyTorch's layout)", "as one int for both axes": "stride as one int",
          "not run:": "package __init__ skipped", "makes its weights at its first forward": "weights made by forward",
          "flush_gradients()": "gradients accumulate until flushed",
          "stepped over each sequence": "stepped over each sequence",
          "GRU formulation: the reset gate applied to h before W_h": "reset gate before W_h",
          "z weighs the candidate": "z weighs the candidate"}


def _labels(note):
    said = [label for key, label in LABELS.items() if key in note]
    return said or ([note.split(" (")[0].split(":")[0]] if any(c in note for c in CONVENTIONS) else [])


def what_it_says(status, out):
    """The conventions named, or the first failure of each failing row, or why it cannot be
    adapted: one line."""
    lines = out.splitlines()
    if status == 2:
        return next((line for line in lines if line.startswith("cannot check")), "exit 2").split(": ", 1)[-1]
    notes = [line.strip() for line in lines if line.startswith("  ") and not line.startswith("   ")]  # before the table
    named = [label for note in notes for label in _labels(note)]
    if status == 0:
        return "; ".join(dict.fromkeys(named)) or "-"
    failures, failing = [], False
    for line in lines:
        if not line.startswith(" "):  # a row of the table: FAIL at its end
            failing = line.rstrip().endswith("FAIL")
            first = True
        elif failing and first and line.startswith("    ") and not line.strip().startswith(("checked:", "at ")):
            said = re.sub(r"\b\w+\.\w+: ", "", line.strip(), count=1)  # "layers.Softmax: " said by the row
            failures.append(said.split("; worst at")[0].split(" (at ")[0])
            first = False
    return " | ".join(failures) or "a row fails"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", type=Path)
    parser.add_argument("--record", type=Path, help="write the table to this file too")
    parser.add_argument("--examples", type=int, default=50)
    args = parser.parse_args(argv)
    rows = ["source  layer (--like)  exit  what it says"]
    for short, file, target, like, options in LAYERS:
        path = args.sources / short / file
        command = [sys.executable, "-m", "reference", "check", f"{path}:{target}", "--like", like,
                   "--examples", str(args.examples), *options]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=args.sources,
                              env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        said = what_it_says(done.returncode, done.stdout + done.stderr).replace(str(args.sources), "SOURCES")[:200]
        extra = " " + " ".join(options) if options else ""
        rows.append(f"{short}@{REPOSITORIES[short][1]}  {target} ({like}{extra})  {done.returncode}  {said}")
        print(rows[-1], flush=True)
    text = "\n".join(rows) + "\n"
    if args.record:
        args.record.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
