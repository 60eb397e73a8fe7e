"""An article's image: the original as uploaded, and thumbnails resized from it with Pillow.

Files live under ``upload_dir/images/<id>/``: ``original.<ext>`` and one ``<size>.jpg`` per
thumbnail size (the longest side, in pixels). :meth:`Image.make_thumbnails` decodes the whole
original and resizes it several times with a high-quality filter: slow on purpose for large
images, and the work chapter 3 moves into a job. Cheap checks of an upload (size, type,
dimensions) happen before a row exists, in :mod:`blog_app.services.uploads`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING

import PIL.Image
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm import Session as DbSession

from blog_app.models._time import utcnow
from blog_app.models.base import Base

if TYPE_CHECKING:
    from blog_app.models.article import Article

EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
# Files younger than this are never taken for leftovers: an upload has its directory before
# its row is committed, and a thumbnail being written is a temporary file until it is renamed.
ORPHAN_GRACE = timedelta(hours=1)


class BrokenImage(Exception):
    """The image's header looked fine, but its data could not be decoded."""


class Image(Base):
    __tablename__ = "images"
    # An id names a directory on disk, so it must never be handed out twice; without this,
    # SQLite reuses the highest id after a delete and a new image would get an old one's files.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), unique=True
    )
    format: Mapped[str] = mapped_column(String(8))
    width: Mapped[int]
    height: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    thumbnails_made_at: Mapped[datetime | None] = mapped_column(default=None)
    # The id of the job making the thumbnails, so the article page can follow it (jobs.status).
    thumbnail_job_id: Mapped[str | None] = mapped_column(String(64), default=None)

    article: Mapped[Article] = relationship(back_populates="image")

    def directory(self, upload_dir: Path) -> Path:
        return Path(upload_dir) / "images" / str(self.id)

    def original_path(self, upload_dir: Path) -> Path:
        return self.directory(upload_dir) / f"original.{EXTENSIONS[self.format]}"

    @staticmethod
    def thumbnail_name(size: int) -> str:
        return f"{size}.jpg"

    def thumbnail_path(self, upload_dir: Path, size: int) -> Path:
        return self.directory(upload_dir) / self.thumbnail_name(size)

    def store_original(self, upload_dir: Path, data: IO[bytes]) -> None:
        """Write the uploaded bytes to disk (the row must have an id: flush first)."""
        target = self.original_path(upload_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(target, data)

    def make_thumbnails(self, upload_dir: Path, sizes: tuple[int, ...]) -> None:
        """Decode the original and write one JPEG per size. Raises BrokenImage."""
        original = _decode(self.original_path(upload_dir))
        for size in sizes:
            # resize() builds the small image straight from the original; copying the original
            # first (what thumbnail() needs) would hold a second full-size image in memory.
            # LANCZOS is the slowest and best of Pillow's filters; reducing_gap=None turns off
            # the shortcut that would make large images cheap, so the cost stays visible.
            thumbnail = original.resize(
                fit_within(original.size, size), PIL.Image.Resampling.LANCZOS, reducing_gap=None
            )
            # Nothing of the original's metadata goes out with a thumbnail (a JPEG comment
            # would otherwise be copied; EXIF, with its GPS position, never is).
            thumbnail.info.clear()
            with _atomic_target(self.thumbnail_path(upload_dir, size)) as handle:
                thumbnail.save(handle, "JPEG", quality=85)
        self.thumbnails_made_at = utcnow()

    def has_thumbnail(self, upload_dir: Path, size: int) -> bool:
        return self.thumbnail_path(upload_dir, size).is_file()

    def remove_files(self, upload_dir: Path) -> None:
        shutil.rmtree(self.directory(upload_dir), ignore_errors=True)

    @classmethod
    def remove_orphaned_files(
        cls, db: DbSession, upload_dir: Path, grace: timedelta = ORPHAN_GRACE
    ) -> list[Path]:
        """Remove what crashes left under ``upload_dir/images``, older than ``grace``; returns
        what went.

        Two kinds of leftovers: the directory of an image whose row is gone (a process died
        between deleting the row and its files, or an upload's transaction was rolled back
        after its original was written), and the temporary files of a thumbnail whose worker
        was killed mid-write (``kill -9`` skips the clean-up). Names that are not an image's
        id are not the blog's, and are left alone.
        """
        root = Path(upload_dir) / "images"
        if not root.is_dir():
            return []
        cutoff = time.time() - grace.total_seconds()
        known = {str(image_id) for image_id in db.scalars(select(cls.id))}
        removed: list[Path] = []
        for directory in sorted(path for path in root.iterdir() if path.is_dir()):
            if directory.name in known:
                removed += _remove_stale(directory.glob(".tmp-*"), cutoff)
            elif directory.name.isdigit():
                removed += _remove_stale([directory], cutoff)
        return removed


def fit_within(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """``size`` scaled down (never up) so that its longest side is at most ``longest``."""
    width, height = size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _decode(path: Path) -> PIL.Image.Image:
    """The whole image, in RGB. An RGB image is not converted: convert() would copy it, and
    a large image's pixels are what fills a worker's memory (4 bytes each)."""
    try:
        # The file is ours to close: Image.close() would free the pixels too.
        with path.open("rb") as file:
            image = PIL.Image.open(file)
            image.load()
        return image if image.mode == "RGB" else image.convert("RGB")
    except (OSError, SyntaxError, ValueError, PIL.Image.DecompressionBombError) as error:
        raise BrokenImage(f"the image data is broken: {error}") from error


def _remove_stale(paths: Iterable[Path], cutoff: float) -> list[Path]:
    """Remove the files and directories among ``paths`` last changed before ``cutoff``."""
    removed = []
    for path in paths:
        if path.lstat().st_mtime >= cutoff:
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _write_atomically(target: Path, data: IO[bytes]) -> None:
    with _atomic_target(target) as handle:
        shutil.copyfileobj(data, handle)


@contextlib.contextmanager
def _atomic_target(target: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside ``target``, renamed over it only if the block succeeds.

    A failure halfway through never leaves a truncated image where a reader expects a whole one.
    """
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(temp_name, target)
    finally:
        Path(temp_name).unlink(missing_ok=True)
