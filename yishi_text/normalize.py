"""Normalising Chinese office text: full-width forms, spaces, and name matching."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"[\s\u3000\u00a0]+")


def nfkc(text: str) -> str:
    """NFKC folds full-width ASCII (１２３ＡＢＣ) to half-width; CJK punctuation is kept as is."""
    return unicodedata.normalize("NFKC", text)


def squash_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def name_key(name: str) -> str:
    """A key for matching unit and person names typed by hand: NFKC, no spaces, 全角括号 → ()."""
    key = nfkc(name or "")
    key = key.replace("（", "(").replace("）", ")")
    return _SPACES.sub("", key)
