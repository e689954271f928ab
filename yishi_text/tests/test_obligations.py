"""Obligation and target extraction on single clauses and sentences written in the genre."""

import pytest

from yishi_text.obligations import extract_obligations, extract_targets


def one(text):
    found = extract_obligations(text)
    assert len(found) == 1, found
    return found[0]


def summary(text):
    return [(o.frequency, o.times, o.at_least) for o in extract_obligations(text)]


@pytest.mark.parametrize(("text", "frequency"), [
    ("每日巡查主流媒体涉本单位信息。", "daily"),
    ("每天报送舆情日报。", "daily"),
    ("每周汇总舆情动态。", "weekly"),
    ("每月开展主题党日活动。", "monthly"),
    ("每两个月开展一次专题学习。", "bimonthly"),
    ("双月编发《舆情专报》。", "bimonthly"),
    ("每季度召开一次形势研判会。", "quarterly"),
    ("每季开展一次阵地检查。", "quarterly"),
    ("每半年开展1次学用成效评估。", "semiannual"),
    ("各学校每学期开展一次思政课集体备课。", "semiannual"),
    ("每年召开1次专题组织生活会。", "yearly"),
    ("年度开展综合考核。", "yearly"),
    ("开展年度意识形态领域形势分析研判。", "yearly"),
    ("实行“7×24小时”监测机制。", "continuous"),
    ("实行7*24小时应急值守。", "continuous"),
    ("建立全天候网络巡查机制。", "continuous"),
])
def test_time_markers(text, frequency):
    assert one(text).frequency == frequency


@pytest.mark.parametrize(("text", "times", "at_least"), [
    ("每月开展1次集中学习。", 1, False),
    ("每季度召开一次会议。", 1, False),
    ("每月编发1期工作简报。", 1, False),
    ("每年至少组织2期培训。", 2, True),
    ("每月至少开展1次谈心谈话。", 1, True),
    ("至少每季度开展一次排查。", 1, True),
    ("每年开展两次以上主题宣传活动。", 2, True),
    ("每季度更新不少于1次。", 1, True),
    ("每月开展理论学习。", None, False),
    ("每周发布生态环境信息不少于3条。", 3, True),
])
def test_counts_and_bounds(text, times, at_least):
    obligation = one(text)
    assert (obligation.times, obligation.at_least) == (times, at_least)


@pytest.mark.parametrize(("text", "times"), [
    ("全年不少于十二次。", 12), ("每年开展两次宣讲。", 2), ("全年开展宣讲不少于二十场。", 20), ("每年开展三轮巡查。", 3),
])
def test_chinese_numerals(text, times):
    assert one(text).times == times


def test_one_sentence_holds_monthly_and_yearly():
    text = "每月开展1次集中学习研讨，聚焦最新重要讲话精神，结合工作实际制定学习计划，全年集中学习不少于12次。"
    assert summary(text) == [("monthly", 1, False), ("yearly", 12, True)]


def test_one_clause_holds_two_markers():
    found = extract_obligations("党组理论学习中心组每月集中学习1次、全年不少于十二次。")
    assert [(o.frequency, o.times) for o in found] == [("monthly", 1), ("yearly", 12)]
    assert found[1].activity == found[0].activity  # the count-only part borrows the activity


def test_count_only_clause_borrows_the_previous_activity():
    (obligation,) = extract_obligations("组织开展网评员队伍培训，全年不少于4次。")
    assert (obligation.frequency, obligation.times, obligation.activity) == ("yearly", 4, "组织开展网评员队伍培训")
    assert obligation.quote == "全年不少于4次"


@pytest.mark.parametrize("text", [
    "定期组织学习。",
    "定期开展督导检查，及时通报问题。",
    "重要情况第一时间报告。",
    "确保舆情第一时间发现、第一时间研判、第一时间处置。",
    "常态化开展政治教育、党性教育。",
    "每位干部结合岗位职责梳理学习感悟与工作举措。",
    "每名党员每年至少参加1次培训。",
    "宣讲团成员每人每年宣讲不少于10场。",
    "每期培训不少于3天。",
    "贯穿全年，久久为功。",
    "将意识形态工作纳入科室年度考核核心内容。",
    "合理安排意识形态工作经费，纳入部机关年度预算。",
    "截至年底，覆盖率达到100%。",
    "以习近平新时代中国特色社会主义思想为指导，紧扣党中央部署。",
])
def test_not_obligations(text):
    assert extract_obligations(text) == []


@pytest.mark.parametrize(("text", "actor"), [
    ("各党支部每周开展“党建+业务”融合式学习。", "各党支部"),
    ("各科室每月开展1次日常排查。", "各科室"),
    ("部党委每半年召开1次意识形态风险研判会。", "部党委"),
    ("办务会每季度专题研究1次意识形态工作。", "办务会"),
    ("各科室负责人每半年向部党委汇报意识形态工作履职情况。", "各科室负责人"),
    ("基层党组织每月排查群众思想动态。", "基层党组织"),
    ("党组（党委）每季度专题研究一次意识形态工作。", "党组（党委）"),
    ("县委网信办要每日形成舆情日报。", "县委网信办"),
    ("由部办公室牵头，各科室参与，每月召开1次会议。", "部办公室"),
    ("每月开展1次理论学习中心组专题研讨。", None),
    ("严格落实部务会“第一议题”制度，每月开展1次理论学习中心组专题研讨。", None),
    ("围绕核心主题每季度更新宣传内容。", None),
])
def test_actor(text, actor):
    assert one(text).actor == actor


def test_quote_is_the_exact_clause_and_includes_the_named_lead():
    text = "建立部机关意识形态工作联席会议制度，由部办公室牵头，各科室参与，每月召开1次会议，通报工作进展。"
    obligation = one(text)
    assert obligation.quote == "由部办公室牵头，各科室参与，每月召开1次会议"
    assert obligation.quote in text


@pytest.mark.parametrize(("text", "activity"), [
    ("每月开展1次理论学习中心组专题研讨。", "开展理论学习中心组专题研讨"),
    ("全年集中学习不少于12次。", "集中学习"),
    ("每年至少组织2期培训。", "组织培训"),
    ("定期更新宣传栏内容，聚焦重大决策部署，每季度更新不少于1次。", "更新宣传栏内容"),
    ("领导小组会议每季度召开一次。", "召开领导小组会议"),
    ("开展年度意识形态领域形势分析研判。", "开展意识形态领域形势分析研判"),
])
def test_activity_is_a_short_phrase(text, activity):
    assert one(text).activity == activity


@pytest.mark.parametrize(("text", "frequency", "timing"), [
    ("每年年初召开意识形态工作部署会。", "yearly", "年初"),
    ("年底组织各科室负责人开展意识形态工作述职评议。", "yearly", "年底"),
    ("上半年召开一次意识形态工作推进会。", "yearly", "上半年"),
    ("每年9月开展师德师风建设月活动。", "yearly", "9月"),
    ("6月底前完成责任清单修订。", "yearly", "6月底前"),
    ("每季度末报送一次工作进展。", "quarterly", None),
    ("每月开展学习。", "monthly", None),
])
def test_timing_hints(text, frequency, timing):
    obligation = one(text)
    assert (obligation.frequency, obligation.timing) == (frequency, timing)


def test_yearly_stages_make_one_obligation_each():
    found = extract_obligations("年初部署、年中推进、年底总结意识形态工作。")
    assert [o.timing for o in found] == ["年初", "年中", "年底"]


@pytest.mark.parametrize(("text", "frequency", "times"), [
    ("上、下半年各召开1次专题会议。", "semiannual", 1),
    ("坚持一月一研讨。", "monthly", 1),
    ("做到一年两次全面排查。", "yearly", 2),
    ("局属网站每两周至少更新一次。", "monthly", 2),
    ("每半月报送一次舆情分析。", "monthly", 2),
])
def test_uncommon_cadence_wordings(text, frequency, times):
    obligation = one(text)
    assert (obligation.frequency, obligation.times) == (frequency, times)


def test_ascii_and_full_width_punctuation_split_the_same():
    full = "每季度开展1次“法律进社区”活动，全年开展普法讲座不少于20场。"
    ascii_ = '每季度开展1次"法律进社区"活动,全年开展普法讲座不少于20场.'
    assert summary(full) == summary(ascii_) == [("quarterly", 1, False), ("yearly", 20, True)]


def test_percent_targets():
    targets = extract_targets("将意识形态工作纳入科室年度考核核心内容，权重不低于15%。确保审批备案率达到100%。")
    assert [(t.value, t.unit, t.at_least, t.quote) for t in targets] == [
        (15, "%", True, "权重不低于15%"), (100, "%", False, "确保审批备案率达到100%")]


def test_count_targets_only_outside_obligations():
    text = "全年集中学习不少于12次，中心组成员带头撰写心得体会、调研报告不少于4篇。"
    assert [(t.value, t.unit, t.at_least) for t in extract_targets(text)] == [(4, "篇", True)]


def test_decimal_and_chinese_percent():
    assert [t.value for t in extract_targets("处置及时率不低于99.5%，知晓率达到百分之九十。")] == [99.5, 90]


def test_every_quote_is_a_substring():
    text = ("严格落实部务会“第一议题”制度，每月开展1次理论学习中心组专题研讨。各党支部每周开展“党建+业务”融合式学习，"
            "每季度举办“组织工作讲坛”，由部领导带头解读政策。每年年初召开部署会；年底开展述职评议。")
    found = extract_obligations(text)
    assert len(found) == 5
    assert all(o.quote in text for o in found)


def test_names_that_contain_cadence_words():
    assert extract_obligations("组织干部阅读《半月谈》等刊物。") == []
    assert extract_obligations("贯彻落实2026年中央一号文件精神。") == []
