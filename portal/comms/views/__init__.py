"""Comms pages, one module per area."""
from . import summaries, tasks, threads, work  # noqa: F401
