"""The unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters, the last a check character.

Characters come from 0-9 and the capitals without I, O, Z, S, V (31 in all, valued 0-30 in that order).
The check character is C18 = 31 - MOD(sum(Ci × Wi for i = 1..17), 31), with Wi = MOD(3^(i-1), 31);
a result of 31 means 0. The standard's own worked example: 91350100M000100Y43 is valid (check "3").
"""
from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(CHARSET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28


def normalise(code: str | None) -> str:
    """Upper case, without spaces (people paste codes with spaces or in lower case)."""
    return "".join((code or "").split()).upper()


def check_char(first17: str) -> str:
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def is_valid(code: str | None) -> bool:
    """18 characters of the code's set whose last is the right check character."""
    code = normalise(code)
    if len(code) != 18 or any(c not in VALUES for c in code):
        return False
    return check_char(code[:17]) == code[17]
