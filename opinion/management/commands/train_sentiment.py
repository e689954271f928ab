"""`manage.py train_sentiment`: the project's own sentiment training command.

    train_sentiment                      baseline from the offline data, activated
    train_sentiment --from-corrections   retrain: baseline + analysts' corrections (weighted up)
    train_sentiment --no-activate        store the new version without switching to it
    train_sentiment --activate 3         switch to an existing version (no training)
    train_sentiment --list               the stored versions
    train_sentiment --subset 200         quick check on a subset (tests), never for a real model
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import audit
from opinion.models import SentimentModelVersion
from opinion.sentiment_service import do_activate_model, do_train_model

NAMES = {"reviews": "商品/图书评论", "news": "新闻（合计）", "news_pd": "人民日报1998（中性）", "news_own": "自编新闻句"}
LABEL_NAMES = {"neg": "负面", "neu": "中性", "pos": "正面"}


class Command(BaseCommand):
    help = "训练舆情情感模型（正面/中性/负面）：基线数据离线可得，可加入分析员的人工标注重新训练"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from-corrections", action="store_true", help="加入分析员的人工标注（加权）重新训练")
        parser.add_argument("--no-activate", action="store_true", help="只保存新版本，不启用")
        parser.add_argument("--activate", type=int, metavar="版本", help="启用已有的某个版本（不训练）")
        parser.add_argument("--list", action="store_true", help="列出已有版本")
        parser.add_argument("--subset", type=int, metavar="N", help="每类来源只取 N 条训练（快速检查用，不用于正式模型）")

    def handle(self, *args: Any, **options: Any) -> None:
        with audit.system_context(via="command"):
            if options["list"]:
                self._list()
                return
            if options["activate"] is not None:
                try:
                    row = do_activate_model(options["activate"], acting_user=audit.system_user())
                except ValidationError as exc:
                    raise CommandError("；".join(exc.messages)) from exc
                self.stdout.write(self.style.SUCCESS(f"已启用情感模型 v{row.version}"))
                return
            self.stdout.write("正在训练情感模型……")
            row = do_train_model(acting_user=audit.system_user(), use_corrections=options["from_corrections"],
                                 activate=not options["no_activate"], per_stratum=options["subset"])
        self._print(row)

    def _list(self) -> None:
        rows = SentimentModelVersion.objects.order_by("version")
        if not rows:
            self.stdout.write("尚无情感模型，运行 train_sentiment 训练基线模型")
        for row in rows:
            overall = row.metrics.get("overall", {})
            mark = "（启用中）" if row.is_active else ""
            self.stdout.write(f"v{row.version}{mark}  {row.created_at:%Y-%m-%d %H:%M}  "
                              f"准确率 {overall.get('accuracy', 0):.3f}  宏F1 {overall.get('macro_f1', 0):.3f}  "
                              f"人工标注 {row.trained_on.get('corrections', 0)} 条")

    def _print(self, row: SentimentModelVersion) -> None:
        m = row.metrics
        t = row.trained_on
        state = "已启用" if row.is_active else "未启用"
        self.stdout.write(self.style.SUCCESS(f"情感模型 v{row.version} 训练完成（{state}），用时 {m.get('train_seconds')} 秒"))
        trained = sum(v for k, v in t.items() if "/" in k)
        self.stdout.write(f"训练样本 {trained} 条，其中人工标注 {t.get('corrections', 0)} 条（权重 ×{t.get('correction_weight')}）")
        self._line("留出测试集（总体）", m["overall"])
        for key, figures in m.get("by_source", {}).items():
            self._line(f"  {NAMES.get(key, key)}", figures)
        official = m.get("official_news", {})
        self.stdout.write(f"留出官方新闻 {official.get('n', 0)} 段被判为负面的比例：{official.get('negative_share', 0):.2%}"
                          "（目标 < 5%）")
        modern = m.get("own_official_news", {})
        self.stdout.write(f"自编正面/中性政务新闻（测试句式）{modern.get('n', 0)} 条被判为负面的比例："
                          f"{modern.get('negative_share', 0):.2%}")
        self.stdout.write(f"负面事件词表版本：{m.get('lexicon_version')}")

    def _line(self, title: str, f: dict) -> None:
        share = "，".join(f"{LABEL_NAMES[k]} {v:.0%}" for k, v in f.get("predicted_share", {}).items())
        self.stdout.write(f"{title}：{f['n']} 条  准确率 {f['accuracy']:.3f}  宏F1 {f['macro_f1']:.3f}  "
                          f"负面召回率 {f['neg_recall']:.3f}  预测分布（{share}）")
