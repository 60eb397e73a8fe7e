"""The development outbox: the mail the SMTP sink received, for authors to read in the browser.

An author sees the mail addressed to them (their comment notifications); an admin sees every
mail. Another author's message answers 404, as if it did not exist. A mail received more than
once is marked as a duplicate, with how many times it came (chapter 6).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g
from flask import render_template as render

from blog_app.config import BlogConfig
from blog_app.outside.outbox import Outbox, OutboxMessage, count_copies
from blog_app.views.auth import require_author

blueprint = Blueprint("outbox", __name__, url_prefix="/outbox")
blueprint.before_request(require_author)


def _outbox() -> Outbox:
    config: BlogConfig = current_app.config["BLOG"]
    return Outbox(config.outbox_dir)


def _may_read(message: OutboxMessage) -> bool:
    return bool(g.author.is_admin) or message.is_addressed_to(g.author.email)


@blueprint.get("/")
def index() -> str:
    messages = [message for message in _outbox().messages() if _may_read(message)]
    copies = count_copies(messages)
    duplicates = sum(count - 1 for count in copies.values())
    return render("outbox/index.html", messages=messages, copies=copies, duplicates=duplicates)


@blueprint.get("/<name>")
def show(name: str) -> str:
    message = _outbox().find(name)
    if message is None or not _may_read(message):
        abort(404)
    copies = count_copies([m for m in _outbox().messages() if _may_read(m)])
    return render("outbox/show.html", message=message, copies=copies.get(message.identity, 1))
