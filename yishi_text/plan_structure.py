"""Classified lines → sections and items, with a leading outline merged into the full text.

Decisions, in order:

1. The item level is the numbering style found directly under the 一、 headings (usually 1., some
   plans use （一）). When （一） lines only group 1. items (一、 → （一） → 1.), 1. stays the item level.
2. A number of the item style is a new item when it continues the count (n = last + 1, or 1 at the
   start of a section when a plan restarts per section); otherwise it is a sub-point of the current
   item ("1.…2.…" inside item 5) and stays in its text.
3. A 一、 heading whose number does not go up starts a new *pass* over the plan. A pass with headings
   but no body text is an outline (提纲/目录); it is merged into the full text, which wins, and the
   headings only the outline has (a cut-off document) are kept with empty text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from yishi_text.cn_numbers import int_to_cn
from yishi_text.plan_lines import (
    ARABIC,
    BOUNDARY,
    PAREN_CN,
    SECTION,
    SENTENCE_PUNCT,
    TITLE,
    Line,
    ends_open,
    short_title,
    split_heading,
)

_WRAP_MIN = 20  # an unpunctuated line at least this long was wrapped, not a heading


@dataclass
class RawItem:
    number: int  # as written
    title: str
    body: list[str]
    line: int
    derived_title: bool = False  # the title is the head of a long first sentence, not written as one
    sentence: str = ""  # "4.年底前完成台账更新。": a one-sentence item, its text unless a body follows
    sub_next: int | None = None  # the next number of a sub-point list inside this item
    from_outline: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.body)


@dataclass
class RawSection:
    number: int | None  # None: the implicit section of a plan without 一、 headings
    heading: str
    intro: list[str]
    items: list[RawItem]
    line: int
    from_outline: bool = False

    @property
    def title(self) -> str:
        return short_title(self.heading)


@dataclass
class _Pass:
    sections: list[RawSection] = field(default_factory=list)
    last_number: int = 0  # the last item number written in this pass

    @property
    def items(self) -> list[RawItem]:
        return [item for section in self.sections for item in section.items]


@dataclass
class Structure:
    preamble: list[str]
    sections: list[RawSection]
    outline_only: bool
    warnings: list[str]
    last_open: RawItem | RawSection | None  # what the document's last, unfinished paragraph belongs to
    last_open_text: str = ""


# ---------------------------------------------------------------- levels


def item_levels(lines: list[Line]) -> tuple[str | None, str | None]:
    """(item style, grouping style): the style most often found first under a 一、 heading."""
    firsts: Counter[str] = Counter()
    in_section = False
    for line in lines:
        if line.kind == SECTION:
            in_section = True
        elif in_section and line.numbered:
            firsts[line.kind] += 1
            in_section = False
    if not firsts:  # no 一、 headings: the first numbered style is the item level
        style = next((line.kind for line in lines if line.numbered and line.kind != SECTION), None)
        return style, None
    style = firsts.most_common(1)[0][0]
    if style == PAREN_CN and _groups_arabic(lines):
        return ARABIC, PAREN_CN
    return style, None


def _groups_arabic(lines: list[Line]) -> bool:
    """（一） lines that are bare headings directly followed by 1. lines only group items.

    "（一）加强理论学习。正文……" followed by "1.…" is an item with sub-points instead: its line
    carries text of its own.
    """
    groups = [i for i, line in enumerate(lines) if line.kind == PAREN_CN]
    followed = sum(1 for i in groups if i + 1 < len(lines) and lines[i + 1].kind == ARABIC
                   and not split_heading(lines[i].rest)[1])
    return bool(groups) and followed * 2 >= len(groups)


# ---------------------------------------------------------------- builder


class _Builder:
    def __init__(self, item_style: str | None, group_style: str | None) -> None:
        self.item_style, self.group_style = item_style, group_style
        self.passes: list[_Pass] = [_Pass()]
        self.preamble: list[str] = []
        self.section: RawSection | None = None
        self.item: RawItem | None = None
        self.warnings: list[str] = []
        self.groups: list[str] = []
        self.first_shape: str | None = None
        self.group_start = False
        self.cn_sub_next: int | None = None  # next number of a 一、二、 list inside the current item
        self.last_target: RawItem | RawSection | None = None  # owner of the last text line
        self.last_text = ""

    @property
    def pass_(self) -> _Pass:
        return self.passes[-1]

    def feed(self, line: Line) -> None:
        if line.kind in (TITLE, BOUNDARY):
            self.section = self.item = None  # what follows is preamble until the next heading
            self.last_target, self.last_text = None, ""
        elif line.kind == SECTION:
            if not self._took_cn_sub_point(line):
                self._section(line)
        elif line.kind == self.item_style:
            self._item_or_sub(line)
        elif line.kind == self.group_style:
            self.item = None
            self.group_start = True  # items may restart at 1 under each （一） group
            self.groups.append(line.text)
        else:
            self._text(line.text)

    # -- headings

    def _took_cn_sub_point(self, line: Line) -> bool:
        """ "一、建立台账；二、定期通报。" inside an item is a list, not new parts of the plan.

        Only sentence-like lines (ending in 。；) that would restart the part numbering, or continue
        such a list, qualify; real part headings carry no closing punctuation. Taken lines join the
        item's text.
        """
        item = self.item
        if item is None or line.number is None or not line.rest.endswith(tuple(SENTENCE_PUNCT)):
            return False
        numbers = [s.number for s in self.pass_.sections if s.number is not None]
        restarts = bool(numbers) and line.number <= numbers[-1]
        if self.cn_sub_next != line.number and not restarts:
            return False
        self.cn_sub_next = line.number + 1
        self._append(item.body, line.text, wrap=False)
        self._owns(item, line.text)
        return True

    def _section(self, line: Line) -> None:
        assert line.number is not None
        numbers = [s.number for s in self.pass_.sections if s.number is not None]
        if numbers and line.number <= numbers[-1]:
            self._new_pass()
        elif numbers and line.number > numbers[-1] + 1:
            self.warnings.append(f"部分编号由“{_cn(numbers[-1])}”跳到“{_cn(line.number)}”，请核对是否漏了部分")
        heading, rest, derived = split_heading(line.rest)
        if derived:
            heading, rest = line.rest, ""  # a long heading without a full stop is all heading
        self.section = RawSection(line.number, heading, [rest] if rest else [], [], line.index)
        self.group_start = False
        self.pass_.sections.append(self.section)
        self.item = None
        self._owns(self.section, rest)

    def _new_pass(self) -> None:
        self.passes.append(_Pass())
        self.section = self.item = None
        self.group_start = False

    def _item_or_sub(self, line: Line) -> None:
        assert line.number is not None
        n = line.number
        if (self.section is None or self.section.number is None) and n == 1:
            pass_items = self.pass_.items
            if pass_items and not any(i.body for i in pass_items[:-1]):
                self._new_pass()  # no 一、 parts: an outline of bare items, then the items again in full
        section = self.section or self._implicit_section(line)
        last = section.items[-1].number if section.items else self.pass_.last_number
        starts_section = not section.items or self.group_start
        item = self.item
        if item is not None and item.sub_next == n and (n != last + 1 or self._shape(line) != self.first_shape):
            self._sub(line, n)
        elif n == last + 1 or (starts_section and n == 1):
            self._new_item(line, section)
        elif item is None or starts_section:
            self.warnings.append(f"条目编号“{n}”接在“{last}”之后，编号不连续，已按新条目处理")
            self._new_item(line, section)
        elif n == 1:
            self._sub(line, n)  # a list 1. 2. … inside the item
        elif last < n <= last + 3:
            self.warnings.append(f"条目编号由“{last}”跳到“{n}”，请核对是否漏了条目")
            self._new_item(line, section)
        else:
            self.warnings.append(f"第{last}条之后出现编号“{n}”，不符合条目顺序，已作为该条正文保留")
            self._sub(line, n)

    def _implicit_section(self, line: Line) -> RawSection:
        self.section = RawSection(None, "", [], [], line.index)
        self.pass_.sections.append(self.section)
        return self.section

    def _new_item(self, line: Line, section: RawSection) -> None:
        assert line.number is not None
        title, rest, derived = split_heading(line.rest)
        self.item = RawItem(line.number, title, [rest] if rest else [], line.index, derived)
        if not rest and line.rest.endswith(tuple(SENTENCE_PUNCT)):
            self.item.sentence = line.rest
        section.items.append(self.item)
        self.pass_.last_number = line.number
        self.group_start = False
        self.cn_sub_next = None
        self.first_shape = self.first_shape or self._shape(line)
        self._owns(self.item, rest)

    def _sub(self, line: Line, n: int) -> None:
        assert self.item is not None
        self.item.sub_next = n + 1
        self._append(self.item.body, line.text, wrap=False)
        self._owns(self.item, line.text)

    @staticmethod
    def _shape(line: Line) -> str:
        """Own-line short heading or inline "标题。正文": sub-points rarely share the items' shape."""
        return "short" if len(line.rest) <= 40 and not any(p in line.rest for p in SENTENCE_PUNCT) else "long"

    # -- text

    def _text(self, text: str) -> None:
        if self.item is not None:
            self._append(self.item.body, text)
            self._owns(self.item, text)
        elif self.section is not None:
            self._append(self.section.intro, text)
            self._owns(self.section, text)
        else:
            self._append(self.preamble, text)
            self.last_target, self.last_text = None, ""

    @staticmethod
    def _append(paragraphs: list[str], text: str, wrap: bool = True) -> None:
        """A long line that stops mid-sentence was wrapped: the next line continues it."""
        if wrap and paragraphs and len(paragraphs[-1]) >= _WRAP_MIN and ends_open(paragraphs[-1]):
            paragraphs[-1] += text
        else:
            paragraphs.append(text)

    def _owns(self, target: RawItem | RawSection, text: str) -> None:
        self.last_target, self.last_text = (target, text) if text else (None, "")


# ---------------------------------------------------------------- passes


def build(lines: list[Line]) -> Structure:
    item_style, group_style = item_levels(lines)
    builder = _Builder(item_style, group_style)
    for line in lines:
        builder.feed(line)
    warnings = builder.warnings
    if builder.groups:
        shown = "、".join(g[:12] for g in builder.groups[:3])
        warnings.append(f"“（一）”级分组标题（{shown}等{len(builder.groups)}个）未单独成部分，其下条目归入所在的“一、”部分")
    passes = [p for p in builder.passes if p.sections]
    if passes and not any(p.items for p in passes):
        # Only 一、 headings; with an outline of them first, the pass with the most text is the plan.
        fullest = max(passes, key=lambda p: sum(len(line) for s in p.sections for line in s.intro))
        passes = [_sections_as_items(fullest, warnings)]
    full = [p for k, p in enumerate(passes) if not _is_outline(p, builder.preamble, k + 1 < len(passes))]
    outlines = [p for p in passes if p not in full]
    primary = full[0] if full else (outlines.pop(0) if outlines else _Pass())
    for extra in full[1:]:
        warnings.append(f"编号重新从“一”开始（第{extra.sections[0].line + 1}行附近），可能合并了多份文件，已依次接在后面")
        primary.sections.extend(extra.sections)
    for outline in outlines:
        _merge_outline(primary, outline, warnings, mark=bool(full))
    if not full and _mostly_sentences(primary.items):
        full = [primary]  # "1.每月学习一次。" items: short sentences, not the bare titles of an outline
    for item in primary.items:
        if item.sentence and not item.body and not item.from_outline and full:
            item.body.append(item.sentence)
    last_open = builder.last_target if builder.last_text and ends_open(builder.last_text) else None
    return Structure(builder.preamble, primary.sections, outline_only=not full and bool(primary.items),
                     warnings=warnings, last_open=last_open, last_open_text=builder.last_text)


def _is_outline(pass_: _Pass, preamble: list[str], followed: bool) -> bool:
    """Headings without body text.

    When another pass follows, the last heading may carry text that is really the plan's opening
    paragraph (an outline, then the preamble, with no title line between): that text moves to the
    preamble.
    """
    items, sections = pass_.items, pass_.sections
    if not items and len(sections) < 2:
        return False
    last_section = sections[-1]
    tail_owner: RawItem | RawSection = last_section.items[-1] if last_section.items else last_section
    if any(i.body for i in items if i is not tail_owner) or any(s.intro for s in sections if s is not tail_owner):
        return False
    tail = tail_owner.body if isinstance(tail_owner, RawItem) else tail_owner.intro
    if not tail:
        return True
    if not followed or len(items) < 2 or (isinstance(tail_owner, RawItem) and tail_owner.derived_title):
        return False
    preamble.extend(tail)
    tail.clear()
    return True


def _mostly_sentences(items: list[RawItem]) -> bool:
    """Outline titles are phrases; items that end with 。 are the plan's own short sentences."""
    return bool(items) and sum(1 for i in items if i.sentence) * 2 > len(items)


def _sections_as_items(pass_: _Pass, warnings: list[str]) -> _Pass:
    """Only 一、 headings: each heading is an item of one implicit section (warned)."""
    warnings.append(f"未找到“1.”“（一）”等条目编号，已将{len(pass_.sections)}个“一、”级标题作为条目")
    items = [RawItem(s.number or i + 1, s.heading, s.intro, s.line) for i, s in enumerate(pass_.sections)]
    return _Pass([RawSection(None, "", [], items, pass_.sections[0].line)], len(items))


def _merge_outline(primary: _Pass, outline: _Pass, warnings: list[str], mark: bool) -> None:
    """Fold an outline into the full text: same numbers are the same headings; the full text wins."""
    restart = _restarts(primary)
    by_number = {item.number: item for item in primary.items}
    for o_section in outline.sections:
        section = next((s for s in primary.sections if s.number == o_section.number), None)
        if section is None:
            o_section.from_outline = mark
            for item in o_section.items:
                item.from_outline = mark
            primary.sections.append(o_section)
            continue
        if not _similar(o_section.heading, section.heading):
            warnings.append(f"提纲第{_cn(section.number)}部分“{o_section.heading}”与正文“{section.heading}”不一致，以正文为准")
        for index, o_item in enumerate(o_section.items):
            match = (section.items[index] if index < len(section.items) else None) if restart \
                else by_number.get(o_item.number)
            if match is None:
                o_item.from_outline = mark
                section.items.append(o_item)
            elif not _similar(o_item.title, match.title):
                warnings.append(f"提纲第{o_item.number}条“{o_item.title}”与正文“{match.title}”不一致，以正文为准")
    primary.sections.sort(key=lambda s: (s.number is not None, s.number or 0))
    if not restart:
        for section in primary.sections:
            section.items.sort(key=lambda i: i.number)


def _restarts(pass_: _Pass) -> bool:
    """True when item numbers restart at 1 in each section."""
    return any(s.items and s.items[0].number == 1 for s in pass_.sections[1:])


def _similar(a: str, b: str) -> bool:
    strip = str.maketrans("", "", "，,。；;：:、“”\"'‘’《》（）() \u3000")
    a, b = a.translate(strip), b.translate(strip)
    return not a or not b or a in b or b in a


def _cn(number: int | None) -> str:
    return int_to_cn(number) if number else "?"
