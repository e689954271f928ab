from __future__ import annotations

import random
import time

import pytest

from yishi_text.opinion.rules import (
    And,
    Near,
    Not,
    Or,
    RuleSet,
    RuleSyntaxError,
    Term,
    Title,
    parse,
    terms,
    test_rule,
)

from .people_daily import articles

TITLE = "某市自来水厂发生泄漏 停水通知"
BODY = "今天上午，某市自来水厂发生化工原料泄漏事故，全市停水。市民反映水质问题。COVID-19 防控不受影响。"

# (expression, scope, matched terms or None) against (TITLE, BODY)
MATCHES = [
    ("自来水", "all", ["自来水"]),
    ("自来水|供水", "all", ["自来水"]),
    ("供水|燃气", "all", None),
    ("自来水&停水", "all", ["停水", "自来水"]),
    ("自来水 停水", "all", ["停水", "自来水"]),
    ("自来水 燃气", "all", None),
    ("自来水-广告", "all", ["自来水"]),
    ("自来水-泄漏", "all", None),
    ("自来水 -泄漏", "all", None),
    ("自来水 -(燃气|广告)", "all", ["自来水"]),
    ("(自来水|供水)&(停水|断水)-广告", "all", ["停水", "自来水"]),
    ("(供水|燃气)&停水", "all", None),
    ("（自来水｜供水）＆停水－广告", "all", ["停水", "自来水"]),  # full-width operators
    ("“化工原料泄漏”", "all", ["化工原料泄漏"]),
    ('"化工原料 泄漏"', "all", None),
    ('"covid-19"', "all", ["covid-19"]),  # quoted: "-" is not an operator; case-insensitive
    ("COVID-19", "all", None),  # bare: COVID and not 19
    ("ＣＯＶＩＤ", "all", ["ＣＯＶＩＤ"]),  # full-width letters fold to covid
    ("Covid", "all", ["Covid"]),
    ("自来水|自来水厂|来水", "all", ["来水", "自来水", "自来水厂"]),  # overlapping terms all count
    ("水质 NEAR/5 市民", "all", ["市民", "水质"]),
    ("水质 NEAR/3 市民", "all", None),
    ("市民 near/4 水质", "all", ["市民", "水质"]),
    ('"自来水厂" NEAR/10 泄漏', "all", ["泄漏", "自来水厂"]),
    ("停水 NEAR/1 停水", "all", None),  # one occurrence is not two
    ("停水", "title", ["停水"]),
    ("水质", "title", None),
    ("标题:(停水|断水) 水质", "all", ["停水", "水质"]),
    ("标题：水质", "all", None),
    ("title:泄漏", "all", ["泄漏"]),
    ("水质 | -广告 自来水", "all", ["水质", "自来水"]),
    ("(自来水 | 供水) (泄漏 -(燃气 | 广告))", "all", ["泄漏", "自来水"]),
]


@pytest.mark.parametrize(("expression", "scope", "expected"), MATCHES)
def test_match_table(expression, scope, expected):
    assert test_rule(expression, scope, [(TITLE, BODY)]) == [expected]


def test_title_scope_ignores_the_body():
    docs = [("停水通知", "自来水厂检修"), ("自来水厂检修", "停水")]
    assert test_rule("停水", "title", docs) == [["停水"], None]
    assert test_rule("停水", "all", docs) == [["停水"], ["停水"]]


def test_negated_terms_are_not_reported_and_or_reports_all_hits():
    assert test_rule("(自来水|停水)-燃气", "all", [(TITLE, BODY)]) == [["停水", "自来水"]]


@pytest.mark.parametrize(("expression", "position", "message"), [
    ("", 0, "规则为空，请输入检索词"),
    ("  ", 0, "规则为空，请输入检索词"),
    ("(自来水|供水", 7, "第 8 个字符处缺少右括号（与第 1 个字符处的左括号配对）"),
    ("（自来水|供水", 7, "第 8 个字符处缺少右括号（与第 1 个字符处的左括号配对）"),
    ("自来水|供水)", 6, "第 7 个字符处的右括号没有对应的左括号"),
    ("自来水|", 3, "第 4 个字符处的“|”后面缺少检索词"),
    ("自来水｜", 3, "第 4 个字符处的“｜”后面缺少检索词"),
    ("|自来水", 0, "第 1 个字符处的“|”前面缺少检索词"),
    ("自来水&", 3, "第 4 个字符处的“&”后面缺少检索词"),
    ("自来水-", 3, "第 4 个字符处的“-”后面缺少检索词"),
    ("自来水 & | 供水", 4, "第 5 个字符处的“&”后面缺少检索词"),
    ("自来水 ()", 4, "第 5 个字符处的括号内为空"),
    ('自来水 ""', 4, "第 5 个字符处的引号内为空"),
    ("自来水 “ ”", 4, "第 5 个字符处的引号内为空"),
    ('自来水 "停水', 4, "第 5 个字符处的引号没有配对的右引号"),
    ("水质 NEAR/0 市民", 3, "第 4 个字符处的“NEAR/0”有误：NEAR/n 中的 n 须为 1 到 1000 的整数"),
    ("水质 NEAR/1001 市民", 3, "第 4 个字符处的“NEAR/1001”有误：NEAR/n 中的 n 须为 1 到 1000 的整数"),
    ("水质 NEAR/x 市民", 3, "第 4 个字符处的“NEAR/x”有误：NEAR/n 中的 n 须为 1 到 1000 的整数"),
    ("水质 NEAR/ 市民", 3, "第 4 个字符处的“NEAR/”有误：NEAR/n 中的 n 须为 1 到 1000 的整数"),
    ("水质 NEAR/５ 市民", 3, "第 4 个字符处的“NEAR/５”有误：NEAR/n 中的 n 须为 1 到 1000 的整数"),
    ("(水质|水压) NEAR/5 市民", 8, "第 9 个字符处的“NEAR/5”前面须是检索词或引号短语，不能是括号组合"),
    ("水质 NEAR/5 (市民)", 3, "第 4 个字符处的“NEAR/5”后面须是检索词或引号短语"),
    ("水质 NEAR/5", 3, "第 4 个字符处的“NEAR/5”后面须是检索词或引号短语"),
    ("NEAR/5 水质", 0, "第 1 个字符处的“NEAR/5”前面缺少检索词"),
    ("水 NEAR/2 质 NEAR/2 压", 11, "第 12 个字符处：NEAR 不能连用，请用括号和 & 组合"),
    ("-广告", 0, "规则不能只有排除词，请至少写一个必须出现的检索词"),
    ("-广告 -推广", 0, "规则不能只有排除词，请至少写一个必须出现的检索词"),
    ("(-广告)", 1, "规则不能只有排除词，请至少写一个必须出现的检索词"),
    ("停水 | -广告", 5, "第 6 个字符处：规则不能只有排除词——“|”的每个分支都须包含必须出现的检索词"),
    ("(停水 | 断水 -广告) | (-推广 -软文)", 17, "第 18 个字符处：规则不能只有排除词——“|”的每个分支都须包含必须出现的检索词"),
    ("-广告 标题:(-推广)", 0, "规则不能只有排除词，请至少写一个必须出现的检索词"),
    ("--停水", 0, "规则不能只有排除词，请至少写一个必须出现的检索词"),
    ("标题:", 0, "第 1 个字符处的“标题:”后面缺少检索词"),
    ("((停水)", 5, "第 6 个字符处缺少右括号（与第 1 个字符处的左括号配对）"),
])
def test_syntax_errors_have_positions(expression, position, message):
    with pytest.raises(RuleSyntaxError) as caught:
        parse(expression)
    assert caught.value.position == position
    assert caught.value.message == message
    assert str(caught.value) == message


def test_deep_nesting_is_an_error_not_a_crash():
    assert test_rule("(" * 32 + "停水" + ")" * 32, "all", [("停水", "")]) == [["停水"]]
    with pytest.raises(RuleSyntaxError, match="括号或前缀嵌套超过 32 层") as caught:
        parse("(" * 5000 + "停水" + ")" * 5000)
    assert caught.value.position == 32
    with pytest.raises(RuleSyntaxError, match="括号或前缀嵌套超过 32 层"):
        parse("停水 " + "-" * 5000 + "广告")


def test_error_survives_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(RuleSyntaxError("第 3 个字符处缺少检索词", 2)))  # noqa: S301 - our own bytes
    assert (error.message, error.position, str(error)) == ("第 3 个字符处缺少检索词", 2, "第 3 个字符处缺少检索词")


def test_parse_tree_shapes():
    node = parse('(自来水|供水)&停水 -广告 "A B" NEAR/3 c 标题:x')
    assert isinstance(node, And)
    assert isinstance(node.items[0], Or) and [t.text for t in node.items[0].items] == ["自来水", "供水"]
    assert isinstance(node.items[2], Not) and node.items[2].item.text == "广告"
    near = node.items[3]
    assert isinstance(near, Near) and near.left.key == "a b" and near.distance == 3
    assert isinstance(node.items[4], Title) and isinstance(node.items[4].item, Term)
    assert node.items[1].position == 9  # positions are those of the user's string


def test_terms_lists_distinct_terms_as_written():
    assert terms('(自来水|供水)&停水-广告 "COVID-19" 自来水') == ["自来水", "供水", "停水", "广告", "COVID-19"]


def test_test_rule_raises_on_bad_rule():
    with pytest.raises(RuleSyntaxError):
        test_rule("(停水", "all", [("停水", "")])


def test_ruleset_keeps_valid_rules_when_others_are_invalid():
    ruleset = RuleSet([(1, "停水", "all"), (2, "(停水", "all"), (3, "-广告", "all"), (4, "水质", "body"),
                       (5, "泄漏 & 水质", "all")])
    assert set(ruleset.errors) == {2, 3, 4}
    assert ruleset.errors[4].message == "未知的匹配范围：body"
    assert len(ruleset) == 2
    assert ruleset.match(TITLE, BODY) == {1: ["停水"], 5: ["水质", "泄漏"]}
    assert ruleset.match("无关标题", "无关正文") == {}
    assert RuleSet([]).match(TITLE, BODY) == {}


def test_near_counts_characters_not_bytes():
    # "é" is 2 bytes and CJK 3 bytes in UTF-8; NEAR must count characters.
    assert test_rule("泄漏 NEAR/4 化工厂", "all", [("", "化工厂é泄漏"), ("", "化工厂éé泄漏")]) == [
        ["化工厂", "泄漏"], None]
    assert test_rule("化工厂 NEAR/6 泄漏", "all", [("化工厂", "泄漏"), ("", "泄漏éé化工厂")]) == [
        ["化工厂", "泄漏"], ["化工厂", "泄漏"]]


def _pseudo_dictionary(rng: random.Random, count: int) -> list[str]:
    """Distinct two-to-four-character words drawn from the corpus itself (common and rare ones)."""
    text = "".join(p for a in articles()[:600] for p in a)
    words: set[str] = set()
    while len(words) < count:
        start = rng.randrange(len(text) - 4)
        word = text[start:start + rng.choice((2, 2, 3, 4))]
        if all("\u4e00" <= ch <= "\u9fff" for ch in word):
            words.add(word)
    return sorted(words)


def test_two_thousand_rules_agree_with_one_by_one_matching():
    """One automaton over 2,000 rules gives exactly what each rule gives on its own, and is fast."""
    rng = random.Random(7)
    words = _pseudo_dictionary(rng, 20_000)
    rng.shuffle(words)
    rules = []
    for rule_id in range(2_000):
        t = words[rule_id * 10:(rule_id + 1) * 10]
        shape = rule_id % 4
        if shape == 0:
            expression = f"({t[0]}|{t[1]}|{t[2]})&({t[3]}|{t[4]})-{t[5]}"
        elif shape == 1:
            expression = f"{t[0]} NEAR/30 {t[1]} | {t[2]} {t[3]} -({t[4]}|{t[5]})"
        elif shape == 2:
            expression = f"{t[0]}|{t[1]}|{t[2]}|{t[3]}|{t[4]}|{t[5]}|{t[6]}|{t[7]}|{t[8]}|{t[9]}"
        else:
            expression = f"标题:({t[0]}|{t[1]}) {t[2]}"
        rules.append((rule_id, expression, "title" if rule_id % 10 == 9 else "all"))
    ruleset = RuleSet(rules)
    assert ruleset.errors == {}
    docs = [(a[0], "\n".join(a[1:])) for a in articles()[600:800]]
    started = time.perf_counter()
    combined = [ruleset.match(title, body) for title, body in docs]
    elapsed = time.perf_counter() - started
    assert sum(len(found) for found in combined) > 50  # the table is not trivially empty
    matched = sorted({rule_id for found in combined for rule_id in found})
    # Rules that matched somewhere (the interesting ones) and some that may not have.
    sampled = [rules[i] for i in rng.sample(matched, min(40, len(matched)))] + rng.sample(rules, 20)
    for rule_id, expression, scope in sampled:
        alone = test_rule(expression, scope, docs)
        assert [found.get(rule_id) for found in combined] == alone, expression
    assert len(docs) / elapsed > 300  # loose: the real figure (≥ 3,000 docs/s) is in the benchmark
