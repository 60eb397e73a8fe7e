"""Sign up, log in, log out; and who the current author is.

A login starts a server-side :class:`~blog_app.models.Session` row and puts its token in a
cookie. Failed logins are counted (:mod:`blog_app.login_limiter`): too many, and logging in is
refused for a while; ``next`` is followed only to a path on this site
(:mod:`blog_app.views.redirects`). Logging out deletes the row, so the cookie is worthless
afterwards. Expired rows are not the login's business: a recurring job sweeps them (chapter 5;
before it, every login swept them inline, and grew slower as they piled up).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask import render_template as render
from werkzeug.wrappers import Response as BaseResponse

from blog_app.config import BlogConfig
from blog_app.db import get_db
from blog_app.forms import ButtonForm, LoginForm, SignupForm
from blog_app.login_limiter import login_limiter
from blog_app.models import Author, Session
from blog_app.views.redirects import safe_next

blueprint = Blueprint("auth", __name__)
COOKIE = "blog_session"
TOUCH_EVERY = timedelta(minutes=1)  # write last_seen at most this often, not on every request


def _config() -> BlogConfig:
    config: BlogConfig = current_app.config["BLOG"]
    return config


def _lifetime() -> timedelta:
    return timedelta(seconds=_config().session_lifetime)


def load_author() -> None:
    """Before each request: find the author whose live session the cookie names."""
    g.author, g.session = None, None
    token = request.cookies.get(COOKIE)
    if not token or request.endpoint == "static":
        return
    session = Session.find_live(get_db(), token, _lifetime())
    if session is None:
        return
    g.author, g.session = session.author, session
    if session.unseen_for(TOUCH_EVERY):
        session.touch()
        get_db().commit()


def refresh_cookie(response: Response) -> Response:
    if g.get("forget_cookie"):
        response.delete_cookie(COOKIE)
    elif g.get("new_token"):
        response.set_cookie(
            COOKIE, g.new_token, max_age=int(_config().session_lifetime),
            httponly=True, samesite="Lax",
        )  # fmt: skip
    return response


def require_author() -> BaseResponse | None:
    """A before_request hook for areas only authors may see: others go to the login page."""
    if g.get("author") is None:
        flash("Log in to see that page.")
        return redirect(url_for("auth.login", next=request.path))
    return None


def require_admin() -> BaseResponse | None:
    """For areas only admins may see (the job monitor): visitors go to the login page, other
    authors get a 403."""
    if (to_login := require_author()) is not None:
        return to_login
    if not g.author.is_admin:
        abort(403, "Only the blog's admins may see this page.")
    return None


def template_context() -> dict[str, Any]:
    return {"current_author": g.get("author"), "button_form": ButtonForm(formdata=None)}


@blueprint.route("/signup", methods=["GET", "POST"])
def signup() -> str | BaseResponse:
    form = SignupForm()
    db = get_db()
    if form.validate_on_submit():
        if Author.email_taken(db, form.email.data or ""):
            form.email.errors.append("An author with this email already exists.")
        else:
            data = form.data
            author = Author.sign_up(
                db, data["name"], data["email"], data["password"], _hash_method()
            )
            return _log_in(author)
    return render("auth/signup.html", form=form)


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> str | BaseResponse | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render("auth/login.html", form=form)
    email, address = form.email.data or "", request.remote_addr or "unknown"
    limiter = login_limiter()
    wait = limiter.seconds_blocked(email, address)
    if wait:
        minutes = -(-wait // 60)
        form.password.errors.append(
            f"Too many failed logins for this account or from your address. "
            f"Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
        return render("auth/login.html", form=form), 429
    author = Author.authenticate(get_db(), email, form.password.data or "", _hash_method())
    if author is None:
        limiter.record_failure(email, address)
        form.password.errors.append("That email and password do not match an author.")
        return render("auth/login.html", form=form)
    limiter.record_success(email)
    return _log_in(author)


def _hash_method() -> str:
    return _config().password_hash_method


def _log_in(author: Author) -> BaseResponse:
    db = get_db()
    # chapter 5 -------------------------------------------------------------------------------
    # chapter 5 start: step 4: stop sweeping here, now that the ExpireSessions job does it
    # Session.expire_old(db, _lifetime())  # the slow sweep, inside every login
    # chapter 5 end ---------------------------------------------------------------------------
    _session, g.new_token = Session.start(db, author)
    db.commit()
    flash(f"Welcome, {author.name}.")
    return redirect(safe_next(request.args.get("next"), url_for("articles.index")))


@blueprint.post("/logout")
def logout() -> BaseResponse:
    # CSRFProtect has already refused a forged POST, so this is the author's own click.
    if g.session is not None:
        db = get_db()
        db.delete(g.session)
        db.commit()
        g.forget_cookie = True
        flash("You are logged out.")
    return redirect(url_for("articles.index"))
