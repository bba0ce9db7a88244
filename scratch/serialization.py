"""Parameters to and from .npz files: one array per parameter, by its dotted name ("rnn.W_x")."""
import numpy as np


def save_params(params, path):
    """Write every array of `params` to exactly `path` (np.savez, no ".npz" appended)."""
    with open(path, "wb") as file:
        np.savez(file, **params)


def load_params(params, path, owner):
    """Copy the arrays stored at `path` into `params` in place, or raise and change nothing.

    The file must hold exactly the keys of `params`, each a finite float array of that
    parameter's shape (any float dtype; it is converted to the parameter's). Every
    problem is listed in one ValueError naming the arrays; nothing is assigned until
    every array has passed. Pickled objects are never loaded (allow_pickle=False).
    """
    try:
        stored = np.load(path, allow_pickle=False)
    except ValueError as exc:  # not a NumPy file, or a pickle
        raise ValueError(f"{owner}: cannot load {path!s}: {exc}") from None
    if not isinstance(stored, np.lib.npyio.NpzFile):
        raise ValueError(f"{owner}: cannot load {path!s}: it holds one array, not an .npz archive of named arrays")
    with stored:
        arrays, problems = {}, []
        missing = sorted(set(params) - set(stored.files))
        extra = sorted(set(stored.files) - set(params))
        if missing:
            problems.append(f"missing arrays {missing}")
        if extra:
            problems.append(f"unexpected arrays {extra}")
        for name in sorted(set(params) & set(stored.files)):
            try:
                value = stored[name]
            except ValueError as exc:  # an object array that would need pickle
                problems.append(f"array {name!r} cannot be read without pickle ({exc})")
                continue
            expected = params[name].shape
            if value.dtype.kind != "f":
                problems.append(f"array {name!r} has dtype {value.dtype}, expected a float dtype")
            elif value.shape != expected:
                problems.append(f"array {name!r} has shape {value.shape}, expected {expected}")
            elif not np.all(np.isfinite(value)):
                problems.append(f"array {name!r} has non-finite values")
            else:
                arrays[name] = value
    if problems:
        raise ValueError(f"{owner}: cannot load {path!s}: " + "; ".join(problems) + " (nothing was loaded)")
    for name, value in arrays.items():
        params[name][...] = value
