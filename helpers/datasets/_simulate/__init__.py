"""The physical simulators behind :mod:`helpers.datasets`, one module per dataset.

Every simulator follows the same image-formation chain that a microscope or a CT scanner
imposes on a specimen, so that the images behave like real data under the course's
filters, thresholds and projections:

object (fluorophore density or X-ray attenuation) -> uneven illumination -> optics blur
(anisotropic PSF) -> background -> photon shot noise -> read noise -> gain and offset ->
quantisation and clipping to the bit depth.

Each simulator is a :class:`~helpers.datasets._spec.Simulator`: it takes the dataset's
spec (shape and spacing), a :class:`numpy.random.Generator` (one per dataset, so a seed
gives identical bytes) and a ``step(stage)`` callback for the progress bar, and returns a
dict of arrays, which the spec's files are made from. The shared physics (noise fields,
illumination, detector, blurred sheets) is in :mod:`._physics`, the rules that every
ground truth follows in :mod:`._truth`.
"""

#: Bump when a simulator changes its output: folders made by another version are rebuilt.
GENERATOR_VERSION = 1
