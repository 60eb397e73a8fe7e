"""Uploads: the cheap checks refuse bad files before anything is written; thumbnails are made
from a good one; data that is broken only when decoded fails there, leaving nothing behind."""

from __future__ import annotations

import io
from pathlib import Path

import PIL.Image
import pytest
from sqlalchemy.orm import Session as DbSession

from blog_app.config import BlogConfig
from blog_app.models import Article, Author, BrokenImage, Image
from blog_app.services.uploads import (
    UploadRejected,
    attach_image,
    inspect_upload,
    make_thumbnails_now,
)
from tests.blog_app.helpers import broken_png, image_bytes, png_header_claiming

LIMITS = (1_000_000, 40_000_000)


def test_a_good_image_is_described_from_its_header() -> None:
    info = inspect_upload(io.BytesIO(image_bytes(64, 48, "JPEG")), *LIMITS)
    assert (info.format, info.width, info.height) == ("JPEG", 64, 48)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"x" * 1_000_001, "limit is 1 MB"),
        (b"%PDF-1.4 not an image at all", "not an image"),
        (png_header_claiming(8_000, 8_000), "more than the 40,000,000 allowed"),
        (png_header_claiming(200_000, 200_000), "exceed"),  # Pillow's own bomb guard
    ],
    ids=["empty", "too-big", "not-an-image", "bomb", "huge-bomb"],
)
def test_bad_uploads_are_rejected_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(UploadRejected, match=message):
        inspect_upload(io.BytesIO(data), *LIMITS)


def test_an_image_format_we_do_not_serve_is_rejected() -> None:
    with pytest.raises(UploadRejected, match="BMP images are not accepted"):
        inspect_upload(io.BytesIO(image_bytes(8, 8, "BMP")), *LIMITS)


def test_attach_image_stores_the_original_and_no_thumbnails_yet(
    db: DbSession, author: Author, config: BlogConfig
) -> None:
    article = Article(author=author, title="t", body="b")
    db.add(article)
    data = io.BytesIO(image_bytes(900, 600))
    image = attach_image(db, article, data, inspect_upload(data, *LIMITS), config)
    db.commit()
    assert image.original_path(config.upload_dir).read_bytes() == data.getvalue()
    assert image.thumbnails_made_at is None
    assert _files(config.upload_dir) == [image.original_path(config.upload_dir)]


def test_make_thumbnails_now_writes_every_thumbnail(
    db: DbSession, author: Author, config: BlogConfig
) -> None:
    article = Article(author=author, title="t", body="b")
    db.add(article)
    image = _attach(db, article, config, image_bytes(900, 600))
    make_thumbnails_now(image, config)
    assert image.thumbnails_made_at is not None
    for size in config.thumbnail_sizes:
        with PIL.Image.open(image.thumbnail_path(config.upload_dir, size)) as thumbnail:
            assert max(thumbnail.size) == size and thumbnail.format == "JPEG"


def test_making_thumbnails_twice_gives_the_same_files(
    db: DbSession, author: Author, config: BlogConfig
) -> None:
    article = Article(author=author, title="t", body="b")
    db.add(article)
    image = _attach(db, article, config, image_bytes(300, 200))
    make_thumbnails_now(image, config)
    first = {path: path.read_bytes() for path in _files(config.upload_dir)}
    make_thumbnails_now(image, config)  # a job delivered twice
    assert {path: path.read_bytes() for path in _files(config.upload_dir)} == first


def test_a_new_image_replaces_the_old_one_and_its_files(
    db: DbSession, author: Author, config: BlogConfig
) -> None:
    article = Article(author=author, title="t", body="b")
    db.add(article)
    first = _attach(db, article, config, image_bytes(300, 200))
    db.commit()
    old_dir = first.directory(config.upload_dir)
    second = _attach(db, article, config, image_bytes(200, 300))
    db.commit()
    assert not old_dir.exists() and second.directory(config.upload_dir).is_dir()
    assert db.query(Image).count() == 1 and article.image == second


def _attach(db: DbSession, article: Article, config: BlogConfig, data: bytes) -> Image:
    stream = io.BytesIO(data)
    return attach_image(db, article, stream, inspect_upload(stream, *LIMITS), config)


def test_broken_data_fails_when_decoded_and_leaves_no_files(
    db: DbSession, author: Author, config: BlogConfig
) -> None:
    article = Article(author=author, title="t", body="b")
    db.add(article)
    stream = io.BytesIO(broken_png())
    info = inspect_upload(stream, *LIMITS)  # the header is fine
    image = attach_image(db, article, stream, info, config)  # storing does not decode
    with pytest.raises(BrokenImage, match="broken"):
        make_thumbnails_now(image, config)
    assert _files(config.upload_dir) == []


def _files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()] if directory.exists() else []
