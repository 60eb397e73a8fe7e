"""The development outbox: the mail the SMTP sink received, for authors to read in the browser."""

from __future__ import annotations

from flask import Blueprint, abort, current_app
from flask import render_template as render

from blog_app.config import BlogConfig
from blog_app.outside.outbox import Outbox
from blog_app.views.auth import require_author

blueprint = Blueprint("outbox", __name__, url_prefix="/outbox")
blueprint.before_request(require_author)


def _outbox() -> Outbox:
    config: BlogConfig = current_app.config["BLOG"]
    return Outbox(config.outbox_dir)


@blueprint.get("/")
def index() -> str:
    return render("outbox/index.html", messages=_outbox().messages())


@blueprint.get("/<name>")
def show(name: str) -> str:
    message = _outbox().find(name)
    if message is None:
        abort(404)
    return render("outbox/show.html", message=message)
