"""Demo registry records (演示数据), and the few real ones the shared data names.

Nobody publishes the registries themselves, only a few totals, so that the registry pages, the counts on the
cockpit and the city evaluation have something to show, the demo fills each registry with plausible records:
placed in cities by population, recognised over 2020–2026 at the pace the plan's targets imply, classified by
the plan's sectors, organisations with valid credit codes, a few near-duplicates for the merge page, and a
few open applications. Every demo record carries ``demo`` and is labelled 演示数据 wherever it shows; so is every
count it enters. The 2024 “扬帆” key cities are real (MIIT's notice of 2024-12-02) and are not demo.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc

from yangfan.access.accounts import Grant
from yangfan.access.roles import Role
from yangfan.geo.orgunits import OrgUnitTree
from yangfan.registry import records
from yangfan.registry.kinds import Registry
from yangfan.registry.records import RecordInput
from yangfan.store.models import RegistryCallRow, RegistryRecordRow

DEMO_SOURCE = "演示数据 / demo"
ACTOR = "demo"
MINISTRY = [Grant(Role.administrator, None)]
#: 2024年度 5G应用“扬帆”行动重点城市 (工信厅通信函〔2024〕458号, 2024-12-02), from ../shared/data (NOTES_2023_2026.md).
KEY_CITIES_2024 = ("广州市", "深圳市", "东莞市", "佛山市", "南京市", "苏州市", "无锡市", "杭州市", "宁波市", "济南市",
                   "青岛市", "北京市", "上海市", "合肥市", "郑州市", "武汉市")
KEY_CITIES_SOURCE = "http://dvbcn.com/p/149760.html"

_WORDS = ("智联", "数通", "云创", "华信", "星河", "启明", "天工", "锐捷", "博远", "中科", "极光", "灵犀", "海纳",
          "鼎新", "恒通", "睿视", "九州", "新元", "远望", "金桥", "蓝海", "同创", "卓越", "领航", "未来", "泰和",
          "万象", "凌云")
_TRADES = ("科技", "通信技术", "信息技术", "智能科技", "网络科技", "数字技术", "物联网科技", "工业互联网")
_FORMS = ("有限公司", "股份有限公司", "有限责任公司")
_BODIES = {"industry": "YD/T", "group": "T/CCSA", "national": "GB/T", "international": "ITU-T"}
_CASE_TOPICS = {"industrial_internet": "5G全连接工厂", "power": "5G智慧电网", "mining": "5G智能矿山",
                "oil_gas": "5G智慧油田", "transport": "5G智慧港口", "agriculture": "5G智慧农场", "ocean": "5G智慧渔港",
                "government": "5G政务服务", "education": "5G智慧校园", "governance": "5G城市治理",
                "tourism": "5G智慧景区",
                "health": "5G智慧医院", "broadcasting": "5G超高清直播", "sports": "5G智慧场馆", "terminal": "5G新终端",
                "experience": "5G新通话体验", "environment": "5G沉浸式体验"}


@dataclass(frozen=True, slots=True)
class Plan:
    """How many records of one kind and category the demo holds, from which year, and how many stay applied."""

    kind: str
    category: str
    n: int
    first_year: int = 2020
    applied: int = 0


PLANS = (
    Plan("organisation", "supplier", 240, 2021, 6), Plan("organisation", "integrator", 60),
    Plan("organisation", "chip", 20), Plan("organisation", "module", 40), Plan("organisation", "terminal", 40),
    Plan("organisation", "sme", 90, 2022),
    Plan("carrier", "testbed", 24), Plan("carrier", "industrial_park", 30, 2021),
    Plan("carrier", "innovation_centre", 12),
    Plan("carrier", "workshop", 10, 2025), Plan("carrier", "experience_centre", 10, 2025),
    Plan("carrier", "capability_platform", 8, 2025),
    Plan("standard", "industry", 90, 2021), Plan("standard", "group", 60, 2021), Plan("standard", "national", 12, 2022),
    Plan("product", "module", 500, 2021), Plan("product", "terminal", 420, 2021), Plan("product", "redcap", 160, 2024),
    Plan("security_benchmark", "benchmark", 6, 2025, 2), Plan("security_capability", "capability", 26, 2025, 3),
    Plan("vpn", "shared", 2400, 2021), Plan("vpn", "dedicated", 500, 2021), Plan("vpn", "exclusive", 100, 2021),
    Plan("edge_node", "node", 1200, 2021),
    Plan("case", "typical_case", 500, 2021, 12), Plan("case", "leader", 90, 2025),
    Plan("case", "sector_site", 400, 2022),
    Plan("case", "bloom_entry", 900, 2021), Plan("case", "bloom_award", 240, 2021),
    Plan("city", "coverage_5ga", 300, 2024), Plan("policy", "policy", 140, 2021),
)


def _weights(tree: OrgUnitTree, population: dict[str, float]) -> tuple[list[str], list[float]]:
    """Prefecture-level cities and their weight: population where known, else a province-sized guess."""
    cities = [u.code for u in tree.cities()]
    return cities, [population.get(c, 300.0) for c in cities]


def _credit_code(rng: random.Random, city: str) -> str:
    body = f"91{city}" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    body += rng.choice("0123456789")
    return body + stdnum_uscc.calc_check_digit(body)


def _day(rng: random.Random, first_year: int, today: date) -> date:
    """A start date between ``first_year`` and today, more of them recent (a roll-out gathers pace)."""
    span = (today - date(first_year, 1, 1)).days
    return date(first_year, 1, 1) + timedelta(days=int(span * rng.random() ** 0.7))


def _name(rng: random.Random, plan: Plan, city_name: str, sector: str, i: int) -> str:
    place = city_name.removesuffix("市")
    if plan.kind == "organisation":
        return f"{place}{rng.choice(_WORDS)}{rng.choice(_TRADES)}{rng.choice(_FORMS)}"
    if plan.kind == "standard":
        return f"5G{_CASE_TOPICS[sector].removeprefix('5G')}技术要求 第{i + 1}部分"
    if plan.kind == "product":
        return f"{rng.choice(_WORDS)} {plan.category.upper()}-{rng.randint(100, 999)}{rng.choice('ABCDEFGHMNPX')}"
    if plan.kind == "vpn":
        return f"{place}{rng.choice(_WORDS)}{_CASE_TOPICS[sector].removeprefix('5G')}专网（{i:04d}）"
    if plan.kind == "edge_node":
        return f"{place}边缘计算节点{i:04d}"
    if plan.kind == "city":
        return city_name
    if plan.kind == "policy":
        return f"{place}关于加快5G规模化应用的实施意见（{i}）"
    return f"{place}{_CASE_TOPICS[sector]}{'项目' if plan.kind == 'case' else '平台'}{i:03d}"


def _inputs(reg: Registry, tree: OrgUnitTree, population: dict[str, float], today: date, seed: int
            ) -> list[tuple[RecordInput, str]]:
    """Every demo record as input, with the status it is to have."""
    rng = random.Random(seed)
    cities, weights = _weights(tree, population)
    sectors = list(reg.sectors)
    out: list[tuple[RecordInput, str]] = []
    for plan in PLANS:
        kind = reg.kinds[plan.kind]
        pool = cities if plan.kind != "city" else rng.sample(cities, min(plan.n, len(cities)))
        for i in range(plan.n):
            city = pool[i] if plan.kind == "city" else rng.choices(cities, weights)[0]
            sector = rng.choice(sectors)
            org_unit = city if tree.units[city].kind != "municipality" else city
            operator = rng.choice(("cmcc", "cmcc", "ctcc", "cucc", "cbn")) if kind.operator else ""
            name = _name(rng, plan, tree.units[city].name_zh, sector, i)
            attrs = {a: "演示" for a in kind.attrs}
            ref = f"{_BODIES[plan.category]} {5000 + i}-{2020 + i % 7}" if plan.kind == "standard" else (
                f"{name.split()[-1]}/CTA{rng.randint(10**6, 10**7 - 1)}" if plan.kind == "product" else "")
            start = _day(rng, plan.first_year, today)
            ended = start + timedelta(days=rng.randint(200, 900)) if rng.random() < 0.03 else None
            r = RecordInput(plan.kind, plan.category, name, org_unit, _credit_code(rng, city[:6])
                            if plan.kind == "organisation" else None, ref, sector, operator, start,
                            ended if ended and ended < today else None, attrs)
            out.append((r, "applied" if i < plan.applied else "recognised"))
    # Near-duplicates, as registries collect them: the same firm under another legal form, without its code.
    firms = [r for r, s in out if r.kind == "organisation" and s == "recognised"][:8]
    for r in firms:
        twin = (r.name.replace("股份有限公司", "有限公司") if "股份" in r.name
                else r.name.replace("有限公司", "股份有限公司"))
        out.append((RecordInput(**{**records._fields(r), "name": twin, "uscc": _credit_code(rng, r.org_unit[:6])}),
                    "recognised"))
    return out


def load(session: Session, reg: Registry, tree: OrgUnitTree, population: dict[str, float], today: date,
         say: Callable[[int, int], None] = lambda _i, _n: None, seed: int = 13) -> int:
    """Fill the registries once (a store that holds demo records is left alone); returns the records added."""
    if session.scalar(select(func.count()).where(RegistryRecordRow.demo.is_(True))):
        return 0
    added = _key_cities(session, reg, tree)
    planned = _inputs(reg, tree, population, today, seed)
    for i, (r, status) in enumerate(planned):
        if records.same_key(session, reg, r) is None:
            records.create(session, reg, tree, MINISTRY, ACTOR, r, status=status, demo=True, source=DEMO_SOURCE)
            added += 1
        if i % 200 == 0:
            say(i, len(planned))
    session.add(RegistryCallRow(kind="organisation", category="supplier",
                                title_zh=f"{today.year}年5G应用解决方案供应商征集（演示）",
                                title_en=f"{today.year} call for 5G application solution suppliers (demo)",
                                description="演示数据：面向5G应用解决方案供应商的征集活动，请附营业执照与案例材料（PDF）。",
                                opens=date(today.year, 1, 1), closes=date(today.year, 12, 31), created_by=ACTOR))
    say(len(planned), len(planned))
    return added


def _key_cities(session: Session, reg: Registry, tree: OrgUnitTree) -> int:
    """The real 2024 key cities (not demo), recognised from the notice's date."""
    by_name = {u.name_zh: u.code for u in tree.cities()}
    n = 0
    for name in KEY_CITIES_2024:
        r = RecordInput("city", "yangfan_key", name, by_name[name], valid_from=date(2024, 12, 2),
                        attrs={"batch": "2024年度（工信厅通信函〔2024〕458号）"})
        if records.same_key(session, reg, r) is None:
            records.create(session, reg, tree, MINISTRY, "system", r, status="recognised", source=KEY_CITIES_SOURCE)
            n += 1
    return n
