"""The blog's background jobs: the home of every job class a worker runs for the blog.

Empty on purpose at the start of the workshop: the chapters add the jobs here, one step at a
time (a Sleeper for the fake delay, thumbnails, the spam check, session expiry, email, word
counts). A worker loads them with ``python -m jobs work --queue '*' --import blog_app.jobs``.
Each job takes ids, never objects, and calls the models and services that already do the work.
"""
