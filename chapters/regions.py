"""Chapter regions: the marked places in the finished code that a chapter changes.

The committed code is the finished code of every chapter, and the only copy of it. Where a
chapter changes a file, a region holds both versions: the finished one, live, and the one a
learner starts the chapter from, commented out, under a ``start:`` marker whose text says
what the learner writes there. In Python (JavaScript is the same with ``//``)::

    # chapter 2 -----------------------------------------------------------------
    jobs.enqueue(Sleeper, article.id)
    # chapter 2 start: step 3: enqueue a job instead of publishing here
    # article.publish(config.publish_delay)
    # chapter 2 end -------------------------------------------------------------

In a Jinja template the start side sits inside one ``{# ... #}`` comment, opened on the
``start:`` marker line and closed on the ``end`` one (``{# chapter 3 start: ... #}`` on one
line when the start side is empty)::

    {# chapter 3 ------------------------------------------------------------- #}
    {% elif article.image %}<p class="placeholder">...</p>
    {# chapter 3 start: step 4: show a placeholder while the thumbnails are made #}
    {# chapter 3 end --------------------------------------------------------- #}

Either side may be empty; the ``start:`` line may be left out when there is nothing to say.

:func:`render` puts a file at a position, the first chapter not done yet. A region of an
earlier chapter shows its finished side; a region of this chapter or a later one shows its
start side, uncommented, under one TODO line (``# TODO chapter 2, step 3: enqueue a job
instead of publishing here``). The markers go. Nothing of a finished side that is not shown
is left, not even commented out, so that a file at a chapter's start does not hold the
chapter's answer. The rendered file cannot be turned back into the finished one: the way
back is always the committed file (:mod:`chapters.sources`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# "chapter 2", "chapter 2 start: what to write", "chapter 2 end", each with dashes or not.
_BODY = r"chapter (?P<chapter>\d+)(?:(?P<start> start:(?P<todo>.*?))|(?P<end> end))?[ -]*"
_LINE_MARKER = {
    "python": re.compile(rf"^(?P<indent>[ \t]*)# {_BODY}$"),
    "js": re.compile(rf"^(?P<indent>[ \t]*)// {_BODY}$"),
}
# A Jinja marker line that does not open a comment starts with three spaces instead of "{# ".
_JINJA_MARKER = re.compile(rf"^(?P<indent>[ \t]*)(?P<open>\{{# |   ){_BODY}(?P<close> #\}})?$")
_COMMENT = {"python": "#", "js": "//"}


class RegionError(ValueError):
    """A region's markers are missing, out of order or inconsistent. Says where."""


@dataclass(frozen=True)
class Marker:
    line: int  # 0-based index into the file's lines
    chapter: int
    kind: str  # "open", "start" or "end"
    indent: str
    todo: str = ""  # start markers: what the learner writes there
    opens_comment: bool = False  # Jinja only: the line starts "{#"
    closes_comment: bool = False  # Jinja only: the line ends "#}"


@dataclass(frozen=True)
class Region:
    chapter: int
    open: Marker
    start: Marker | None  # None: the start side is empty and has no TODO
    end: Marker

    @property
    def finished_side(self) -> range:
        middle = self.start.line if self.start else self.end.line
        return range(self.open.line + 1, middle)

    @property
    def start_side(self) -> range:
        return range(self.start.line + 1, self.end.line) if self.start else range(0)


def syntax_for(path: Path) -> str:
    """``"python"``, ``"js"`` or ``"jinja"``: how a file's regions are written."""
    return {".html": "jinja", ".jinja": "jinja", ".j2": "jinja", ".js": "js"}.get(
        path.suffix, "python"
    )


def find_regions(text: str, syntax: str) -> list[Region]:
    """Every region in ``text``, in order. Raises RegionError if the markers do not pair up."""
    markers = [m for i, line in enumerate(text.split("\n")) if (m := _marker(i, line, syntax))]
    regions: list[Region] = []
    index = 0
    while index < len(markers):
        region, index = _region_at(markers, index)
        if syntax == "jinja":
            _check_jinja_comment(region)
        regions.append(region)
    return regions


def has_regions(text: str, path: Path) -> bool:
    """True if ``text`` holds at least one well-formed region (a finished file does)."""
    if "chapter " not in text:
        return False
    try:
        return bool(find_regions(text, syntax_for(path)))
    except RegionError:
        return False


def _marker(index: int, line: str, syntax: str) -> Marker | None:
    pattern = _JINJA_MARKER if syntax == "jinja" else _LINE_MARKER[syntax]
    match = pattern.match(line.rstrip())
    if match is None:
        return None
    kind = "start" if match.group("start") else "end" if match.group("end") else "open"
    groups = match.groupdict()
    return Marker(
        index, int(match.group("chapter")), kind, match.group("indent"),
        todo=(match.group("todo") or "").strip(" -"),
        opens_comment=groups.get("open") == "{# ", closes_comment=bool(groups.get("close")),
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


def _check_jinja_comment(region: Region) -> None:
    """In the finished template, the finished side is live and the start side commented."""
    open_, start, end = region.open, region.start, region.end
    problem = ""
    if not (open_.opens_comment and open_.closes_comment):
        problem = f"line {open_.line + 1}: the opening marker must be one {{# ... #}} comment"
    elif start and start.closes_comment and region.start_side:
        problem = f"line {start.line + 1}: a start side must sit inside the start marker's comment"
    elif start and not start.closes_comment and (end.opens_comment or not end.closes_comment):
        problem = f"line {end.line + 1}: the end marker must close the start marker's comment"
    elif not start and not (end.opens_comment and end.closes_comment):
        problem = f"line {end.line + 1}: the end marker must be one {{# ... #}} comment"
    if problem:
        raise RegionError(problem)


def render(text: str, path: Path, position: int) -> str:
    """``text`` (a finished file) at ``position``: regions of chapters before it show their
    finished side, the others their start side under its TODO line; no markers are left."""
    syntax = syntax_for(path)
    lines = text.split("\n")
    shown: list[str] = []
    after_last = 0
    for region in find_regions(text, syntax):
        shown += lines[after_last : region.open.line]
        if region.chapter < position:
            side = [lines[i] for i in region.finished_side]
        else:
            side = _start_side(lines, region, syntax, path)
        after_last = region.end.line + 1
        if after_last < len(lines) and not lines[after_last].strip():
            # Blank lines that end a side (two after a class, say) are already there.
            while side and not side[-1].strip():
                side.pop()
        shown += side
    return "\n".join(shown + lines[after_last:])


def todo_line(region: Region, syntax: str) -> str:
    """The line that marks where the learner writes, or "" if the region has none."""
    if region.start is None or not region.start.todo:
        return ""
    todo = f"TODO chapter {region.chapter}, {region.start.todo}"
    if syntax == "jinja":
        return f"{region.open.indent}{{# {todo} #}}"
    return f"{region.open.indent}{_COMMENT[syntax]} {todo}"


def _start_side(lines: list[str], region: Region, syntax: str, path: Path) -> list[str]:
    todo = todo_line(region, syntax)
    side = [lines[i] for i in region.start_side]
    if syntax != "jinja":
        indent, comment = region.open.indent, _COMMENT[syntax]
        side = [_uncomment(lines[i], indent, comment, path, i) for i in region.start_side]
    return ([todo] if todo else []) + side


def _uncomment(line: str, indent: str, comment: str, path: Path, index: int) -> str:
    if line.rstrip() == indent + comment:
        return ""
    if not line.startswith(f"{indent}{comment} "):
        raise RegionError(
            f"{path}, line {index + 1}: a start side's lines must be commented out with"
            f" '{comment} ' at the markers' indentation"
        )
    return indent + line[len(indent) + len(comment) + 1 :]


# -- what must not be left at a chapter's start ---------------------------------------------


def normalized(line: str) -> str:
    """A line without indentation and comment delimiters: how a commented-out copy of code
    compares with the code."""
    text = line.strip()
    for opening in ("{#", "#", "//"):
        text = text.removeprefix(opening).strip()
    return text.removesuffix("#}").strip()


def answer_lines(text: str, path: Path, position: int) -> set[str]:
    """The lines of finished code that ``text`` (a finished file) must not show at
    ``position``: finished sides of this chapter and later, except lines that the file shows
    there anyway (outside the regions, on a start side, or in an earlier chapter's code)."""
    lines = text.split("\n")
    answers: set[str] = set()
    hidden: set[int] = set()  # markers, and the finished sides not shown
    for region in find_regions(text, syntax_for(path)):
        hidden |= {region.open.line, region.end.line, region.start.line if region.start else -1}
        if region.chapter >= position:
            answers |= {normalized(lines[i]) for i in region.finished_side}
            hidden |= set(region.finished_side)
    shown = [line for i, line in enumerate(lines) if i not in hidden]
    return answers - {normalized(line) for line in shown} - {""}


def leaked(rendered: str, finished: str, path: Path, position: int) -> list[str]:
    """The lines of ``rendered`` that hold finished code of chapter ``position`` or later."""
    answers = answer_lines(finished, path, position)
    return [line for line in rendered.split("\n") if normalized(line) in answers]
