"""The workshop's tooling around the blog, not the blog itself: ``make demo``
(:mod:`blog_app.workshop.demo`), ``make measure`` (:mod:`blog_app.workshop.measure`) and the
sample data both use (:mod:`blog_app.workshop.seed`). The blog's pages and jobs never import it."""
