"""What the main job prints and writes: table rows, failure reports, JSON, progress."""
import json
import sys

import numpy as np

from .reproduce import snippet
from .._engine.triage import sizes, triage
from .explain import explain

COLUMNS = ("finite differences", "torch output", "torch grads")
HEADER = (f"{'layer':<28}{'examples':>9}" + "".join(f"{c:>14}" for c in ("finite-diff", "torch out", "torch grads"))
          + f"{'contract':>10}{'verdict':>8}")


# A passing error that used this share of its allowance is said to be close to the line.
CLOSE = 0.1
CAUSES = {"finite differences": "a kink the spec does not declare (Floats(kinks=...)), a tolerance too tight "
                                "for these values, or a loss so large that round-off shows",
          "torch output": "an order of operations that loses precision (large values, cancellation)",
          "torch grads": "an order of operations that loses precision (large values, cancellation)"}


def format_row(row, failed="FAIL"):
    """The row's line, then its close-to-the-line notes or its failure report; `failed` is
    the verdict a failing row shows (the external check's advice row says "advice")."""
    errors = [f"{row.errors[c]:.1e}" if c in row.errors else "n/a" for c in COLUMNS]
    line = f"{row.name:<28}{row.examples:>9}" + "".join(f"{e:>14}" for e in errors)
    line += f"{row.contract_rules:>10}{'pass' if row.passed else failed:>8}"
    if row.redrawn:
        line += f"   ({row.redrawn} redrawn: finite differences alone disagreed)"
    if row.passed:
        return "\n".join([line, *close_to_the_line(row)])
    return "\n".join([line, _indent(failure_report(row))])


def close_to_the_line(row):
    """A line for each column whose largest error used CLOSE or more of its allowance."""
    return [f"    close to the line: the largest {column} error used {row.used[column]:.0%} of its allowance "
            f"({CAUSES[column]}?)" for column in COLUMNS if row.used.get(column, 0.0) >= CLOSE]


def failure_report(row):
    """Triage, worst elements, hints, the shrunk sizes, the command that reruns the row and a
    snippet that reruns the example without hypothesis."""
    example = row.example
    if example is None:  # no example to show (every one was redrawn)
        return "\n".join(f"[{c.by or c.check}] {c.message}" for c in row.failures)
    shapes = ", ".join(f"{k} {v.shape}" for k, v in example.args.items()) or "no inputs drawn"
    sized = ", ".join(f"{k}={v}" for k, v in sizes(example).items())
    command = row.rerun or f"python -m reference --layer {row.name} --seed {row.seed} --examples {row.n_examples}"
    lines = [explain(row.results, example),
             f"smallest failing example found: {sized or 'no sizes'}; {shapes}; "
             f"example seed {example.seed}",
             f"rerun: {command}"]
    code = snippet(example)
    if code:
        lines += ["reproduce without hypothesis:", _indent(code)]
    return "\n".join(lines)


def _indent(text, prefix="    "):
    return "\n".join(prefix + line for line in text.splitlines())


def row_record(row):
    """One layer's verdict as plain data, for --json."""
    record = {"layer": row.name, "verdict": "pass" if row.passed else "fail", "examples": row.examples,
              "max_errors": {k: _number(v) for k, v in row.errors.items()},
              "allowance_used": {k: _number(v) for k, v in row.used.items()},
              "contract_rules": row.contract_rules, "redrawn": row.redrawn, "seed": row.seed}
    if not row.passed:
        record["findings"] = [{"what": f.what, "verdict": f.verdict} for f in triage(row.results)]
        record["failures"] = [{"check": c.by or c.check, "what": c.what, "error": _number(c.error),
                               "message": c.message} for c in row.failures]
        if row.example is not None:
            record["sizes"] = {k: _plain(v) for k, v in sizes(row.example).items()}
        record["report"] = failure_report(row)
    return record


def write_json(path, records, **run):
    """records: row_record of every row."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({**run, "passed": all(r["verdict"] == "pass" for r in records), "layers": records},
                  handle, indent=2)
        handle.write("\n")


def _number(value):
    value = float(value)
    return value if np.isfinite(value) else str(value)  # JSON has no NaN


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


class Progress:
    """'[2/23] SimpleRNN: example 17/50' on a terminal (stderr), rewritten in place; silent otherwise."""

    def __init__(self, total, stream=None):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = self.stream.isatty()
        self.total, self.done = total, 0

    def example(self, name, k, n):
        if self.enabled:
            self.stream.write(f"\r\033[K[{self.done + 1}/{self.total}] {name}: example {k}/{n}")
            self.stream.flush()

    def finished(self):
        self.done += 1
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()
