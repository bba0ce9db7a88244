"""Internal: this project's own layers (scratch/) declared as specs, with their PyTorch twins."""
