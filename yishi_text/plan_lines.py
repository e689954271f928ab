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
# Lines that only announce a part of the document: the outline, or the full text after it.
_OUTLINE_MARKER_RE = re.compile(r"^(?:目\s*录|提\s*纲|要点提纲|内容提要|目录提纲|正\s*文|全\s*文)[:：]?$")
_PAGE_NUMBER_RE = re.compile(r"^(?:[-—–－\s]*\d{1,3}[-—–－\s]*|第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+)$")
# Editorial notes left in drafts ("过渡句:…"): the note goes, the sentence stays.
_EDITOR_LABEL_RE = re.compile(r"(?:过渡句|过渡语|过渡段)\s*[:：]\s*")
_LINE_LABEL_RE = re.compile(r"^(?:导语|小标题|正文)\s*[:：]\s*")
_ATTACHMENT_RE = re.compile(r"^附\s*件\s*[0-9一二三四五六七八九十]*\s*(?:[:：]|$)")
_DATE_LINE_RE = re.compile(r"^(?:(?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})\s*年\s*[0-9一二三四五六七八九十]{1,3}\s*月"
                           r"\s*[0-9一二三四五六七八九十]{1,3}\s*日$")
_MARKDOWN_RE = re.compile(r"^#{1,6}\s+|\*\*")
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u00ad"), None)
_ORG_SUFFIX_RE = re.compile(r"(?:委员会|党委|党组|支部|委|部|局|厅|办|院|中心|机关|政府|学校|大学|医院|公司|集团|会)$")
SENTENCE_PUNCT = "。！？!?；;"
_FRAMING_RE = re.compile(r"^(?:围绕|按照|根据|结合|聚焦|针对|对照|依托|通过|为了|为|在|以|坚持以)")
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
    trailer: list[str]  # 落款 (signature, date) cut from the end
    attachment: str = ""  # the "附件…" line where the plan ends and an attachment begins


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
    attachment = _cut_attachment(lines)
    trailer = _cut_trailer(lines)
    title, found = _mark_title(lines)
    return CleanResult(lines, title, found, labels, pages, trailer, attachment)


def _cut_attachment(lines: list[Line]) -> str:
    """Drop an attachment (任务分工表…) that follows the plan: from a "附件" line after numbered content.

    Before any numbered line, "附件：××要点" is the plan itself (a notice that wraps it), so it stays.
    """
    seen_numbered = False
    for pos, line in enumerate(lines):
        seen_numbered = seen_numbered or line.numbered
        if seen_numbered and line.kind == TEXT and _ATTACHMENT_RE.match(line.text):
            del lines[pos:]
            return line.text
    return ""


def _cut_trailer(lines: list[Line]) -> list[str]:
    """Drop the 落款 at the end: a date line, and the organ's name just above it."""
    if not lines or lines[-1].kind != TEXT or not _DATE_LINE_RE.match(lines[-1].text):
        return []
    trailer = [lines.pop().text]
    if lines and lines[-1].kind == TEXT and len(lines[-1].text) <= 30 and _ORG_SUFFIX_RE.search(lines[-1].text) \
            and not re.search(r"[。，,；;：:]", lines[-1].text):
        trailer.insert(0, lines.pop().text)
    return trailer


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
    first = lines[0] if lines else None
    if first is not None and first.kind == TEXT and len(first.text) <= 40 and not re.search(r"[。，,；;：:]", first.text):
        first.kind = TITLE  # a title without 要点/计划 in it; plans.py warns
        return first.text, False
    return "", False


def _is_body_paragraph(text: str) -> bool:
    return len(text) > 40 or text.endswith(tuple(SENTENCE_PUNCT))


def ends_open(text: str) -> bool:
    """True when a paragraph stops without closing punctuation (wrapped line, or a cut-off file)."""
    stripped = text.rstrip("”’\"）)》】 ")
    return bool(stripped) and stripped[-1] not in _TERMINAL


def split_heading(rest: str, limit: int = 40) -> tuple[str, str, bool]:
    """Split a numbered line into (title, inline text, derived).

    * "标题。正文……" → (标题, 正文……, False)
    * "标题" or "标题，副标题" without a full stop → (the line, "", False): a heading on its own line
    * one sentence with commas, or too long for a title ("每月开展1次集中学习，全年不少于12次。")
      → (its first clause, the whole sentence, True): the title is derived, the text keeps it all
    """
    cut = _first_stop(rest, "。！？!?：:")
    if cut is not None and cut <= limit and rest[cut + 1:].strip():
        return rest[:cut].strip(), rest[cut + 1:].strip(), False
    is_sentence = rest.endswith(tuple(SENTENCE_PUNCT)) or (cut is not None and rest[cut + 1:].strip() != "")
    if not is_sentence and len(rest) <= limit * 3 // 2:
        return rest.strip(), "", False
    sentence = rest.rstrip(SENTENCE_PUNCT)
    if is_sentence and len(sentence) <= limit and _first_stop(sentence, "，,；;") is None:
        return sentence.strip(), "", False  # a short one-sentence item; plan_structure keeps it as text too
    return _derived_title(rest, limit), rest.strip(), True


def _derived_title(sentence: str, limit: int) -> str:
    """The first clause that says what is done: framing clauses ("围绕六五环境日等节点") are skipped."""
    clauses = [c.strip() for c in re.split(r"[，,；;。：:]", sentence) if c.strip()]
    for clause in clauses:
        if len(clause) <= limit and not _FRAMING_RE.match(clause):
            return clause
    head = clauses[0] if clauses else sentence
    return head if len(head) <= limit else head[:limit]


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
        elif depth or straight:
            continue
        elif ch in stops or (ch == "." and "。" in stops and _ascii_full_stop(text, i)):
            return i
    return None


def _ascii_full_stop(text: str, i: int) -> bool:
    """ "开展警示教育.各股室……": an ASCII dot between Chinese characters ends a sentence (not 1.5, not v2.0)."""
    return 0 < i < len(text) - 1 and not text[i - 1].isascii() and not text[i + 1].isascii()
