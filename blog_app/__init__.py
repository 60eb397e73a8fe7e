"""The workshop blog. Built in a later chapter of the project; empty for now."""
