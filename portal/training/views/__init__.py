"""Training pages, one module per area: courses and lessons, the bank, quizzes and attempts, reports."""
from . import bank, courses, quizzes, reports  # noqa: F401
