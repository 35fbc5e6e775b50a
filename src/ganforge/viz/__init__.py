"""Pictures of a GAN: sample grids and plots, training curves, progress GIFs and latent walks."""

from ganforge.viz.animate import make_gif, step_of
from ganforge.viz.grid import grid_image, save_image_grid, save_points_plot, save_samples
from ganforge.viz.interpolate import latent_walk, lerp, save_interpolation, slerp
from ganforge.viz.plots import plot_losses, read_metrics

__all__ = [
    "grid_image",
    "latent_walk",
    "lerp",
    "make_gif",
    "plot_losses",
    "read_metrics",
    "save_image_grid",
    "save_interpolation",
    "save_points_plot",
    "save_samples",
    "slerp",
    "step_of",
]
