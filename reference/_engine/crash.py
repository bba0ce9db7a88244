"""An exception raised by a layer (or a spec) as a finding: its type, message and the last
frame of its traceback, where it was raised."""
import traceback


def raised(exc):
    """'raised ValueError: ... (at file.py:12, in forward)'."""
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"raised {type(exc).__name__}: {exc} (at {where.filename}:{where.lineno}, in {where.name})"
