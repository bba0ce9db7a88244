"""Internal: planted bugs that the checks must catch (`python -m reference --self-test`)."""
