"""GANSpace directions: PCA at G's first layer, carried back to latent space by regression."""

import torch

from ganforge.config import ModelConfig
from ganforge.models import build_models
from ganforge.serve.directions import first_layer, principal_directions


def test_for_a_linear_first_layer_the_directions_are_its_right_singular_vectors():
    # y = W z + b with z ~ N(0, I): PCA finds W's left singular vectors u_k, the coordinates are s_k v_k^T z,
    # so regressing z on them gives v_k / s_k, and one standard deviation (s_k) of it is v_k itself.
    torch.manual_seed(0)
    G, _ = build_models(ModelConfig(z_dim=8, g_hidden=[32]), (2,))
    z = torch.randn(2000, 8, generator=torch.Generator().manual_seed(1))
    found = principal_directions(G, G, z, count=3)
    _, singular, right = torch.linalg.svd(first_layer(G).weight.detach())
    for k in range(3):
        cosine = torch.nn.functional.cosine_similarity(found.vectors[k], right[k], dim=0)
        assert cosine.abs() > 0.9, (k, cosine)  # 2,000 samples: close singular values mix a little
        assert abs(found.vectors[k].norm().item() - 1) < 0.1
    expected = singular[:3] ** 2 / (singular**2).sum()
    assert torch.allclose(torch.tensor(found.explained), expected, atol=0.03)


def test_directions_of_a_dcgan_generator_move_its_images():
    torch.manual_seed(0)
    G, _ = build_models(ModelConfig(name="dcgan", z_dim=16, width=8), (1, 28, 28))
    G.eval()
    z = torch.randn(500, 16, generator=torch.Generator().manual_seed(1))
    found = principal_directions(G, G, z, count=4)
    assert found.vectors.shape == (4, 16)
    assert found.explained == sorted(found.explained, reverse=True)
    with torch.no_grad():
        base, moved = G(z[:1]), G(found.apply(z[:1], [3.0]))
    assert (moved - base).abs().mean() > 0.1 * base.abs().mean()  # an untrained G's images are faint
    assert torch.equal(found.apply(z[:1], [0.0, 0.0]), z[:1])
