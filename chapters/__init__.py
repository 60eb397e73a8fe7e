"""The workshop's chapters: one folder each, with the lesson (README.md) and its checkpoint.

``python -m chapters`` (or ``make chapters``) lists them; :mod:`chapters.tool` puts the app at
a chapter's start or solution; :mod:`chapters.regions` reads the marked regions in the code
that make that possible; :mod:`chapters.prove` checks, in a throwaway copy, that every
checkpoint fails at its chapter's start and passes once the chapter is done.
"""
