"""`python -m reference`: the main job (one verdict row per spec), and its other commands."""
import argparse
import collections
import sys

from .._spec.project import SpecsError, specs_for_run
from .parallel import default_jobs, ordered

COMMANDS = """commands:
  python -m reference [options]        check the project's specs ([tool.reference] in pyproject.toml;
                                       this project's own layers where there is none)
  python -m reference --self-test      check that every planted bug is caught
  python -m reference check FILE.py:CLASS --like NAME
                                       check a layer written elsewhere as the spec NAME is checked
                                       (python -m reference check --help)"""


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parser():
    parser = argparse.ArgumentParser(
        prog="python -m reference", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=COMMANDS,
        description="Check layers against finite differences, their PyTorch twins and the layer\n"
                    "contract, on seeded hypothesis examples: the specs a project declares in its\n"
                    "pyproject.toml ([tool.reference] specs = \"module:ATTR\"), or this project's own.")
    parser.add_argument("--layer", action="append", metavar="NAME",
                        help="check only this spec (repeatable)")
    parser.add_argument("--builtin", action="store_true",
                        help="also check this project's own layers (scratch/) beside a project's specs")
    parser.add_argument("--examples", type=positive_int, default=50, metavar="N",
                        help="examples drawn per layer (default: 50)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="hypothesis seed; the same seed draws the same examples (default: 0)")
    parser.add_argument("--every-element", action="store_true",
                        help="finite differences of every element of every input and parameter, not "
                             "random directions on the larger ones (slower)")
    parser.add_argument("--jobs", type=positive_int, default=default_jobs(), metavar="J",
                        help="check the specs in J processes (default: 2 where there are 2 cores; the rows "
                             "are the same whatever J)")
    parser.add_argument("--json", metavar="FILE",
                        help="also write the full report (verdicts, errors, findings, reproduction) as JSON")
    parser.add_argument("--plot", metavar="DIR",
                        help="instead of checking, write DIR/<layer>.png: the finite-difference error "
                             "against the step size (needs matplotlib: pip install matplotlib)")
    parser.add_argument("--self-test", action="store_true",
                        help="run the planted-bug catalog instead: every variant must be caught")
    return parser


def parse_args(argv):
    return parser().parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["check"]:  # python -m reference check path/to/file.py:Class --like NAME
        from .._external.command import main as check_main
        return check_main(argv[1:])
    cli = parser()
    args = cli.parse_args(argv)
    try:
        if args.self_test:
            from .._selftest.self_test import self_test
            return self_test(args.examples, args.seed)
        specs, source = specs_for_run(builtin=args.builtin)
    except SpecsError as exc:
        print(f"python -m reference: {exc}", file=sys.stderr)
        return 2
    if args.layer:
        by_name = {spec.name: spec for spec in specs}
        by_name.update({name: _planted(name) for name in args.layer if name not in by_name and ":" in name})
        unknown = [name for name in args.layer if by_name.get(name) is None]
        if unknown:
            cli.error(f"--layer: no spec named {', '.join(map(repr, unknown))} in {source}; "
                      f"the specs: {', '.join(s.name for s in specs)} (and the planted bugs of the built-in "
                      "specs, SimpleRNN:rnn-next-step-dropped, ...: python -m reference --self-test lists them)")
        specs = [by_name[name] for name in dict.fromkeys(args.layer)]
    if args.plot:
        from .step_plot import plot_all
        paths, problem = plot_all(specs, args.plot, args.seed)
        print(problem or "\n".join(f"wrote {path}" for path in paths), file=sys.stderr if problem else sys.stdout)
        return 2 if problem else 0
    return main_job(specs, args)


def _planted(name):
    """A planted bug of a built-in spec by name ("SimpleRNN:rnn-next-step-dropped"), or None."""
    from .._spec.project import find_spec

    try:
        return find_spec(name)
    except SpecsError:
        return None


def main_job(specs, args):
    """One row per spec, in order; the specs are checked in `args.jobs` processes."""
    from .table import HEADER, Progress, write_json

    print(HEADER)
    progress = Progress(len(specs))
    verdicts = []
    for verdict in _verdicts(specs, args, progress):
        progress.finished()
        print(verdict.text, flush=True)
        verdicts.append(verdict)
    if args.json:
        write_json(args.json, [v.record for v in verdicts], seed=args.seed, examples=args.examples)
    failed = [v.name for v in verdicts if not v.passed]
    print(f"{len(verdicts) - len(failed)} of {len(verdicts)} layers pass"
          + (f"; failing: {', '.join(failed)}" if failed else "")
          + f" (seed {args.seed}, {args.examples} examples each; errors are the largest |analytic - reference|;\n"
            " contract is the number of contract rules checked per example)")
    return 1 if failed else 0


Verdict = collections.namedtuple("Verdict", "name passed text record")


def _verdicts(specs, args, progress):
    """The Verdict of each spec, in order, in `args.jobs` processes (one: with progress)."""
    from .._engine.checks import CHECKS, every_element_checks
    from .._engine.verdict import run_spec
    from .table import format_row, row_record

    checks = every_element_checks() if args.every_element else CHECKS

    def verdict(index):
        row = run_spec(specs[index], args.examples, args.seed, checks=checks,
                       progress=progress if args.jobs == 1 else None)
        return Verdict(row.name, row.passed, format_row(row), row_record(row) if args.json else None)

    return ordered(verdict, len(specs), args.jobs)
