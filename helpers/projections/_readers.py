"""Any pims-style reader (frames by index, a length, a frame shape) as a FrameSource."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..sequences import SequenceError


def is_frame_reader(x: Any) -> bool:
    """A pims-style reader: frames by index, a length and a frame shape, not an array.

    Examples
    --------
    >>> import numpy as np
    >>> is_frame_reader(np.zeros((3, 4, 5)))
    False
    """
    return (
        not isinstance(x, np.ndarray)
        and hasattr(x, "frame_shape")
        and hasattr(x, "__len__")
        and hasattr(x, "__getitem__")
    )


class ReaderFrames:
    """The frames of a pims-style reader, checked to be shaped like frame 0.

    A :class:`~helpers.sequences.FrameSource` whose every read decodes a whole frame
    (``partial_reads`` is False), so it is read from one thread at a time: a foreign
    reader may not be thread-safe.

    Examples
    --------
    >>> import numpy as np
    >>> frames = ReaderFrames([np.full((2, 3), t, np.uint8) for t in range(4)])
    >>> len(frames), frames.frame_shape, frames.dtype, frames.read_pixels(3, 1, 3)
    (4, (2, 3), dtype('uint8'), array([3, 3], dtype=uint8))
    """

    partial_reads = False

    def __init__(self, reader: Any) -> None:
        first = np.asarray(reader[0])  # the reader's pixel_type may be wrong: look
        self._reader = reader
        self._length = len(reader)
        self.frame_shape: tuple[int, ...] = first.shape
        self.dtype = first.dtype

    def __len__(self) -> int:
        return self._length

    def _frame(self, i: int) -> np.ndarray:
        frame = np.asarray(self._reader[i])
        if frame.shape != self.frame_shape or frame.dtype != self.dtype:
            raise SequenceError(
                f"frame {i} has shape {frame.shape} and dtype {frame.dtype}, but frame 0 has "
                f"shape {self.frame_shape} and dtype {self.dtype}"
            )
        return frame

    def read_frame(self, i: int, out: np.ndarray | None = None) -> np.ndarray:
        """Frame ``i``, copied into ``out`` if given.

        Examples
        --------
        >>> import numpy as np
        >>> ReaderFrames([np.zeros((2, 2)), np.ones((2, 2))]).read_frame(1)
        array([[1., 1.],
               [1., 1.]])
        """
        if out is None:
            return self._frame(i).copy()
        out[...] = self._frame(i)
        return out

    def read_pixels(
        self, i: int, start: int, stop: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """Flat pixels ``start:stop`` of frame ``i``, copied into ``out`` if given.

        Examples
        --------
        >>> import numpy as np
        >>> ReaderFrames([np.arange(6).reshape(2, 3)]).read_pixels(0, 2, 5)
        array([2, 3, 4])
        """
        pixels = self._frame(i).reshape(-1)[start:stop]
        if out is None:
            return pixels.copy()
        out[...] = pixels
        return out
