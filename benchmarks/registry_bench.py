"""Benchmark: registry search over 100,000 organisations, against a hand-written SQL query of the same rows.

Data: N organisations (default 100,000) with plausible Chinese names (place + brand + trade + legal form), their
pinyin initials and valid credit codes, inserted straight into ``registry_record`` of a fresh SQLite store (the
search reads the table, not how it was filled); 1% are applications, the rest recognised.

Phases, each query repeated and the median taken:
  baseline  sqlite3: ``SELECT count(*)`` and the first page (``LIKE '%text%'`` on the name, ``ORDER BY id DESC
            LIMIT 50``), written by hand for the one kind of query
  search    ``yangfan.registry.records.search``: the page's search for the public (name, normalised name, pinyin
            initials, credit code and number at once, the visibility rule, the count and the first page)

Queries: a Chinese substring, pinyin initials, a full credit code, a place with a kind filter, a miss.
Goal (issue 13): each search answers in under 100 ms.

    .venv/bin/python benchmarks/registry_bench.py [--n 100000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from stdnum.cn import uscc as stdnum_uscc

from yangfan.context import Yangfan
from yangfan.registry import names
from yangfan.registry.records import Search, search
from yangfan.settings import Settings
from yangfan.store.db import session_scope

WORDS = "智联 数通 云创 华信 星河 启明 天工 锐捷 博远 中科 极光 灵犀 海纳 鼎新 恒通 睿视 九州 新元 远望 金桥".split()
TRADES = "科技 通信技术 信息技术 智能科技 网络科技 数字技术 物联网科技".split()
FORMS = ("有限公司", "股份有限公司", "有限责任公司")


def fill(path: Path, n: int, y: Yangfan) -> str:
    """Insert n organisations; returns one credit code that exists."""
    rng = random.Random(7)
    cities = [(u.code, u.name_zh.removesuffix("市")) for u in y.tree.cities()]
    rows, code = [], ""
    for i in range(n):
        city, place = rng.choice(cities)
        name = f"{place}{rng.choice(WORDS)}{rng.choice(TRADES)}{i}{rng.choice(FORMS)}"
        body = f"91{city}" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
        code = body + stdnum_uscc.calc_check_digit(body)
        rows.append(("organisation", "supplier", name, names.normalise(name), names.initials(name),
                     names.searchable(name, code), code, "", "", city, "", "applied" if i % 100 == 0 else "recognised",
                     "2025-01-01", None, "{}", False, "bench", "bench"))
    with sqlite3.connect(path) as con:
        con.executemany("""INSERT INTO registry_record (kind, category, name, name_norm, initials, search_text, uscc,
                           ref, sector, org_unit_code, operator, status, valid_from, valid_to, attrs, demo, source,
                           created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows)
    return code


def timed(fn: object, repeat: int) -> tuple[float, object]:
    out, times = None, []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        y = Yangfan(Settings(data_dir=Path(tmp)))
        y.init()
        t = time.perf_counter()
        code = fill(Path(tmp) / "yangfan.sqlite", args.n, y)
        print(f"filled {args.n:,} organisations in {time.perf_counter() - t:.1f} s")
        queries = [("substring 智联", Search("智联"), "智联"), ("initials gzzl", Search("gzzl"), None),
                   ("credit code", Search(code), None), ("place + kind", Search("深圳", kind="organisation"), "深圳"),
                   ("miss", Search("不存在的名字"), "不存在的名字")]
        con = sqlite3.connect(Path(tmp) / "yangfan.sqlite")
        print(f"{'query':<16}{'matches':>9}{'baseline ms':>13}{'search ms':>11}{'ratio':>7}")
        worst = 0.0
        for label, f, like in queries:
            def hand(like: str | None = like, f: Search = f, label: str = label) -> int:
                text = like or f.text
                column = "initials" if label.startswith("initials") else "uscc" if label == "credit code" else "name"
                op, arg = ("=", text) if column == "uscc" else ("LIKE", f"%{text}%")
                n = con.execute(f"SELECT count(*) FROM registry_record WHERE {column} {op} ?", (arg,)).fetchone()[0]
                con.execute(f"SELECT * FROM registry_record WHERE {column} {op} ? ORDER BY id DESC LIMIT 50",
                            (arg,)).fetchall()
                return int(n)

            def ours(f: Search = f) -> int:
                with session_scope(y.engine) as s:
                    return search(s, f, y.tree, [], 50)[0]

            base_ms, base_n = timed(hand, args.repeat)
            our_ms, our_n = timed(ours, args.repeat)
            worst = max(worst, our_ms)
            print(f"{label:<16}{our_n:>9,}{base_ms:>13.1f}{our_ms:>11.1f}{our_ms / base_ms:>7.1f}×"
                  + ("" if our_n == base_n or label == "initials gzzl" else f"  (baseline {base_n:,})"))
        print(f"slowest search: {worst:.1f} ms — goal < 100 ms: {'met' if worst < 100 else 'NOT met'}")


if __name__ == "__main__":
    main()
