"""Chapter regions: found, and rendered at a chapter's start with no trace of its answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from chapters import sources
from chapters.regions import RegionError, find_regions, leaked, render, syntax_for
from chapters.tool import CHAPTERS, ROOT

PY = Path("views.py")
HTML = Path("page.html")

FINISHED_PY = """\
def publish(article):
    save(article)
    # chapter 2 ------------------------------------------
    jobs.enqueue(Sleeper, article.id)

    flash("soon")
    # chapter 2 start: step 3: enqueue a job instead of publishing here
    # article.publish(delay)
    #
    # flash("done")
    # chapter 2 end --------------------------------------
    # chapter 3 ------------------------------------------
    if article.image:
        jobs.enqueue(Thumbnails, article.image.id)
    # chapter 3 end --------------------------------------
"""

AT_CHAPTER_2_PY = """\
def publish(article):
    save(article)
    # TODO chapter 2, step 3: enqueue a job instead of publishing here
    article.publish(delay)

    flash("done")
"""

AT_CHAPTER_3_PY = """\
def publish(article):
    save(article)
    jobs.enqueue(Sleeper, article.id)

    flash("soon")
"""

FINISHED_HTML = """\
{% if image.ready %}<img>
  {# chapter 3 ---------------------------------- #}
  {% elif image %}<p class="placeholder">soon</p>
  {# chapter 3 start: step 4: show a placeholder
  {% else %}<p>none</p>
     chapter 3 end ------------------------------ #}
  {# chapter 4 ---------------------------------- #}
  <p>{{ image.status }}</p>
  {# chapter 4 start: step 1: show the status #}
  {# chapter 4 end ------------------------------ #}
{% endif %}
"""

AT_CHAPTER_3_HTML = """\
{% if image.ready %}<img>
  {# TODO chapter 3, step 4: show a placeholder #}
  {% else %}<p>none</p>
  {# TODO chapter 4, step 1: show the status #}
{% endif %}
"""

FINISHED_JS = """\
// chapter 3 -----
poll(statusUrl);
// chapter 3 start: step 5: ask for the job's state here
// chapter 3 end -----
"""


def test_regions_are_found_with_their_chapter_sides_and_todo() -> None:
    regions = find_regions(FINISHED_PY, "python")
    assert [(r.chapter, r.start is not None) for r in regions] == [(2, True), (3, False)]
    assert regions[0].start is not None
    assert regions[0].start.todo == "step 3: enqueue a job instead of publishing here"
    assert list(regions[0].finished_side) == [3, 4, 5]
    assert list(regions[0].start_side) == [7, 8, 9]


def test_at_a_chapters_start_its_regions_show_the_start_side_under_a_todo_line() -> None:
    assert render(FINISHED_PY, PY, 2) == AT_CHAPTER_2_PY
    assert render(FINISHED_HTML, HTML, 3) == AT_CHAPTER_3_HTML
    assert render(FINISHED_JS, Path("status.js"), 3) == (
        "// TODO chapter 3, step 5: ask for the job's state here\n"
    )


def test_earlier_chapters_show_their_finished_side_without_markers() -> None:
    assert render(FINISHED_PY, PY, 3) == AT_CHAPTER_3_PY
    assert "chapter" not in render(FINISHED_PY, PY, 4)


def test_leaked_finds_a_finished_line_even_commented_out() -> None:
    assert leaked(AT_CHAPTER_2_PY, FINISHED_PY, PY, 2) == []
    commented = AT_CHAPTER_2_PY + "    # jobs.enqueue(Sleeper, article.id)\n"
    assert leaked(commented, FINISHED_PY, PY, 2) == ["    # jobs.enqueue(Sleeper, article.id)"]
    # The old marker style kept the answer, commented out: caught.
    old_style = FINISHED_PY.replace("    jobs.enqueue(Sleeper", "    # jobs.enqueue(Sleeper")
    assert leaked(old_style, FINISHED_PY, PY, 2)


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


def test_a_start_side_that_is_not_commented_out_is_refused() -> None:
    broken = FINISHED_PY.replace("    # article.publish", "    article.publish")
    with pytest.raises(RegionError, match="line 8: a start side's lines must be commented out"):
        render(broken, PY, 2)


def test_a_template_whose_start_side_is_live_is_refused() -> None:
    placeholder = "step 4: show a placeholder"
    broken = FINISHED_HTML.replace(f"{placeholder}\n", f"{placeholder} #}}\n")
    with pytest.raises(RegionError, match="line 4: a start side must sit inside"):
        find_regions(broken, "jinja")


MANAGED = sources.working_tree_files(ROOT)
WRITTEN = [chapter.number for chapter in CHAPTERS if chapter.written]


def test_the_blog_has_regions_for_every_written_chapter() -> None:
    chapters = {
        region.chapter
        for name in MANAGED
        for region in find_regions((ROOT / name).read_text(), syntax_for(Path(name)))
    }
    assert set(WRITTEN) <= chapters, "commit the finished code: the working tree is at a start"


@pytest.mark.parametrize("number", WRITTEN)
@pytest.mark.parametrize("name", MANAGED)
def test_at_each_chapters_start_no_file_holds_its_finished_code(name: str, number: int) -> None:
    """The finished side of every region of this chapter and later ones is absent, not even
    commented out; the TODO lines are there."""
    path = ROOT / name
    finished = path.read_text()
    at_start = render(finished, path, number)
    assert leaked(at_start, finished, path, number) == []
    assert "# chapter " not in at_start and "{# chapter " not in at_start
    for region in find_regions(finished, syntax_for(path)):
        if region.chapter >= number and region.start and region.start.todo:
            assert f"TODO chapter {region.chapter}, {region.start.todo}" in at_start
