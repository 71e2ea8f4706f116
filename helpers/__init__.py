"""Helpers for the course on quantitative analysis of image sequences and 3D images."""

from helpers.viz import display, plot_3d_surface, plot_hist, show_plane, slice_explorer

__all__ = [
    "display",
    "plot_3d_surface",
    "plot_hist",
    "show_plane",
    "slice_explorer",
]
