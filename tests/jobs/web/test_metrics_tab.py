"""The Metrics tab, a job class's page and the Queues tab's latency, from real metrics written
by the scripts that settle jobs."""

from __future__ import annotations

import json
import re
import time

from tests.jobs.web.conftest import Isolated, page, settle_runs


def row_of(html: str, name: str) -> list[str]:
    """The cells of the table row whose first cell names ``name``."""
    found = re.search(
        r"<tr>\s*<td[^>]*><a[^>]*>" + re.escape(name) + r"</a></td>(.*?)</tr>", html, re.S
    )
    assert found, f"no row for {name}"
    return re.findall(r'<td class="num">([^<]*)</td>', found.group(1))


def test_the_metrics_tab_shows_each_class_of_the_last_hour_most_time_first(
    isolated: Isolated,
) -> None:
    settle_runs(isolated.store, "app.Mail", [30_000, 30_000, 30_000, 30_000], failed=1)
    settle_runs(isolated.store, "app.Thumb", [400_000, 600_000])

    html = page(isolated.http, "/job-metrics")

    assert row_of(html, "app.Thumb") == ["2", "0", "1 s", "500 ms", "500 ms", "950 ms"]
    assert row_of(html, "app.Mail") == ["4", "1", "120 ms", "30 ms", "38 ms", "49 ms"]
    assert html.index("app.Thumb") < html.index("app.Mail")
    assert 'href="/jobs/job-metrics/class?name=app.Mail"' in html


def test_a_class_page_shows_its_histogram_and_minutes(isolated: Isolated) -> None:
    settle_runs(isolated.store, "app.Mail", [700, 30_000, 30_000, 2_000_000], failed=1)

    html = page(isolated.http, "/job-metrics/class?name=app.Mail")

    assert re.search(r'id="class-processed">4<', html)
    assert re.search(r'id="class-failed">1<', html)
    histogram = re.search(r'<svg id="histogram".*?</svg>', html, re.S).group(0)  # type: ignore[union-attr]
    titles = re.findall(r"<title>([^<]*)</title>", histogram)
    assert len(titles) == 16
    assert "1 ≤ 1 ms" in titles and "2 ≤ 50 ms" in titles and "1 ≤ 2.5 s" in titles
    minutes = re.search(r'<table class="list" id="class-minutes">.*?</table>', html, re.S)
    assert minutes is not None
    rows = re.findall(r"<tr><td>(\d\d:\d\d UTC)</td><td class=\"num\">(\d+)</td>", minutes.group(0))
    assert rows and sum(int(processed) for _, processed in rows) == 4  # one minute, or two


def test_a_class_without_runs_says_so(isolated: Isolated) -> None:
    html = page(isolated.http, "/job-metrics/class?name=app.Nothing")

    assert "No run of this class in the last hour." in html


def test_the_queues_tab_and_the_metrics_tab_show_each_queue_s_latency(isolated: Isolated) -> None:
    old = {"class": "app.Mail", "args": [], "enqueued_at": time.time() - 90}
    isolated.store.queues.push("mail", [json.dumps(old).encode()])
    isolated.store.queues.push("empty", [b"{}"])
    isolated.store.client.delete("monitor-test:queue:empty")

    for path in ("/queues", "/job-metrics"):
        html = page(isolated.http, path)
        cells = re.findall(r'<td class="num latency">([^<]*)</td>', html)
        assert cells[0] == "" and re.fullmatch(r"9\d(\.\d)? s", cells[1]), (path, cells)


def test_class_names_are_escaped(isolated: Isolated) -> None:
    settle_runs(isolated.store, "<script>alert(1)</script>", [1000])

    for path in ("/job-metrics", "/job-metrics/class?name=%3Cscript%3Ealert(1)%3C/script%3E"):
        html = page(isolated.http, path)
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
