"""Internal: `python -m reference check`, a layer written elsewhere adapted to the layer contract."""
