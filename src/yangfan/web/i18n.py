"""Interface texts in Chinese (first) and English."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from yangfan.catalog import Indicator, Target
from yangfan.catalog.models import HORIZON_DEADLINE, PLATFORM_READING
from yangfan.geo.orgunits import OrgUnit

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
    "build": {"zh": "分析数据版本", "en": "Analytics build"},
    "build_as_of": {"zh": "含截至以下时间审核的数据", "en": "includes data approved up to"},
    "build_new": {"zh": "已有更新的数据：刷新本页即可查看。",
                  "en": "Newer figures are available: reload this page to see them."},
    "build_reload": {"zh": "刷新", "en": "Reload"},
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
    "indicators": {"zh": "指标", "en": "Indicators"},
    "map": {"zh": "地图", "en": "Map"},
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出", "en": "Log out"},
    "audit": {"zh": "审计日志", "en": "Audit log"},
    "username": {"zh": "用户名", "en": "Username"},
    "password": {"zh": "密码", "en": "Password"},
    "all_sections": {"zh": "全部条款", "en": "All sections"},
    "section": {"zh": "条款", "en": "Section"},
    "demo_banner": {"zh": "本页含演示数据：省、市数值由公开发布的全国和地区总量按人口及随机权重分摊生成，"
                          "不是统计数据，标有“演示数据”。全国和地区数值为真实公开数据。",
                    "en": "This page contains demo data (演示数据): provincial and city values are published "
                          "national and regional totals apportioned by population and random weights, not "
                          "statistics. National and regional values are real published figures."},
    "demo": {"zh": "演示数据", "en": "demo data"},
    "quality": {"zh": "质量提示", "en": "Quality note"},
    "lineage": {"zh": "溯源", "en": "Lineage"},
    "restated": {"zh": "按新口径重述", "en": "restated on the new coverage"},
    "coverage_change": {"zh": "口径调整", "en": "coverage change"},
    "coverage": {"zh": "统计口径", "en": "Coverage"},
    "lineage_intro": {"zh": "该数值由以下输入计算；汇总值展开到其组成部分，每个报送值列出给出该数值的全部来源，"
                            "以及给出其他数值的来源（未采用）。",
                      "en": "This figure is computed from the inputs below; sums open into their parts, and every "
                            "reported value lists all sources that give it, then the sources that give another value "
                            "(not used)."},
    "origin": {"zh": "来源方式", "en": "Origin"},
    "alternatives": {"zh": "其他来源（未采用）", "en": "Other sources (not used)"},
    "demo_export": {"zh": "演示数据：本文件含由公开总量分摊生成的省、市演示数值，不是统计数据。",
                    "en": "Demo data (演示数据): this file contains provincial and city values apportioned from "
                          "published totals; they are not statistics."},
    "definition": {"zh": "定义", "en": "Definition"},
    "formula": {"zh": "计算方法", "en": "Formula"},
    "unit": {"zh": "单位", "en": "Unit"},
    "clause": {"zh": "规划条款", "en": "Clause of the plan"},
    "org_unit": {"zh": "地区", "en": "Area"},
    "period": {"zh": "期间", "en": "Period"},
    "value": {"zh": "数值", "en": "Value"},
    "flags": {"zh": "标记", "en": "Flags"},
    "approval": {"zh": "状态 · 录入人", "en": "Status · entered by"},
    "month": {"zh": "月度", "en": "Monthly"},
    "quarter": {"zh": "季度", "en": "Quarterly"},
    "year": {"zh": "年度", "en": "Annual"},
    "download": {"zh": "下载", "en": "Download"},
    "no_data": {"zh": "暂无数据", "en": "No data"},
    "national": {"zh": "全国", "en": "National"},
    "rank": {"zh": "排名", "en": "Rank"},
    "relative": {"zh": "与全国之比", "en": "Relative to national"},
    "children": {"zh": "下级地区", "en": "Areas below"},
    "vs_national_targets": {"zh": "按全国目标衡量本地区进度",
                            "en": "Progress of this area measured against the national targets"},
    "show_map": {"zh": "地图", "en": "map"},
    "back_to_nation": {"zh": "返回全国", "en": "Back to China"},
    "drill_hint": {"zh": "点击省份查看其地市", "en": "Click a province to see its cities"},
    "table_alt": {"zh": "数据表（地图的文字版）", "en": "Table (text version of the map)"},
    "apply": {"zh": "查询", "en": "Apply"},
    "actor": {"zh": "操作人", "en": "Actor"},
    "action": {"zh": "操作", "en": "Action"},
    "entity": {"zh": "对象", "en": "Entity"},
    "since": {"zh": "起始日期", "en": "From"},
    "until": {"zh": "截止日期", "en": "To"},
    "time": {"zh": "时间", "en": "Time"},
    "before": {"zh": "变更前", "en": "Before"},
    "after": {"zh": "变更后", "en": "After"},
    "chain_ok": {"zh": "哈希链完整", "en": "Hash chain intact"},
    "chain_broken": {"zh": "哈希链断裂，首个异常条目", "en": "Hash chain broken at entry"},
    "entries": {"zh": "条记录", "en": "entries"},
    "all": {"zh": "全部", "en": "All"},
    "error": {"zh": "出错了", "en": "Error"},
    "home": {"zh": "返回驾驶舱", "en": "Back to the cockpit"},
    "login_failed": {"zh": "登录失败", "en": "Login failed"},
    "logged_in_as": {"zh": "当前用户", "en": "Signed in as"},
    "target_line": {"zh": "目标", "en": "Target"},
    "review": {"zh": "审核", "en": "Review"},
    "review_intro": {"zh": "本单位（或本运营商）待审核、待发布的数据。审核通过的数据进入分析，发布后公众可见。",
                     "en": "Values of your unit (or operator) awaiting review or publication. Approved values enter "
                           "the analytics; published ones are public."},
    "approve": {"zh": "审核通过", "en": "Approve"},
    "return": {"zh": "退回", "en": "Return"},
    "publish": {"zh": "发布", "en": "Publish"},
    "nothing_pending": {"zh": "没有待处理的数据", "en": "Nothing awaits review"},
    "review_note": {"zh": "审核意见", "en": "Note"},
    "status_submitted": {"zh": "待审核", "en": "submitted"},
    "status_approved": {"zh": "已审核，待发布", "en": "approved, not yet published"},
}


#: English for the catalog's base units (counts read as plain numbers).
UNIT_EN = {"个": "", "项": "", "款": "", "家": "", "户": "", "人": "persons", "个/万人": "per 10k residents",
           "部/百人": "per 100 residents", "百分点": "pp"}
#: English has no 万 or 亿: a large count reads in millions or billions, a smaller one in full.
LARGE_EN = ((1e9, "billion"), (1e6, "million"))


@dataclass(frozen=True, slots=True)
class Scale:
    """How values of one indicator are written: the base value ÷ ``divisor``, with ``decimals`` places, in ``unit``."""

    divisor: float
    decimals: int
    unit: str
    #: The divisor and decimals the value is first rounded to, when they are not this scale's: the Chinese
    #: display unit's, so that every language writes the same rounded figure (50.5万 is 505,000).
    rounding: tuple[float, int] | None = None

    def number(self, value: float | None) -> float | None:
        """The value as a table or chart shows it, in this scale's unit."""
        if value is None:
            return None
        divisor, decimals = self.rounding or (self.divisor, self.decimals)
        return round(round(value / divisor, decimals) * divisor / self.divisor, self.decimals) + 0.0  # + 0.0: no -0

    def digits(self, value: float | None) -> str:
        """The value with thousands separators, without the unit (a dash where there is none)."""
        shown = self.number(value)
        return "—" if shown is None else f"{shown:,.{self.decimals}f}"

    def text(self, value: float | None) -> str:
        """The value with its unit: 425.1 万个, 4.251 million, 505,000, 34.35 per 10k residents."""
        return "—" if value is None else f"{self.digits(value)} {self.unit}".strip()


def scale(ind: Indicator, lang: Lang, magnitude: float | None = None) -> Scale:
    """How to write values of ``ind`` of about ``magnitude`` (base unit, e.g. the largest in a table).

    Chinese keeps the catalog's display unit (万个, 亿户). English has no 万 or 亿: such a count is written
    in full below a million and in millions or billions above, always to the precision of the Chinese
    figure, so that both say the same (50.5万 → 505,000; 425.1万 → 4.251 million; 10.14亿 → 1.014 billion).
    Other units (%, per 10k residents) are written as they are.
    """
    if lang == "zh":
        return Scale(ind.display_divisor, ind.decimals, ind.display_unit)
    noun = ind.unit_en or UNIT_EN.get(ind.unit, ind.unit)
    if ind.display_divisor == 1:
        return Scale(1.0, ind.decimals, noun)
    rounding = (ind.display_divisor, ind.decimals)
    shown = abs(round((magnitude or 0) / ind.display_divisor, ind.decimals) * ind.display_divisor)
    divisor, word = next(((d, w) for d, w in LARGE_EN if shown >= d), (1.0, ""))  # 999,999,600 is 1 billion
    places = max(0, round(math.log10(divisor / ind.display_divisor)) + ind.decimals)
    return Scale(divisor, places, f"{word} {noun}".strip(), rounding)


def base_unit(ind: Indicator, lang: Lang) -> str:
    """The unit of a stored or computed value, before any display divisor: 个, %, 个/万人; count, %, …"""
    return ind.unit if lang == "zh" else ind.unit_en or UNIT_EN.get(ind.unit, ind.unit) or "count"


def value_text(ind: Indicator, value: float | None, lang: Lang) -> str:
    """A value of ``ind`` with its unit, written on its own: 425.1 万个, 4.251 million."""
    return scale(ind, lang, value).text(value)


def target_text(ind: Indicator, target: Target, lang: Lang) -> str:
    """A target as people read it: 超 85 %, 达 38 个/万人, 超 1 亿个, > 100 million, …"""
    if target.value is None:
        return "—"
    s = scale(ind, lang, target.value)
    if lang == "zh" and target.value >= 1e8 and ind.unit in ("个", "户"):  # 1亿, not 10,000万
        s = Scale(1e8, 0, "亿" + ind.unit)
    comparator = {"超": ("超", ">"), "达": ("达", "≥")}[target.comparator][0 if lang == "zh" else 1]
    value = f"{target.value / s.divisor:,.6f}".rstrip("0").rstrip(".")  # as the plan says it: 38, 3.8, 1
    text = f"{comparator} {value} {s.unit}".strip()
    # A number the plan does not state is Yangfan's reading, and says so wherever it shows.
    return f"{text}（{PLATFORM_READING['zh']}）" if target.reading and lang == "zh" else \
        f"{text} ({PLATFORM_READING['en']})" if target.reading else text


def deadline_text(target: Target, lang: Lang) -> str:
    """A target's deadline, saying when it is the plan's horizon because the clause sets no date."""
    if target.deadline is None:
        return ""
    if target.deadline_from == "plan":
        return f"{target.deadline}（{HORIZON_DEADLINE['zh']}）" if lang == "zh" else \
            f"{target.deadline} ({HORIZON_DEADLINE['en']})"
    return target.deadline.code


def in_language(note: str, lang: Lang) -> str:
    """One language of a note the core writes in both, "中文 / English"."""
    return note.split(" / ")[0 if lang == "zh" else -1]


def unit_name(unit: OrgUnit, lang: Lang) -> str:
    """An org unit's name in the page's language (Chinese where no English name is known)."""
    return unit.name_zh if lang == "zh" else (unit.name_en or unit.name_zh)


def texts(lang: Lang) -> dict[str, str]:
    """All texts in one language."""
    return {k: v[lang] for k, v in TEXTS.items()}
