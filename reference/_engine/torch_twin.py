"""Running a Twin: the only module of the engine that imports torch.

torch is imported with the garbage collector off, and importing this module then freezes
the collector's view of every object alive by then (gc.freeze): torch's import makes some
170 000 objects that are never garbage, and the collections its import set off walked them
again and again (a tenth of the import's 1.3 s), as each full collection after it did
(100 ms each; 0.6 s of the main job's 17 s of work). Objects made later are collected as
before.
"""
import gc

import numpy as np

_collecting = gc.isenabled()
gc.disable()
try:
    import torch
finally:
    gc.freeze()
    if _collecting:
        gc.enable()

torch.set_num_threads(1)  # the twins are tiny; thread start-up costs more than it saves


def run_twin(twin, config, params, args, wrt, upstream):
    """Forward and backward through the twin: (output, {input: grad}, {param: grad}) in NumPy."""
    module = (torch.nn.Identity() if twin.module is None else twin.module(config)).double()
    torch_params = dict(module.named_parameters())
    if set(twin.load) != set(torch_params):
        raise ValueError(f"parameter map loads {sorted(twin.load)}, the torch module has {sorted(torch_params)}")
    if set(twin.grads) != set(params):
        raise ValueError(f"parameter map gives grads {sorted(twin.grads)}, the layer has {sorted(params)}")
    with torch.no_grad():
        for name, value in twin.load.items():
            torch_params[name].copy_(torch.from_numpy(np.ascontiguousarray(value(params))))
    tensors = {name: torch.tensor(value, requires_grad=name in wrt) for name, value in args.items()}
    out = twin.call(module, config, **tensors)
    # The gradient of sum(G * out) is backward(G) exactly (the sum's gradient is ones); given
    # G itself, torch's first backward imports sympy (0.4 s) to compare shapes.
    (out * torch.from_numpy(np.asarray(upstream, dtype=np.float64))).sum().backward()
    torch_grads = {name: p.grad.numpy() for name, p in torch_params.items()}
    inputs = {name: tensors[name].grad.numpy() for name in wrt}
    params = {name: np.asarray(to_scratch(torch_grads)) for name, to_scratch in twin.grads.items()}
    return out.detach().numpy(), inputs, params
