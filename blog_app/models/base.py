"""The models' common base class: ``Base.metadata`` is the blog's schema, filled in as each
model module is imported (importing :mod:`blog_app.models` imports them all)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Every model's base class; ``Base.metadata`` is the schema."""
