"""The workshop's tooling around the blog, not the blog itself: ``make demo``
(:mod:`blog_app.workshop.demo`), ``make measure`` (:mod:`blog_app.workshop.measure`), the
sample data both use (:mod:`blog_app.workshop.seed`) and chapter 6's switches for breaking
things on purpose (:mod:`blog_app.workshop.lab`, loaded with the blog's jobs, off unless set).
The blog's pages never import it."""
