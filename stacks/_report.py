"""``DIR/report.html``: the class at a glance, one self-contained page.

Score distribution, pass rate per question, the most common failure messages of each
question with how many students got each, time per submission, and the statuses (timeouts,
limits, invalid notebooks) with the students concerned. The charts are inline SVG: the page
needs no script, no network and no file beside it.
"""

from __future__ import annotations

import html
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from stacks._io import write_atomic
from stacks._ledger import Ledger

__all__ = ["Bar", "histogram", "write"]

#: failure messages shown per question
TOP_MESSAGES = 3


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its value and the text shown beside it."""

    label: str
    value: float
    text: str


def histogram(values: list[float], edges: list[float]) -> list[int]:
    """How many ``values`` fall in each bin ``[edges[i], edges[i + 1])``, the last one closed.

    Examples
    --------
    >>> histogram([0, 1, 1, 2, 9], [0, 1, 2, 9])
    [1, 2, 2]
    """
    counts = [0] * (len(edges) - 1)
    for value in values:
        for i in range(len(counts)):
            last = i == len(counts) - 1
            if edges[i] <= value < edges[i + 1] or (last and value == edges[-1]):
                counts[i] += 1
                break
    return counts


def _columns_svg(bars: list[Bar], x_title: str, y_title: str) -> str:
    """A column chart (a histogram) as inline SVG."""
    width, height, left, bottom = 560, 220, 40, 44
    inner_w, inner_h = width - left - 10, height - bottom - 20
    top = max((b.value for b in bars), default=0) or 1
    step = inner_w / max(len(bars), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_text(y_title)} by {_text(x_title)}">'
    ]
    for i, bar in enumerate(bars):
        h = inner_h * bar.value / top
        x = left + i * step
        y = 20 + inner_h - h
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{y:.1f}" width="{max(step - 4, 1):.1f}" height="{h:.1f}">'
            f"<title>{_text(bar.label)}: {_text(bar.text)}</title></rect>"
        )
        if bar.value:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{_text(bar.text)}</text>'
            )
        parts.append(
            f'<text x="{x + step / 2:.1f}" y="{20 + inner_h + 16:.1f}" text-anchor="middle">{_text(bar.label)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{20 + inner_h}" x2="{width - 10}" y2="{20 + inner_h}" class="axis"/>'
        f'<text x="{left + inner_w / 2:.1f}" y="{height - 6}" text-anchor="middle">{_text(x_title)}</text>'
        f'<text x="12" y="{20 + inner_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {20 + inner_h / 2:.1f})">{_text(y_title)}</text></svg>'
    )
    return "".join(parts)


def _rows_svg(bars: list[Bar], maximum: float) -> str:
    """Horizontal bars (a rate per question) as inline SVG."""
    label_w, bar_w, row_h = 8 + 7 * max((len(b.label) for b in bars), default=10), 300, 26
    width, height = label_w + bar_w + 110, row_h * len(bars) + 10
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        'aria-label="pass rate per question">'
    ]
    for i, bar in enumerate(bars):
        y = 5 + i * row_h
        w = bar_w * bar.value / (maximum or 1)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end">{_text(bar.label)}</text>'
            f'<rect class="track" x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row_h - 8}"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 17}">{_text(bar.text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _text(value: object) -> str:
    """Any value as SVG text or attribute content (quotes escaped too)."""
    return html.escape(str(value))


def write(ledger: Ledger, out: Path, assignment: str) -> Path:
    """Write ``out/report.html`` from the records of ``ledger``; return its path."""
    import jinja2

    records = [ledger.records[s] for s in sorted(ledger.records)]
    rows = [r.row for r in records]
    max_score = max((row.max_score for row in rows), default=0.0)
    scores = [row.score for row in rows]
    # one bar per point for small whole-point scores, else ten bins
    whole = int(max_score) == max_score and max_score <= 40
    edges = (
        [float(i) for i in range(int(max_score) + 2)]
        if whole
        else [max_score * i / 10 for i in range(11)]
    )
    counts = histogram(scores, edges)
    score_bars = [
        Bar(f"{edges[i]:g}" if whole else f"{edges[i]:.1f}", c, str(c))
        for i, c in enumerate(counts)
    ]

    questions: dict[str, dict] = {}
    for record in records:
        for q in record.questions:
            entry = questions.setdefault(
                q.grade_id,
                {
                    "title": q.title,
                    "points": q.points,
                    "passed": 0,
                    "total": 0,
                    "messages": Counter(),
                },
            )
            entry["total"] += 1
            entry["passed"] += q.passed
            if not q.passed and q.message:
                entry["messages"][_first_sentence(q.message)] += 1
    pass_bars = [
        Bar(
            gid,
            q["passed"] / q["total"],
            f"{q['passed']} of {q['total']} ({q['passed'] / q['total']:.0%})",
        )
        for gid, q in questions.items()
    ]
    failures = [
        (q["title"], gid, q["messages"].most_common(TOP_MESSAGES), q["total"] - q["passed"])
        for gid, q in questions.items()
        if q["total"] > q["passed"]
    ]

    seconds = [r.seconds for r in records if r.seconds > 0]
    time_bars: list[Bar] = []
    if seconds:
        top = max(seconds)
        t_edges = [top * i / 8 for i in range(9)]
        time_bars = [
            Bar(f"{t_edges[i]:.1f}", c, str(c)) for i, c in enumerate(histogram(seconds, t_edges))
        ]
    statuses = Counter(row.status for row in rows)
    by_status = {
        status: sorted(row.student for row in rows if row.status == status)
        for status in statuses
        if status != "graded"
    }
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("stacks", "templates"), autoescape=True
    )
    page = environment.get_template("report.html.j2").render(
        assignment=assignment,
        students=len(rows),
        max_score=max_score,
        mean=statistics.fmean(scores) if scores else 0.0,
        median=statistics.median(scores) if scores else 0.0,
        full=sum(row.score >= row.max_score > 0 for row in rows),
        score_chart=_columns_svg(score_bars, "score", "students"),
        pass_chart=_rows_svg(pass_bars, 1.0) if pass_bars else "",
        failures=failures,
        time_chart=_columns_svg(time_bars, "seconds per submission", "submissions")
        if time_bars
        else "",
        time_median=statistics.median(seconds) if seconds else 0.0,
        time_total=sum(seconds),
        workers=Counter(r.worker for r in records if r.worker),
        statuses=statuses.most_common(),
        by_status=by_status,
        messages={row.student: row.message for row in rows},
    )
    path = out / "report.html"
    write_atomic(path, page)
    return path


def _first_sentence(message: str) -> str:
    """The part of a failure message that students share (no numbers of their own data)."""
    text = message.strip().splitlines()[0] if message.strip() else ""
    return text[:160]
