"""Making thumbnails holds about one decoded copy of the image, not three: a 6300x6300 PNG of a
few dozen KB (within the pixel limit) once took a worker to about 420 MB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from blog_app.models import Image
from tests.blog_app.helpers import solid_png
from tests.jobs.helpers import ROOT, start_process

SIDE = 6300
DECODED_MB = SIDE * SIDE * 4 / 2**20  # Pillow keeps RGB as 4 bytes a pixel: about 151 MB

# What a worker does for MakeThumbnails, in a fresh process, measured with the kernel's peak of
# its resident memory (VmHWM: unlike getrusage's, it does not inherit the parent's peak).
MAKE_THUMBNAILS = f"""
import re, sys
from pathlib import Path
from blog_app.models import Image

def peak_mb():
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1)) / 1024

image = Image(id=1, format="PNG", width={SIDE}, height={SIDE})
before = peak_mb()
image.make_thumbnails(Path(sys.argv[1]), (1600, 800, 400, 160))
print(before, peak_mb())
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_a_huge_png_costs_a_worker_about_one_decoded_copy(tmp_path: Path) -> None:
    image = Image(id=1, format="PNG", width=SIDE, height=SIDE)
    original = image.original_path(tmp_path)
    original.parent.mkdir(parents=True)
    original.write_bytes(solid_png(SIDE, SIDE))
    assert original.stat().st_size < 1024 * 1024
    command = [sys.executable, "-c", MAKE_THUMBNAILS, str(tmp_path)]
    child = start_process(command, cwd=ROOT, stdout=subprocess.PIPE)
    output, _ = child.communicate(timeout=180)
    assert child.returncode == 0
    before, peak = map(float, output.split())
    print(f"thumbnails of a {SIDE}x{SIDE} PNG: {peak:.0f} MB at peak, {before:.0f} before")
    assert peak - before < 1.6 * DECODED_MB, f"{peak - before:.0f} MB for {DECODED_MB:.0f} MB"
    assert image.has_thumbnail(tmp_path, 160)
