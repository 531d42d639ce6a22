"""Convert ``../shared/data`` (published MIIT/NBS figures) into Yangfan's own history files.

Run once when the shared data changes: ``.venv/bin/python scripts/convert_shared_data.py``.
The output keeps every row and its source address; it maps metric names to catalog indicator
codes, splits the 超/约 suffixes into a qualifier and sets a priority where several sources give one
figure. The ``scope`` column is left empty: which operators a figure covers (three to 2023, with
中国广电 from 2024) is declared in the catalog and filled in by the importer.

``national_2023_2026.csv`` (read ``NOTES_2023_2026.md`` beside it) also gets notes on conflicts and
weak sources, the CCTV original of every 新闻联播 transcript row, and drops the published shares of
phone shipments that Yangfan computes from their published inputs (they are checked in
``tests/data/miit_published_ratios.csv`` instead).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "yangfan" / "collect" / "published"
COLUMNS = ["indicator", "org_unit", "period", "value", "unit", "qualifier", "scope", "priority", "source_url", "note"]

METRICS = {
    "base_stations_5g": "bs_5g",
    "mobile_base_stations_total": "bs_mobile_total",
    "base_stations_4g": "bs_4g",
    "base_stations_nb_iot": "bs_nb_iot",
    "mobile_phone_users_total": "users_mobile_phone",
    "users_5g_mobile_phone": "users_5g_mobile_phone",
    "users_4g": "users_4g",
    "telephone_users_total": "users_telephone_total",
    "cellular_iot_terminal_users": "users_cellular_iot",
    "mobile_terminal_connections_total": "connections_mobile_terminal_total",
    "industry_virtual_private_networks_5g": "vpn_5g_industry",
    "terminal_connections_5g_handset": "terminal_connections_5g_handset",
    "terminal_connections_5g": "terminal_connections_5g",
    "base_stations_5g_new_ytd": "bs_5g_new",
    "base_stations_5g_new_in_year": "bs_5g_new",  # given at YYYY-12: the year-to-date total of December
    "base_stations_5g_net_add_ytd": "bs_5g_net_add",
    "mobile_internet_traffic_ytd": "mobile_internet_traffic",
    "traffic_5g_share_of_mobile_traffic": "traffic_5g_share",
    "base_stations_5g_share_of_regional_mobile_bs": "bs_5g_share_published",
    "users_5g_share_of_regional_mobile": "users_5g_share_published",
    "base_stations_5g_share_of_national_5g_bs": "bs_5g_share_of_national_published",
    "users_5g_share_change_vs_prev_yearend": "users_5g_share_change_published",
    # national_2023_2026.csv
    "cities_5g_a_coverage": "network_5ga_deployment",  # MIIT's 5G-A覆盖城市 (target T03)
    "industry_vpn_5g_customers_china_unicom": "vpn_5g_customers_china_unicom",
    "iot_terminal_connections_5g": "iot_5g_connections",
    "base_stations_5g_per_10k_people": "bs_5g_per_10k_published",
    "penetration_5g_personal_users": "users_5g_penetration_published",
    "users_5g_share_of_mobile_users": "users_5g_share_published",
    "national_economy_categories_5g": "economy_divisions_5g",
    "application_cases_5g": "application_cases_5g",
    "application_cases_5g_cmcc": "application_cases_5g_china_mobile",
    "factories_5g": "factories_5g",
    "factories_5g_directory_cumulative": "factories_5g_directory",
    "factories_5g_directory_new_in_year": "factories_5g_directory_new",
    "industrial_internet_5g_projects": "projects_5g_industrial_internet",
    "industrial_5g_private_networks": "private_networks_5g_industrial",
    "industrial_5g_terminal_models": "terminal_models_5g_industrial",
    "users_gigabit_broadband": "users_gigabit_broadband",
    "fixed_broadband_users_total": "users_fixed_broadband",
    "users_gigabit_share_of_fixed_broadband": "users_gigabit_share_published",
    "cities_gigabit": "cities_gigabit",
    "ports_10g_pon": "ports_10g_pon",
    "ipv6_traffic_share_mobile": "ipv6_traffic_share_mobile",
    "ipv6_active_users": "ipv6_active_users",
    "phone_shipments_5g_month": "phone_shipments_5g",
    "phone_shipments_total_month": "phone_shipments_total",
    "phone_shipments_5g_ytd": "phone_shipments_5g_ytd",
    "phone_shipments_total_ytd": "phone_shipments_total_ytd",
    "phone_shipments_5g_share_month": "phone_shipments_5g_share_published",
    "phone_shipments_5g_share_ytd": "phone_shipments_5g_share_ytd_published",
    "phone_new_models_5g_ytd": "phone_new_models_5g",
    "users_5g_a": "users_5g_a",
    "cities_5g_a_commercial_cmcc": "cities_5ga_commercial_china_mobile",
    "standards_5g_a_international_led_cmcc": "standards_5ga_intl_china_mobile",
    "base_stations_5g_redcap_capable": "bs_5g_redcap",
    "sep_share_5g_declared": "sep_share_5g",
    "cities_5g_yangfan_key_assessed": "cities_yangfan_key",
}
#: Indicators reported per year although the shared file dates them to a month (the month goes into the note).
ANNUAL = {"factories_5g_directory_new", "cities_yangfan_key"}
PROVINCES = {
    "zhejiang": "330000", "guangdong": "440000", "shandong": "370000", "henan": "410000", "hubei": "420000",
    "hunan": "430000", "anhui": "340000", "heilongjiang": "230000", "jiangxi": "360000", "shanxi": "140000",
}
# Where two sources of equal precision disagree, the better source (shared/data/README.md §5,
# NOTES_2023_2026.md: national_economy_categories_5g).
PREFER = {("2022-09", "users_5g_mobile_phone", "5.1"),
          ("2024-09", "economy_divisions_5g", "80"), ("2025-11", "economy_divisions_5g", "91")}
NOTES = {
    ("2024-06", "users_mobile_phone"): "可能为转载笔误：调整后基数加当年净增约17.68亿 / probably a transcription error (≈17.68亿 implied)",
    ("2020-12", "bs_5g"): "另据2021年累计数推算为77.1万 / the 2021 year-to-date figures imply 77.1万",
    ("2025-12", "users_mobile_phone"): "较2025-11（18.28亿）实际下降 / a real decline from 2025-11",
    ("2022-03", "users_mobile_phone"): "原文普及率“117.6%”指每百人117.6部 / the source's 117.6% means per 100 people",
    ("2022-09", "users_5g_mobile_phone"): "公报5.1亿，讲话5.2亿；以公报为准 / bulletin 5.1, speech 5.2: the bulletin is preferred",
}


# Notes for national_2023_2026.csv, by (period, indicator) or, where sources disagree, (period, indicator, value).
NOTES_2023 = {
    ("2024-09", "economy_divisions_5g", "76"): (
        "前三季度发布会数字（经 blog.11467.com 转载）；同月另见80（2024年12月官方再次引用），以80为准 / Q3 "
        "press-conference figure via blog.11467.com; 80 for the same month (quoted officially in Dec 2024) is "
        "preferred"),
    ("2024-09", "economy_divisions_5g", "80"): (
        "与76冲突，以80为准：该数字2024年12月经官方再次引用 / conflicts with 76; preferred: quoted officially in Dec "
        "2024"),
    ("2025-11", "economy_divisions_5g", "86"): (
        "5G+工业互联网大会“最新统计”，与上半年数字相同，疑为旧数；以人民日报“截至11月底91个”为准 / conference "
        "figure, equal to the H1 figure and probably stale; 91 (人民日报, end of November) is preferred"),
    ("2025-11", "economy_divisions_5g", "91"): (
        "人民日报2026-01-02“截至2025年11月底”；优于同月会议数字86 / 人民日报 'end of November 2025'; preferred over "
        "the conference's 86"),
    ("2025-06", "economy_divisions_5g"): (
        "上半年发布会该句紧随前5个月数据，月份可能是05或06 / the H1 press-conference sentence follows January–May "
        "data: the month could be 05 or 06"),
    ("2026-03", "economy_divisions_5g"): (
        "原文为“5G、千兆光网已融入……91个”（两者合计口径）/ the wording is joint: '5G and gigabit optical networks "
        "have entered 91'"),
    ("2024-03", "traffic_5g_share"): (
        "扬帆评估通知“截至2024年3月底”56.1%，高于通报1—4月55.4%：口径可能不同（单月或运营商范围）；"
        "年内累计序列以通报（53.3→55.4）为准 / 扬帆 evaluation notice; above the bulletin's Jan–Apr 55.4, so "
        "probably another basis (single month or operator scope): for the year-to-date series prefer the bulletin "
        "(53.3 → 55.4)"),
    ("2024-04", "traffic_5g_share"): (
        "通报1—4月累计口径；与2024-03的56.1（扬帆通知）冲突时以本序列为准 / bulletin, January–April: preferred over "
        "the 扬帆 notice's 56.1 at 2024-03"),
    ("2023-12", "traffic_5g_share"): (
        "2023年全年“接近50%” / full year 2023, 'close to 50%'"),
    ("2024-10", "users_5g_mobile_phone"): (
        "来源为中央广播电视总台泰米尔语网页（可靠性最低，待核对工信部原文）/ from a CMG Tamil-language page: "
        "lowest-quality source, check against MIIT"),
    ("2025-08", "users_5g_mobile_phone"): (
        "该页误将工信部数据归于信通院 / the page wrongly attributes MIIT's data to CAICT"),
    ("2025-08", "users_mobile_phone"): (
        "该页误将工信部数据归于信通院 / the page wrongly attributes MIIT's data to CAICT"),
    ("2025-10", "bs_5g"): (
        "电视回顾节目（2025-12-03播出）未说明统计月份 / TV review aired 2025-12-03; the reference month is not stated"),
    ("2026-05", "bs_5g"): (
        "电视专题（2026-06-07）“超500万个” / TV feature of 2026-06-07"),
    ("2025-11", "users_cellular_iot"): (
        "中央网信办“从11.36亿户增至29亿户”；2025-12通报为28.88亿 / CAC: 'from 11.36亿 to 29亿'; the 2025-12 bulletin "
        "gives 28.88亿"),
    ("2025-01", "users_cellular_iot"): (
        "“当前”，2025-02-10播出 / 'currently', broadcast 2025-02-10"),
    ("2025-11", "users_5g_penetration_published"): (
        "存疑：与11.93亿（2025-11）÷140828万=84.7%、11.84亿（2025-10）=84.1%均不符，统计月份与人口基数未说明；"
        "期间2025-11为转录者所定 / doubtful: 11.93亿 (2025-11) / 140828万 gives 84.7%, 11.84亿 (2025-10) 84.1%; "
        "month and population base not stated; 2025-11 is an assignment"),
    ("2024-11", "bs_5g_per_10k_published"): (
        "原文“截至目前……5G基站总数超过414万个，平均每万人拥有5G基站数达到29个”：414万为10月末数 / said together with "
        "'more than 414万 base stations', the October-end count"),
    ("2023-10", "vpn_5g_industry"): (
        "“前十个月……接近2.8万个” / 'first ten months … close to 28,000'"),
    ("2024-02", "vpn_5g_industry"): (
        "超3.3万（人民日报2024-04-11）；其后2024-03/04的“超3万”表述较宽 / >33,000; the later '>30,000' statements "
        "(2024-03/04) are looser"),
    ("2025-11", "vpn_5g_industry"): (
        "2025中国5G+工业互联网大会“6.4万个” / 2025 China 5G + Industrial Internet Conference"),
    ("2024-10", "vpn_5g_customers_china_unicom"): (
        "中国联通月度经营数据：客户数，不是专网数 / China Unicom monthly KPI: customers, not networks"),
    ("2024-04", "application_cases_5g"): (
        "疑为2023-09“超9.4万”的旧数重复 / probably a stale repeat of the 2023-09 figure"),
    ("2024-12", "application_cases_5g"): (
        "“优秀案例数……13.8万”（谢存，2025年1月）/ 'excellent cases … 138,000' (谢存, January 2025)"),
    ("2025-11", "application_cases_5g"): (
        "会议表述，疑为同一13.8万旧数 / conference wording; probably the same stale 138,000"),
    ("2024-10", "cities_5ga_commercial_china_mobile"): (
        "中国移动（杨杰）；可能含县级市，不可与全国“5G-A覆盖城市”混用 / China Mobile (杨杰); may count county-level "
        "cities: not the national series"),
    ("2024-03", "cities_5ga_commercial_china_mobile"): (
        "中国移动首批5G-A商用城市 / China Mobile's first batch of 5G-A commercial cities"),
    ("2026-05", "network_5ga_deployment"): (
        "“330多个城市”，正在升级（新闻联播2026-06-07）/ '330-odd cities', being upgraded"),
    ("2025-11", "factories_5g_directory"): (
        "名录发布月份未见，2025-11为引用1260的日期（2025-11-21/23）/ publication month not on the page: 2025-11 is "
        "when 1260 was quoted"),
    ("2025", "factories_5g_directory_new"): (
        "2025年度名录；发布月份未见，共享数据记为2025-11 / the 2025 directory; publication month not on the page "
        "(shared data: 2025-11)"),
    ("2024", "factories_5g_directory_new"): (
        "2024年度名录；共享数据记为2024-11 / the 2024 directory (shared data: 2024-11)"),
    ("2023", "factories_5g_directory_new"): (
        "2023年度名录；共享数据记为2023-11 / the 2023 directory (shared data: 2023-11)"),
    ("2024", "cities_yangfan_key"): (
        "2024年度评估结果（工信厅通信函〔2024〕458号，2024-12-02）/ 2024 evaluation (MIIT notice of 2024-12-02)"),
    ("2023-10", "projects_5g_industrial_internet"): (
        "“在建”项目超8000个 / more than 8,000 projects under construction"),
    ("2024-10", "projects_5g_industrial_internet"): (
        "与两天后发布的前三季度“超1.5万”冲突，表述较宽 / looser figure broadcast two days before the Q3 '>15,000'"),
    ("2025-09", "private_networks_5g_industrial"): (
        "“超过2万张5G工业专网”；可能与“5G+工业互联网”项目同一计数 / probably the same count as the 5G + industrial "
        "internet projects"),
    ("2025-12", "private_networks_5g_industrial"): (
        "“工业5G专网项目超过2万个”（人民日报）；可能与“5G+工业互联网”项目同一计数 / probably the same count as the "
        "5G + industrial internet projects"),
    ("2025-09", "terminal_models_5g_industrial"): (
        "“工业网关、工业路由器等已增至超过百款” / 'industrial gateways, routers etc. now more than 100 models'"),
    ("2025-12", "bs_5g_redcap"): (
        "英文摘要“some 2.064 million”，占5G基站42.7% / English summary: 'some 2.064 million', 42.7% of 5G base "
        "stations"),
    ("2025-11", "users_gigabit_broadband"): (
        "中央网信办“十四五”回顾 / CAC review of the 14th Five-Year Plan"),
    ("2026-02", "users_gigabit_share_published"): (
        "当月只播出占比与固定宽带用户总数 / only the share and the fixed-broadband total were broadcast"),
    ("2026-04", "users_5g_share_published"): (
        "当月未播出5G用户绝对数 / no absolute 5G user count was broadcast"),
}
# Aggregator and translation sites: the lowest-reliability sources (NOTES_2023_2026.md, ranking 4).
WEAK_HOSTS = ("chinadailybrief.com", "puthiyathisaigal.com", "m.22a6.cn", "zol.com.cn", "btzoq.cn", "blog.11467.com")
WEAK_NOTE = "来源为聚合或翻译网站，可靠性最低 / aggregator or translation site: lowest reliability"
TRANSCRIPTS = "https://github.com/DuckBurnIncense/xin-wen-lian-bo/blob/master/news/"


def _split(metric: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)(?:_(lower_bound|approx))?$", metric)
    assert m
    return m[1], m[2] or "exact"


def _decimals(value: str) -> int:
    return len(value.split(".")[1]) if "." in value else 0


def _with_priorities(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """More precise figures win over rounded ones; PREFER names the better source in a tie."""
    for r in rows:
        prefer = (r["period"], r["indicator"], r["value"]) in PREFER
        r["priority"] = str(_decimals(r["value"]) + (10 if prefer else 0))
    return rows


def telecom(path: Path, org_unit_of: dict[str, str] | None = None) -> list[dict[str, str]]:
    out = []
    for r in csv.DictReader(path.open(encoding="utf-8")):
        base, qualifier = _split(r["metric"])
        code = METRICS[base]
        ou = org_unit_of[r["region"]] if org_unit_of else "100000"
        out.append({
            "indicator": code, "org_unit": ou, "period": r["period"], "value": r["value"], "unit": r["unit"],
            "qualifier": qualifier, "scope": "", "source_url": r["source_url"],
            "note": NOTES.get((r["period"], code), ""),
        })
    return _with_priorities(out)


def cctv_originals() -> dict[str, str]:
    """CCTV original of each 新闻联播 transcript file, by date (the table at the end of NOTES_2023_2026.md)."""
    text = (SHARED / "NOTES_2023_2026.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| (\d{8}) \| .* \| (https://tv\.cctv\.com/\S+) \|$", text, re.M))


def _computable_shares(rows: list[dict[str, str]]) -> set[tuple[str, str]]:
    """(metric, period) of published shipment shares that Yangfan computes from published inputs.

    A single-month share needs both single-month shipments. A year-to-date share needs both
    year-to-date totals, and January-to-month must be a period: Q1 (March) or the year (December).
    """
    have = {(r["metric"], r["period"]) for r in rows}
    out = set()
    for _, period in have:
        if {("phone_shipments_5g_month", period), ("phone_shipments_total_month", period)} <= have:
            out.add(("phone_shipments_5g_share_month", period))
        ytd_inputs = {("phone_shipments_5g_ytd", period), ("phone_shipments_total_ytd", period)}
        if period[5:] in ("03", "12") and ytd_inputs <= have:
            out.add(("phone_shipments_5g_share_ytd", period))
    return out


def _as_published(code: str, value: str, unit: str) -> tuple[str, str]:
    """The value in its published unit where the shared file converted it."""
    if code == "ipv6_active_users" and unit == "亿":
        return value, "亿人"  # "IPv6活跃用户数达7.63亿": people
    if code.startswith("phone_shipments") and unit == "万部" and "." not in value and int(value) % 100 == 0:
        return f"{int(value) / 10000:.2f}", "亿部"  # published in 亿部 (2.40亿), converted to 24000万部
    return value, unit


def national_2023_2026() -> list[dict[str, str]]:
    rows = list(csv.DictReader((SHARED / "national_2023_2026.csv").open(encoding="utf-8")))
    computed = _computable_shares(rows)
    cctv = cctv_originals()
    out, dropped, used = [], [], set()
    for r in rows:
        if (r["metric"], r["period"]) in computed:
            dropped.append(f"{r['metric']}@{r['period']}")
            continue
        base, qualifier = _split(r["metric"])
        code = METRICS[base]
        period = r["period"][:4] if code in ANNUAL else r["period"]
        value, unit = _as_published(code, r["value"], r["unit"])
        key = next((k for k in ((period, code, r["value"]), (period, code)) if k in NOTES_2023), None)
        used.add(key)
        notes = [NOTES_2023[key] if key else ""]
        url = r["source_url"]
        if any(host in url for host in WEAK_HOSTS) and "可靠性最低" not in notes[0]:
            notes.append(WEAK_NOTE)
        if url.startswith(TRANSCRIPTS):
            day = url.removeprefix(TRANSCRIPTS).removesuffix(".md")
            notes.append(f"新闻联播 {day}；CCTV原文 / CCTV original: {cctv[day]}")
        out.append({
            "indicator": code, "org_unit": "100000", "period": period, "value": value, "unit": unit,
            "qualifier": qualifier, "scope": "", "source_url": url, "note": "; ".join(n for n in notes if n),
        })
    unused = set(NOTES_2023) - used
    assert not unused, f"notes that match no row: {unused}"
    print(f"national_2023_2026.csv: computed from inputs, not stored: {', '.join(sorted(dropped))}")
    return _with_priorities(out)


def population() -> list[dict[str, str]]:
    out = []
    for r in csv.DictReader((SHARED / "population.csv").open(encoding="utf-8")):
        if r["region"].startswith("national_census"):
            ind, ou = "population_census", "100000"
        else:
            ind, ou = "population", "100000" if r["region"] == "national" else PROVINCES[r["region"]]
        out.append({"indicator": ind, "org_unit": ou, "period": r["year"], "value": r["value_10k_persons"],
                    "unit": "万人", "qualifier": "exact", "scope": "", "source_url": r["source_url"], "note": ""})
    y2021 = next(r for r in out if r["period"] == "2021" and r["org_unit"] == "100000")
    out.append({"indicator": "population", "org_unit": "100000", "period": "2020", "value": "141212", "unit": "万人",
                "qualifier": "approx", "scope": "", "source_url": y2021["source_url"],
                "note": "NBS未见2020年末数：以2021年末141260万减当年净增48万推算 / 2021 year end minus its reported +48万"})
    for r in csv.DictReader((SHARED / "province_population.csv").open(encoding="utf-8")):
        ind = "population_census" if r["year"] == "2020" else "population"
        out.append({"indicator": ind, "org_unit": r["code"], "period": r["year"], "value": r["population_10k"],
                    "unit": "万人", "qualifier": "exact", "scope": "", "source_url": r["source_url"], "note": ""})
    for r in csv.DictReader((SHARED / "prefecture_population.csv").open(encoding="utf-8")):
        out.append({"indicator": "population_census", "org_unit": r["code"], "period": r["year"],
                    "value": r["population_10k"], "unit": "万人", "qualifier": "exact", "scope": "",
                    "source_url": r["source_url"], "note": ""})
    return _with_priorities(out)


def write(name: str, rows: list[dict[str, str]]) -> None:
    # The same figure from the same page can appear in two shared files: keep it once.
    rows = list({(r["indicator"], r["org_unit"], r["period"], r["source_url"]): r for r in rows}.values())
    rows.sort(key=lambda r: (r["indicator"], r["org_unit"], r["period"], r["source_url"]))
    with (OUT / name).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    write("national.csv", telecom(SHARED / "national.csv"))
    regions = {k: k for k in ("east", "central", "west", "northeast", "jingjinji", "yangtze_river_delta")}
    write("regional.csv", telecom(SHARED / "regional.csv", regions))
    write("population.csv", population())
    write("national_2023_2026.csv", national_2023_2026())
