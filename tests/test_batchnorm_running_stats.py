"""BatchNorm1d's running statistics (buffers, which the generic checks do not compare) against
nn.BatchNorm1d's after several training steps of different batch sizes."""
import numpy as np
import pytest
import torch
from torch import nn

from scratch import BatchNorm1d


@pytest.mark.parametrize("momentum", [0.0, 0.1, 0.5, 1.0])
def test_running_mean_and_var_follow_torch(momentum):
    rng = np.random.default_rng(0)
    layer = BatchNorm1d(3, momentum=momentum)
    twin = nn.BatchNorm1d(3, eps=1e-5, momentum=momentum).double()
    for batch in (2, 5, 3, 4):
        x = rng.normal([1.0, -2.0, 0.0], [0.5, 2.0, 3.0], size=(batch, 3))
        layer.forward(x)
        with torch.no_grad():
            twin(torch.from_numpy(x))
        # The unbiased variance goes into running_var: with batch 2 it is twice the biased one.
        np.testing.assert_allclose(layer.running_mean, twin.running_mean.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(layer.running_var, twin.running_var.numpy(), rtol=1e-12, atol=1e-14)
    assert set(layer.params) == {"gamma", "beta"}  # buffers are not parameters
    x = rng.normal(size=(4, 3))
    with torch.no_grad():
        expected = twin.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(layer.eval().forward(x), expected, rtol=1e-12, atol=1e-14)


def test_training_needs_two_samples_per_batch():
    with pytest.raises(ValueError, match="BatchNorm1d: x needs a batch of at least 2"):
        BatchNorm1d(3).forward(np.zeros((1, 3)))
