"""``python -m blog_app`` runs the demo (see :mod:`blog_app.demo`)."""

from blog_app.demo import main

main()
