"""Convert ``../shared/data`` (published MIIT/NBS figures) into Yangfan's own history files.

Run once when the shared data changes: ``.venv/bin/python scripts/convert_shared_data.py``.
The output keeps every row and its source address; it maps metric names to catalog indicator
codes, splits the 超/约 suffixes into a qualifier, marks the 2024 scope change and sets a
priority where several sources give one figure.
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
}
PROVINCES = {
    "zhejiang": "330000", "guangdong": "440000", "shandong": "370000", "henan": "410000", "hubei": "420000",
    "hunan": "430000", "anhui": "340000", "heilongjiang": "230000", "jiangxi": "360000", "shanxi": "140000",
}
# Where two sources of equal precision disagree, the better source (shared/data/README.md §5).
PREFER = {("2022-09", "users_5g_mobile_phone", "5.1")}
NOTES = {
    ("2024-06", "users_mobile_phone"): "可能为转载笔误：调整后基数加当年净增约17.68亿 / probably a transcription error (≈17.68亿 implied)",
    ("2020-12", "bs_5g"): "另据2021年累计数推算为77.1万 / the 2021 year-to-date figures imply 77.1万",
    ("2025-12", "users_mobile_phone"): "较2025-11（18.28亿）实际下降 / a real decline from 2025-11",
    ("2022-03", "users_mobile_phone"): "原文普及率“117.6%”指每百人117.6部 / the source's 117.6% means per 100 people",
    ("2022-09", "users_5g_mobile_phone"): "公报5.1亿，讲话5.2亿；以公报为准 / bulletin 5.1, speech 5.2: the bulletin is preferred",
}


def _split(metric: str) -> tuple[str, str]:
    m = re.match(r"^(.*?)(?:_(lower_bound|approx))?$", metric)
    assert m
    return m[1], m[2] or "exact"


def _scope(period: str) -> str:
    # Telecom figures cover three operators to 2023 and include 中国广电 from 2024.
    return "basic_4" if period >= "2024" else "basic_3"


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
            "qualifier": qualifier, "scope": _scope(r["period"]), "source_url": r["source_url"],
            "note": NOTES.get((r["period"], code), ""),
        })
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
