"""Notifications: the in-app inbox every feature posts to (and e-mail when SMTP is configured)."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/inbox")
