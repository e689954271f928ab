"""jieba's full mode (`jieba.cut(text, cut_all=True)`), token for token, ~1.6× faster.

jieba builds a DAG of every dictionary word at every position by growing a prefix one character at
a time and looking each up in its dictionary (`Tokenizer.get_DAG`): the largest cost of indexing an
item for search. Here the same DAG — for each start, the ends of all words with a non-zero
frequency, ascending — comes from one pass of an Aho-Corasick automaton over the dictionary, and
the walk over it is jieba's `__cut_all`, step for step, including its quirks (a single-candidate word
starting inside the previous one is skipped; runs of ASCII letters and digits are glued together).
Blocks are split exactly as `jieba.cut` splits them, with jieba's own regular expressions.

Why the DAG is the same: jieba keeps every prefix of every word in FREQ (with frequency 0), so its
prefix walk from a position reaches every word that starts there; its DAG lists the words with a
frequency > 0. Words are only looked up inside a block, so only words made of block characters can
ever be found: those are the automaton's words. A word added later (`add`) goes into a small second
automaton; the dictionary must only change through `add` (segment.add_words) once this exists.

The automaton runs over UTF-8 bytes (as latin-1 code points), as the keyword rules' does: over
characters the root has thousands of children and the scan was 2× slower. A word's bytes can only
match at character boundaries (UTF-8 lead bytes are never continuation bytes). Block characters are
ASCII (1 byte) or CJK U+4E00–U+9FD5 (3 bytes), which makes byte offsets easy to map back. Built once
per process from the loaded dictionary in ~0.4 s.
"""

from __future__ import annotations

import re
import threading
import warnings
from typing import Any

import ahocorasick

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # jieba 0.42's regexes have invalid escapes
    import jieba

_ENG = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")  # jieba's re_eng
_RE_HAN = jieba.re_han_default  # jieba.cut's blocks
_RE_SKIP = jieba.re_skip_default
_WORD = re.compile(r"\w")


def _automaton(words: list[str]) -> Any:
    """Words of 2+ block characters over their UTF-8 bytes; the value is the length in characters."""
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word.encode().decode("latin-1"), len(word))
    automaton.make_automaton()
    return automaton


def _block_words(freq: dict[str, int]) -> list[str]:
    """The words jieba's DAG can contain: a frequency > 0 and every character a block character."""
    return [word for word, count in freq.items() if count and _RE_HAN.fullmatch(word)]


class FullMode:
    """Full-mode segmentation over a jieba Tokenizer's dictionary (initialized by the caller).

    The automaton holds the words of two characters or more; single-character words are a set. That
    keeps the automaton's matches to the positions that matter, and lets the walk below treat a
    position without a longer word in one step (jieba's DAG then holds just [k] either way)."""

    def __init__(self, tokenizer: jieba.Tokenizer) -> None:
        self._freq = tokenizer.FREQ
        self._lock = threading.Lock()
        words = _block_words(tokenizer.FREQ)
        self._automaton = _automaton([word for word in words if len(word) > 1])
        self._single = {word for word in words if len(word) == 1}
        self._extra_words: set[str] = set()
        self._extra: Any = None

    def add(self, word: str) -> None:
        """A word the tokenizer's dictionary just gained (jieba's Tokenizer.add_word was called)."""
        if not (self._freq.get(word) and _RE_HAN.fullmatch(word)):
            return
        with self._lock:
            if len(word) == 1:
                self._single.add(word)
            elif word.encode().decode("latin-1") not in self._automaton and word not in self._extra_words:
                self._extra_words.add(word)
                self._extra = _automaton(sorted(self._extra_words))

    def cut(self, sentence: str) -> list[str]:
        """What list(jieba.cut(sentence, cut_all=True)) returns."""
        out: list[str] = []
        for block in _RE_HAN.split(sentence):
            if not block:
                continue
            if _RE_HAN.match(block):
                self._cut_block(block, out)
            else:
                out.extend(_RE_SKIP.split(block))  # full mode yields every piece, spaces included
        return out

    def words(self, sentence: str) -> list[str]:
        """The tokens of `cut` that hold a letter or digit, stripped — segment's index tokens — without
        testing the tokens of all-CJK blocks, which always qualify (most of a Chinese text)."""
        out: list[str] = []
        for block in _RE_HAN.split(sentence):
            if not block:
                continue
            if _RE_HAN.match(block):
                start = len(out)
                if not self._cut_block(block, out):
                    out[start:] = [token.strip() for token in out[start:] if _WORD.search(token)]
            else:
                out.extend(token.strip() for token in _RE_SKIP.split(block) if _WORD.search(token))
        return out

    def _longer(self, block: str) -> tuple[dict[int, list[int]], bool]:
        """({start: ends of the words of 2+ characters starting there, ascending} (character positions),
        whether the block is all CJK)."""
        data = block.encode().decode("latin-1")
        if len(data) == 3 * len(block):  # all CJK: character = byte // 3
            char_end = None
        elif len(data) == len(block):  # all ASCII
            char_end = range(len(data))
        else:  # mixed: the character each byte belongs to
            char_end = [i for i, ch in enumerate(block) for _ in range(1 if ch < "\x80" else 3)]
        found: dict[int, list[int]] = {}
        for automaton in (self._automaton, self._extra):
            if automaton is None:
                continue
            for end_byte, length in automaton.iter(data):  # by end position: each start's ends come ascending
                end = end_byte // 3 if char_end is None else char_end[end_byte]
                ends = found.get(end - length + 1)
                if ends is None:
                    found[end - length + 1] = [end]
                elif automaton is self._automaton:
                    ends.append(end)
                else:  # an added word among the dictionary's: keep each start's ends ascending
                    ends.append(end)
                    ends.sort()
        return found, char_end is None

    def _cut_block(self, sentence: str, out: list[str]) -> bool:
        """jieba.Tokenizer.__cut_all, with its DAG entry for k being [k] (when sentence[k] is a word) followed
        by the longer words' ends, or [k] when there is no word at k at all. True when the block is all
        CJK (every token then holds a letter)."""
        longer, all_cjk = self._longer(sentence)
        single = self._single
        append = out.append
        old_j = -1
        if _ENG.isdisjoint(sentence):
            # No ASCII letter or digit: jieba's English-run gluing never starts; the same walk without it.
            for k in range(len(sentence)):
                ends = longer.get(k)
                if ends is None:  # DAG [k]
                    if k > old_j:
                        append(sentence[k])
                        old_j = k
                elif len(ends) == 1 and k > old_j and sentence[k] not in single:  # DAG [end]
                    old_j = ends[0]
                    append(sentence[k:old_j + 1])
                else:  # DAG of two or more (or one, inside the previous word): every longer word
                    for j in ends:
                        append(sentence[k:j + 1])
                    old_j = ends[-1]
            return all_cjk
        eng_scan = 0
        eng_buf = ""
        for k in range(len(sentence)):
            ends = longer.get(k)
            dag = ([k] + ends if sentence[k] in single else ends) if ends is not None else [k]
            if eng_scan == 1 and sentence[k] not in _ENG:
                eng_scan = 0
                append(eng_buf)
            if len(dag) == 1 and k > old_j:
                word = sentence[k:dag[0] + 1]
                if word[0] in _ENG:
                    if eng_scan == 0:
                        eng_scan = 1
                        eng_buf = word
                    else:
                        eng_buf += word
                if eng_scan == 0:
                    append(word)
                old_j = dag[0]
            else:
                for j in dag:
                    if j > k:
                        append(sentence[k:j + 1])
                        old_j = j
        if eng_scan == 1:
            append(eng_buf)
        return False
