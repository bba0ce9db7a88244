"""The PyTorch twin of a layer, declared without importing torch: torch is imported only
when a twin runs (reference/_engine/torch_twin.py)."""
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional


def call_module(module, config, **tensors):
    """The default call: the module on forward's arguments, in order."""
    return module(*tensors.values())


@dataclass(frozen=True)
class Twin:
    """The PyTorch module a layer must agree with, and how weights cross over.

    module: config -> torch.nn.Module, built from the drawn sizes (float64 is applied by the
      harness). None for a twin without parameters that `call` computes on its own (an
      activation function, F.scaled_dot_product_attention).
    load: torch parameter name -> function of the layer's params giving its value. Every
      transpose and bias split lives here ({"weight": lambda p: p["W"].T}).
    grads: the layer's parameter name -> function of the torch gradients giving its gradient.
    call: (module, config, **tensors) -> output tensor; forward's arguments in order, as
      torch tensors (the differentiable ones require grad).
    """

    module: Optional[Callable] = None
    load: Mapping[str, Callable] = field(default_factory=dict)
    grads: Mapping[str, Callable] = field(default_factory=dict)
    call: Callable = call_module
