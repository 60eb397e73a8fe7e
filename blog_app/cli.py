"""The blog's ``flask`` commands: ``init-db``, ``seed``, ``reset-db``, ``grant-admin``; and the
queue's ``jobs``.

flask --app blog_app init-db
flask --app blog_app grant-admin ada@example.com
flask --app blog_app seed --articles 30 --comments 100
flask --app blog_app jobs work --queue '*' --import blog_app.jobs
"""

from __future__ import annotations

import shutil
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from blog_app.config import BlogConfig
from blog_app.db import create_schema, drop_schema, open_session, session_factory
from blog_app.models import Author
from blog_app.word_counts import forget_counts
from blog_app.workshop.seed import DEMO_EMAIL, DEMO_PASSWORD, SeedPlan, seed
from jobs.dev.cli import workshop as jobs_cli


def register(app: Flask) -> None:
    for command in (init_db, seed_command, reset_db, grant_admin):
        app.cli.add_command(command)
    app.cli.add_command(jobs_cli, "jobs")


def _app() -> Flask:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the blog's tables (those that are missing)."""
    create_schema(_app())
    click.echo("Tables created.")


@click.command("seed")
@with_appcontext
@click.option("--articles", default=30, show_default=True, type=click.IntRange(0))
@click.option("--comments", default=100, show_default=True, type=click.IntRange(0))
@click.option("--images/--no-images", default=True, show_default=True, help="Draw an image each.")
def seed_command(articles: int, comments: int, images: bool) -> None:
    """Fill the blog with articles, comments and images, and create the demo account."""
    seed_site(_app(), SeedPlan(articles, comments, images))
    click.echo(f"Demo account: {DEMO_EMAIL} / {DEMO_PASSWORD}")


def seed_site(app: Flask, plan: SeedPlan) -> None:
    """Seed the blog, saying so first; in a terminal, with a progress bar."""
    create_schema(app)
    config: BlogConfig = app.config["BLOG"]
    what = f"{plan.articles} articles and {plan.comments} comments"
    with session_factory(app)() as db:
        if sys.stdout.isatty():
            label = f"Seeding the blog with {what}"
            with click.progressbar(length=plan.articles + plan.comments, label=label) as bar:
                seed(db, config, plan, bar.update)
        else:  # a bar drawn without a terminal is a bare label, and no bar
            click.echo(f"Seeding the blog with {what}...")
            seed(db, config, plan, lambda rows: None)
    click.echo("The blog is seeded.")


@click.command("reset-db")
@with_appcontext
@click.confirmation_option(prompt="Delete every article, comment, author and upload?")
def reset_db() -> None:
    """Drop and recreate the tables, and delete the uploads."""
    reset_site(_app())
    click.echo("The blog is empty.")


def reset_site(app: Flask) -> None:
    config: BlogConfig = app.config["BLOG"]
    drop_schema(app)
    create_schema(app)
    shutil.rmtree(config.upload_dir, ignore_errors=True)
    shutil.rmtree(config.outbox_dir, ignore_errors=True)
    forget_counts(app)  # the dashboard's word counts counted the blog just emptied


@click.command("grant-admin")
@with_appcontext
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Make the author an ordinary author again.")
def grant_admin(email: str, revoke: bool) -> None:
    """Let an author see the job monitor and every mail in the outbox (or no longer)."""
    with open_session(_app()) as db:
        author = Author.find_by_email(db, email)
        if author is None:
            raise click.ClickException(f"No author has the email {email}.")
        author.is_admin = not revoke
    click.echo(f"{email} is {'no longer' if revoke else 'now'} an admin.")
