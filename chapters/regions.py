"""Chapter regions: the marked places in the finished code that a chapter changes.

The finished code is the only copy of the app. Where a chapter changes it, a region holds both
versions: the finished one, live, and the one a learner starts the chapter from, commented out.
In Python::

    # chapter 2 -----------------------------------------------------------------
    jobs.enqueue(Sleeper, article.id)
    # chapter 2 start: ----------------------------------------------------------
    # article.publish(config.publish_delay)
    # chapter 2 end -------------------------------------------------------------

In a Jinja template the inactive side sits inside one ``{# ... #}`` comment, whose delimiters
are on the marker lines::

    {# chapter 3 ------------------------------------------------------------- #}
    {% elif article.image %}<p class="placeholder">...</p>
    {# chapter 3 end --------------------------------------------------------- #}

Either side may be empty (no ``start:`` line when the start side is): "this code does not
exist yet" or "this code is gone once the chapter is done". :func:`render` shows each region's
finished or start side; ``render(render(text, s), finished)`` gives ``text`` back exactly.

A side is recognised as commented out when every line of it is a comment (Python) or when it
sits inside the marker lines' comment (Jinja). So a Python side must hold some code: a side
made only of comments would be read as switched off.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# "chapter 2", "chapter 2 start:", "chapter 2 end", each followed by any number of dashes.
_BODY = r"chapter (?P<chapter>\d+)(?P<kind> start:| end)? *-*"
_PYTHON_MARKER = re.compile(rf"^(?P<indent>[ \t]*)# {_BODY}$")
# A Jinja marker line that does not open the comment starts with three spaces instead of "{# ",
# so that the marker text stays aligned whichever way the region is switched.
_JINJA_MARKER = re.compile(
    rf"^(?P<indent>[ \t]*)(?:(?P<open>\{{# )|   )(?P<body>{_BODY})(?P<close> #\}})?$"
)


class RegionError(ValueError):
    """A region's markers are missing, out of order or inconsistent. Says where."""


@dataclass(frozen=True)
class Marker:
    line: int  # 0-based index into the file's lines
    chapter: int
    kind: str  # "open", "start" or "end"
    indent: str
    body: str  # "chapter 2 start: -----", as written
    opens_comment: bool = False  # Jinja only: the line starts "{#"
    closes_comment: bool = False  # Jinja only: the line ends "#}"


@dataclass(frozen=True)
class Region:
    chapter: int
    open: Marker
    start: Marker | None  # None: the start side is empty
    end: Marker


def syntax_for(path: Path) -> str:
    """``"python"`` or ``"jinja"``: how a file's regions are written."""
    return "jinja" if path.suffix in (".html", ".jinja", ".j2") else "python"


def find_regions(text: str, syntax: str) -> list[Region]:
    """Every region in ``text``, in order. Raises RegionError if the markers do not pair up."""
    markers = [m for i, line in enumerate(text.split("\n")) if (m := _marker(i, line, syntax))]
    regions: list[Region] = []
    index = 0
    while index < len(markers):
        region, index = _region_at(markers, index)
        regions.append(region)
    return regions


def _marker(index: int, line: str, syntax: str) -> Marker | None:
    pattern = _JINJA_MARKER if syntax == "jinja" else _PYTHON_MARKER
    match = pattern.match(line.rstrip())
    if match is None:
        return None
    kind = {None: "open", " start:": "start", " end": "end"}[match.group("kind")]
    groups = match.groupdict()
    return Marker(
        index, int(match.group("chapter")), kind, match.group("indent"),
        body=groups.get("body") or line.strip()[2:],
        opens_comment=bool(groups.get("open")), closes_comment=bool(groups.get("close")),
    )  # fmt: skip


def _region_at(markers: list[Marker], index: int) -> tuple[Region, int]:
    opening = markers[index]
    where = f"line {opening.line + 1}"
    if opening.kind != "open":
        raise RegionError(f"{where}: 'chapter {opening.chapter} {opening.kind}' without an opening")
    following = markers[index + 1 : index + 3]
    start = following[0] if following and following[0].kind == "start" else None
    end_at = index + (2 if start else 1)
    end = markers[end_at] if end_at < len(markers) else None
    if end is None or end.kind != "end":
        raise RegionError(f"{where}: chapter {opening.chapter}'s region has no 'end' marker")
    for marker in (start, end):
        if marker and (marker.chapter != opening.chapter or marker.indent != opening.indent):
            raise RegionError(
                f"line {marker.line + 1}: this marker does not match the opening on {where}"
                " (same chapter, same indentation)"
            )
    return Region(opening.chapter, opening, start, end), end_at + 1


def render(text: str, path: Path, shows_start: Callable[[int], bool]) -> str:
    """``text`` with each region showing its start side if ``shows_start(chapter)``, else its
    finished side. Text outside regions is never changed."""
    syntax = syntax_for(path)
    lines = text.split("\n")
    for region in find_regions(text, syntax):
        flip = _flip_jinja if syntax == "jinja" else _flip_python
        flip(lines, region, shows_start(region.chapter), path)
    return "\n".join(lines)


def shows_start_side(text: str, path: Path) -> dict[int, bool]:
    """For each chapter with regions in ``text``: True if its regions show the start side.
    Raises RegionError if one chapter's regions disagree."""
    syntax = syntax_for(path)
    lines = text.split("\n")
    found: dict[int, bool] = {}
    for region in find_regions(text, syntax):
        now = _is_at_start(lines, region, syntax)
        if found.setdefault(region.chapter, now) != now:
            raise RegionError(
                f"{path}, line {region.open.line + 1}: chapter {region.chapter}'s regions are"
                " not all switched the same way"
            )
    return found


def _sides(region: Region) -> tuple[range, range]:
    middle = region.start.line if region.start else region.end.line
    finished = range(region.open.line + 1, middle)
    start = range(middle + 1, region.end.line) if region.start else range(0)
    return finished, start


def _is_at_start(lines: list[str], region: Region, syntax: str) -> bool:
    """True if the region shows its start side: its finished side is commented out."""
    if syntax == "jinja":
        return not region.open.closes_comment
    finished, start = _sides(region)
    if finished:
        return all(_is_comment(lines[i], region.open.indent) for i in finished)
    return not all(_is_comment(lines[i], region.open.indent) for i in start)


# -- Python: the inactive side is commented out line by line -----------------------------------


def _is_comment(line: str, indent: str) -> bool:
    return line.startswith(indent + "#")


def _flip_python(lines: list[str], region: Region, to_start: bool, path: Path) -> None:
    if _is_at_start(lines, region, "python") == to_start:
        return
    finished, start = _sides(region)
    off, on = (finished, start) if to_start else (start, finished)
    indent = region.open.indent
    for i in off:
        lines[i] = _comment_out(lines[i], indent, path, i)
    for i in on:
        lines[i] = _uncomment(lines[i], indent, path, i)


def _comment_out(line: str, indent: str, path: Path, index: int) -> str:
    if not line.strip():
        return indent + "#"
    if not line.startswith(indent):
        raise RegionError(f"{path}, line {index + 1}: indented less than its region's markers")
    return f"{indent}# {line[len(indent) :]}"


def _uncomment(line: str, indent: str, path: Path, index: int) -> str:
    if line.rstrip() == indent + "#":
        return ""
    if not line.startswith(indent + "# "):
        raise RegionError(f"{path}, line {index + 1}: expected a line commented out with '# '")
    return indent + line[len(indent) + 2 :]


# -- Jinja: the inactive side sits inside one comment opened and closed on the marker lines ----


def _flip_jinja(lines: list[str], region: Region, to_start: bool, path: Path) -> None:
    finished, start = _sides(region)
    inactive = finished if to_start else start
    for i in inactive:
        if "#}" in lines[i]:
            raise RegionError(f"{path}, line {i + 1}: a region's side may not contain '#}}'")
    markers = [region.open, region.start, region.end]
    # The comment runs from the marker before the inactive side to the marker after it.
    commented = (0, 1) if to_start else (1, 2)
    if not region.start:
        markers = [region.open, region.end]
        commented = (0, 1) if to_start else (-1, -1)
    for position, marker in enumerate(markers):
        if marker is None:
            continue
        opens = position == commented[0]
        closes = position == commented[1]
        lines[marker.line] = _jinja_marker(marker, opens_only=opens, closes_only=closes)


def _jinja_marker(marker: Marker, opens_only: bool, closes_only: bool) -> str:
    if opens_only:
        return f"{marker.indent}{{# {marker.body}"
    if closes_only:
        return f"{marker.indent}   {marker.body} #}}"
    return f"{marker.indent}{{# {marker.body} #}}"
