"""Our own plans in the genre (fixtures/), one per form offices use, from organs not in the samples."""

from __future__ import annotations

from yishi_text.plans import parse_plan_text


def shape(plan):
    return [len(section.items) for section in plan.sections]


def cadences(item):
    return [(o.frequency, o.times, o.at_least) for o in item.obligations]


def test_inline_items_with_intro_paragraphs(fixture_plan):
    plan = fixture_plan("市教育局")
    assert (plan.title, plan.organization, plan.year) == ("市教育局2026年意识形态工作要点", "市教育局", 2026)
    assert shape(plan) == [3, 2, 3, 2]
    assert [i.number for i in plan.items] == list(range(1, 11))
    first = plan.sections[0]
    assert (first.title, first.heading) == ("坚持理论武装", "坚持理论武装，筑牢师生思想根基")
    assert first.intro.startswith("全市教育系统要把学习贯彻")
    assert plan.sections[1].intro == ""
    assert plan.sections[2].intro == "本部分要求各学校结合实际细化措施，按时报送进展。"
    assert plan.items[0].title == "抓实党组理论学习中心组学习"
    assert plan.items[0].text.startswith("严格执行中心组学习制度")
    assert plan.preamble.startswith("2026年，市教育局党组坚持")
    assert plan.warnings == []


def test_inline_items_obligations(fixture_plan):
    items = fixture_plan("市教育局").items
    assert cadences(items[0]) == [("monthly", 1, False), ("yearly", 12, True), ("quarterly", 1, True)]
    assert items[0].obligations[0].actor == "党组理论学习中心组"
    assert [(t.value, t.unit) for t in items[0].targets] == [(2, "篇")]  # 每人每年…不少于2篇: per person
    assert cadences(items[1]) == [("semiannual", 1, False), ("yearly", 2, True), ("semiannual", 1, True)]
    assert [o.timing for o in items[2].obligations] == ["9月", "年底"]
    assert [(t.value, t.at_least) for t in items[2].targets] == [(20, True)]
    assert [(o.frequency, o.timing) for o in items[4].obligations] == [
        ("quarterly", None), ("yearly", "上半年"), ("yearly", "下半年")]
    assert items[4].obligations[0].actor == "局办公室"
    assert cadences(items[5]) == [("monthly", 2, True), ("continuous", None, False)]
    assert cadences(items[6]) == [("monthly", 1, False)]  # 每名教师每学期…: per person
    assert cadences(items[7]) == [("weekly", None, False), ("bimonthly", None, False)]  # not 常态化
    assert cadences(items[8]) == [("yearly", 2, False), ("yearly", 4, True)]  # not 定期


def test_own_line_items_crlf_bom_and_blank_lines(fixture_plan):
    plan = fixture_plan("县委宣传部")
    assert plan.title == "中共××县委宣传部2026年意识形态工作要点"  # organ on the line above the title
    assert (plan.organization, plan.year) == ("中共××县委宣传部", 2026)
    assert shape(plan) == [2, 2]
    item = plan.items[0]
    assert item.title == "健全理论学习制度"
    assert item.text.count("\n") == 3 and "\r" not in item.text
    assert "（一）抓好领学促学" in item.text and "（二）抓好督学考学" in item.text  # sub-points stay in the item
    assert cadences(item) == [("bimonthly", 1, False), ("yearly", 6, True), ("monthly", None, False),
                              ("quarterly", 1, False), ("semiannual", 1, False)]
    assert item.obligations[2].actor == "部务会"
    assert cadences(plan.items[1]) == [("yearly", 200, True)]  # 每人每年 is a per-person target
    assert [(o.frequency, o.actor) for o in plan.items[3].obligations] == [
        ("continuous", "县委网信办"), ("daily", None)]


def test_outline_then_full_text(fixture_plan):
    plan = fixture_plan("区卫健委")
    assert (plan.organization, plan.year) == ("区卫生健康委员会党委", 2026)
    assert shape(plan) == [2, 2, 2]
    assert not plan.outline_only
    assert plan.sections[0].heading == "加强理论武装，凝聚卫健系统思想共识"
    assert plan.sections[0].intro == "坚持把理论学习作为首要政治任务，推动学习往深里走、往实里走。"
    assert plan.preamble.startswith("2026年，区卫健委党委")
    assert all(item.text for item in plan.items)
    assert plan.warnings == []
    assert cadences(plan.items[0]) == [("monthly", 1, False), ("quarterly", 1, False), ("yearly", 12, True)]
    assert [(t.value, t.unit) for t in plan.items[5].targets] == [(100, "%")]


def test_outline_only_with_parenthesised_subtitle_line(fixture_plan):
    plan = fixture_plan("县文旅局")
    assert plan.title == "县文化和旅游局2026年意识形态工作要点（提纲）"
    assert plan.organization == "县文化和旅游局"
    assert plan.outline_only and shape(plan) == [2, 3, 2]
    assert [i.title for i in plan.items][:2] == ["深化党组理论学习中心组学习", "推进习近平文化思想学习宣传"]
    assert all(i.text == "" for i in plan.items)


def test_cut_off_plan_with_ascii_punctuation(fixture_plan):
    plan = fixture_plan("区司法局")
    assert shape(plan) == [2, 2]
    assert plan.sections[0].title == "加强政治建设"
    assert plan.items[0].title == '落实"第一议题"制度'
    assert plan.items[3].text.endswith("对发现的问题及时")
    assert any("第4条" in w and "中断" in w for w in plan.warnings)
    assert cadences(plan.items[1]) == [("quarterly", 1, False), ("yearly", 20, True), ("monthly", 1, False)]
    assert cadences(plan.items[2]) == [("semiannual", 1, False), ("continuous", None, False)]


def test_items_restarting_per_section_are_numbered_across_the_plan(fixture_plan):
    plan = fixture_plan("市生态环境局")
    assert shape(plan) == [2, 3, 2]
    assert [i.number for i in plan.items] == list(range(1, 8))
    assert not plan.outline_only
    assert plan.items[0].text == "局党组理论学习中心组每月开展1次集中学习，全年不少于12次。"
    assert plan.items[2].title == "每年开展两次以上主题宣传活动"  # the framing clause "围绕…节点" is skipped
    assert cadences(plan.items[3]) == [("weekly", 3, True), ("monthly", 1, False)]


def test_gb18030_file_with_chinese_numeral_year(fixture_plan):
    plan = fixture_plan("GB18030")
    assert (plan.title, plan.organization, plan.year) == ("县医疗保障局二〇二六年意识形态工作要点", "县医疗保障局", 2026)
    assert shape(plan) == [2, 2]
    assert cadences(plan.items[0]) == [("monthly", 1, False), ("yearly", 12, True)]
    assert [(t.value, t.at_least) for t in plan.items[1].targets] == [(90, True)]  # 90%以上


def test_paren_cn_items_with_arabic_sub_points(fixture_plan):
    plan = fixture_plan("市统计局")
    assert shape(plan) == [2, 2]
    assert [i.title for i in plan.items] == ["抓好中心组学习", "推进理论宣讲", "健全舆情应对机制", "加强统计数据发布管理"]
    assert "1.学习习近平总书记关于统计工作的重要论述。" in plan.items[0].text
    assert plan.warnings == []


def test_three_levels_keep_arabic_items_under_sections(fixture_plan):
    plan = fixture_plan("市委网信办")
    assert [s.title for s in plan.sections] == ["总体要求", "重点任务", "保障措施"]
    assert shape(plan) == [0, 4, 0]
    assert plan.sections[0].intro.startswith("以习近平新时代中国特色社会主义思想为指导")
    assert any("（一）网上理论传播" in w for w in plan.warnings)
    assert cadences(plan.items[2]) == [("continuous", None, False)]


def test_plan_without_section_headings_in_a_notice(fixture_plan):
    plan = fixture_plan("街道党工委")
    assert plan.organization == "××街道党工委"
    assert len(plan.sections) == 1 and plan.sections[0].title == ""
    assert len(plan.items) == 4
    assert plan.preamble.startswith("各社区党组织、街道各科室：")
    assert any("部分标题" in w for w in plan.warnings)
    assert [(o.frequency, o.actor) for o in plan.items[0].obligations] == [("quarterly", "街道党工委")]
    assert [(o.frequency, o.timing) for o in plan.items[3].obligations] == [("yearly", "年底前")]


def test_mixed_full_width_and_ascii_numbering(fixture_plan):
    plan = fixture_plan("全半角混排")
    assert shape(plan) == [2, 2]
    assert [i.title for i in plan.items] == ["落实学习制度", "开展警示教育", "规范应急科普阵地", "加强值班值守"]
    assert plan.items[1].text.startswith("各股室每半年开展一次警示教育")
    assert cadences(plan.items[0]) == [("monthly", 1, False), ("yearly", 12, True)]
    assert cadences(plan.items[3]) == [("continuous", None, False)]


# ---------------------------------------------------------------- small texts for single rules


def test_pasted_text_without_title():
    plan = parse_plan_text("一、加强学习\n1.每月学习一次。\n2.每季度研讨一次。\n")
    assert plan.title == "" and plan.year is None
    assert [i.text for i in plan.items] == ["每月学习一次。", "每季度研讨一次。"]
    assert any("标题" in w for w in plan.warnings)


def test_sub_list_inside_an_item_is_not_taken_for_items():
    plan = parse_plan_text("某局2026年工作要点\n一、学习\n1.抓好学习\n具体包括：\n1.学习讲话；\n2.学习文件；\n"
                           "3.学习条例。\n2.抓好宣讲\n每季度宣讲一次。\n3.抓好培训\n每年培训两次。")
    assert [i.title for i in plan.items] == ["抓好学习", "抓好宣讲", "抓好培训"]
    assert "3.学习条例。" in plan.items[0].text


def test_hard_wrapped_lines_are_joined():
    plan = parse_plan_text("某区委宣传部2026年意识形态工作要点\n一、强化理论武装\n1.健全学习制度。区委理论学习中心组每月开展1次"
                           "集中学习研讨，全年集中学习\n不少于12次。\n")
    assert plan.items[0].text == "区委理论学习中心组每月开展1次集中学习研讨，全年集中学习不少于12次。"
    assert cadences(plan.items[0]) == [("monthly", 1, False), ("yearly", 12, True)]


def test_section_headings_only_become_items_with_a_warning():
    plan = parse_plan_text("某局2026年意识形态工作要点\n一、加强理论学习。局党组每月开展一次集中学习。\n二、压实责任。年底开展述职评议。")
    assert [i.title for i in plan.items] == ["加强理论学习", "压实责任"]
    assert cadences(plan.items[0]) == [("monthly", 1, False)]
    assert any("作为条目" in w for w in plan.warnings)


def test_attachment_signature_and_page_numbers_are_cut_with_warnings():
    plan = parse_plan_text("某局2026年意识形态工作要点\n一、学习\n1.加强学习。每月学习一次。\n- 2 -\n2.加强研讨。每季度研讨一次。\n"
                           "某局\n2026年1月8日\n")
    assert plan.items[1].text == "每季度研讨一次。"
    assert any("落款" in w for w in plan.warnings) and any("页码" in w for w in plan.warnings)
    plan = parse_plan_text("某局2026年意识形态工作要点\n一、学习\n1.加强学习。每月学习一次。\n附件：任务分工表\n1 学习 办公室\n")
    assert plan.items[0].text == "每月学习一次。"
    assert any("附件" in w for w in plan.warnings)


def test_obligations_in_a_section_intro_are_reported():
    plan = parse_plan_text("某局2026年意识形态工作要点\n一、压实责任\n党组每季度专题研究一次意识形态工作。\n1.加强学习。每月学习一次。")
    assert plan.sections[0].intro == "党组每季度专题研究一次意识形态工作。"
    assert any("导语" in w and "周期性要求" in w for w in plan.warnings)


def test_outline_and_text_titles_that_disagree_are_reported():
    plan = parse_plan_text("某局2026年意识形态工作要点\n一、加强学习\n1.健全学习制度\n2.抓好宣讲\n"
                           "一、加强学习，提高认识\n1.健全学习制度。每月学习一次。\n2.抓好理论培训。每年培训两次。")
    assert [i.title for i in plan.items] == ["健全学习制度", "抓好理论培训"]
    assert any("不一致" in w and "抓好宣讲" in w for w in plan.warnings)


def test_items_restarting_under_each_paren_group():
    plan = parse_plan_text("某局2026年意识形态工作要点\n一、加强理论武装\n（一）健全学习制度\n1.党组每月集中学习一次。\n"
                           "2.各支部每周学习一次。\n（二）深化宣讲\n1.每季度宣讲一次。\n二、压实责任\n（三）落实责任制\n1.年底开展述职评议。")
    assert [i.text for i in plan.items] == ["党组每月集中学习一次。", "各支部每周学习一次。", "每季度宣讲一次。",
                                            "年底开展述职评议。"]
    assert [len(s.items) for s in plan.sections] == [3, 1]
    assert [i.number for i in plan.items] == [1, 2, 3, 4]


def test_cn_numbered_list_inside_an_item_is_not_a_new_part():
    plan = parse_plan_text("某局2026年意识形态工作要点\n一、学习\n1.抓好学习。主要做法：\n一、建立台账；\n二、定期通报。\n"
                           "2.抓好宣讲。每季度宣讲一次。\n二、阵地\n3.管好阵地。每月排查一次。")
    assert [(s.title, [i.title for i in s.items]) for s in plan.sections] == [
        ("学习", ["抓好学习", "抓好宣讲"]), ("阵地", ["管好阵地"])]
    assert plan.items[0].text == "主要做法：\n一、建立台账；\n二、定期通报。"
    assert plan.warnings == []


def test_outline_of_bare_items_without_parts():
    plan = parse_plan_text("某局2026年意识形态工作要点\n1.加强学习\n2.加强宣讲\n1.加强学习。每月学习一次。\n2.加强宣讲。每季度宣讲一次。")
    assert [(i.title, i.text) for i in plan.items] == [("加强学习", "每月学习一次。"), ("加强宣讲", "每季度宣讲一次。")]
    assert not plan.outline_only


def test_outline_of_parts_only_then_parts_with_text():
    plan = parse_plan_text("某局2026年意识形态工作要点\n一、加强学习\n二、加强宣讲\n一、加强学习。局党组每月学习一次。\n"
                           "二、加强宣讲。每季度宣讲一次。")
    assert [(i.title, i.text) for i in plan.items] == [("加强学习", "局党组每月学习一次。"), ("加强宣讲", "每季度宣讲一次。")]
