"""Password rules and hashing: at least 12 characters, not a common or guessable one."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12

# Frequent choices of 12+ characters seen in published leak statistics, and keyboard runs.
COMMON = {
    "123456789012", "1234567890123", "12345678901234", "123456789123", "123123123123", "111111111111",
    "000000000000", "qwertyuiopas", "qwertyuiop123", "qwertyuiop[]", "1qaz2wsx3edc", "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u", "qazwsxedcrfv", "zaq12wsxcde3", "asdfghjkl123", "password1234", "password123!",
    "passw0rd1234", "p@ssw0rd1234", "p@ssword1234", "iloveyou1234", "abc123456789", "abcdefghijkl",
    "aaaaaaaaaaaa", "administrator", "admin1234567", "adminadmin12", "welcome12345", "letmein12345",
    "changeme1234", "woaini1314520", "woaini123456", "5201314520131", "147258369147", "123qweasdzxc",
    "qweasdzxc123", "a123456789012", "aa1234567890", "zxcvbnm12345", "computer1234", "football1234",
    "baseball1234", "superman1234", "princess1234", "sunshine1234", "trustno11234", "dragon123456",
    "monkey123456", "master123456", "shadow123456", "michael12345", "jennifer1234", "qwerty123456",
    "password12345", "passwordpassword", "1234567890qwerty", "qwertyuiopasdfgh", "portal123456",
    "salesportal1", "salesportal123", "sales1234567", "xiaoshou1234", "zhongguo1234", "beijing12345",
    "shanghai1234",
}


def problems(password: str, username: str | None = None) -> list[str]:
    """Why a password is refused, in words the user can act on (empty when it is acceptable)."""
    out = []
    if len(password) < MIN_LENGTH:
        out.append(_("Use at least %(n)d characters.", n=MIN_LENGTH))
    lowered = password.lower()
    if lowered in COMMON or len(set(password)) <= 3:
        out.append(_("This password is too common. Choose one that is harder to guess."))
    elif lowered.isdigit() and lowered in "01234567890123456789" * 2:
        out.append(_("This password is too common. Choose one that is harder to guess."))
    if username and len(username) >= 3 and username.lower() in lowered:
        out.append(_("Do not include your username in the password."))
    return out


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def verify_password(stored_hash: str, password: str) -> bool:
    return check_password_hash(stored_hash, password)


# Checked against when the username is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH: dict[str, str] = {}


def burn_time(password: str) -> None:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash("not-a-real-password", method=method)
    check_password_hash(_DUMMY_HASH[method], password)
