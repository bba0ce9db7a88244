"""Layers written elsewhere in the original exercise's conventions, for `python -m reference check`:
exercise_as_written (its mistakes kept) and exercise_fixed (the same conventions, correct)."""
