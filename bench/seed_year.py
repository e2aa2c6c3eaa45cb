"""Seed 004's year (the 210 proposals of a district's published year, 2017) walked through the service layer, then each
figure of the statistics API, the page, the Excel export and the Word report compared with an
independent count over the same database.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.seed_year [--database-url URL] [--keep FOLDER]

The year has the seed's distributions: 210 proposals, all filed, handled by 53 units (four of
them about half of the load); categories 37/88/31/54 (经济科技/城乡建设/教育文化/综合); reply
classes 170/15/25 (A 已解决或采纳, C 列入规划, D 留作参考); ratings on the four-level scale
166/26/3/0 (满意/基本满意/理解/不满意), 195 rated (15 A replies still await their rating); of the
15 C replies followed up (跟踪落实), 6 are finished and closed. It runs on a copy of the binhai
region (its four-level scale and four classes) whose directory is widened to 53 units, on a
temporary SQLite file unless --database-url is given (that database is emptied first).
Every task is completed as the person it is for (engine/tooling/year_walk.py), and the
independent count is year_walk.independent_counts (plain SQL, counted in Python). Exits 1 if a
figure differs.
"""
import argparse
import dataclasses
import io
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import docx
import openpyxl
import yaml

os.environ.setdefault("CPPCC_PASSWORD_HASH", "pbkdf2:sha256:1000")
os.environ.setdefault("CPPCC_SECRET_KEY", "bench-" + "x" * 40)

from api import create_app  # noqa: E402
from engine.adapters.db import Database, UnitOfWork  # noqa: E402
from engine.model.settings import Settings  # noqa: E402
from engine.profile.region import REGIONS_ROOT  # noqa: E402
from engine.queries.statistics.compute import china_year  # noqa: E402
from engine.queries.statistics.indicators import indicators_of  # noqa: E402
from engine.queries.statistics.report import short_label  # noqa: E402
from engine.tooling.demo import seed_people  # noqa: E402
from engine.tooling.year_walk import file_and_assign, follow_up, handle, independent_counts, new_proposal  # noqa: E402

SEED = {  # the district's published table (区政府办理区政协六届一次会议提案工作情况，2017 年：基本情况)
    "submitted": 210, "filed": 210, "lead_units": 53, "replied": 210, "rated": 195,
    "category:economy": 37, "category:urban": 88, "category:culture": 31, "category:general": 54,
    "class:A": 170, "class:C": 15, "class:D": 25,
    "sat:satisfied": 166, "sat:basically_satisfied": 26, "sat:understood": 3, "sat:unsatisfied": 0,
}
FOLLOWED_DONE = 6  # of the 15 C replies, finished and closed within the year
UNITS, BUSY = 53, 4  # four units carry about half the load (26 each), the others 2 or 3
PROPOSERS = ("wy_chen", "wy_lin", "wy_huang", "wy_zhang")
WAYS = ("meeting", "meeting", "meeting", "visit", "phone")
CHECKED = ("submitted", "filed", "handlings", "replied", "on_time", "met", "closed", "rated", "lead_units")


def region_copy(folder: Path) -> Path:
    """The binhai region with its directory widened to 53 units (the seed's count)."""
    target = folder / "binhai"
    shutil.copytree(REGIONS_ROOT / "binhai", target)
    path = target / "units.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    shipped = raw["units"]
    for n in range(len(shipped), UNITS):
        raw["units"].append({"id": f"unit{n + 1:02d}", "name": f"市第{n + 1}承办单位",
                             "deputy": shipped[n % len(shipped)]["deputy"]})
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def plan(units: list[str], rng) -> list[dict]:
    """The 210 proposals' fates, with the seed's distributions, in a shuffled order."""
    leads = [u for u in units[:BUSY] for _ in range(26)]
    rest = units[BUSY:UNITS]
    threes = SEED["submitted"] - len(leads) - 2 * len(rest)  # so many of the others handle 3, the rest 2
    leads += [u for n, u in enumerate(rest) for _ in range(3 if n < threes else 2)]
    categories = [c for c in ("economy", "urban", "culture", "general") for _ in range(SEED[f"category:{c}"])]
    classes = [k for k in ("A", "C", "D") for _ in range(SEED[f"class:{k}"])]
    ratings = [s for s in ("satisfied", "basically_satisfied", "understood") for _ in range(SEED[f"sat:{s}"])]
    for column in (leads, categories, ratings):
        rng.shuffle(column)
    unrated = set(range(SEED["submitted"] - SEED["rated"]))  # the first A replies (classes are in A, C, D order)
    rated = iter(ratings)
    fates = [{"lead": lead, "category": category, "class": klass, "way": rng.choice(WAYS),
              "rating": None if n in unrated else next(rated), "proposer": PROPOSERS[n % len(PROPOSERS)]}
             for n, (lead, category, klass) in enumerate(zip(leads, categories, classes, strict=True))]
    followed = [f for f in fates if f["class"] == "C"]
    for n, fate in enumerate(followed):
        fate["done"] = n < FOLLOWED_DONE
    rng.shuffle(fates)
    return fates


def walk(db, rt, fates) -> None:
    for n, fate in enumerate(fates, 1):
        pid = new_proposal(db, rt, fate["proposer"], f"关于第{n}项民生实事的建议", fate["category"], source="plenary")
        file_and_assign(db, rt, pid, fate["category"], [fate["lead"]])
        handle(db, rt, pid, fate["lead"], fate["class"], fate["way"], fate["rating"], fate["proposer"])
        if fate["class"] == "C":
            follow_up(db, rt, pid, fate["lead"], fate["done"])


def shown(app, year: int, ind) -> dict:
    """The figures as the API, the page, the Excel export and the Word report give them:
    {source: {code: value}} (Word: {code: phrase found or not})."""
    client = app.test_client()
    token = client.post("/api/auth/login", json={"username": "zfb_wang", "password": "demo123"}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    api = client.get(f"/api/statistics?year={year}", headers=headers).get_json()
    api_counts = {**api["counts"], "lead_units": len(api["units"]),
                  **{f"category:{row['category']}": row["counts"]["filed"] for row in api["categories"]}}

    pages = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', pages.get("/login").get_data(as_text=True)).group(1)
    pages.post("/login", data={"username": "zfb_wang", "password": "demo123", "csrf_token": csrf})
    page = pages.get(f"/stats?year={year}").get_data(as_text=True)
    page_counts = {code: int(n) for code, n in re.findall(r'data-count="([^"]+)"><a[^>]*>(\d+)</a>', page)}

    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/statistics?year={year}&format=xlsx",
                                                        headers=headers).data))
    labels = {c.label: code for code, c in ind.counts.items()}
    excel = {labels[r[0]]: r[1] for r in book["总体情况"].iter_rows(min_row=3, values_only=True) if r[0] in labels}
    excel["lead_units"] = book["主办单位"].max_row - 2  # a title row and a header
    header = [c.value for c in book["类别"][2]]
    names = {v: k for k, v in ind.region.labels("categories").items()}
    for row in book["类别"].iter_rows(min_row=3, values_only=True):
        excel[f"category:{names[row[0]]}"] = dict(zip(header, row, strict=False))[ind.counts["filed"].label]

    document = docx.Document(io.BytesIO(client.get(f"/api/reports/annual?year={year}", headers=headers).data))
    body = "\n".join(p.text for p in document.paragraphs)
    return {"API": api_counts, "页面": page_counts, "Excel": excel, "Word": body}


def word_phrases(counts: dict, ind) -> dict:
    """The phrases the report should hold for `counts` (the wording of report_template.txt)."""
    region = ind.region
    handlings, replied = counts["handlings"], counts["replied"]
    whole = (f"{handlings}件提案" if handlings == counts["filed"] else
             f"立案的{counts['filed']}件提案共{handlings}件应办件（分别主办的提案按每个主办单位各计一件），")
    phrases = {"submitted": f"共收到政协提案{counts['submitted']}件", "filed": f"立案{counts['filed']}件",
               "handlings": whole, "replied": (f"{whole}已全部答复委员" if replied == handlings
                                               else f"{whole}已答复委员{replied}件"),
               "lead_units": f"涉及{counts['lead_units']}家承办单位", "closed": f"共办结{counts['closed']}件",
               "rated": f"已评价{counts['rated']}件", "on_time": f"按时答复{counts['on_time']}件",
               "met": f"见面沟通的{counts['met']}件"}
    phrases.update({f"category:{c}": f"涉及{label}类{counts.get(f'category:{c}', 0)}件"
                    for c, label in region.labels("categories").items() if counts.get(f"category:{c}")})
    phrases.update({f"class:{k}": f"{short_label(label)}{counts.get(f'class:{k}', 0)}件"
                    for k, label in region.labels("reply_classes").items()})
    phrases.update({f"sat:{s}": (f"结果为“{label}”的{counts[f'sat:{s}']}件" if counts.get(f"sat:{s}") else f"无“{label}”评")
                    for s, label in region.labels("satisfaction_scale").items()})
    return phrases


def label_of(code: str, ind) -> str:
    """The Chinese name of a figure: the indicator's label, 承办单位数, or 类别：<category>."""
    if code == "lead_units":
        return "承办单位数"
    if code.startswith("category:"):
        return "类别：" + ind.region.labels("categories").get(code.split(":", 1)[1], "")
    return ind.counts[code].label


def compare(counts: dict, seen: dict, ind) -> bool:
    """Print each figure, from every source, and whether it matches the independent count."""
    codes = [*CHECKED, *(k for k in SEED if k not in CHECKED)]
    phrases = word_phrases(counts, ind)
    print(f"{'指标':<16}{'种子':>6}{'独立计数':>8}{'API':>6}{'页面':>6}{'Excel':>7}  Word  一致")
    all_match = True
    for code in codes:
        expected = counts.get(code, 0)
        values = [seen[source].get(code, 0 if source != "页面" else None) for source in ("API", "页面", "Excel")]
        word = (phrases[code] in seen["Word"]) if code in phrases else None
        ok = all(v is None or v == expected for v in values) and word is not False
        all_match &= ok
        name = label_of(code, ind)
        cells = "".join(f"{'—' if v is None else v:>6}" for v in values)
        print(f"{name:<16}{SEED.get(code, '—'):>6}{expected:>8}{cells}  {'—' if word is None else ('有' if word else '无'):>4}"
              f"  {'是' if ok else '否'}")
    return all_match


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--keep", help="a folder for the region copy and the SQLite file (kept afterwards)")
    args = parser.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="cppcc-seed-year-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{folder}/year.db"
    Database(url).drop_schema()
    settings = dataclasses.replace(Settings.from_env(database_url=url, upload_dir=folder / "uploads"),
                                   region_dir=region_copy(folder))
    app = create_app(settings)
    db, rt = app.extensions["cppcc"]["db"], app.extensions["cppcc"]["runtime"]
    with UnitOfWork(db) as uow:
        seed_people(uow.session, rt)
        uow.commit()
    began = time.perf_counter()
    walk(db, rt, plan([u["id"] for u in rt.region.units], random.Random(4)))
    year = china_year()
    print(f"数据库：{db.engine.dialect.name}；{year} 年，通过服务层办理 {SEED['submitted']} 件提案，"
          f"用时 {time.perf_counter() - began:.0f} s")
    ind = indicators_of(rt.region)
    with UnitOfWork(db) as uow:
        counts = independent_counts(uow.session, year, ind.face_to_face, rt.region.unrated["code"])
    matched = compare(counts, shown(app, year, ind), ind)
    print("全部一致" if matched else "有不一致的数字")
    db.engine.dispose()
    return 0 if matched else 1


if __name__ == "__main__":
    sys.exit(main())
