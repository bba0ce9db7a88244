"""Internal: the check engine. Examples drawn from a spec, finite differences, the PyTorch twin, the contract rules, and a verdict per spec."""
