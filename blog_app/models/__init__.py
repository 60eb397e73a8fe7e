"""The blog's models. They hold the domain logic, including the slow work the chapters move
into jobs, so that a job needs nothing but an id and these classes."""

from blog_app.models.article import Article
from blog_app.models.author import Author
from blog_app.models.base import Base
from blog_app.models.comment import Comment, CommentStatus
from blog_app.models.image import BrokenImage, Image
from blog_app.models.notification import Notification
from blog_app.models.session import Session

__all__ = [
    "Article",
    "Author",
    "Base",
    "BrokenImage",
    "Comment",
    "CommentStatus",
    "Image",
    "Notification",
    "Session",
]
