"""``python -m chapters.photos``: photos to upload in chapter 3, written to ``var/photos/``.

* ``big.jpg``: 4000x3000, the size of a phone's photo; its thumbnails take a while to make.
* ``broken.png``: a real PNG header with half its data cut off. The upload's cheap checks
  (size, type, dimensions: they read only the header) accept it; decoding it fails.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import PIL.Image

from blog_app.workshop.seed import drawn_image
from jobs.dev.project_redis import default_var_dir


def broken_png() -> bytes:
    whole = io.BytesIO()
    PIL.Image.new("RGB", (1200, 800), (200, 80, 40)).save(whole, "PNG")
    data = whole.getvalue()
    return data[: len(data) // 2]


def write_photos(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    photos = {
        "big.jpg": drawn_image(random.Random(1), 4000, 3000),
        "broken.png": broken_png(),
    }
    for name, data in photos.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in photos]


def main() -> None:
    for path in write_photos(default_var_dir() / "photos"):
        print(f"{path}  ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
