"""The five real sample plans in ../shared/samples/plans (skipped when ../shared is absent)."""

from __future__ import annotations

import pytest


def obligations_of(item):
    return [(o.frequency, o.times, o.at_least) for o in item.obligations]


def assert_well_formed(plan, sections, items_per_section):
    assert [s.number for s in plan.sections] == list(range(1, sections + 1))
    assert [len(s.items) for s in plan.sections] == [items_per_section] * sections
    assert [i.number for i in plan.items] == list(range(1, sections * items_per_section + 1))
    assert len({i.title for i in plan.items}) == len(plan.items), "duplicate items"
    for item in plan.items:
        for obligation in item.obligations:
            assert obligation.quote in item.text or obligation.quote in item.title


# ---------------------------------------------------------------- 市政府机关: outline first, then a cut-off text


def test_government_plan_merges_its_leading_outline(sample):
    plan = sample("市政府机关")
    assert_well_formed(plan, 6, 4)
    assert (plan.title, plan.organization, plan.year) == ("2026年市政府机关意识形态工作要点", "市政府机关", 2026)
    assert plan.preamble.startswith("2026年市政府机关意识形态工作的指导思想是")
    assert not plan.outline_only
    first = plan.sections[0]
    assert (first.title, first.heading) == ("深化理论武装", "深化理论武装,筑牢思想根基")
    assert [s.title for s in plan.sections[3:]] == ["深化文明培育", "防范化解风险", "提升能力素质"]


def test_government_plan_keeps_full_text_and_outline_only_titles(sample):
    plan = sample("市政府机关")
    items = plan.items
    assert items[0].title == "建立健全习近平新时代中国特色社会主义思想常态化学习机制"
    assert items[0].text.startswith("制定市政府机关年度理论学习计划")
    assert all(item.text for item in items[:11])
    assert [item.text for item in items[11:]] == [""] * 13
    assert items[23].title == "构建意识形态工作队伍保障体系"


def test_government_plan_warns_about_the_cut_off_item(sample):
    plan = sample("市政府机关")
    assert plan.items[10].text.endswith("深入挖掘其中蕴含的意识形态")
    assert any("第11条" in w and "中断" in w for w in plan.warnings)
    assert any("第12—24条" in w and "提纲" in w for w in plan.warnings)


def test_government_plan_item_6_skips_vague_cadences(sample):
    item = sample("市政府机关").items[5]
    assert "定期召开" in item.text and "第一时间报告" in item.text
    assert obligations_of(item) == [("quarterly", None, False)]
    assert item.obligations[0].quote == "每季度对各单位、各领域意识形态风险进行全面排查"


# ---------------------------------------------------------------- 市委组织部: own-line titles, 过渡句 noise


def test_organization_department_structure(sample):
    plan = sample("市委组织部")
    assert_well_formed(plan, 6, 4)
    assert (plan.organization, plan.year) == ("市委组织部", 2026)
    assert plan.sections[1].heading == "聚焦责任闭环落实,健全工作运行机制"
    assert plan.items[0].title == "构建分层分类研学体系"
    assert plan.preamble.startswith("2026年,市委组织部机关意识形态工作")


def test_organization_department_drops_editorial_labels_but_keeps_sentences(sample):
    plan = sample("市委组织部")
    assert not any("过渡句" in item.text for item in plan.items)
    assert "紧扣组织工作核心职能优化学习供给" in plan.items[0].text
    assert any("过渡句" in w for w in plan.warnings)


def test_organization_department_item_1(sample):
    item = sample("市委组织部").items[0]
    by_quote = {o.quote: o for o in item.obligations}
    assert list(by_quote) == ["每月开展1次理论学习中心组专题研讨", "各党支部每周开展“党建+业务”融合式学习",
                              "每季度举办“组织工作讲坛”", "每半年开展1次学用成效评估"]
    assert obligations_of(item) == [("monthly", 1, False), ("weekly", None, False), ("quarterly", None, False),
                                    ("semiannual", 1, False)]
    assert by_quote["各党支部每周开展“党建+业务”融合式学习"].actor == "各党支部"
    assert by_quote["每月开展1次理论学习中心组专题研讨"].activity == "开展理论学习中心组专题研讨"
    assert not any("每位干部" in o.quote for o in item.obligations)


def test_organization_department_responsibility_items(sample):
    items = sample("市委组织部").items
    item5 = items[4]
    assert [(o.frequency, o.timing, o.actor) for o in item5.obligations] == [
        ("yearly", "年初", None), ("semiannual", None, "各科室负责人")]
    assert [(t.value, t.unit, t.at_least) for t in item5.targets] == [(15, "%", True)]
    assert [(o.frequency, o.times, o.actor) for o in items[5].obligations] == [
        ("monthly", 1, "各科室"), ("quarterly", 1, None), ("semiannual", 1, "部党委")]
    (meeting,) = items[7].obligations
    assert (meeting.frequency, meeting.times, meeting.actor) == ("monthly", 1, "部办公室")


def test_organization_department_round_the_clock_monitoring(sample):
    item = sample("市委组织部").items[8]
    assert [(o.frequency, o.quote) for o in item.obligations] == [("continuous", "实行“7×24小时”监测机制")]


def test_organization_department_items_without_cadence(sample):
    items = sample("市委组织部").items
    # 7: "定期检查", 12: none, 22: "常态化开展", "定期考察": vague, so no obligations.
    assert [items[n - 1].obligations for n in (7, 12, 22)] == [[], [], []]


# ---------------------------------------------------------------- 市委编办: inline counts


def test_staffing_office_structure(sample):
    plan = sample("市委编办")
    assert_well_formed(plan, 6, 4)
    assert (plan.title, plan.organization) == ("市委编办2026年意识形态工作要点", "市委编办")
    assert plan.warnings == []


def test_staffing_office_counts(sample):
    items = sample("市委编办").items
    assert obligations_of(items[0])[:2] == [("monthly", 1, False), ("yearly", 12, True)]
    assert [(t.value, t.unit) for t in items[0].targets] == [(4, "篇")]
    assert obligations_of(items[2]) == [("yearly", 6, True)]
    assert obligations_of(items[4]) == [("daily", None, False), ("quarterly", None, False)]
    assert obligations_of(items[5]) == [("quarterly", 1, True), ("monthly", 1, False)]
    assert obligations_of(items[6]) == [("yearly", 20, True)]
    assert obligations_of(items[15]) == [("quarterly", 1, False), ("yearly", None, False)]
    assert obligations_of(items[21]) == [("yearly", 1, True)]


def test_staffing_office_actors_and_timing(sample):
    items = sample("市委编办").items
    assert [(o.frequency, o.actor, o.timing) for o in items[16].obligations] == [
        ("quarterly", "办务会", None), ("yearly", None, "年底")]


# ---------------------------------------------------------------- outline-only plans


@pytest.mark.parametrize(("name", "organization", "first", "last"), [
    ("市委社会工作部", "市委社会工作部", "深化理论铸魂", "强化宣传引导"),
    ("法院", "法院", "强化政治判断力", "加强队伍建设与能力保障"),
])
def test_outline_only_plans(sample, name, organization, first, last):
    plan = sample(name)
    assert_well_formed(plan, 6, 4)
    assert plan.outline_only
    assert (plan.organization, plan.year) == (organization, 2026)
    assert plan.title.endswith("(提纲)")
    assert (plan.items[0].title, plan.items[-1].title) == (first, last)
    assert all(item.text == "" and item.obligations == [] for item in plan.items)
    assert any("提纲" in w for w in plan.warnings)


def test_to_dict_has_the_documented_shape(sample):
    data = sample("市委编办").to_dict()
    assert set(data) == {"title", "organization", "year", "preamble", "warnings", "sections", "outline_only"}
    section = data["sections"][0]
    assert set(section) == {"number", "title", "heading", "intro", "items"}
    item = section["items"][0]
    assert set(item) == {"number", "title", "text", "obligations", "targets"}
    assert set(item["obligations"][0]) == {"frequency", "times", "at_least", "activity", "actor", "quote", "timing"}
    assert set(item["targets"][0]) == {"quote", "value", "unit", "at_least"}
