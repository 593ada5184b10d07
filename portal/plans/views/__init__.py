"""Plans' pages, one module per area."""
from . import budgets, plans, status, targets  # noqa: F401
