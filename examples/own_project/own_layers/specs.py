"""The specs of this project's layers: everything the checks need to know, declared once."""
import torch.nn.functional as F
from torch import nn

from reference import Floats, Spec, Twin

from .layers import Attention, Swish

SPECS = [
    Spec("Swish", Swish,
         inputs={"x": Floats(("batch", "n_features"), low=-3.0, high=3.0, any_shape=True)},
         twin=Twin(module=lambda config: nn.SiLU()),
         independent_samples=True),
    Spec("Attention", Attention,
         inputs={"q": Floats(("batch", "n_queries", "d_k")),
                 "k": Floats(("batch", "n_keys", "d_k")),
                 "v": Floats(("batch", "n_keys", "d_v"))},
         twin=Twin(call=lambda module, config, q, k, v: F.scaled_dot_product_attention(q, k, v)),
         independent_samples=True),
]
