"""The workshop's notebooks, and what runs them.

``python -m notebooks`` (``make notebooks``) executes every notebook headless
(:mod:`notebooks.execute`); ``python -m notebooks.clean`` checks that they are stored without
outputs (:mod:`notebooks.clean`, part of ``make lint``). The notebooks use :mod:`notebooks.lab`
for their private servers, and their workers run :mod:`notebooks.lab_jobs`.
"""
