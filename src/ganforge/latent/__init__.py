"""The latent space as a tool: measured attributes, vector arithmetic, named directions and projection.

    import ganforge
    from ganforge import latent

    trained = ganforge.load("runs/mnist-dcgan-non-saturating")
    pool = latent.make_pool(trained, 2000)                       # samples, their latents and measurements
    result = latent.arithmetic(pool, "thick 3 - thin 3 + thin 7")  # DCGAN-style arithmetic (docs/latent.md)
    thicker = latent.find_direction(pool, "thickness").apply(pool.z[:8], 2.0)
    z = latent.project(trained, images).z                         # real images (N, C, H, W) -> latents
    encoder, _ = latent.encoder_for(trained)                      # trained on G's samples, cached in the run
    z = latent.project(trained, images, steps=60, encoder=encoder).z  # ... warm-started by its guess

See docs/latent.md for the query syntax, the measurements and how well each tool does against its control.
"""

from ganforge.latent.arithmetic import Arithmetic, arithmetic, figure
from ganforge.latent.attributes import Measurements, attribute_names, measure_images, summary_table
from ganforge.latent.directions import Direction, find_direction, random_direction
from ganforge.latent.encoder import Encoder, encoder_for, train_encoder
from ganforge.latent.pool import Pool, make_pool
from ganforge.latent.project import Projection, project
from ganforge.latent.query import parse_expression, select

__all__ = [
    "Arithmetic", "Direction", "Encoder", "Measurements", "Pool", "Projection", "arithmetic", "attribute_names",
    "encoder_for", "figure", "find_direction", "make_pool", "measure_images", "parse_expression", "project",
    "random_direction", "select", "summary_table", "train_encoder",
]  # fmt: skip
