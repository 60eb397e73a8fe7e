"""Services: the blog's calls to the outside world (a spam-scoring API, an SMTP server) and the
few steps that tie several models and calls together. Views call these; so will jobs."""
