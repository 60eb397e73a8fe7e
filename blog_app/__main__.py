"""``python -m blog_app`` runs the demo (see :mod:`blog_app.workshop.demo`)."""

from blog_app.workshop.demo import main

main()
