"""The blog's forms (Flask-WTF): fields, validation messages and CSRF protection in one place."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp

from blog_app.models.article import single_line

EMAIL = Regexp(
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message="Enter an email address like ada@example.com."
)


class SignupForm(FlaskForm):
    name = StringField("Name", [InputRequired("Tell us your name."), Length(max=80)])
    email = EmailField("Email", [InputRequired("An email address is needed."), EMAIL])
    password = PasswordField(
        "Password",
        [InputRequired("Choose a password."), Length(min=8, message="At least 8 characters.")],
    )
    confirm = PasswordField("Password again", [EqualTo("password", "The passwords differ.")])


class LoginForm(FlaskForm):
    email = EmailField("Email", [InputRequired("Enter your email address.")])
    password = PasswordField("Password", [InputRequired("Enter your password.")])


class ArticleForm(FlaskForm):
    # A title is one line: line breaks are cleaned away before the checks (see single_line).
    title = StringField(
        "Title",
        [InputRequired("Give it a title."), Length(max=200)],
        filters=[lambda text: single_line(text) if text else text],
    )
    body = TextAreaField("Text", [InputRequired("Write something first.")])
    image = FileField("Image (JPEG, PNG, GIF or WebP)")
    publish = BooleanField("Publish now")


class CommentForm(FlaskForm):
    author_name = StringField("Your name", [InputRequired("Tell us your name."), Length(max=80)])
    body = TextAreaField(
        "Comment", [InputRequired("Write a comment."), Length(max=5000, message="Too long.")]
    )


class ButtonForm(FlaskForm):
    """A form with no fields: a button that POSTs with a CSRF token (log out, delete, ...)."""
