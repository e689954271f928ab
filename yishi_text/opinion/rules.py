"""Keyword rules (监测规则): a small boolean language compiled once and matched with one Aho-Corasick
automaton over all the rules of all organizations.

Syntax (full-width （）｜＆－“”＂： are accepted too; error positions refer to what the user typed):

    自来水 | 供水            either term                      A|B
    自来水 & 停水            both terms; a space also means AND A&B, A B
    自来水 - 广告            A and not B; "-B" alone excludes B  A-B, A -B
    (自来水|供水)&(停水|水质) parentheses
    "COVID-19"              a quoted phrase; may contain operator characters and spaces
    泄漏 NEAR/10 化工厂      both terms start at most 10 characters apart (n from 1 to 1000);
                            operands of NEAR are terms or quoted phrases
    标题:(停水|断水)        the group must match in the title (also title:, 标题：); a rule whose
                            scope is "title" applies to the title only as a whole

Matching is substring matching on NFKC-normalized, lowercased text, so it does not depend on
word segmentation: "水质" matches inside "水质检测". A rule must require at least one term: "-A"
alone, or "A | -B", would match almost every item and is rejected.

Speed: each rule is indexed by a set of "trigger" terms, at least one of which must occur for the
rule to match; only rules with a trigger in the document are evaluated. With 2,000 rules of ten
terms each a document touches a few dozen rules, not 2,000.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick

SCOPES = ("all", "title")
MAX_NEAR = 1000
MAX_DEPTH = 32  # nested parentheses and prefixes; far beyond any real rule, well within Python's stack

_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "｜": "|", "＆": "&", "－": "-", "“": '"', "”": '"', "＂": '"',
                            "：": ":"})
_OPERATORS = "()|&-"
_TITLE_PREFIXES = ("标题:", "title:")
_NEAR = re.compile(r"near/(.*)", re.IGNORECASE | re.DOTALL)
_SPACES = re.compile(r"\s+")
_BARE_WORD = re.compile(r'[^()|&\-"\s]+')


class RuleSyntaxError(ValueError):
    """A rule that cannot be compiled: a Chinese message and the 0-based offset in the expression."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message, position)  # both in args: the error survives pickling (task results)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return self.message


# ---- syntax tree -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Node:
    position: int

    def terms(self) -> list[Term]:
        return []


@dataclass(frozen=True, eq=False)
class Term(Node):
    text: str  # as the user wrote it (without quotes): what "matched terms" show
    key: str  # NFKC, lowercased, whitespace collapsed: what is searched for

    def terms(self) -> list[Term]:
        return [self]


@dataclass(frozen=True, eq=False)
class And(Node):
    items: tuple[Node, ...]

    def terms(self) -> list[Term]:
        return [t for item in self.items for t in item.terms()]


@dataclass(frozen=True, eq=False)
class Or(Node):
    items: tuple[Node, ...]

    def terms(self) -> list[Term]:
        return [t for item in self.items for t in item.terms()]


@dataclass(frozen=True, eq=False)
class Not(Node):
    item: Node

    def terms(self) -> list[Term]:
        return self.item.terms()


@dataclass(frozen=True, eq=False)
class Near(Node):
    left: Term
    right: Term
    distance: int

    def terms(self) -> list[Term]:
        return [self.left, self.right]


@dataclass(frozen=True, eq=False)
class Title(Node):
    item: Node

    def terms(self) -> list[Term]:
        return self.item.terms()


# ---- tokenizer ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # one of ( ) | & - TERM NEAR TITLE EOF
    position: int
    text: str
    value: object = None


def _term_key(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def _at(position: int) -> str:
    return f"第 {position + 1} 个字符处"


def _tokenize(expression: str) -> list[_Token]:
    mapped = expression.translate(_FULLWIDTH)  # same length: positions stay those of the original
    tokens: list[_Token] = []
    i, n = 0, len(mapped)
    while i < n:
        char = mapped[i]
        if char.isspace():
            i += 1
        elif char in _OPERATORS:
            tokens.append(_Token(char, i, expression[i]))
            i += 1
        elif char == '"':
            i = _quoted(expression, mapped, i, tokens)
        else:
            i = _bare(expression, mapped, i, tokens)
    tokens.append(_Token("EOF", n, ""))
    return tokens


def _quoted(expression: str, mapped: str, start: int, tokens: list[_Token]) -> int:
    end = mapped.find('"', start + 1)
    if end < 0:
        raise RuleSyntaxError(f"{_at(start)}的引号没有配对的右引号", start)
    text = expression[start + 1:end]
    key = _term_key(text)
    if not key:
        raise RuleSyntaxError(f"{_at(start)}的引号内为空", start)
    tokens.append(_Token("TERM", start, expression[start:end + 1], Term(start, text.strip(), key)))
    return end + 1


def _bare(expression: str, mapped: str, start: int, tokens: list[_Token]) -> int:
    end = _BARE_WORD.match(mapped, start).end()  # type: ignore[union-attr]
    word = mapped[start:end]
    lowered = word.lower()
    for prefix in _TITLE_PREFIXES:
        if lowered.startswith(prefix):
            # 标题:(…) or 标题:词 — the rest of the word is read as the next token.
            tokens.append(_Token("TITLE", start, expression[start:start + len(prefix)]))
            return start + len(prefix)
    near = _NEAR.fullmatch(word)
    if near:
        digits = near.group(1)
        if not (digits.isascii() and digits.isdigit() and 1 <= int(digits) <= MAX_NEAR):
            raise RuleSyntaxError(f"{_at(start)}的“{expression[start:end]}”有误：NEAR/n 中的 n 须为 1 到 {MAX_NEAR} 的整数",
                                  start)
        tokens.append(_Token("NEAR", start, expression[start:end], int(digits)))
        return end
    text = expression[start:end]
    key = _term_key(text)
    if not key:
        raise RuleSyntaxError(f"{_at(start)}的检索词无效", start)
    tokens.append(_Token("TERM", start, text, Term(start, text, key)))
    return end


# ---- parser --------------------------------------------------------------------------------------

_STARTS_OPERAND = frozenset({"TERM", "(", "-", "TITLE"})


class _Parser:
    def __init__(self, expression: str) -> None:
        self.tokens = _tokenize(expression)
        self.index = 0
        self.depth = 0

    def nested(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise RuleSyntaxError(f"{_at(token.position)}：括号或前缀嵌套超过 {MAX_DEPTH} 层", token.position)

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def operand_after(self, op: _Token) -> None:
        """Raise when an operator is not followed by something it can apply to ("A|", "A&)")."""
        if self.peek().kind not in _STARTS_OPERAND:
            raise RuleSyntaxError(f"{_at(op.position)}的“{op.text}”后面缺少检索词", op.position)

    def parse(self) -> Node:
        if self.peek().kind == "EOF":
            raise RuleSyntaxError("规则为空，请输入检索词", 0)
        node = self.parse_or()
        token = self.peek()
        if token.kind == ")":
            raise RuleSyntaxError(f"{_at(token.position)}的右括号没有对应的左括号", token.position)
        if token.kind != "EOF":  # pragma: no cover - every other token is consumed by the loops above
            raise RuleSyntaxError(f"{_at(token.position)}的“{token.text}”无法识别", token.position)
        return node

    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.peek().kind == "|":
            self.operand_after(self.take())
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(items[0].position, tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while True:
            kind = self.peek().kind
            if kind == "&":
                self.operand_after(self.take())
                items.append(self.parse_unary())
            elif kind in _STARTS_OPERAND:
                # "A B" means A & B; binary "A-B" means A & -B, which the unary minus already reads.
                items.append(self.parse_unary())
            else:
                break
        return items[0] if len(items) == 1 else And(items[0].position, tuple(items))

    def parse_unary(self) -> Node:
        token = self.peek()
        if token.kind not in ("-", "TITLE"):
            return self.parse_near()
        self.take()
        self.operand_after(token)
        self.nested(token)
        item = self.parse_unary()
        self.depth -= 1
        return Not(token.position, item) if token.kind == "-" else Title(token.position, item)

    def parse_near(self) -> Node:
        left = self.parse_primary()
        token = self.peek()
        if token.kind != "NEAR":
            return left
        self.take()
        if not isinstance(left, Term):
            raise RuleSyntaxError(f"{_at(token.position)}的“{token.text}”前面须是检索词或引号短语，不能是括号组合",
                                  token.position)
        if self.peek().kind != "TERM":
            raise RuleSyntaxError(f"{_at(token.position)}的“{token.text}”后面须是检索词或引号短语", token.position)
        right = self.parse_primary()
        following = self.peek()
        if following.kind == "NEAR":
            raise RuleSyntaxError(f"{_at(following.position)}：NEAR 不能连用，请用括号和 & 组合", following.position)
        return Near(left.position, left, right, token.value)  # type: ignore[arg-type]

    def parse_primary(self) -> Node:
        token = self.peek()
        if token.kind == "TERM":
            self.take()
            return token.value  # type: ignore[return-value]
        if token.kind == "(":
            self.take()
            if self.peek().kind == ")":
                raise RuleSyntaxError(f"{_at(token.position)}的括号内为空", token.position)
            self.nested(token)
            node = self.parse_or()
            self.depth -= 1
            closing = self.peek()
            if closing.kind != ")":
                raise RuleSyntaxError(f"{_at(closing.position)}缺少右括号（与第 {token.position + 1} 个字符处的左括号配对）",
                                      closing.position)
            self.take()
            return node
        if token.kind == "EOF":
            raise RuleSyntaxError(f"{_at(token.position)}缺少检索词", token.position)
        raise RuleSyntaxError(f"{_at(token.position)}的“{token.text}”前面缺少检索词", token.position)


def _required(node: Node) -> list[Term] | None:
    """Terms at least one of which must occur for the node to be true; None when it can be true
    without any term occurring (a negation)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Near):
        return [node.left]
    if isinstance(node, Title):
        return _required(node.item)
    if isinstance(node, Not):
        return None
    if isinstance(node, And):
        options = [found for found in map(_required, node.items) if found is not None]
        return min(options, key=len) if options else None
    assert isinstance(node, Or)
    union: list[Term] = []
    for item in node.items:
        found = _required(item)
        if found is None:
            return None
        union.extend(found)
    return union


def _negative_branch(node: Node) -> Node | None:
    """The OR branch to point at when a rule can match without any term occurring (None when the
    problem is not an OR branch: then the rule as a whole has only exclusions)."""
    if isinstance(node, Title):
        return _negative_branch(node.item)
    if isinstance(node, And):
        # Every part lacks a requirement; an OR among them is the one to fix.
        return next((found for item in node.items if (found := _negative_branch(item)) is not None), None)
    if isinstance(node, Or):
        for item in node.items:
            if _required(item) is None:
                return _negative_branch(item) or item
    return None


def parse(expression: str) -> Node:
    """The syntax tree of a rule; raises RuleSyntaxError with a Chinese message and a position."""
    node = _Parser(expression or "").parse()
    if _required(node) is None:
        branch = _negative_branch(node)
        if branch is None:
            raise RuleSyntaxError("规则不能只有排除词，请至少写一个必须出现的检索词", node.position)
        raise RuleSyntaxError(f"{_at(branch.position)}：规则不能只有排除词——“|”的每个分支都须包含必须出现的检索词",
                              branch.position)
    return node


def terms(expression: str) -> list[str]:
    """The distinct terms of a valid rule as written (for the segmenter's user dictionary)."""
    return list(dict.fromkeys(term.text for term in parse(expression).terms()))


# ---- matching ------------------------------------------------------------------------------------

Hits = dict[int, list[int]]  # term id -> start offsets (characters for NEAR terms), in increasing order
_Eval = Callable[[Hits, Hits], bool]  # (hits in scope, hits in the title) -> matched?


def _near(first: list[int] | None, second: list[int] | None, distance: int, same: bool) -> bool:
    if not first or not second:
        return False
    if same:  # "A NEAR/5 A": two occurrences of A
        return any(b - a <= distance for a, b in zip(first, first[1:], strict=False))
    i = j = 0
    while i < len(first) and j < len(second):
        gap = first[i] - second[j]
        if -distance <= gap <= distance:
            return True
        if gap < 0:
            i += 1
        else:
            j += 1
    return False


@dataclass
class _Compiled:
    rule_id: int
    evaluate: _Eval
    title_only: bool
    positive: list[tuple[int, str, bool]]  # (term id, as written, inside 标题:(…))


class RuleSet:
    """Many rules, one automaton. Invalid rules are left out and reported in `errors`."""

    def __init__(self, rules: Iterable[tuple[int, str, str]]) -> None:
        self.errors: dict[int, RuleSyntaxError] = {}
        self._ids: dict[str, int] = {}
        self._rules: list[_Compiled] = []
        self._near_ids: set[int] = set()
        triggers: dict[int, set[int]] = {}
        for rule_id, expression, scope in rules:
            try:
                if scope not in SCOPES:
                    raise RuleSyntaxError(f"未知的匹配范围：{scope}", 0)
                node = parse(expression)
            except RuleSyntaxError as error:
                self.errors[rule_id] = error
                continue
            index = len(self._rules)
            positive: list[tuple[int, str, bool]] = []
            self._collect_positive(node, False, False, positive)
            self._rules.append(_Compiled(rule_id, self._compile(node), scope == "title", positive))
            for term in _required(node) or ():
                triggers.setdefault(self._ids[term.key], set()).add(index)
        self._triggers = {term_id: tuple(sorted(indexes)) for term_id, indexes in triggers.items()}
        self._collapse_spaces = any(" " in key for key in self._ids)
        self._near_terms = frozenset(self._near_ids)
        self._automaton = None
        if self._ids:
            automaton = ahocorasick.Automaton()
            for key, term_id in self._ids.items():
                encoded = key.encode("utf-8")
                automaton.add_word(encoded.decode("latin-1"), (term_id, len(encoded)))
            automaton.make_automaton()
            self._automaton = automaton

    def __len__(self) -> int:
        return len(self._rules)

    def _term_id(self, term: Term) -> int:
        return self._ids.setdefault(term.key, len(self._ids))

    def _compile(self, node: Node) -> _Eval:
        if isinstance(node, Term):
            term_id = self._term_id(node)
            return lambda hits, title: term_id in hits
        if isinstance(node, Near):
            left, right, distance = self._term_id(node.left), self._term_id(node.right), node.distance
            same = left == right
            self._near_ids.update((left, right))
            return lambda hits, title: _near(hits.get(left), hits.get(right), distance, same)
        if isinstance(node, Not):
            inner = self._compile(node.item)
            return lambda hits, title: not inner(hits, title)
        if isinstance(node, Title):
            inner = self._compile(node.item)
            return lambda hits, title: inner(title, title)
        return self._compile_group(node)  # type: ignore[arg-type]

    def _compile_group(self, node: And | Or) -> _Eval:
        # Plain terms of a group are checked with one set operation (C speed); the rest one by one.
        ids = frozenset(self._term_id(item) for item in node.items if isinstance(item, Term))
        parts = tuple(self._compile(item) for item in node.items if not isinstance(item, Term))
        if isinstance(node, And):
            if not parts:
                return lambda hits, title: ids <= hits.keys()
            if not ids and len(parts) == 2:
                first, second = parts
                return lambda hits, title: first(hits, title) and second(hits, title)
            return lambda hits, title: ids <= hits.keys() and all(part(hits, title) for part in parts)
        if not parts:
            return lambda hits, title: not ids.isdisjoint(hits)
        if not ids and len(parts) == 2:
            first, second = parts
            return lambda hits, title: first(hits, title) or second(hits, title)
        return lambda hits, title: not ids.isdisjoint(hits) or any(part(hits, title) for part in parts)

    def _collect_positive(self, node: Node, negated: bool, in_title: bool,
                          out: list[tuple[int, str, bool]]) -> None:
        if isinstance(node, Term):
            if not negated:
                out.append((self._term_id(node), node.text, in_title))
        elif isinstance(node, Near):
            for term in (node.left, node.right):
                self._collect_positive(term, negated, in_title, out)
        elif isinstance(node, Not):
            self._collect_positive(node.item, not negated, in_title, out)
        elif isinstance(node, Title):
            self._collect_positive(node.item, negated, True, out)
        else:
            for item in node.items:  # type: ignore[attr-defined]
                self._collect_positive(item, negated, in_title, out)

    def _scan(self, title: str, body: str) -> tuple[Hits, Hits]:
        """Term hits in the whole item and in its title.

        The automaton runs over UTF-8 bytes (as latin-1 code points): with thousands of CJK terms a
        trie node over characters has thousands of children, over bytes at most 256, and the scan is
        ~7× faster (measured with 20,000 terms). Offsets are therefore byte offsets; only terms used
        by NEAR/n, which counts characters, are converted.
        """
        title = unicodedata.normalize("NFKC", title or "").lower()
        body = unicodedata.normalize("NFKC", body or "").lower()
        if self._collapse_spaces:
            title, body = _SPACES.sub(" ", title), _SPACES.sub(" ", body)
        # One scan over both; "\n" never occurs in a term, so no term spans the two parts.
        data = f"{title}\n{body}".encode()
        boundary = len(title.encode())
        near_terms = self._near_terms
        hits: Hits = {}
        title_hits: Hits = {}
        for end, (term_id, length) in self._automaton.iter(data.decode("latin-1")):  # type: ignore[union-attr]
            start = end - length + 1
            in_title = start < boundary
            if term_id in near_terms:
                # UTF-8 is self-synchronizing: a match always starts on a character boundary.
                start = len(data[:start].decode())
            found = hits.get(term_id)
            if found is None:
                hits[term_id] = [start]
            else:
                found.append(start)
            if in_title:
                title_hits.setdefault(term_id, []).append(start)
        return hits, title_hits

    def match(self, title: str, body: str) -> dict[int, list[str]]:
        """rule_id -> the rule's (non-excluded) terms found, sorted, for each rule the item matches."""
        if self._automaton is None:
            return {}
        hits, title_hits = self._scan(title, body)
        candidates: set[int] = set()
        for term_id in hits:
            candidates.update(self._triggers.get(term_id, ()))
        result: dict[int, list[str]] = {}
        for index in sorted(candidates):
            rule = self._rules[index]
            scope = title_hits if rule.title_only else hits
            if rule.evaluate(scope, title_hits):
                found = {text for term_id, text, in_title in rule.positive
                         if term_id in (title_hits if in_title else scope)}
                result[rule.rule_id] = sorted(found)
        return result


def test_rule(expression: str, scope: str, docs: list[tuple[str, str]]) -> list[list[str] | None]:
    """For the rule editor: per (title, body), the matched terms or None. Raises RuleSyntaxError."""
    ruleset = RuleSet([(0, expression, scope)])
    if 0 in ruleset.errors:
        raise ruleset.errors[0]
    return [ruleset.match(title, body).get(0) for title, body in docs]


test_rule.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported into one
