"""Two layers the scratch-layers project does not have, checked by its harness."""
