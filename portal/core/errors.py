"""Errors a service raises for the view to show beside a field (or at the top of the form)."""
from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def attach(self, form) -> None:
        """Put the message beside its field, or in the form's own error list."""
        target = getattr(form, self.field, None) if self.field else None
        if target is not None:
            target.errors = list(target.errors) + [self.message]
        else:
            form.form_errors.append(self.message)
