"""Demo data of the opinion module: sources, keyword rules and ~150 items, processed at once.

All texts are written for the project (a fictional city; no real persons or outlets). Items are
ingested and processed synchronously so `make run` opens on a populated monitoring wall, without
network. Idempotent: sources and rules are matched by name, items by their external id, so a
second run adds nothing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from opinion.choices import RulePurpose, RuleScope, SourceKind, Stage
from opinion.models import Item, KeywordRule, Source

ROOT_UNIT_CODE = "SZF"  # 市政府机关 of org.demo

SOURCES: list[dict[str, Any]] = [
    {"name": "演示导入·市融媒体中心", "kind": SourceKind.FILE, "weight": 2.0, "is_official": True},
    {"name": "演示导入·都市晚报", "kind": SourceKind.FILE, "weight": 1.5},
    {"name": "演示导入·本地生活论坛", "kind": SourceKind.FILE, "weight": 0.8},
    {"name": "演示导入·新闻客户端转载", "kind": SourceKind.FILE, "weight": 1.0},
    {"name": "市政府门户网站（RSS 示例）", "kind": SourceKind.RSS, "url": "http://www.example.gov.cn/rss/news.xml",
     "enabled": False, "interval_minutes": 15, "is_official": True, "weight": 2.0},
    {"name": "市水务局通知公告（RSS 示例）", "kind": SourceKind.RSS, "url": "http://swj.example.gov.cn/rss.xml",
     "enabled": False, "interval_minutes": 30, "is_official": True},
    {"name": "区政务公开页面（网页示例）", "kind": SourceKind.WEB, "url": "http://qu.example.gov.cn/zwgk/index.html",
     "enabled": False, "interval_minutes": 60},
]

RULES: list[dict[str, Any]] = [
    {"name": "本市政务", "expression": "市政府|政务服务|营商环境|城市更新|一网通办|市民热线"},
    {"name": "民生服务", "expression": "(供水|水质|自来水|供暖|地铁|公交|养老|医保|入学)&(市|区)"},
    {"name": "负面敏感词", "expression": "投诉|维权|超标|事故|异味|扰民|停水|拖欠", "purpose": RulePurpose.SENSITIVE},
    {"name": "标题含水质", "expression": "水质|自来水", "scope": RuleScope.TITLE, "purpose": RulePurpose.SENSITIVE},
]


@dataclass(frozen=True)
class Story:
    key: str
    title: str
    sentences: tuple[str, ...]
    reposts: int
    follow_ups: tuple[str, ...]
    hours_ago: float


STORIES: list[Story] = [
    Story("water", "城东水厂出厂水浊度超标 部分小区自来水发黄有异味", (
        "11月下旬，城东多个小区居民反映自来水发黄、有异味，引发关注",
        "市水务局通报称，城东水厂出厂水浊度一度超标，原因是取水口附近河段水质突变",
        "市水务局已启动应急预案，组织专业队伍对管网进行冲洗消毒",
        "受影响小区设置了临时供水点，免费向居民提供桶装水",
        "市卫生监督所对水厂开展现场检查，要求立即整改并加强过程监测",
        "目前出厂水各项指标已恢复正常，管网末梢水质正在逐步改善"), 30,
        ("追踪：城东水厂出厂水浊度超标问题整改进展", "城东水厂水质超标事件 居民仍有投诉",
         "城东水厂出厂水浊度超标 市水务局公布检测结果"), 20),
    Story("heating", "河西小区供暖不达标 居民集中投诉室温偏低", (
        "入冬以来，河西小区多名居民通过市民热线反映室内温度不足十六摄氏度",
        "有居民表示家中老人孩子只能开电暖器取暖，希望尽快解决",
        "市供热办接到投诉后组织供热企业上门排查，发现部分楼栋管道老化堵塞",
        "供热企业已连夜更换阀门并对管道进行冲洗",
        "市供热办表示将对供热不达标的企业依法处理并督促退还相应热费"), 16,
        ("河西小区供暖不达标问题整改 室温已回升", "追踪｜河西小区供暖投诉后续：企业被约谈"), 30),
    Story("metro", "地铁五号线夜间施工噪音扰民 市民热线接到大量投诉", (
        "地铁五号线沿线部分居民反映，夜间施工噪音大，严重影响休息",
        "市民热线近一周接到相关投诉八十余件",
        "市交通局表示已约谈施工单位，要求严格执行夜间施工审批制度",
        "施工单位承诺调整作业时间，增设隔音屏障，并安排专人值守回应居民诉求"), 12,
        ("地铁五号线夜间施工噪音扰民问题 施工单位调整作业时间",), 40),
    Story("wage", "某建筑工地拖欠农民工工资 区人社局介入调查", (
        "近日，有网民发帖称城南某建筑工地拖欠二十余名农民工工资数月",
        "区人社局接到反映后立即组织劳动保障监察大队赴工地调查",
        "经核实，施工总包单位存在拖欠工资情况，涉及金额约六十万元",
        "区人社局已责令其限期支付，目前已有部分工人领到工资"), 8,
        ("拖欠农民工工资问题处理进展：工资已全部发放",), 52),
    Story("service", "市政务服务中心推行一网通办 企业开办一天办结", (
        "市政务服务中心全面推行一网通办改革，企业开办全流程压缩至一个工作日",
        "群众和企业可通过政务服务网和移动端办理八百余项事项",
        "市政府办公室负责同志表示，将持续优化营商环境，让数据多跑路、群众少跑腿",
        "下一步还将推出更多高频事项掌上办、就近办"), 16,
        ("一网通办改革成效明显 企业开办一天办结获点赞",), 12),
    Story("renewal", "市政府常务会议部署城市更新工作 今年改造老旧小区一百二十个", (
        "市政府召开常务会议，研究部署城市更新和老旧小区改造工作",
        "会议要求今年完成一百二十个老旧小区改造，惠及居民四万余户",
        "改造内容包括加装电梯、管网更新、停车设施和社区养老服务设施建设",
        "会议强调要充分听取居民意见，做到改造前问需于民、改造中问计于民"), 14, (), 26),
    Story("jobs", "区人社局举办冬季招聘会 五千余个岗位助力群众就业", (
        "区人社局在市民中心举办冬季大型招聘会，两百余家企业提供岗位五千余个",
        "招聘会设置了高校毕业生、退役军人和就业困难人员专区",
        "现场达成就业意向一千二百余人，群众普遍反映岗位多、服务好"), 8, (), 8),
    Story("elderly", "我市新增社区养老服务站三十家 老人就近享受助餐助浴", (
        "市民政局介绍，今年全市新增社区养老服务站三十家",
        "服务站为老年人提供助餐、助浴、日间照料和康复护理等服务",
        "目前全市社区养老服务设施已实现城市社区全覆盖"), 6, (), 60),
    Story("school", "市教育局公布义务教育入学政策 新增学位六千个", (
        "市教育局发布今年义务教育阶段招生入学政策",
        "全市新建改扩建中小学十二所，新增学位六千余个",
        "入学报名将全程网上办理，家长无需到校提交纸质材料"), 6, (), 70),
    Story("garbage", "垃圾分类新规实施一周年 居民分类准确率明显提升", (
        "我市生活垃圾分类管理条例实施一周年",
        "市城管局数据显示，居民垃圾分类准确率由六成提高到八成以上",
        "部分小区仍存在混投混运现象，市城管局表示将加强执法检查"), 5, (), 44),
]

FOLLOW_UP_ENDINGS = (
    "记者将持续关注此事进展。",
    "有关部门表示将及时公布处理结果。",
    "不少网民在评论区留言表示希望举一反三。",
)

REPOST_HEADERS = ("来源：市融媒体中心", "来源：都市晚报", "原标题：{title}", "来源：本地新闻客户端")


@dataclass
class _Raw:
    title: str
    body: str
    url: str
    published: datetime.datetime
    external_id: str


def _story_items(story: Story, rng: random.Random, now: datetime.datetime) -> list[tuple[int, _Raw]]:
    """(source position, item) for a story: the original, its reposts and follow-ups."""
    body = "。".join(story.sentences) + "。"
    start = now - datetime.timedelta(hours=story.hours_ago)
    items: list[tuple[int, _Raw]] = [
        (0 if story.key in ("service", "renewal", "jobs", "elderly", "school") else 1,
         _Raw(story.title, body, f"http://news.example.cn/{story.key}/0.html", start, f"demo-{story.key}-0"))]
    for n in range(1, story.reposts + 1):
        header = rng.choice(REPOST_HEADERS).format(title=story.title)
        text = f"{header}\n{body}\n（责任编辑：{rng.choice('甲乙丙丁')}编辑）"
        if n % 3 == 0:  # an edited repost: one sentence dropped
            kept = list(story.sentences)
            kept.pop(rng.randrange(1, len(kept)))
            text = "。".join(kept) + "。" + rng.choice(FOLLOW_UP_ENDINGS)
        at = start + datetime.timedelta(minutes=rng.randint(5, int(story.hours_ago * 60 * 0.6) + 10))
        title = story.title if n % 2 else f"{story.title}（转）"
        items.append((rng.choice((1, 2, 3)), _Raw(title, text, f"http://portal{n}.example.cn/{story.key}/{n}.html",
                                                     at, f"demo-{story.key}-r{n}")))
    for n, title in enumerate(story.follow_ups, start=1):
        kept = rng.sample(story.sentences, k=max(2, len(story.sentences) // 2))
        text = "。".join(kept) + "。" + FOLLOW_UP_ENDINGS[n % len(FOLLOW_UP_ENDINGS)]
        at = start + datetime.timedelta(hours=story.hours_ago * 0.3 * n)
        items.append((rng.choice((0, 1, 2)), _Raw(title, text, f"http://news.example.cn/{story.key}/f{n}.html",
                                                     min(at, now), f"demo-{story.key}-f{n}")))
    return items


BRIEFS: tuple[tuple[str, str], ...] = (
    ("市政府召开安全生产工作会议", "市政府召开全市安全生产工作会议，部署岁末年初安全防范工作，要求压实企业主体责任。"),
    ("市医保局扩大门诊慢特病病种范围", "市医保局宣布将门诊慢特病病种由三十种扩大到四十五种，参保群众看病负担进一步减轻。"),
    ("市交通局优化十二条公交线路", "为方便市民出行，市交通局优化调整十二条公交线路，新增两条社区微循环线路。"),
    ("区政府推进河道综合治理", "区政府启动城西河道综合治理工程，完成后将新增滨水绿道八公里。"),
    ("市市场监管局开展冬季食品安全检查", "市市场监管局开展冬季食品安全专项检查，重点检查学校食堂和农贸市场。"),
    ("市科技局发布科技创新政策", "市科技局发布支持科技创新十条政策，对高新技术企业给予研发费用补助。"),
    ("市政府新闻办举行营商环境发布会", "市政府新闻办举行新闻发布会，介绍我市优化营商环境三年行动计划实施情况。"),
    ("市民热线十月办结率达到百分之九十八", "市民热线十月份共受理群众诉求三万余件，按时办结率达到百分之九十八。"),
)


def _demo_items(now: datetime.datetime) -> list[tuple[int, _Raw]]:
    rng = random.Random(20261126)
    items: list[tuple[int, _Raw]] = []
    for story in STORIES:
        items.extend(_story_items(story, rng, now))
    for n, (title, body) in enumerate(BRIEFS):
        at = now - datetime.timedelta(hours=rng.randint(1, 60))
        items.append((n % 2, _Raw(title, body, f"http://news.example.cn/brief/{n}.html", at, f"demo-brief-{n}")))
    return items


def _root_unit() -> Any:
    from org.models import Unit

    return Unit.objects.filter(code=ROOT_UNIT_CODE).first() or Unit.objects.filter(parent=None).order_by("pk").first()


def load_demo_opinion() -> dict[str, int]:
    """Create the demo sources and rules, ingest and process the demo items; safe to run again."""
    from opinion.pipeline import BATCH_SIZE, ingest, process_items

    sources = []
    for spec in SOURCES:
        source, _ = Source.objects.get_or_create(name=spec["name"], defaults={k: v for k, v in spec.items()
                                                                              if k != "name"})
        sources.append(source)
    unit = _root_unit()
    if unit is not None:
        for spec in RULES:
            KeywordRule.objects.get_or_create(unit=unit, name=spec["name"], defaults={k: v for k, v in spec.items()
                                                                                      if k != "name"})
    now = timezone.now()
    new = 0
    # In publication order, so originals are stored (and processed) before their reposts.
    for position, raw in sorted(_demo_items(now), key=lambda entry: entry[1].published):
        new += ingest(sources[position], [raw], enqueue=False).new
    pending = list(Item.objects.filter(stage=Stage.RECEIVED, source__in=sources[:4]).order_by("published_at", "pk")
                   .values_list("pk", flat=True))
    for start in range(0, len(pending), BATCH_SIZE):
        process_items(pending[start:start + BATCH_SIZE])
    return {"sources": len(sources), "items": new}
