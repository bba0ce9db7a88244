"""Internal: the declarations behind Spec, Floats, ..., Twin and Tolerance, and how a project declares its specs."""
