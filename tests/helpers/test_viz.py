"""Tests of helpers.viz: what each helper draws, measures, returns and leaves alone."""

import matplotlib

matplotlib.use("Agg")  # before pyplot: these tests must never open a window

import base64
import copy
import doctest
import importlib
import io
import math
import pkgutil
import subprocess
import sys
from pathlib import Path

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from matplotlib.figure import Figure

import helpers
from helpers import viz
from helpers.viz import _figures

ROOT = Path(helpers.__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


@pytest.fixture
def volume():
    """A small uint8 volume: plane k is about 10 k brighter than plane 0, and each plane
    has a gradient along x so that it holds many grey values."""
    rng = np.random.default_rng(0)
    planes = np.arange(12, dtype=np.float64)[:, None, None] * 10
    columns = np.linspace(0, 60, 30)[None, None, :]
    noisy = planes + columns + rng.normal(0, 3, (12, 20, 30))
    return np.clip(noisy + 20, 0, 255).astype(np.uint8)


@pytest.fixture
def labels():
    image = np.zeros((12, 20, 30), dtype=np.int32)
    image[2:6, 3:9, 4:12] = 1
    image[5:10, 10:18, 15:28] = 7
    return image


def axis():
    """A fresh Axes on a figure pyplot does not know about."""
    return Figure().add_subplot()


def ellipsoid_mask(spacing, semi_axes, center=(0.3, -0.2, 0.1)):
    """Voxels of the volume sampled at ``spacing`` inside an ellipsoid, in physical units."""
    extent = [math.ceil(1.2 * s / d) + 1 for s, d in zip(semi_axes, spacing, strict=True)]
    grid = np.ogrid[tuple(slice(-e, e + 1) for e in extent)]
    r2 = sum(
        ((g * d - c) / s) ** 2 for g, d, c, s in zip(grid, spacing, center, semi_axes, strict=True)
    )
    return r2 <= 1


def ellipsoid_area(a, b, c):
    """Knud Thomsen's formula: within about 1 % of the true area."""
    p = 1.6075
    return 4 * math.pi * (((a * b) ** p + (a * c) ** p + (b * c) ** p) / 3) ** (1 / p)


def sphere_area(radius):
    return 4 * math.pi * radius**2


# --------------------------------------------------------------------------------------
# show_plane
# --------------------------------------------------------------------------------------


def test_show_plane_draws_the_plane_with_title_and_no_ticks(volume):
    ax = axis()
    image = viz.show_plane(ax, volume[5], title="Plane = 5")
    assert isinstance(image, matplotlib.image.AxesImage)
    assert ax.get_title() == "Plane = 5"
    np.testing.assert_array_equal(image.get_array(), volume[5])
    assert list(ax.get_xticks()) == [] and list(ax.get_yticks()) == []
    assert image.get_cmap().name == "gray"
    assert image.get_clim() == (volume[5].min(), volume[5].max())


def test_show_plane_draws_label_images_without_smoothing(volume, labels):
    # Grey values are smoothed as matplotlib sees fit; label images never.
    assert viz.show_plane(axis(), volume[5]).get_interpolation() != "nearest"
    assert viz.show_plane(axis(), labels[5]).get_interpolation() == "nearest"
    assert viz.show_plane(axis(), labels[5] > 0).get_interpolation() == "nearest"
    floats = labels[5].astype(float)
    image = viz.show_plane(axis(), floats, cmap="nipy_spectral")
    assert image.get_interpolation() == "nearest"


def test_show_plane_range_ignores_nan():
    plane = np.array([[np.nan, 1.0], [2.0, 5.0]])
    image = viz.show_plane(axis(), plane)
    assert image.get_clim() == (1.0, 5.0)


def test_show_plane_accepts_an_explicit_range_and_rgb(volume):
    image = viz.show_plane(axis(), volume[1], vmin=0, vmax=255)
    assert image.get_clim() == (0, 255)
    rgb = np.stack([volume[1]] * 3, axis=-1)
    assert viz.show_plane(axis(), rgb).get_array().shape == (20, 30, 3)


def test_show_plane_explains_a_volume_is_not_a_plane(volume):
    with pytest.raises(ValueError, match=r"2D plane.*\(12, 20, 30\).*volume\[32\]"):
        viz.show_plane(axis(), volume)


# --------------------------------------------------------------------------------------
# slice_explorer
# --------------------------------------------------------------------------------------


def decode_png(b64):
    return plt.imread(io.BytesIO(base64.b64decode(b64)), format="png")


@pytest.mark.parametrize("planes, middle", [(7, 3), (8, 4), (1, 0)])
def test_slice_explorer_starts_at_the_middle_plane(planes, middle):
    data = np.arange(planes * 6, dtype=float).reshape(planes, 2, 3)
    explorer = viz.slice_explorer(data)
    assert isinstance(explorer, ipywidgets.VBox)
    assert isinstance(explorer.slider, ipywidgets.IntSlider)
    assert (explorer.slider.min, explorer.slider.max) == (0, planes - 1)
    assert explorer.slider.value == middle
    np.testing.assert_array_equal(explorer.image.get_array(), data[middle])
    assert explorer.children[0] is explorer.slider


def test_slice_explorer_updates_one_figure_in_place(volume):
    explorer = viz.slice_explorer(volume)
    figure, image = explorer.figure, explorer.image
    first_png = explorer.output.outputs[0]["data"]["image/png"]

    explorer.slider.value = 3

    assert explorer.figure is figure and explorer.image is image  # no new figure
    assert len(figure.axes) == 1 and len(figure.axes[0].images) == 1
    np.testing.assert_array_equal(explorer.image.get_array(), volume[3])
    assert explorer.axes.get_title() == "plane 3"
    # The Output holds one picture, of the new plane.
    assert len(explorer.output.outputs) == 1
    moved_png = explorer.output.outputs[0]["data"]["image/png"]
    assert moved_png != first_png
    width, height = (figure.get_size_inches() * figure.dpi).round().astype(int)
    assert decode_png(moved_png).shape[:2] == (height, width)


def test_slice_explorer_keeps_one_intensity_range(volume):
    explorer = viz.slice_explorer(volume)
    expected = (volume.min(), volume.max())
    for plane in (0, 11, 6):
        explorer.slider.value = plane
        assert explorer.image.get_clim() == expected
    # Plane 0 is dark and plane 11 bright in the volume: their pictures must differ in
    # brightness, which they would not if each plane were scaled on its own.
    explorer.slider.value = 0
    dark = decode_png(explorer.output.outputs[0]["data"]["image/png"])[..., :3].mean()
    explorer.slider.value = 11
    bright = decode_png(explorer.output.outputs[0]["data"]["image/png"])[..., :3].mean()
    assert bright > dark + 0.1


def test_slice_explorer_shows_labels_with_nearest_interpolation(labels, volume):
    assert viz.slice_explorer(labels, cmap="nipy_spectral").image.get_interpolation() == "nearest"
    assert viz.slice_explorer(volume, cmap="magma").image.get_cmap().name == "magma"


def test_slice_explorer_leaves_no_pyplot_figure(volume):
    plt.close("all")
    explorer = viz.slice_explorer(volume)
    explorer.slider.value = 1
    assert plt.get_fignums() == []


def test_slice_explorer_display_bundle_has_widget_and_picture(volume):
    bundle = viz.slice_explorer(volume)._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert decode_png(bundle["image/png"]).ndim == 3  # a picture where widgets cannot run


def test_slice_explorer_class_and_close(volume):
    explorer = viz.SliceExplorer(volume)
    slider = explorer.slider
    explorer.close()
    assert slider.comm is None and explorer.comm is None


def test_slice_explorer_rejects_a_plane(volume):
    with pytest.raises(ValueError, match=r"3D image.*\(20, 30\).*show_plane"):
        viz.slice_explorer(volume[0])


# --------------------------------------------------------------------------------------
# display
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "planes, step, shown",
    [(60, 2, 30), (13, 6, 3), (7, 1, 7), (45, 1, 45), (128, 6, 22), (1, 2, 1)],
)
def test_display_shows_every_step_th_plane_without_blank_panels(planes, step, shown):
    data = np.arange(planes, dtype=np.uint16)[:, None, None] * np.ones((1, 4, 5), np.uint16)
    figure = viz.display(data, step=step)
    assert isinstance(figure, Figure)
    assert len(figure.axes) == shown  # every selected plane (no 30-panel cap), nothing else
    expected_planes = list(range(0, planes, step))
    assert [ax.get_title() for ax in figure.axes] == [f"plane {k}" for k in expected_planes]
    for ax, k in zip(figure.axes, expected_planes, strict=True):
        assert len(ax.images) == 1
        np.testing.assert_array_equal(ax.images[0].get_array(), data[k])
    columns = min(6, shown)
    geometry = figure.axes[0].get_subplotspec().get_gridspec().get_geometry()
    assert geometry == (math.ceil(shown / columns), columns)
    assert {ax.images[0].get_clim() for ax in figure.axes} == {(0, planes - 1)}


def test_display_default_step_is_two(volume):
    assert len(viz.display(volume).axes) == 6


def test_display_shows_labels_with_nearest_interpolation(labels, volume):
    figure = viz.display(labels, cmap="nipy_spectral", step=3)
    assert {ax.images[0].get_interpolation() for ax in figure.axes} == {"nearest"}
    figure = viz.display(volume, step=3)
    assert "nearest" not in {ax.images[0].get_interpolation() for ax in figure.axes}


@pytest.mark.parametrize("step", [0, -2, 1.5, True, "2"])
def test_display_rejects_a_bad_step(volume, step):
    with pytest.raises(ValueError, match="step"):
        viz.display(volume, step=step)


# --------------------------------------------------------------------------------------
# plot_hist
# --------------------------------------------------------------------------------------


def test_plot_hist_uint8_has_one_bin_per_value(volume):
    ax = axis()
    hist = viz.plot_hist(ax, volume, title="Original")
    low, high = int(volume.min()), int(volume.max())
    assert hist.counts.size == high - low + 1
    np.testing.assert_array_equal(hist.edges, np.arange(low, high + 2) - 0.5)
    np.testing.assert_array_equal(hist.counts, np.bincount(volume.ravel())[low:])
    assert ax.get_title() == "Original"
    assert ax.get_xlabel() == "intensity" and ax.get_ylabel() == "voxel count"


def test_plot_hist_full_uint8_range_makes_256_bins():
    data = np.arange(256, dtype=np.uint8).reshape(16, 16)
    hist = viz.plot_hist(axis(), data, "full range")  # title as third positional argument
    assert hist.counts.size == 256 and set(hist.counts) == {1}
    assert (hist.edges[0], hist.edges[-1]) == (-0.5, 255.5)


def test_plot_hist_boolean_draws_false_and_true():
    mask = np.zeros((4, 5, 6), dtype=bool)
    mask[0, :2] = True
    ax = axis()
    hist = viz.plot_hist(ax, mask)
    np.testing.assert_array_equal(hist.counts, [mask.size - 12, 12])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["False", "True"]
    assert len(hist.artist.patches) == 2


def test_plot_hist_float_ignores_nan():
    data = np.array([[0.1, np.nan, 0.5], [0.7, 0.9, np.nan]])
    ax = axis()
    hist = viz.plot_hist(ax, data)
    assert hist.counts.sum() == 4
    assert hist.edges[0] == 0.1 and hist.edges[-1] == 0.9
    assert ax.get_ylabel() == "pixel count"


def test_plot_hist_wide_integer_range_uses_whole_number_bins():
    data = np.array([0, 1, 999, 65535, 40000], dtype=np.uint16)
    hist = viz.plot_hist(axis(), data)
    widths = np.diff(hist.edges)
    assert hist.counts.size <= 256 and hist.counts.sum() == data.size
    assert np.all(widths == widths[0]) and widths[0] == int(widths[0]) > 1


def test_plot_hist_repr_is_short(volume):
    bins = int(volume.max()) - int(volume.min()) + 1
    assert repr(viz.plot_hist(axis(), volume)) == f"Histogram({bins} bins, {volume.size} values)"


@pytest.mark.parametrize(
    "data, error",
    [
        (np.array([]), ValueError),
        (np.array([np.nan, np.inf]), ValueError),
        (np.array([1j]), TypeError),
    ],
)
def test_plot_hist_rejects_what_it_cannot_count(data, error):
    with pytest.raises(error, match="plot_hist"):
        viz.plot_hist(axis(), data)


integer_images = st.sampled_from(["uint8", "uint16", "int8", "int16", "int32", "int64"]).flatmap(
    lambda dtype: hnp.arrays(
        dtype,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=12),
        elements=st.integers(-(2**40), 2**40)
        if dtype == "int64"
        else st.integers(np.iinfo(dtype).min, np.iinfo(dtype).max),
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(integer_images)
def test_plot_hist_integer_bins_hold_whole_values(data):
    hist = viz.plot_hist(axis(), data)
    low, high = int(data.min()), int(data.max())
    widths = np.diff(hist.edges)
    assert hist.counts.sum() == data.size
    assert 1 <= hist.counts.size <= 256
    assert hist.edges[0] == low - 0.5 and hist.edges[-1] >= high + 0.5
    assert np.all(widths == widths[0]) and widths[0] == round(widths[0]) >= 1
    if high - low < 256:
        assert widths[0] == 1  # one bin per value
    np.testing.assert_array_equal(np.histogram(data, hist.edges)[0], hist.counts)


# --------------------------------------------------------------------------------------
# surface_area
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("spacing", [(2, 0.5, 0.5), (0.5, 2, 0.5), (0.5, 0.5, 2), (1, 1, 1)])
def test_surface_area_of_a_sphere_in_physical_units(spacing):
    ball = ellipsoid_mask(spacing, (10, 10, 10))
    area = viz.surface_area(ball, spacing=spacing)
    assert isinstance(area, float)
    assert area == pytest.approx(sphere_area(10), rel=0.05)


@pytest.mark.parametrize("order", [(0, 1, 2), (1, 0, 2), (2, 1, 0)])
def test_surface_area_pairs_spacing_with_its_axis(order):
    # The same anisotropic ellipsoid sampled with anisotropic voxels, with the axes of the
    # array (and so of spacing and of the semi-axes) in three different orders.
    spacing = np.array([1.0, 0.5, 0.5])[list(order)]
    semi_axes = np.array([10.0, 5.0, 7.0])[list(order)]
    mask = ellipsoid_mask(spacing, semi_axes)
    area = viz.surface_area(mask, spacing=tuple(spacing))
    assert area == pytest.approx(ellipsoid_area(*semi_axes), rel=0.05)


def test_surface_area_wrong_spacing_order_would_be_caught():
    # The check above has teeth: spacing paired with the wrong axes (the defect of the
    # original helper) misses the true area by far more than 5 %.
    ball = ellipsoid_mask((2, 0.5, 0.5), (10, 10, 10))
    wrong = viz.surface_area(ball, spacing=(0.5, 0.5, 2))
    assert abs(wrong / sphere_area(10) - 1) > 0.2


def test_surface_area_grows_with_the_square_of_the_spacing():
    ball = ellipsoid_mask((2, 0.5, 0.5), (10, 10, 10))
    area = viz.surface_area(ball, spacing=(2, 0.5, 0.5))
    assert viz.surface_area(ball, spacing=(6, 1.5, 1.5)) == pytest.approx(9 * area)


def two_balls():
    """Label 5: a ball of radius 8 voxels; label 9: radius 4, centred on column 45."""
    big = ellipsoid_mask((1, 1, 1), (8, 8, 8))  # 23 voxels wide
    small = ellipsoid_mask((1, 1, 1), (4, 4, 4))  # 13 voxels wide, centre at index 6
    labels = np.zeros((24, 24, 60), dtype=np.uint16)
    labels[:23, :23, :23][big] = 5
    labels[5:18, 5:18, 39:52][small] = 9
    return labels


def test_surface_area_region_picks_the_object():
    labels = two_balls()
    assert viz.surface_area(labels, region=9) == pytest.approx(sphere_area(4), rel=0.05)
    assert viz.surface_area(labels, np.uint16(9)) == viz.surface_area(labels, 9)
    largest = viz.surface_area(labels)  # default: the object with most voxels
    assert largest == viz.surface_area(labels, region=5)
    assert largest == pytest.approx(sphere_area(8), rel=0.05)


def test_surface_area_closes_objects_touching_the_border():
    ball = ellipsoid_mask((1, 1, 1), (9, 9, 9), center=(0, 0, 0))
    tight = ball[tuple(slice(i.min(), i.max() + 1) for i in np.nonzero(ball))]
    assert tight[0].any() and tight[:, :, -1].any()  # touches the faces of the array
    assert viz.surface_area(tight) == pytest.approx(sphere_area(9), rel=0.05)


@pytest.mark.parametrize(
    "labels, kwargs, error, message",
    [
        (np.ones((3, 3), int), {}, ValueError, r"3D image.*\(3, 3\)"),
        (np.ones((3, 3, 3)), {}, TypeError, "float64.*measure.label"),
        (np.ones((3, 3, 3), int), {"region": 4}, ValueError, "label 4.*present are 1"),
        (np.zeros((3, 3, 3), int), {}, ValueError, "no object"),
        (np.zeros((3, 3, 3), int), {"region": 1}, ValueError, "no object"),
        (np.zeros((3, 3, 3), bool), {}, ValueError, "no object"),
        (np.ones((3, 3, 3), int), {"region": 0}, ValueError, "region.*1 or more, not 0"),
        (np.ones((3, 3, 3), int), {"region": 1.0}, ValueError, "region.*whole number"),
        (np.ones((3, 3, 3), int), {"region": True}, ValueError, "region.*whole number"),
        (np.ones((3, 3, 3), int), {"region": "1"}, ValueError, "region.*whole number"),
        (np.ones((3, 3, 3), int), {"region": [1, 2]}, ValueError, "region.*whole number"),
        (np.ones((3, 3, 3), int), {"spacing": (1, 1)}, ValueError, r"spacing as 3.*\(1, 1\)"),
        (np.ones((3, 3, 3), int), {"spacing": (1, 0, 1)}, ValueError, "spacing as 3 positive"),
        (np.ones((3, 3, 3), int), {"spacing": (1, math.inf, 1)}, ValueError, "spacing"),
        (np.ones((3, 3, 3), int), {"spacing": 0.5}, ValueError, "spacing as 3"),
        (np.ones((3, 3, 3), int), {"spacing": "abc"}, ValueError, "spacing as 3"),
    ],
)
def test_surface_area_explains_bad_input(labels, kwargs, error, message):
    with pytest.raises(error, match=f"^surface_area\\(\\).*{message}"):
        viz.surface_area(labels, **kwargs)


# --------------------------------------------------------------------------------------
# plot_3d_surface
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("spacing", [(2, 0.5, 0.5), (0.5, 0.5, 2)])
def test_plot_3d_surface_reports_the_area_surface_area_measures(spacing):
    ball = ellipsoid_mask(spacing, (10, 10, 10))
    surface = viz.plot_3d_surface(None, ball, spacing=spacing)
    assert surface.area == viz.surface_area(ball, spacing=spacing)
    assert surface.axes.get_title() == f"object: surface area {surface.area:,.1f} µm²"


def test_plot_3d_surface_draws_with_true_proportions_in_micrometres():
    spacing = (2, 0.5, 0.5)
    surface = viz.plot_3d_surface(None, ellipsoid_mask(spacing, (10, 10, 10)), spacing=spacing)
    ax = surface.axes
    assert surface.figure is ax.figure and len(surface.figure.axes) == 1
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_zlabel()) == ("x (µm)", "y (µm)", "z (µm)")
    for low, high in (ax.get_xlim(), ax.get_ylim(), ax.get_zlim()):
        assert high - low == pytest.approx(20, abs=2)  # a diameter in µm along every axis
    aspect = ax.get_box_aspect()
    assert aspect.max() / aspect.min() == pytest.approx(1, abs=0.1)
    assert f"{surface.area:,.1f} µm²" in ax.get_title()
    surface.figure.draw_without_rendering()  # 3D artists make their paths when drawn
    assert len(ax.collections) == 1 and len(ax.collections[0].get_paths()) > 100


def test_plot_3d_surface_region_picks_the_object_and_keeps_its_place():
    labels = two_balls()
    surface = viz.plot_3d_surface(labels, labels, region=9, units="nm")
    assert surface.area == viz.surface_area(labels, region=9)
    assert surface.axes.get_title().startswith("label 9: ") and "nm²" in surface.axes.get_title()
    assert np.mean(surface.axes.get_xlim()) == pytest.approx(45, abs=1)  # column 45
    largest = viz.plot_3d_surface(labels, labels)  # default: most voxels
    assert largest.axes.get_title().startswith("label 5: ")
    assert largest.area == viz.surface_area(labels, region=5)


def test_plot_3d_surface_calls_a_mask_an_object():
    ball = ellipsoid_mask((1, 1, 1), (5, 5, 5))
    for region in (None, 1, True):
        title = viz.plot_3d_surface(None, ball, region=region).axes.get_title()
        assert title.startswith("object: ")


@pytest.mark.parametrize(
    "data, labels, kwargs, error, message",
    [
        (None, np.ones((3, 3), int), {}, ValueError, "3D"),
        (None, np.ones((3, 3, 3)), {}, TypeError, "measure.label"),
        (np.ones((2, 3, 3)), np.ones((3, 3, 3), int), {}, ValueError, "same volume"),
        (None, np.ones((3, 3, 3), int), {"region": 4}, ValueError, "label 4.*present are 1"),
        (None, np.zeros((3, 3, 3), int), {}, ValueError, "no object"),
        (None, np.ones((3, 3, 3), int), {"spacing": (1, 1)}, ValueError, "spacing"),
    ],
)
def test_plot_3d_surface_explains_bad_input(data, labels, kwargs, error, message):
    with pytest.raises(error, match=f"^plot_3d_surface\\(\\).*{message}"):
        viz.plot_3d_surface(data, labels, **kwargs)


# --------------------------------------------------------------------------------------
# scale_bar
# --------------------------------------------------------------------------------------


def bar_rectangle(bar):
    (rectangle,) = bar.size_bar.get_children()
    return rectangle


@pytest.mark.parametrize(
    "length, pixel_size, width, label",
    [(10, 0.26, 10 / 0.26, "10 µm"), (5, 0.5, 10.0, "5 µm"), (2.5, 0.1, 25.0, "2.5 µm")],
)
def test_scale_bar_is_length_over_pixel_size_data_units(length, pixel_size, width, label):
    ax = axis()
    ax.imshow(np.zeros((50, 80)))
    bar = viz.scale_bar(ax, length, pixel_size)
    assert bar in ax.artists
    assert bar_rectangle(bar).get_width() == pytest.approx(width)
    assert bar.txt_label.get_text() == label


def test_scale_bar_units_color_location_and_thickness():
    ax = axis()
    bar = viz.scale_bar(ax, 50, 5, units="nm", color="yellow", location="upper left", thickness=3)
    rectangle = bar_rectangle(bar)
    assert bar.txt_label.get_text() == "50 nm"
    assert rectangle.get_width() == pytest.approx(10)
    assert rectangle.get_height() == pytest.approx(3)
    assert rectangle.get_facecolor() == matplotlib.colors.to_rgba("yellow")
    assert bar.loc == 2  # "upper left"
    default = viz.scale_bar(axis(), 10, 1)
    assert bar_rectangle(default).get_facecolor() == matplotlib.colors.to_rgba("white")
    assert default.loc == 4  # "lower right"


def test_scale_bar_wrong_pixel_size_would_be_caught():
    # a bar drawn with the z spacing instead of the x spacing has the wrong length
    right = bar_rectangle(viz.scale_bar(axis(), 10, 0.26)).get_width()
    wrong = bar_rectangle(viz.scale_bar(axis(), 10, 0.29)).get_width()
    assert wrong != pytest.approx(right)


@pytest.mark.parametrize(
    "length, pixel_size, name",
    [
        (0, 0.26, "length"),
        (-10, 0.26, "length"),
        (10, 0, "pixel_size"),
        (10, math.nan, "pixel_size"),
        (10, "big", "pixel_size"),
    ],
)
def test_scale_bar_rejects_lengths_that_are_not_positive(length, pixel_size, name):
    with pytest.raises(ValueError, match=name):
        viz.scale_bar(axis(), length, pixel_size)


# --------------------------------------------------------------------------------------
# Side effects, package, examples
# --------------------------------------------------------------------------------------


def test_helpers_never_show_nor_change_global_settings(monkeypatch, volume, labels):
    def refuse(*args, **kwargs):
        raise AssertionError("a helper called show()")

    monkeypatch.setattr(plt, "show", refuse)
    monkeypatch.setattr(Figure, "show", refuse)
    plt.close("all")
    before = copy.deepcopy(dict(matplotlib.rcParams))

    viz.show_plane(axis(), volume[3], title="plane")
    explorer = viz.slice_explorer(volume)
    explorer.slider.value = 1
    viz.display(volume, step=3)
    viz.plot_hist(axis(), volume)
    viz.plot_hist(axis(), volume > 50)
    viz.plot_3d_surface(volume, labels, region=7, spacing=(2, 0.5, 0.5))
    viz.surface_area(labels, region=1, spacing=(2, 0.5, 0.5))
    viz.scale_bar(axis(), 10, 0.5)

    assert dict(matplotlib.rcParams) == before
    assert plt.get_fignums() == []
    assert _figures._pending == []  # outside a kernel nothing waits to be shown


def test_package_reexports_the_helpers():
    names = [
        "display",
        "plot_3d_surface",
        "plot_hist",
        "scale_bar",
        "show_plane",
        "slice_explorer",
        "surface_area",
    ]
    assert sorted(helpers.__all__) == names
    assert set(names) <= set(dir(helpers))
    for name in names:
        assert getattr(helpers, name) is getattr(viz, name)
    assert set(viz.__all__) == {*names, "Histogram", "SliceExplorer", "Surface"}
    assert all(hasattr(viz, name) for name in viz.__all__)


def test_importing_helpers_loads_neither_matplotlib_nor_the_measuring_code():
    # The viewers load on first use, and the viewers load scipy.ndimage only to measure.
    code = (
        "import sys, helpers\n"
        "assert 'matplotlib' not in sys.modules and 'helpers.viz' not in sys.modules\n"
        "helpers.show_plane\n"
        "assert 'helpers.viz' in sys.modules and 'scipy.ndimage' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


def viz_modules():
    """helpers.viz and each of its private modules."""
    names = [info.name for info in pkgutil.iter_modules(viz.__path__, "helpers.viz.")]
    return [viz, *(importlib.import_module(name) for name in names)]


def test_docstring_examples_run_in_every_module():
    for module in [helpers, *viz_modules()]:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0, f"{module.__name__} has no examples"
        assert result.failed == 0, module.__name__


# --------------------------------------------------------------------------------------
# In a real kernel: each result shown exactly once, inline and with ipympl
# --------------------------------------------------------------------------------------

NOTEBOOK_CELLS = [
    # (code, how many pictures/widgets the cell must show)
    (
        "import numpy as np, helpers as sc, matplotlib.pyplot as plt\n"
        "vol = np.random.default_rng(0).integers(0, 255, (8, 20, 30), dtype=np.uint8)\n"
        "lab = np.zeros((8, 20, 30), int); lab[2:6, 5:15, 5:20] = 3",
        0,
    ),
    ("sc.slice_explorer(vol)", 1),
    ("sc.slice_explorer(vol);", 1),
    ("w = sc.slice_explorer(vol)", 1),
    ("w = sc.slice_explorer(vol); display(w)", 1),
    ("sc.display(vol)", 1),
    ("sc.display(vol, step=3);", 1),
    ("fig = sc.display(vol)", 1),
    ("sc.plot_3d_surface(vol, lab, region=3, spacing=(2, 0.5, 0.5))", 1),
    ("fig, ax = plt.subplots(); sc.show_plane(ax, vol[3], title='p'); sc.plot_hist(ax, vol);", 1),
    ("import helpers.viz._figures\nprint(plt.get_fignums(), helpers.viz._figures._pending)", 0),
    ("%matplotlib widget", 0),
    (
        "w = sc.slice_explorer(vol); w.slider.value = 2\n"
        "print(type(w.children[1]).__name__, w.output, plt.get_fignums(),"
        " bool((w.image.get_array() == vol[2]).all()))",
        1,
    ),
    ("sc.display(vol)", 1),
]


def shown(cell):
    """Pictures and widgets among a cell's outputs."""
    return [
        output
        for output in cell.outputs
        if output.output_type in ("display_data", "execute_result")
        and {"image/png", "application/vnd.jupyter.widget-view+json"} & set(output.data)
    ]


def test_in_a_kernel_every_result_is_shown_exactly_once(tmp_path):
    import nbclient
    import nbformat

    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(code) for code, _ in NOTEBOOK_CELLS]
    )
    nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(ROOT)}}
    ).execute()

    for cell, (code, expected) in zip(notebook.cells, NOTEBOOK_CELLS, strict=True):
        assert len(shown(cell)) == expected, code
    for cell in notebook.cells:
        for output in shown(cell):
            assert "image/png" in output.data, cell.source  # never only "<Figure ...>"
    texts = ["".join(o.get("text", "") for o in c.outputs) for c in notebook.cells]
    assert "[] []" in texts[10]  # no pyplot figure made, nothing left waiting
    assert "Canvas None [] True" in texts[12]  # ipympl: the canvas is the view

    # The notebook's saved widget state holds each explorer's picture, so that a static
    # export shows it.
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
    outputs = [m for m in state["state"].values() if m["model_name"] == "OutputModel"]
    assert outputs and all("image/png" in m["state"]["outputs"][0]["data"] for m in outputs)
