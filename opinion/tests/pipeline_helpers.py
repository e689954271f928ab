"""Helpers shared by the pipeline tests: sources, raw items and story texts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from opinion.models import KeywordRule, Source


@dataclass
class Raw:
    title: str
    body: str
    url: str = ""
    published: datetime.datetime | None = None
    external_id: str = ""


STORY = (
    "本报讯 11月25日上午，市水务局召开新闻发布会，通报城东自来水厂水质异常情况。经检测，"
    "城东水厂出厂水浊度一度超标，部分小区居民反映自来水发黄、有异味。市水务局已启动应急预案，"
    "组织专业人员对管网进行冲洗消毒，并在受影响小区设置临时供水点，免费为居民提供桶装水。"
    "市卫生监督所对水厂进行了现场检查，要求水厂立即整改，加强源头管控和过程监测。"
    "目前出厂水各项指标已恢复正常，管网末梢水质正在逐步改善。市水务局表示，将持续做好水质监测，"
    "及时向社会公布检测结果，确保市民用水安全。"
)

OTHER = (
    "市文化和旅游局举办冬季文化惠民活动，全市各公共图书馆、文化馆将推出百余场展览、讲座和演出，"
    "市民可通过官方平台免费预约参加。活动持续到明年二月，覆盖城乡各社区和乡镇综合文化站，"
    "让群众在家门口享受丰富多彩的文化生活。活动期间还将开展非遗展示、书法培训和少儿阅读推广等项目。"
)


def repost(text: str) -> str:
    """What a news portal does to a story: a source line on top, an editor line below."""
    return f"来源：市融媒体中心\n{text}\n（责任编辑：王某）\n转载声明：本文转自市融媒体中心，版权归原作者所有。"


def edited(text: str) -> str:
    """A near duplicate: one sentence dropped, a sentence added at the end."""
    sentences = text.split("。")
    return "。".join(sentences[:2] + sentences[3:]) + "记者将持续关注此事进展。"


def make_source(name: str = "测试源", kind: str = "push", **extra) -> Source:
    return Source.objects.create(name=name, kind=kind, **extra)


def make_rule(unit, name: str, expression: str, purpose: str = "relevance", **extra) -> KeywordRule:
    return KeywordRule.objects.create(unit=unit, name=name, expression=expression, purpose=purpose, **extra)


def minutes_ago(minutes: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(minutes=minutes)
