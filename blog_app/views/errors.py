"""Friendly error pages, and the upload errors that become a 400 page saying what was wrong."""

from __future__ import annotations

import redis
from flask import Flask, g, render_template
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from blog_app.db import get_db
from blog_app.models import BrokenImage
from blog_app.services.uploads import UploadRejected

TITLES = {
    400: "That request was not right",
    401: "Please log in",
    403: "That is not yours",
    404: "Page not found",
    429: "Too many attempts",
    500: "Something broke on our side",
    503: "Not available right now",
}


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(UploadRejected, _bad_upload)
    app.register_error_handler(BrokenImage, _bad_upload)
    app.register_error_handler(redis.RedisError, _no_redis)
    app.register_error_handler(500, _server_error)


def _page(status: int, message: str) -> tuple[str, int]:
    title = TITLES.get(status, "Something went wrong")
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _http_error(error: HTTPException) -> tuple[str, int]:
    return _page(error.code or 500, error.description or "")


def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    return _page(400, "The upload is larger than the blog accepts.")


def _bad_upload(error: Exception) -> tuple[str, int]:
    # Nothing of this request may stay: roll back the rows; the files are already removed.
    if "db" in g:
        get_db().rollback()
    return _page(400, f"The image was not saved. {error}")


def _server_error(_error: Exception) -> tuple[str, int]:
    if "db" in g:
        get_db().rollback()
    return _page(500, "The error has been logged. Please try again in a moment.")


def _no_redis(_error: redis.RedisError) -> tuple[str, int]:
    # Logging in counts failures in Redis (blog_app.login_limiter): without it, refuse rather
    # than let guesses through uncounted.
    return _page(503, "The blog cannot reach Redis. Start it (make redis) and try again.")
