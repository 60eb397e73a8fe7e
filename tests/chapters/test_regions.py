"""Chapter regions: found, switched to a chapter's start and back, in Python and Jinja."""

from __future__ import annotations

from pathlib import Path

import pytest

from chapters.regions import RegionError, find_regions, render, shows_start_side
from chapters.tool import ROOT, switched_files

PY = Path("views.py")
HTML = Path("page.html")

FINISHED_PY = """\
def publish(article):
    save(article)
    # chapter 2 ------------------------------------------
    jobs.enqueue(Sleeper, article.id)

    flash("soon")
    # chapter 2 start: -----------------------------------
    # article.publish(delay)
    # chapter 2 end --------------------------------------
    # chapter 3 ------------------------------------------
    if article.image:
        jobs.enqueue(Thumbnails, article.image.id)
    # chapter 3 end --------------------------------------
"""

AT_CHAPTER_2_PY = """\
def publish(article):
    save(article)
    # chapter 2 ------------------------------------------
    # jobs.enqueue(Sleeper, article.id)
    #
    # flash("soon")
    # chapter 2 start: -----------------------------------
    article.publish(delay)
    # chapter 2 end --------------------------------------
    # chapter 3 ------------------------------------------
    # if article.image:
    #     jobs.enqueue(Thumbnails, article.image.id)
    # chapter 3 end --------------------------------------
"""

FINISHED_HTML = """\
{% if image.ready %}<img>
  {# chapter 3 ---------------------------------- #}
  {% elif image %}<p class="placeholder">soon</p>
  {# chapter 3 start: ---------------------------
  {% else %}
     chapter 3 end ------------------------------ #}
{% endif %}
"""

AT_CHAPTER_3_HTML = """\
{% if image.ready %}<img>
  {# chapter 3 ----------------------------------
  {% elif image %}<p class="placeholder">soon</p>
     chapter 3 start: --------------------------- #}
  {% else %}
  {# chapter 3 end ------------------------------ #}
{% endif %}
"""


def test_regions_are_found_with_their_chapter_and_sides() -> None:
    regions = find_regions(FINISHED_PY, "python")
    assert [(r.chapter, r.start is not None) for r in regions] == [(2, True), (3, False)]
    assert shows_start_side(FINISHED_PY, PY) == {2: False, 3: False}
    assert shows_start_side(AT_CHAPTER_2_PY, PY) == {2: True, 3: True}


def test_python_regions_comment_out_the_side_not_shown() -> None:
    assert render(FINISHED_PY, PY, lambda chapter: chapter >= 2) == AT_CHAPTER_2_PY
    assert render(AT_CHAPTER_2_PY, PY, lambda chapter: False) == FINISHED_PY


def test_only_later_chapters_are_switched() -> None:
    at_3 = render(FINISHED_PY, PY, lambda chapter: chapter >= 3)
    assert "    jobs.enqueue(Sleeper, article.id)" in at_3
    assert "    # if article.image:" in at_3
    assert render(at_3, PY, lambda chapter: chapter >= 3) == at_3  # already there: no change


def test_jinja_regions_move_the_comment_to_the_side_not_shown() -> None:
    assert render(FINISHED_HTML, HTML, lambda chapter: True) == AT_CHAPTER_3_HTML
    assert render(AT_CHAPTER_3_HTML, HTML, lambda chapter: False) == FINISHED_HTML
    assert shows_start_side(AT_CHAPTER_3_HTML, HTML) == {3: True}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# chapter 2 ---\nx = 1\n", "no 'end' marker"),
        ("x = 1\n# chapter 2 end ---\n", "without an opening"),
        ("# chapter 2 ---\nx = 1\n    # chapter 2 end ---\n", "does not match"),
        ("# chapter 2 ---\nx = 1\n# chapter 3 end ---\n", "does not match"),
    ],
    ids=["no-end", "no-opening", "indentation", "chapter"],
)
def test_markers_that_do_not_pair_up_are_refused_and_located(text: str, problem: str) -> None:
    with pytest.raises(RegionError, match=problem):
        find_regions(text, "python")


def test_a_start_side_that_is_not_commented_as_the_tool_does_is_refused() -> None:
    broken = AT_CHAPTER_2_PY.replace("    #\n", "    # \n").replace("    # flash", "    #flash")
    with pytest.raises(RegionError, match="line 6: expected a line commented out"):
        render(broken, PY, lambda chapter: False)


@pytest.mark.parametrize("path", switched_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_region_in_the_blog_round_trips_at_every_chapter(path: Path) -> None:
    finished = path.read_text()
    assert set(shows_start_side(finished, path).values()) == {False}, "commit the finished code"
    for position in range(1, 9):
        at_start = render(finished, path, lambda chapter, p=position: chapter >= p)
        assert render(at_start, path, lambda chapter: False) == finished
