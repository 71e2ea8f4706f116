"""Checks that the exercise tests call.

Every ``check_*`` function compares a student's answer with what is expected and either
returns a plain Python ``float`` score in [0, 1] or raises :class:`GradingError`, an
``AssertionError`` whose message tells the student what is wrong in words they can act on
("axis 1 was reduced; the projection is over Z (axis 0)", "this is a binary mask; label the
connected objects").

Why plain ``float``: nbgrader reads the last value shown by a test cell as partial credit.
numpy 2 shows a numpy scalar as ``np.float64(1.0)``, which nbgrader cannot parse and then
silently awards full marks. Test cells in this course never end with a bare value anyway
(``stacks build`` refuses them), but callers can rely on the type.

When imported inside IPython, this package makes a :class:`GradingError` display as its one
message instead of a traceback through the checking code: the message is what the student
needs, and the checking code is not theirs to read.

The checks are grouped by topic, one private module each: images as arrays
(``_arrays``), projections and edge filters (``_projections``), contrast, smoothing and
thresholds (``_filters``), segmentation (``_segmentation``, scored by ``_scores``) and
measurements (``_measurements``). The
``check_*_function`` checks call a student's function on variants of the datasets made
from the hidden seed (``_variants``, ``_hidden``), which ``stacks grade`` sets from the
course secret. This module only declares what is public.
"""

from __future__ import annotations

from ._arrays import (
    check_brighten,
    check_dimensions,
    check_draw_h,
    check_rgb_to_grey,
    check_unit_float,
)
from ._failure import GradingError
from ._filters import (
    check_denoise_function,
    check_stretch,
    check_stretch_function,
    check_threshold_scores,
    check_threshold_scores_function,
)
from ._hidden import hidden_data, hidden_seed
from ._ipython import install_handler
from ._measurements import check_border_function, check_measurements_function, check_median_volume
from ._projections import check_filtered, check_projection, check_projection_function
from ._scores import SegmentationScores, segmentation_scores
from ._segmentation import (
    check_clean_mask,
    check_count,
    check_foreground,
    check_labels,
    check_mask_function,
    check_objects,
    check_segmentation_function,
    check_volumes,
    check_volumes_function,
)
from ._timeseries import (
    check_active,
    check_active_function,
    check_counts,
    check_dff,
    check_dff_function,
    check_movie,
    check_movie_function,
    check_reduction,
    check_selection,
    check_series,
    check_series_function,
)
from ._variants import hidden_variant

__all__ = [
    "GradingError",
    "SegmentationScores",
    "check_active",
    "check_active_function",
    "check_border_function",
    "check_brighten",
    "check_clean_mask",
    "check_count",
    "check_counts",
    "check_denoise_function",
    "check_dff",
    "check_dff_function",
    "check_dimensions",
    "check_draw_h",
    "check_filtered",
    "check_foreground",
    "check_labels",
    "check_mask_function",
    "check_measurements_function",
    "check_median_volume",
    "check_movie",
    "check_movie_function",
    "check_objects",
    "check_projection",
    "check_projection_function",
    "check_reduction",
    "check_rgb_to_grey",
    "check_segmentation_function",
    "check_selection",
    "check_series",
    "check_series_function",
    "check_stretch",
    "check_stretch_function",
    "check_threshold_scores",
    "check_threshold_scores_function",
    "check_unit_float",
    "check_volumes",
    "check_volumes_function",
    "hidden_data",
    "hidden_seed",
    "hidden_variant",
    "segmentation_scores",
]

install_handler()
