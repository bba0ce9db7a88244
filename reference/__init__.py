"""The ground truth the scratch layers are held to, and the harness that holds them."""
