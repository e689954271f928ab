"""Obligations and targets in the text of one plan item.

An obligation is a clause that commits an actor to a recurring or counted activity with an explicit
time marker: "每月开展1次理论学习中心组专题研讨" → monthly × 1. The rules (docs/plan-parser.md):

* A sentence ends at 。；;！？ or a line break. Inside a sentence, commas (，, and ：:) cut clauses;
  a clause holding a time marker starts a new obligation, so "每月开展1次集中学习研讨，……，全年集中
  学习不少于12次" gives monthly × 1 and yearly × 12. A clause with two markers is cut between them.
* Vague cadences are not obligations: 定期, 经常, 常态化 (no period), 第一时间 (a reaction, not a
  cadence), and per-person or per-instance counts (每位干部…, 每份…, 每次不少于2小时).
* 年初/年中/年底/上半年/N月底前 refine a periodic marker in the same clause (timing hint); alone, they
  make a once-a-year obligation when an activity follows ("年底组织述职评议").
* 年度/季度/月度 count only next to a verb ("年度开展综合考核", "开展年度形势研判"), never as a
  noun modifier ("纳入年度考核", "年度预算"); 全年/年内 count only with a number ("全年不少于12次").
* Percent figures (权重不低于15%) and compared counts outside obligations (撰写不少于4篇) are targets.

Quotes are exact substrings of the text passed in, so the UI can highlight them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from yishi_text.cn_numbers import to_int

FREQUENCIES = ("daily", "weekly", "monthly", "bimonthly", "quarterly", "semiannual", "yearly", "continuous")

_CN = "一两二三四五六七八九十百"
_NUM = rf"(?:\d+|[{_CN}]+)"
# Counted units of an activity (1次, 一期, 6场, 3条…). Not 个/项: "1个专题" counts things, not occurrences.
_UNIT = "次期场轮篇批回遍堂趟条份"
_LEAST_BEFORE = "至少|不少于|不低于|最少|不下于|不得少于"

_OPEN = "“‘《（(【「『〔"
_CLOSE = "”’》）)】」』〕"
_SENTENCE_END = "。；;！？!?.\n"
_CLAUSE_END = "，,：:"

# Verbs that make 年度/季度/月度/半年 an adverb of time ("年度开展…") rather than a noun modifier.
_ACTIVITY_VERBS = ("开展|组织|召开|举办|进行|至少|不少于|专题|研究|听取|分析|研判|评选|评议|总结|通报|报告|"
                   "汇报|部署|排查|检查|督查|更新|编发|编印|发布|述职|集中|对|向|一次|1次")
_LIGHT_VERBS = ("组织开展", "开展", "组织", "召开", "举办", "进行")

_MARKER_RE = re.compile(
    # continuous: round-the-clock duty
    r"(?P<continuous>7\s*[×xX*＊✕]\s*24\s*小时|全天候|24\s*小时(?:不间断|值班|值守|监测|在线|轮班)|全时段)"
    # slogans: 一月一次, 一年两次, 一季一评, 一年一度
    rf"|(?P<slogan>一(?P<slogan_period>周|月|季度?|年)(?:(?P<slogan_n>{_NUM})(?P<slogan_u>[{_UNIT}])"
    r"|一(?=[\u4e00-\u9fff])(?![日号月年周])))"
    r"|(?P<daily>每(?:日|天|个工作日)|逐日|按日)"
    r"|(?P<semimonthly>每半个?月|每(?:两|二|2)周|每双周|半月一次)"  # not bare 半月: 《半月谈》
    r"|(?P<weekly>每(?:一)?周|每(?:个)?星期|每(?:个)?礼拜|按周|逐周)"
    r"|(?P<bimonthly>每(?:两|二|2)个?月|每双月|双月(?!刊)|隔月)"
    r"|(?P<quarterly>每(?:个|一)?季度?|每(?:三|3)个月|按季度?|逐季度?)"
    r"|(?P<monthly>每(?:个|一)?月|按月|逐月)"
    r"|(?P<semiannual>每半年度?|每(?:六|6)个月|每学期|上、?下半年各|上半年和下半年各)"
    r"|(?P<yearly>每(?:一)?年度?|每学年|按年度?|逐年)"
    # conditional ones, checked against their context in _accept()
    r"|(?P<half_year_bare>(?<![上下每])半年(?!度))"
    r"|(?P<timing>(?:年初|年中(?![央国共华心])|年底|年末|岁末|上半年|下半年|第?[一二三四1-4]季度(?:末|初)?"
    r"|(?:1[0-2]|[1-9]|十[一二]?|[一二三四五六七八九])月(?:(?:[1-3]?\d)日)?(?:份|底|末|初|中旬|上旬|下旬)?)"
    r"(?:前|以前|之前|内)?)"
    r"|(?P<adverb>年度|季度|月度)"
    r"|(?P<whole_year>全年|年内)"
)
_COUNT_RE = re.compile(
    rf"(?P<least>{_LEAST_BEFORE})?\s*(?<![第每统唯同逐])(?P<num>{_NUM})\s*(?P<unit>[{_UNIT}])(?!性)"
    r"(?P<plus>及以上|以上)?"
)
# 每位干部, 每份简报, 每次会议, 人均: counts per person or per instance, not per period.
_PER_ENTITY_RE = re.compile(r"每(?:位|名|人|个人|份|篇|条|项|期|次|场|堂|户|个(?:党员|干部|职工|同志|人))|人均|人人")
_BY_ACTOR_RE = re.compile(r"由(?P<actor>[^，,。；;、]{2,20}?)(?:牵头|负责|组织|统筹|主持|召集|具体负责)")
_LEAD_ACTOR_RE = re.compile(r"^(?P<actor>[^，,。；;]{2,16}?)(?:牵头|负责|参与|配合|协同)")
_ACTOR_SUFFIX_RE = re.compile(
    r"(?:党委|党组|党支部|支部|总支|支委|委员会|党工委|领导小组|工作小组|小组|专班|中心组|班子|成员|领导|"
    r"负责人|书记|主任|部长|局长|科长|处长|院长|校长|干部|党员|职工|同志|科室|处室|科|处|室|股|局|部|办|委|"
    r"厅|院|所|站|队|中心|机关|单位|部门|组织|学校|医院|会|团|工会|团委|妇联|员)"
    r"(?:[（(][^）)]{1,8}[）)])?$"
)
_NOT_ACTOR_START_RE = re.compile(
    r"^(?:开展|建立|健全|严格|结合|围绕|聚焦|利用|通过|依托|按照|对|向|将|把|坚持|落实|推动|加强|深化|完善|制定|"
    r"召开|举办|实行|实施|推行|强化|优化|做好|抓好|确保|针对|定期|在|于|从|为|以)"
)
_LEADING_FILLER_RE = re.compile(r"^(?:并且|并|同时|此外|另外|且|还|要|另|均)+")
# Words between the actor and the marker: "县委网信办要实行7×24小时…", "各科室均每月…". Not 组织 (基层党组织).
_TRAILING_MODAL_RE = re.compile(
    r"(?:原则上|要求|必须|需要|应当|坚持|带头|至少|一般|须|需|应|要|均|都|将|可|实行|实施|推行|执行|落实|开展|建立)+$")
_COUNT_ONLY_RE = re.compile(rf"^(?:且|并且)?(?:{_LEAST_BEFORE})?\s*{_NUM}\s*[{_UNIT}](?:及以上|以上)?$")

_PERCENT_RE = re.compile(
    r"(?P<cmp>不低于|不少于|不超过|不高于|低于|高于|达到|达|超过|至少|提升至|提高到|保持在|保持|控制在)?\s*"
    r"(?:(?P<num>\d+(?:\.\d+)?)\s*[%％]|百分之(?P<cn>[一二三四五六七八九十百]+))(?P<plus>以上)?"
)
_COUNT_TARGET_RE = re.compile(
    rf"(?P<cmp>不少于|不低于|至少|达到|超过|不得少于)\s*(?P<num>\d+(?:\.\d+)?|[{_CN}]+)\s*"
    r"(?P<unit>人次|学时|课时|小时|万人|万|次|期|场|轮|篇|批|回|个|项|人|家|条|件|名|所|部|集|分|天)(?!之)"
)
_AT_LEAST_WORDS = ("不低于", "不少于", "高于", "超过", "至少", "不得少于")


@dataclass(frozen=True)
class Obligation:
    frequency: str
    times: int | None
    at_least: bool
    activity: str
    actor: str | None
    quote: str
    timing: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Target:
    quote: str
    value: int | float
    unit: str
    at_least: bool

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Marker:
    start: int  # offsets inside the clause
    end: int
    frequency: str | None  # None: a timing hint only (年底, 3月底前)
    timing: str | None = None
    times: int | None = None  # slogans (一年两次) and 每半月 carry their own count
    needs_count: bool = False  # 全年/年内: an obligation only when a number follows


# ---------------------------------------------------------------- splitting


def _split(text: str, start: int, end: int, cuts: str) -> list[tuple[int, int]]:
    """Spans of text[start:end] cut at `cuts`, ignoring cuts inside quotes and brackets.

    A line break always cuts and resets the depth, so one unbalanced quote cannot swallow a paragraph.
    """
    spans: list[tuple[int, int]] = []
    depth, straight_quote, begin = 0, False, start
    for i in range(start, end):
        ch = text[i]
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif ch == '"':
            straight_quote = not straight_quote
        if ch == "\n":
            depth, straight_quote = 0, False
        elif depth or straight_quote or ch not in cuts:
            continue
        elif ch == "," and 0 < i < len(text) - 1 and text[i - 1].isdigit() and text[i + 1].isdigit():
            continue  # 1,000
        elif ch == "." and not (0 < i < len(text) - 1 and not text[i - 1].isascii() and not text[i + 1].isascii()):
            continue  # an ASCII dot ends a sentence only between Chinese characters (not 1.5, not v2.0)
        spans.append((begin, i))
        begin = i + 1
    spans.append((begin, end))
    return [(a, b) for a, b in (_strip_span(text, a, b) for a, b in spans) if b > a]


def _strip_span(text: str, start: int, end: int, joiners: str = "") -> tuple[int, int]:
    """Trim spaces and 、 at both ends (and `joiners` such as 和/及 at the end, between two markers)."""
    while start < end and text[start] in " \t\u3000、":
        start += 1
    while end > start and text[end - 1] in " \t\u3000、" + joiners:
        end -= 1
    return start, end


def sentences(text: str) -> list[tuple[int, int]]:
    return _split(text, 0, len(text), _SENTENCE_END)


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return _split(text, start, end, _CLAUSE_END)


# ---------------------------------------------------------------- markers


def _markers(clause: str) -> list[_Marker]:
    found: list[_Marker] = []
    for m in _MARKER_RE.finditer(clause):
        marker = _accept(m, clause)
        if marker is not None:
            found.append(marker)
    return found


def _accept(m: re.Match[str], clause: str) -> _Marker | None:
    """Turn a regex hit into a marker, or None when the context shows it is not a time marker."""
    kind = m.lastgroup if m.lastgroup and not m.lastgroup.startswith("slogan_") else "slogan"
    start, end, word = m.start(), m.end(), m.group()
    before, after = clause[:start], clause[end:]
    if kind == "slogan":
        period = m.group("slogan_period")
        frequency = {"周": "weekly", "月": "monthly", "季": "quarterly", "季度": "quarterly", "年": "yearly"}[period]
        count = to_int(m.group("slogan_n")) if m.group("slogan_n") else 1
        return _Marker(start, end, frequency, times=count)
    if kind == "semimonthly":
        return _Marker(start, end, "monthly", times=2)  # twice a month; the quote keeps the original wording
    if kind in FREQUENCIES:
        return _Marker(start, end, kind)
    if kind == "half_year_bare":
        if re.match(rf"(?:[一1]次|{_ACTIVITY_VERBS})", after):
            return _Marker(start, end, "semiannual")
        return None
    if kind == "adverb":
        if _verb_adjacent(before, after):
            return _Marker(start, end, {"年度": "yearly", "季度": "quarterly", "月度": "monthly"}[word])
        return None
    if kind == "whole_year":
        return _Marker(start, end, "yearly", needs_count=True)
    if kind == "timing":
        return _timing_marker(start, end, word, before, after)
    return None


def _verb_adjacent(before: str, after: str) -> bool:
    """年度开展… / 开展年度…: the word is an adverb of time. 纳入年度考核 / 年度预算: it is not."""
    if re.search(r"(?:纳入|列入|作为|结合|与|和|及|的|、)$", before):
        return False
    return bool(re.match(_ACTIVITY_VERBS, after)) or before.endswith(_LIGHT_VERBS)


def _timing_marker(start: int, end: int, word: str, before: str, after: str) -> _Marker | None:
    is_month = "月" in word and "季" not in word
    # A bare month ("7月") is a date in passing; it is a timing only with 底/前/份… or after 每年.
    if is_month and not re.search(r"(?:份|底|末|初|旬|前|内)$", word) and not before.endswith(("每年", "每年度")):
        return None
    if before.endswith(("截至", "截止", "到", "至")):
        return None  # 截至年底: a reporting date, not a commitment
    return _Marker(start, end, None, timing=word)


def _group(markers: list[_Marker]) -> list[list[_Marker]]:
    """Attach timing hints to the periodic marker of the same clause; lone hints stand on their own."""
    periodic = [m for m in markers if m.frequency is not None]
    if not periodic:
        return [[m] for m in markers]
    groups: list[list[_Marker]] = [[m] for m in periodic]
    for hint in (m for m in markers if m.frequency is None):
        nearest = min(groups, key=lambda g: abs(g[0].start - hint.start))
        nearest.append(hint)
    return groups


# ---------------------------------------------------------------- one obligation


def extract_obligations(text: str) -> list[Obligation]:
    """Every obligation in `text`, in reading order."""
    return analyse(text)[0]


def extract_targets(text: str) -> list[Target]:
    """Percent figures anywhere, and compared counts ("不少于4篇") in clauses that hold no obligation."""
    return analyse(text)[1]


def analyse(text: str) -> tuple[list[Obligation], list[Target]]:
    """Obligations and targets of `text` in one pass (a target never repeats a clause's obligation)."""
    obligations: list[Obligation] = []
    targets: list[Target] = []
    seen_obligations: set[tuple[str, int | None, str]] = set()
    seen_targets: set[tuple[str, float, str]] = set()
    for s_start, s_end in sentences(text):
        parts = clauses(text, s_start, s_end)
        for (c_start, c_end), found in zip(parts, _sentence_obligations(text, parts), strict=True):
            for obligation in found:
                key = (obligation.frequency, obligation.times, obligation.quote)
                if key not in seen_obligations:
                    seen_obligations.add(key)
                    obligations.append(obligation)
            for target in _clause_targets(text[c_start:c_end], bool(found)):
                target_key = (target.quote, float(target.value), target.unit)
                if target_key not in seen_targets:
                    seen_targets.add(target_key)
                    targets.append(target)
    return obligations, targets


def _sentence_obligations(text: str, parts: list[tuple[int, int]]) -> list[list[Obligation]]:
    """Obligations per clause of one sentence.

    A clause that only adds a count ("……，全年不少于12次") names no activity: it takes the one of the
    clause before it ("组织开展网评员培训，全年不少于4次" → yearly × 4 of 组织开展网评员培训).
    """
    result: list[list[Obligation]] = []
    for index in range(len(parts)):
        if index == 0:
            fallback = ""
        elif result[-1]:
            fallback = result[-1][-1].activity
        else:
            p_start, p_end = parts[index - 1]
            fallback = _shorten(text[p_start:p_end])
        result.append(_clause_obligations(text, parts, index, fallback))
    return result


def _clause_obligations(text: str, parts: list[tuple[int, int]], index: int, fallback: str) -> list[Obligation]:
    c_start, c_end = parts[index]
    clause = text[c_start:c_end]
    markers = _markers(clause)
    if not markers:
        return []
    groups = sorted(_group(markers), key=lambda g: g[0].start)
    result: list[Obligation] = []
    for k, group in enumerate(groups):
        # The first obligation keeps the clause head (its subject); later ones start at their marker.
        span_start = 0 if k == 0 else min(m.start for m in group)
        span_end = min(m.start for m in groups[k + 1]) if k + 1 < len(groups) else len(clause)
        obligation = _obligation(text, parts, index, c_start + span_start, c_start + span_end, group,
                                 result[-1].activity if result else fallback)
        if obligation is not None:
            result.append(obligation)
    return result


def _obligation(text: str, parts: list[tuple[int, int]], index: int, start: int, end: int,
                group: list[_Marker], fallback: str) -> Obligation | None:
    # Cut between two markers of one clause ("每月1次和全年12次"): drop the joining word too.
    start, end = _strip_span(text, start, end, "和及与并" if end < parts[index][1] else "")
    span = text[start:end]
    clause_start = parts[index][0]
    lead = min(group, key=lambda m: m.start)
    periodic = next((m for m in group if m.frequency is not None), lead)
    marker_start = lead.start + clause_start - start
    marker_end = max(m.end for m in group) + clause_start - start
    if _PER_ENTITY_RE.search(span):
        return None  # 每位干部每年撰写2篇: a per-person quota, not the organ's cadence
    count = _count(span, marker_end)
    quote_end = end
    if count is None and index + 1 < len(parts):
        # "每季度开展学习研讨，不少于1次": the count sits alone in the next clause.
        n_start, n_end = parts[index + 1]
        if _COUNT_ONLY_RE.match(text[n_start:n_end]):
            count = _COUNT_RE.search(text, n_start, n_end)
            quote_end = n_end
    if periodic.needs_count and count is None:
        return None  # 贯穿全年 is no cadence
    frequency = periodic.frequency or "yearly"  # a lone 年底/上半年 happens once in the plan's year
    activity = _activity(text, parts, index, span, marker_start, marker_end, count)
    if not activity and (periodic.frequency is None or count is None):
        return None  # 截至年底 / a marker with nothing to do after it
    actor, quote_start = _actor(text, parts, index, span[:marker_start], start)
    times = periodic.times if periodic.times is not None else (to_int(count.group("num")) if count else None)
    at_least = bool(count and (count.group("least") or count.group("plus"))) or _least_before(span, count)
    timing = next((m.timing for m in group if m.timing), None)
    return Obligation(frequency=frequency, times=times, at_least=at_least, activity=activity or fallback,
                      actor=actor, quote=text[quote_start:quote_end], timing=timing)


def _count(span: str, after: int) -> re.Match[str] | None:
    """The count of the activity: the first one after the marker, else one before it."""
    counts = [m for m in _COUNT_RE.finditer(span) if not _false_count(span, m)]
    return next((m for m in counts if m.start() >= after), None) or next(iter(counts), None)


def _false_count(span: str, m: re.Match[str]) -> bool:
    """新一轮 (a new round), 一条主线/一批 in passing, 三会一课's 一课: not counts of the activity."""
    before = span[: m.start("num")]
    return (m.group("unit") == "轮" and before.endswith("新")) or (
        m.group("unit") in "条批" and m.group("num") == "一" and not m.group("least"))


def _least_before(span: str, count: re.Match[str] | None) -> bool:
    """至少每月… / 每年至少组织2期: the bound may stand anywhere before the count."""
    end = count.start() if count is not None and count.string is span else len(span)
    return bool(re.search(_LEAST_BEFORE, span[:end]))


# ---------------------------------------------------------------- activity and actor


def _activity(text: str, parts: list[tuple[int, int]], index: int, span: str, marker_start: int,
              marker_end: int, count: re.Match[str] | None) -> str:
    after = span[marker_end:]
    if count is not None and count.string is span and count.start() >= marker_end:
        # Drop the count from the phrase: "开展1次专题研讨" → "开展专题研讨".
        a, b = count.start() - marker_end, count.end() - marker_end
        after = after[:a] + after[b:]
    after = _tidy(re.sub(rf"^(?:{_LEAST_BEFORE})", "", _tidy(after)))
    before = span[:marker_start]
    verb = next((v for v in _LIGHT_VERBS if before.endswith(v)), "")
    if verb and not _is_actor(before.strip()):  # 开展年度形势研判 (but 基层党组织每月… names an actor)
        return _shorten(verb + after)
    if len(after) > 2:
        return _shorten(after)
    # A bare verb ("每季度更新不少于1次"): find what is updated earlier in the sentence.
    subject = _tidy(before)
    if after and subject and not _ACTOR_SUFFIX_RE.search(subject) and not _NOT_ACTOR_START_RE.match(subject):
        return _shorten(after + subject)  # 领导小组会议每季度召开一次 → 召开领导小组会议
    if after:
        for p_start, p_end in reversed(parts[:index]):
            earlier = text[p_start:p_end]
            at = earlier.find(after)
            if at >= 0:
                return _shorten(earlier[at:])
    return _shorten(after or subject)


def _tidy(phrase: str) -> str:
    """Trim spaces, separators and unmatched quotes left at the ends of a phrase."""
    phrase = phrase.strip(" \t\u3000，,、。；;：:")
    for opener, closer in (("“", "”"), ("《", "》"), ("（", "）"), ("(", ")")):
        if phrase.count(opener) != phrase.count(closer):
            phrase = phrase.replace(opener, "").replace(closer, "")
    if phrase.count('"') % 2:
        phrase = phrase.replace('"', "")
    return phrase.strip(" \t\u3000，,、")


def _shorten(phrase: str, limit: int = 40) -> str:
    phrase = _tidy(phrase)
    return phrase if len(phrase) <= limit else phrase[: limit - 1] + "…"


def _actor(text: str, parts: list[tuple[int, int]], index: int, before: str, span_start: int) -> tuple[str | None, int]:
    """Who, when the clause says; also where the quote starts (earlier clauses that name the actor).

    "各党支部每周开展…" → 各党支部; "由部办公室牵头，各科室参与，每月召开1次会议" → 部办公室.
    """
    by = _BY_ACTOR_RE.search(before)
    if by:
        return by.group("actor"), span_start
    subject = _TRAILING_MODAL_RE.sub("", _LEADING_FILLER_RE.sub("", before.strip()))
    if _is_actor(subject):
        return subject, span_start
    # Walk back over the clauses that only name who leads or takes part.
    actor, quote_start = None, span_start
    for p_start, p_end in reversed(parts[:index]):
        earlier = text[p_start:p_end]
        match = _BY_ACTOR_RE.search(earlier) or _LEAD_ACTOR_RE.match(earlier)
        if not match or len(earlier) > 24 or _markers(earlier):
            break
        quote_start = p_start
        if _BY_ACTOR_RE.search(earlier) or earlier.endswith(("牵头", "负责")):
            actor = match.group("actor")
    if actor is not None and not (_is_actor(actor) or _BY_ACTOR_RE.search(text, quote_start, span_start)):
        actor = None
    return actor, (quote_start if actor else span_start)


def _is_actor(phrase: str) -> bool:
    return (2 <= len(phrase) <= 20 and bool(_ACTOR_SUFFIX_RE.search(phrase))
            and not _NOT_ACTOR_START_RE.match(phrase) and not re.search(r"[，,。；;“”\"]", phrase))


# ---------------------------------------------------------------- targets


def _clause_targets(clause: str, has_obligation: bool) -> list[Target]:
    targets = []
    for m in _PERCENT_RE.finditer(clause):
        value = _number(m.group("num")) if m.group("num") else to_int(m.group("cn"))
        if value is None:
            continue
        at_least = m.group("cmp") in _AT_LEAST_WORDS or bool(m.group("plus"))
        targets.append(Target(quote=clause, value=value, unit="%", at_least=at_least))
    if not has_obligation:
        for m in _COUNT_TARGET_RE.finditer(clause):
            value = _number(m.group("num")) if m.group("num")[0].isdigit() else to_int(m.group("num"))
            if value is not None:
                targets.append(Target(quote=clause, value=value, unit=m.group("unit"),
                                      at_least=m.group("cmp") in _AT_LEAST_WORDS))
    return targets


def _number(token: str) -> int | float:
    value = float(token)
    return int(value) if value.is_integer() else value
