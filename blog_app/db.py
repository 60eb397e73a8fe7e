"""The database: SQLAlchemy's declarative base, an engine per app, a session per request.

Views get the request's session from :func:`get_db`; jobs and commands open their own with
:func:`open_session`. Models never open sessions themselves: whoever calls them decides where the
transaction begins and ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

EXTENSION = "blog_db"


class Base(DeclarativeBase):
    """Every model's base class; ``Base.metadata`` is the schema."""


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
    # Import the models so that they are registered on Base.metadata.
    from blog_app import models  # noqa: F401

    Base.metadata.create_all(engine(app))


def drop_schema(app: Flask) -> None:
    from blog_app import models  # noqa: F401

    Base.metadata.drop_all(engine(app))
