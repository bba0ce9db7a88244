"""Internal: reading a failure (triage verdicts, worst elements, hints, reproduction snippets) and the command line."""
