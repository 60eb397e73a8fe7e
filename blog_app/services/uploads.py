"""Image uploads: the cheap checks that belong in the request, then storing and resizing.

:func:`inspect_upload` reads only the file's size and its header: too big, not an image, or
dimensions that would make a decompression bomb are refused with :class:`UploadRejected`
before anything is written. :func:`attach_image` stores the original, quickly. Making the
thumbnails is the slow part: a job does it (chapter 3's ``MakeThumbnails``), or
:func:`make_thumbnails_now` in this process, which removes every file of an image whose data
proves broken when decoded and raises :class:`BrokenImage`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import PIL.Image
from sqlalchemy.orm import Session as DbSession

import jobs
from blog_app.config import BlogConfig
from blog_app.models import Article, BrokenImage, Image
from blog_app.models.image import EXTENSIONS


class UploadRejected(Exception):
    """The upload failed a cheap check; the message says which, for the person uploading."""


@dataclass(frozen=True)
class UploadInfo:
    format: str
    width: int
    height: int


def inspect_upload(stream: IO[bytes], max_bytes: int, max_pixels: int) -> UploadInfo:
    """Check size, type and dimensions without decoding the pixels."""
    size = _size_of(stream)
    if size == 0:
        raise UploadRejected("The file is empty.")
    if size > max_bytes:
        raise UploadRejected(
            f"The file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB."
        )
    info = _read_header(stream, max_pixels)
    if info.width * info.height > max_pixels:
        raise UploadRejected(
            f"The image claims {info.width}x{info.height} pixels, more than the "
            f"{max_pixels:,} allowed: it could exhaust the server's memory when decoded."
        )
    return info


def _size_of(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _read_header(stream: IO[bytes], max_pixels: int) -> UploadInfo:
    # PIL.Image.open reads the header only; the pixels are decoded later, by load().
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PIL.Image.DecompressionBombWarning)
            with PIL.Image.open(stream) as image:
                info = UploadInfo(str(image.format), image.width, image.height)
    except PIL.Image.DecompressionBombError as error:
        raise UploadRejected(
            f"The image's dimensions exceed the {max_pixels:,} pixels allowed: {error}"
        ) from error
    except (PIL.UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise UploadRejected("The file is not an image (JPEG, PNG, GIF or WebP).") from error
    finally:
        stream.seek(0)
    if info.format not in EXTENSIONS:
        raise UploadRejected(f"{info.format} images are not accepted; use JPEG, PNG, GIF or WebP.")
    return info


def attach_image(
    db: DbSession, article: Article, stream: IO[bytes], info: UploadInfo, config: BlogConfig
) -> Image:
    """Store the upload as ``article``'s image, replacing any old one. No thumbnails yet."""
    old = article.image
    if old is not None:
        db.delete(old)
        db.flush()  # the old row goes first: an article has one image
    image = Image(article=article, format=info.format, width=info.width, height=info.height)
    db.add(image)
    db.flush()  # gives the image its id, which names its directory
    try:
        image.store_original(config.upload_dir, stream)
    except BaseException:
        image.remove_files(config.upload_dir)
        raise
    if old is not None:
        old.remove_files(Path(config.upload_dir))
    return image


def make_thumbnails_now(image: Image, config: BlogConfig) -> None:
    """Make the thumbnails here and now (slow for a large image). If the data is broken,
    remove the image's files, so that nothing of a refused upload stays, and raise."""
    try:
        image.make_thumbnails(config.upload_dir, config.thumbnail_sizes)
    except BrokenImage:
        image.remove_files(config.upload_dir)
        raise


def thumbnail_progress(image: Image) -> tuple[str, str]:
    """Where the thumbnails of ``image`` are: ``("done", "")`` once they exist; else the state of
    the job making them (see :mod:`jobs.status`) and its error, if it failed. A job no worker
    has taken yet has no status: it is waiting."""
    if image.thumbnails_made_at is not None:
        return "done", ""
    status = jobs.status(image.thumbnail_job_id) if image.thumbnail_job_id else None
    if status is None:
        return "waiting", ""
    return status.state, status.error
