"""Interface texts in Chinese (first) and English."""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]

TEXTS: dict[str, dict[Lang, str]] = {
    "site": {"zh": "扬帆 · 5G规模化应用监测平台", "en": "Yangfan · 5G Scale-Application Monitoring"},
    "cockpit": {"zh": "驾驶舱", "en": "Cockpit"},
    "plan_2024": {"zh": "5G规模化应用“扬帆”行动升级方案（2024—2027年）目标进度",
                  "en": "Targets of the 5G Scale Application \"Sailing\" Upgrade Plan (2024–2027)"},
    "plan_ended": {"zh": "已结束规划的完成情况", "en": "How the earlier plans ended"},
    "real_data": {"zh": "本页数据为工业和信息化部、国家统计局公开发布的真实数据（经媒体转载收集，附来源链接）；"
                        "合成的演示数据一律标注“演示数据”，当前页面不含演示数据。",
                  "en": "Figures on this page are real data published by MIIT and NBS (collected from "
                        "re-publications, each with its source link). Synthetic demo data is always marked "
                        "“演示数据”; this page contains none."},
    "as_of": {"zh": "数据截至", "en": "Data as of"},
    "code": {"zh": "编号", "en": "Code"},
    "indicator": {"zh": "指标", "en": "Indicator"},
    "target": {"zh": "目标", "en": "Target"},
    "latest": {"zh": "最新值", "en": "Latest"},
    "progress": {"zh": "进度", "en": "Progress"},
    "trend": {"zh": "趋势", "en": "Trend"},
    "status": {"zh": "状态", "en": "Status"},
    "deadline": {"zh": "期限", "en": "Deadline"},
    "source": {"zh": "来源", "en": "Source"},
    "notes": {"zh": "说明", "en": "Notes"},
    "at_deadline": {"zh": "截止期数值", "en": "At deadline"},
    "met_at": {"zh": "首次达成", "en": "First met"},
    "no_deadline": {"zh": "未设期限", "en": "no deadline"},
    "lower_bound": {"zh": "下限", "en": "floor"},
    "switch": {"zh": "English", "en": "中文"},
    "tracked": {"zh": "跟踪监测，无数值目标", "en": "tracked, no numeric target"},
    "legend": {"zh": "状态说明：已达成；按期（近12个月增速不低于所需增速）；滞后（达所需增速的60%以上）；"
                     "严重滞后；数据不足（最新值已滞后一年以上或缺少比较值）；无数据。",
               "en": "Status: met; on track (pace of the last 12 months at least the pace required); behind "
                     "(at least 60% of it); far behind; not enough data (latest value a year old or no "
                     "comparison value); no data."},
}


#: English for the catalog's base units (counts read as plain numbers).
UNIT_EN = {"个": "", "项": "", "款": "", "家": "", "户": "", "人": "persons", "个/万人": "per 10k residents",
           "部/百人": "per 100 residents", "百分点": "pp"}


def unit_text(unit_zh: str, unit_en: str, lang: Lang) -> str:
    """A unit in the page's language."""
    return unit_zh if lang == "zh" else (unit_en or UNIT_EN.get(unit_zh, unit_zh))


def texts(lang: Lang) -> dict[str, str]:
    """All texts in one language."""
    return {k: v[lang] for k, v in TEXTS.items()}
