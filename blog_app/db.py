"""The database: the schema, an engine per app, a session per request.

Views get the request's session from :func:`get_db`; jobs and commands open their own with
:func:`open_session` (a worker on the app :func:`app_for_jobs` makes: settings and database,
no pages). The models' base class lives with them (:mod:`blog_app.models.base`), so the models
never import this module. :func:`create_schema` also notices a dev database made by older
models (:func:`missing_columns`) and rebuilds it (:func:`rebuild_if_schema_changed`). Models
never open sessions themselves: whoever calls them decides where the transaction begins and
ends.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app, g
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from blog_app.config import BlogConfig
from blog_app.models import Base  # importing the models puts every table on Base.metadata

EXTENSION = "blog_db"
SCHEMA_REBUILT = "The blog's schema changed: rebuilt the dev database."


def make_engine(database_url: str) -> Engine:
    engine = create_engine(database_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if engine.url.database not in (None, "", ":memory:"):
            # A fresh clone has no var/blog yet; SQLite creates the file, not its directory.
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    return engine


def _sqlite_pragmas(connection: object, _record: object) -> None:
    # SQLite ignores foreign keys unless asked, and WAL lets the web server read while a
    # worker writes (a job and a request will share this file from chapter 2 on).
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def init_app(app: Flask, database_url: str) -> None:
    engine = make_engine(database_url)
    app.extensions[EXTENSION] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_db)


def app_for_jobs(config: BlogConfig) -> Flask:
    """The blog as a worker needs it: its settings and its database, none of its pages. Jobs
    call models, never views, so a worker has no use for them (and the job module, which the
    views import to enqueue, need not import the views back)."""
    app = Flask("blog_app")
    app.config.update(TESTING=config.testing, BLOG=config)
    init_app(app, config.database_url)
    return app


def session_factory(app: Flask | None = None) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = (app or current_app).extensions[EXTENSION]
    return factory


def engine(app: Flask | None = None) -> Engine:
    """The app's engine: its connection pool."""
    bound: Engine = session_factory(app).kw["bind"]
    return bound


def get_db() -> Session:
    """The current request's session, opened on first use and closed when the request ends."""
    if "db" not in g:
        g.db = session_factory()()
    db: Session = g.db
    return db


def _close_db(_error: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


@contextmanager
def open_session(app: Flask) -> Iterator[Session]:
    """A session outside a request (commands, jobs): commits on success, rolls back on error."""
    with session_factory(app)() as db, db.begin():
        yield db


def create_schema(app: Flask) -> None:
    """Create the missing tables; first rebuild a dev database made by older models."""
    rebuild_if_schema_changed(app)
    Base.metadata.create_all(engine(app))


def missing_columns(bound: Engine) -> list[str]:
    """Columns the models have that the database's tables lack, as ``table.column``.

    Tables that do not exist yet are not listed: creating them makes them whole. A table that
    exists without a column (``authors.is_admin``, say, in a database made before that column
    was added) is what ``create_all`` cannot repair: it never alters a table.
    """
    inspector = inspect(bound)
    existing = set(inspector.get_table_names())
    missing: list[str] = []
    for table in Base.metadata.sorted_tables:
        if table.name in existing:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in present]
    return missing


def rebuild_if_schema_changed(app: Flask) -> bool:
    """If the models changed since the database was made, drop and recreate it, say so in one
    line, and return True (``make demo`` then seeds it again).

    Only a SQLite database, the workshop's throwaway dev blog, is ever dropped; its uploads go
    too, since image ids start again and name their directories. Any other database (a real
    PostgreSQL) is left alone, with an error that says what it lacks.
    """
    bound = engine(app)
    missing = missing_columns(bound)
    if not missing:
        return False
    if bound.dialect.name != "sqlite":
        raise RuntimeError(
            f"The database lacks {', '.join(missing)}: migrate it, or empty it with "
            "`flask --app blog_app reset-db`."
        )
    Base.metadata.drop_all(bound)
    Base.metadata.create_all(bound)
    shutil.rmtree(app.config["BLOG"].upload_dir, ignore_errors=True)
    click.echo(SCHEMA_REBUILT)
    return True


def drop_schema(app: Flask) -> None:
    Base.metadata.drop_all(engine(app))
