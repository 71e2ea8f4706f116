"""Running reductions of frames, pixel range by pixel range: max, min, mean and std.

Integers are summed exactly in int64 where that cannot overflow; floats use numpy's
order of summation for the mean and Welford's algorithm for the standard deviation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import UFUNCS


class Accumulator:
    """Running max, min, mean or std over frames, per pixel (Welford for float std).

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.array([[1, 5], [3, 5], [8, 5]], np.uint16)  # 3 frames of 2 pixels
    >>> acc = Accumulator("std", frames.dtype, pixels=2, n_frames=3, omit=False)
    >>> tmp = [np.empty(2) for _ in range(acc.temporaries())]
    >>> for k, frame in enumerate(frames, start=1):
    ...     acc.add(frame, slice(0, 2), tmp, k)
    >>> bool(np.allclose(acc.result(), frames.std(axis=0)))
    True
    """

    def __init__(self, how: str, dtype: np.dtype, pixels: int, n_frames: int, omit: bool) -> None:
        self.how, self.omit, self.kind, self.n_frames = how, omit, dtype.kind, n_frames
        max_abs = 0
        if dtype.kind == "b":
            max_abs = 1
        elif dtype.kind in "iu":
            max_abs = max(-int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        # Integers summed in int64 are exact. n * sum(x^2) must stay below 2^63, hence
        # the bound on n * max|x| (uint16: 32768 frames), beyond which Welford is used.
        self.exact = dtype.kind in "biu" and (
            (how == "mean" and dtype.itemsize <= 4)
            or (how == "std" and dtype.itemsize <= 2 and n_frames * max_abs < 2**31)
        )
        self.count: np.ndarray | None = None
        self.acc: np.ndarray | None = None
        if how in ("max", "min"):
            self.acc = np.empty(pixels, dtype)  # the first frame, then the running max/min
        elif self.exact:
            self.s = np.zeros(pixels, np.int64)
            if how == "std":
                self.ss = np.zeros(pixels, np.int64)
        elif how == "mean":
            self.s = np.zeros(pixels, np.float64)
        else:  # Welford's running mean and sum of squared deviations
            self.mean = np.zeros(pixels, np.float64)
            self.m2 = np.zeros(pixels, np.float64)
        if omit and how in ("mean", "std") and not self.exact:
            self.count = np.zeros(pixels, np.int64)

    def temporaries(self) -> int:
        """How many float64 temporaries, as long as a pixel range, :meth:`add` needs.

        Examples
        --------
        >>> import numpy as np
        >>> Accumulator("std", np.dtype(np.float32), pixels=4, n_frames=9, omit=False).temporaries()
        2
        """
        if self.how != "std":
            return 0
        return 1 if self.exact else 2

    def add(self, x: np.ndarray, sl: slice, tmp: list[np.ndarray], k: int) -> None:
        """Add the values ``x`` of pixels ``sl`` of the ``k``-th frame (1-based) they see.

        Pixel ranges are independent: callers may feed them in any order (frame by frame,
        or band by band through all frames), from several threads for disjoint ranges.
        ``tmp`` holds :meth:`temporaries` float64 arrays at least as long as ``x``.
        """
        if self.kind != "f":
            self._add(x, sl, tmp, k)
            return
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf: NaN, as numpy
            self._add(x, sl, tmp, k)

    def _add(self, x: np.ndarray, sl: slice, tmp: list[np.ndarray], k: int) -> None:
        if self.acc is not None:  # max or min
            acc = self.acc[sl]
            if k == 1:
                acc[...] = x
            else:
                UFUNCS[self.how, self.omit](acc, x, out=acc)
            return
        n = x.shape[0]
        if self.exact:
            s = self.s[sl]
            np.add(s, x, out=s)
            if self.how == "std":
                sq = tmp[0][:n].view(np.int64)
                np.multiply(x, x, out=sq, dtype=np.int64)
                ss = self.ss[sl]
                np.add(ss, sq, out=ss)
            return
        valid: np.ndarray | None = None  # which values are not NaN, when NaN is omitted
        count: np.ndarray | None = None
        if self.count is not None:
            valid = ~np.isnan(x)
            count = self.count[sl]
            np.add(count, valid, out=count)
        if self.how == "mean":
            s = self.s[sl]
            if valid is None:
                np.add(s, x, out=s)  # same order and precision as numpy's axis-0 sum
            else:
                np.add(s, x, out=s, where=valid)
            return
        mean, m2 = self.mean[sl], self.m2[sl]
        d, d2 = tmp[0][:n], tmp[1][:n]
        np.subtract(x, mean, out=d, dtype=np.float64)
        if valid is None or count is None:
            np.divide(d, k, out=d2)
        else:
            d[~valid] = 0
            np.divide(d, np.maximum(count, 1), out=d2)
        mean += d2
        np.subtract(x, mean, out=d2, dtype=np.float64)
        d2 *= d
        if valid is None:
            m2 += d2
        else:
            np.add(m2, d2, out=m2, where=valid)

    def result(self) -> np.ndarray:
        """The projection of the frames added, one value per pixel.

        Examples
        --------
        >>> import numpy as np
        >>> acc = Accumulator("max", np.dtype(np.uint8), pixels=3, n_frames=2, omit=False)
        >>> acc.add(np.array([1, 7, 2], np.uint8), slice(0, 3), [], 1)
        >>> acc.add(np.array([4, 0, 2], np.uint8), slice(0, 3), [], 2)
        >>> acc.result()
        array([4, 7, 2], dtype=uint8)
        """
        if self.acc is not None:  # max or min
            return self.acc
        n = self.n_frames
        count: Any = n if self.count is None else self.count
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.exact:
                if self.how == "mean":
                    return self.s / n
                # n * sum(x^2) - sum(x)^2 is exact in int64 (bounded above): one rounding.
                num = self.ss
                num *= n
                num -= np.square(self.s, out=self.s)
                var = num.astype(np.float64)
                var /= float(n * n)
                return np.sqrt(var, out=var)
            if self.how == "mean":
                return self.s / count
            var = self.m2 / count
            return np.sqrt(np.maximum(var, 0, out=var), out=var)
