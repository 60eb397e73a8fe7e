"""The workshop's chapters: one folder each, with the lesson (README.md) and its checkpoint.

``python -m chapters`` (or ``make chapters``) runs the checkpoints in order and says where you
are; :mod:`chapters.tool` puts the app at a chapter's start or solution; :mod:`chapters.regions`
reads the marked regions in the finished code that make that possible, and
:mod:`chapters.sources` finds that code in git; :mod:`chapters.prove` checks, in a throwaway
copy, that no file holds a chapter's answer at its start, that every checkpoint fails there and
passes once the chapter is done, and that it fails each typical wrong solution
(:mod:`chapters.wrong_solutions`).
"""
