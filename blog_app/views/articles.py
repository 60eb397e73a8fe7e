"""Articles: list, show, write, edit, delete, publish; and their images' files.

The slow work of publishing (the fake delay, chapter 1) and of saving an image (its thumbnails)
lives in the models; chapters 2 and 3 take it out of these views.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, send_from_directory, url_for
from flask import render_template as render
from werkzeug.wrappers import Response as BaseResponse

import blog_app.jobs
import jobs
from blog_app.config import BlogConfig
from blog_app.db import get_db
from blog_app.forms import ArticleForm, CommentForm
from blog_app.models import Article, Image
from blog_app.services import uploads
from blog_app.services.uploads import thumbnail_progress
from blog_app.views.auth import require_author
from blog_app.views.headers import IMAGE_CSP

blueprint = Blueprint("articles", __name__)


def _config() -> BlogConfig:
    config: BlogConfig = current_app.config["BLOG"]
    return config


def visible_article(article_id: int) -> Article:
    article = get_db().get(Article, article_id)
    if article is None or not article.can_be_seen_by(g.author):
        abort(404)
    return article


def _own_article(article_id: int) -> Article:
    article = visible_article(article_id)
    if not article.can_be_changed_by(g.author):
        abort(403)
    return article


@blueprint.get("/")
def index() -> str:
    return render("articles/index.html", articles=Article.listing(get_db(), g.author))


@blueprint.get("/articles/<int:article_id>")
def show(article_id: int) -> str:
    article = visible_article(article_id)
    return render("articles/show.html", article=article, form=CommentForm())


@blueprint.route("/articles/new", methods=["GET", "POST"])
def new() -> str | BaseResponse:
    if (to_login := require_author()) is not None:
        return to_login
    form = ArticleForm()
    if form.validate_on_submit():
        article = Article(author=g.author, title=form.title.data, body=form.body.data)
        return _save(article, form, "Article created.")
    return render("articles/form.html", form=form, article=None)


@blueprint.route("/articles/<int:article_id>/edit", methods=["GET", "POST"])
def edit(article_id: int) -> str | BaseResponse:
    article = _own_article(article_id)
    # Not obj=article: the form would take the Image row and the publish() method as data.
    form = ArticleForm(title=article.title, body=article.body)
    if form.validate_on_submit():
        article.title, article.body = form.title.data or "", form.body.data or ""
        return _save(article, form, "Article saved.")
    return render("articles/form.html", form=form, article=article)


def _save(article: Article, form: ArticleForm, message: str) -> BaseResponse:
    """Save the article, its image if one came, and publish it if asked; then show it."""
    config, db = _config(), get_db()
    upload = form.image.data
    # The cheap checks run before anything is written; UploadRejected becomes a 400 page.
    limits = (config.max_upload_bytes, config.max_image_pixels)
    info = uploads.inspect_upload(upload.stream, *limits) if upload else None
    db.add(article)
    image = uploads.attach_image(db, article, upload.stream, info, config) if info else None
    # chapter 3 -------------------------------------------------------------------------------
    db.commit()
    if image is not None:
        # After the commit, so that the worker finds the image. The job's id is kept so that
        # the article page can show how the job is doing until the thumbnails are there.
        image.thumbnail_job_id = jobs.enqueue(blog_app.jobs.MakeThumbnails, image.id)
        db.commit()
    # chapter 3 start: step 3: enqueue a MakeThumbnails job instead of resizing here
    # if image is not None:
    #     uploads.make_thumbnails_now(image, config)  # slow: decodes and resizes the photo
    # db.commit()
    # chapter 3 end ---------------------------------------------------------------------------
    if form.publish.data:
        _publish(article)
    flash(message)
    return redirect(url_for("articles.show", article_id=article.id))


def _publish(article: Article) -> None:
    """Publish a saved article."""
    # chapter 2 -------------------------------------------------------------------------------
    jobs.enqueue(blog_app.jobs.Sleeper, article.id)  # a worker does the slow part
    flash("Publishing: your article will be public in a moment.")
    # chapter 2 start: step 3: enqueue a Sleeper job instead of publishing here
    # article.publish(_config().publish_delay)  # slow: the fake delay, inside the request
    # get_db().commit()
    # flash("Article published.")
    # chapter 2 end ---------------------------------------------------------------------------


@blueprint.post("/articles/<int:article_id>/publish")
def publish(article_id: int) -> BaseResponse:
    article = _own_article(article_id)
    _publish(article)
    return redirect(url_for("articles.show", article_id=article.id))


@blueprint.post("/articles/<int:article_id>/delete")
def delete(article_id: int) -> BaseResponse:
    article = _own_article(article_id)
    image, db = article.image, get_db()
    db.delete(article)
    db.commit()
    if image is not None:
        image.remove_files(_config().upload_dir)
    flash("Article deleted.")
    return redirect(url_for("articles.index"))


@blueprint.get("/images/<int:image_id>/status")
def image_status(image_id: int) -> dict[str, str]:
    """How the thumbnails of an image are coming along, as JSON for the article page's script
    (static/image_status.js). Only the article's author sees a failed job's error."""
    image = get_db().get(Image, image_id)
    if image is None:
        abort(404)
    article = visible_article(image.article_id)  # the same people who may see the article
    state, error = thumbnail_progress(image)
    progress = {"state": state}
    if error and article.can_be_changed_by(g.author):
        progress["error"] = error
    if state == "done":
        progress["src"] = url_for("articles.image_file", image_id=image.id, name="800.jpg")
    return progress


@blueprint.get("/images/<int:image_id>/<name>")
def image_file(image_id: int, name: str) -> BaseResponse:
    """A thumbnail, for those who may see its article. The original is never served: it keeps
    whatever the camera wrote into it (where and when the photo was taken); thumbnails are
    made without any of that."""
    image, config = get_db().get(Image, image_id), _config()
    served = {Image.thumbnail_name(size) for size in config.thumbnail_sizes}
    if image is None or name not in served or not image.article.can_be_seen_by(g.author):
        abort(404)
    response = send_from_directory(image.directory(config.upload_dir), name, max_age=3600)
    response.headers["Content-Security-Policy"] = IMAGE_CSP
    if not image.article.is_published:
        response.cache_control.public = False  # a draft's image: never in a shared cache
        response.cache_control.private = True
    return response
