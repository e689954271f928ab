"""Plan text → classified lines: numbering styles, the title line, outline markers, noise.

A 工作要点 numbers its parts 一、二、…, its items 1. 2. … (or （一）（二）…), and the points inside an
item （一）/（1）/①. This module only says what each line *looks like*; plan_structure decides what
it *is* (an item, or a sub-point inside one), because that depends on the lines around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from yishi_text.cn_numbers import CIRCLED, to_int
from yishi_text.plan_input import iter_lines

SECTION = "section"  # 一、
PAREN_CN = "paren_cn"  # （一）
ARABIC = "arabic"  # 1. 1、 1．
PAREN_ARABIC = "paren_arabic"  # （1） 1）
CIRCLED_STYLE = "circled"  # ①
TEXT = "text"
TITLE = "title"
BOUNDARY = "boundary"  # 目录 / 提纲 on a line of their own

_CN = "一二三四五六七八九十"
_NUMBERED_RES = (
    (SECTION, re.compile(rf"^(?:第(?P<n>[{_CN}]{{1,3}})部分|(?P<m>[{_CN}]{{1,3}})\s*[、．.])\s*(?P<rest>.*)$")),
    (PAREN_CN, re.compile(rf"^[（(]\s*(?P<n>[{_CN}]{{1,3}})\s*[）)]\s*[、.．]?\s*(?P<rest>.*)$")),
    (ARABIC, re.compile(r"^(?P<n>[0-9０-９]{1,3})\s*(?:[.．、]|[,，](?=\D))(?![0-9０-９])\s*(?P<rest>.*)$")),
    (PAREN_ARABIC, re.compile(r"^(?:[（(]\s*(?P<n>[0-9０-９]{1,3})\s*[）)]|(?P<m>[0-9０-９]{1,3})[）)])\s*(?P<rest>.*)$")),
    (CIRCLED_STYLE, re.compile(rf"^(?P<n>[{CIRCLED}])\s*[、.．]?\s*(?P<rest>.*)$")),
)
# The plan's own name: "2026年市政府机关意识形态工作要点", "法院2026年意识形态工作要点(提纲)".
TITLE_WORDS_RE = re.compile(r"要点|工作计划|工作安排|任务清单|工作方案|实施方案|工作提纲|责任清单")
_TITLE_MAX = 70
_OUTLINE_MARKER_RE = re.compile(r"^(?:目\s*录|提\s*纲|要点提纲|内容提要|目录提纲)[:：]?$")
_PAGE_NUMBER_RE = re.compile(r"^(?:[-—–－\s]*\d{1,3}[-—–－\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
# Editorial notes left in drafts ("过渡句:…"): the note goes, the sentence stays.
_EDITOR_LABEL_RE = re.compile(r"(?:过渡句|过渡语|过渡段)\s*[:：]\s*")
_LINE_LABEL_RE = re.compile(r"^(?:导语|小标题|正文)\s*[:：]\s*")
_MARKDOWN_RE = re.compile(r"^#{1,6}\s+|\*\*")
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_ORG_SUFFIX_RE = re.compile(r"(?:委员会|党委|党组|支部|委|部|局|厅|办|院|中心|机关|政府|学校|大学|医院|公司|集团|会)$")
SENTENCE_PUNCT = "。！？!?；;"
_TERMINAL = "。！？!?；;…：:"


@dataclass
class Line:
    index: int  # position among the kept lines, for messages and ordering
    kind: str  # SECTION, ARABIC, … TEXT, TITLE, BOUNDARY
    text: str  # the whole line, cleaned
    number: int | None = None
    rest: str = ""  # the text after the number

    @property
    def numbered(self) -> bool:
        return self.number is not None


@dataclass
class CleanResult:
    lines: list[Line]
    title: str
    title_found: bool
    editor_labels: int
    page_numbers: int


def clean_lines(text: str) -> CleanResult:
    """Split, tidy and classify; find and mark the title line(s)."""
    raw_lines, labels, pages = [], 0, 0
    for raw in iter_lines(text.translate(_INVISIBLE)):
        line = _MARKDOWN_RE.sub("", raw.replace("\xa0", " ")).strip(" \t\u3000")
        if not line:
            continue
        if _PAGE_NUMBER_RE.match(line):
            pages += 1
            continue
        line, count = _EDITOR_LABEL_RE.subn("", line)
        labels += count
        line = _LINE_LABEL_RE.sub("", line).strip()
        if line:
            raw_lines.append(line)
    raw_lines = _join_bare_numbers(raw_lines)
    lines = [classify(i, line) for i, line in enumerate(raw_lines)]
    title, found = _mark_title(lines)
    return CleanResult(lines, title, found, labels, pages)


def classify(index: int, line: str) -> Line:
    if _OUTLINE_MARKER_RE.match(line):
        return Line(index, BOUNDARY, line)
    for kind, pattern in _NUMBERED_RES:
        m = pattern.match(line)
        if m and m.group("rest").strip():
            token = m.group("n") or (m.groupdict().get("m") or "")
            number = to_int(token)
            if number is not None:
                return Line(index, kind, line, number, m.group("rest").strip())
    return Line(index, TEXT, line)


def _join_bare_numbers(lines: list[str]) -> list[str]:
    """ "1." alone on a line with its title on the next (copied from some PDF viewers) → one line."""
    joined: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        bare = any(p.match(line) and not p.match(line).group("rest").strip() for _, p in _NUMBERED_RES)
        if bare and i + 1 < len(lines):
            joined.append(line + lines[i + 1])
            i += 2
            continue
        joined.append(line)
        i += 1
    return joined


def is_title_like(line: str) -> bool:
    return (len(line) <= _TITLE_MAX and bool(TITLE_WORDS_RE.search(line))
            and not line.endswith(tuple("。；;，,"))
            and not re.search(r"[。；;]", line.replace("（", "").replace("）", "")))


def _mark_title(lines: list[Line]) -> tuple[str, bool]:
    """The first unnumbered title-like line, joined with an organ name just above it or a (提纲) below.

    The title may follow a leading outline (plans that list their headings first), so the search runs
    over the document head and over an outline, and stops at the first body paragraph: a short line
    such as "制定实施方案" inside an item must not be taken for the title. The marked line(s) become
    a TITLE boundary that closes the outline.
    """
    for pos, line in enumerate(lines):
        if line.kind == TEXT and _is_body_paragraph(line.text):
            break
        if line.kind != TEXT or not is_title_like(line.text):
            continue
        parts = [line.text]
        line.kind = TITLE
        above = lines[pos - 1] if pos > 0 else None
        if (above is not None and above.kind == TEXT and len(above.text) <= 30
                and not re.search(r"[。，,；;：:]", above.text) and _ORG_SUFFIX_RE.search(above.text)):
            above.kind = TITLE  # "中共××县委宣传部" / "2026年意识形态工作要点"
            parts.insert(0, above.text)
        below = lines[pos + 1] if pos + 1 < len(lines) else None
        if below is not None and below.kind == TEXT and re.fullmatch(r"[（(][^）)]{1,12}[）)]", below.text):
            below.kind = TITLE  # "（提纲）" / "（征求意见稿）"
            parts.append(below.text)
        return "".join(parts), True
    return "", False


def _is_body_paragraph(text: str) -> bool:
    return len(text) > 40 or text.endswith(tuple(SENTENCE_PUNCT))


def ends_open(text: str) -> bool:
    """True when a paragraph stops without closing punctuation (wrapped line, or a cut-off file)."""
    stripped = text.rstrip("”’\"）)》】 ")
    return bool(stripped) and stripped[-1] not in _TERMINAL


def split_heading(rest: str, limit: int = 40) -> tuple[str, str, bool]:
    """ "标题。正文" → (标题, 正文, False); a long first sentence → (its first clause, all of it, True).

    The third value says the title was derived rather than written, so the body keeps the whole line.
    """
    cut = _first_stop(rest, "。！？!?：:")
    if cut is not None and cut <= limit:
        return rest[:cut].strip(), rest[cut + 1:].strip(), False
    if len(rest) <= limit and not re.search(r"[。；;]", rest):
        return rest.strip().rstrip("。"), "", False
    clause_end = _first_stop(rest, "，,；;。：:")
    head = rest[:clause_end] if clause_end is not None and clause_end <= limit else rest[:limit]
    return head.strip(), rest.strip(), True


def short_title(heading: str) -> str:
    """ "深化理论武装,筑牢思想根基" → "深化理论武装": the part before a comma, colon or dash."""
    cut = _first_stop(heading, "，,：:；;")
    dash = heading.find("——")
    if dash > 0 and (cut is None or dash < cut):
        cut = dash
    return (heading[:cut] if cut else heading).strip().rstrip("。")


def _first_stop(text: str, stops: str) -> int | None:
    """Index of the first stop character outside quotes and brackets."""
    depth, straight = 0, False
    for i, ch in enumerate(text):
        if ch in "“‘《（(【「":
            depth += 1
        elif ch in "”’》）)】」":
            depth = max(0, depth - 1)
        elif ch == '"':
            straight = not straight
        elif ch in stops and not depth and not straight:
            return i
    return None
