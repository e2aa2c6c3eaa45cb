"""Similar proposals: precision of the 并案 flags on a generated session, and the time per submission.

Usage (from the project root):

    PYTHONPATH=. .venv/bin/python -m bench.similar [--proposals 600] [--pairs 60] [--seed 12]
                                                   [--database-url URL]

A generated plenary session (engine/tooling/plenary_data.py) of --proposals
proposals on a dozen topics, --pairs of which restate an earlier one on purpose
(the sentences reordered and partly reworded, one left out and one added, the
title reworded), is submitted one by one to a fresh database (a temporary
SQLite file unless --database-url is given; that database is emptied). Each
submission stores its similar earlier proposals (engine/services/similarity.py).
Then the flags the batch page shows (engine/queries/similar.py: same year,
score at least the region's flag_score) are compared with the pairs made alike:
precision = flagged pairs that are such a pair / all flagged pairs; recall =
pairs made alike that are flagged. Flags between proposals on the same topic
and subject that were not made alike are counted apart (they may well be real
duplicates). Printed: both figures, and the time of the similarity step per
submission (median and 95th percentile) next to the whole submission's.
"""
import argparse
import statistics
import time

from sqlalchemy import select

from bench import database_url
from engine.adapters.db import Database, UnitOfWork
from engine.model.settings import Settings
from engine.model.tables import ProposalSimilarity, User
from engine.queries import similar
from engine.services import cases, similarity
from engine.services.directory import add_user, sync_units
from engine.tooling.plenary_data import form_data, session_proposals
from engine.workflow.runtime import Runtime


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=600)
    parser.add_argument("--pairs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    url = database_url(args.database_url, "similar")
    rt = Runtime(Settings.from_env(database_url=url))
    db = Database(url)
    db.drop_schema()
    db.create_schema()
    with UnitOfWork(db) as uow:
        sync_units(uow.session, rt.region)
        add_user(uow.session, "wy", "委员", "bench", ["proposer"])
        add_user(uow.session, "tw", "提案委", "bench", ["committee"])
        uow.commit()
    items = session_proposals(args.proposals, pairs=args.pairs, seed=args.seed)
    ids, step_ms, whole_ms = [], [], []
    original = similarity.record_similar

    def timed(session, region, proposal):
        started = time.perf_counter()
        found = original(session, region, proposal)
        step_ms.append(1000 * (time.perf_counter() - started))
        return found

    cases.similarity.record_similar = timed
    try:
        for item in items:
            started = time.perf_counter()
            with UnitOfWork(db) as uow:
                member = uow.session.scalar(select(User).where(User.username == "wy"))
                ids.append(cases.submit_proposal(uow, rt, member, form_data(item)).id)
            whole_ms.append(1000 * (time.perf_counter() - started))
    finally:
        cases.similarity.record_similar = original
    twins = {frozenset((ids[n], ids[item["twin_of"]])) for n, item in enumerate(items) if item["twin_of"] is not None}
    alike = {}
    for n, item in enumerate(items):
        alike.setdefault((item["topic"], item["subject"], item["place"]), []).append(ids[n])
    same_subject = {frozenset((a, b)) for group in alike.values() for a in group for b in group if a < b}
    with UnitOfWork(db) as uow:
        flags = similar.flags(uow.session, rt, ids)
        stored = len(uow.session.scalars(select(ProposalSimilarity)).all())
    flagged = {frozenset((pid, d["id"])) for pid, found in flags.items() for d in found}
    hits = flagged & twins
    near = (flagged - twins) & same_subject
    precision = len(hits) / len(flagged) if flagged else 1.0
    recall = len(hits) / len(twins) if twins else 1.0
    threshold = similarity.settings(rt.region)["flag_score"]
    print(f"{len(items)} 件提案，其中 {len(twins)} 对有意写成相似；保存的相似关系 {stored} 条；标记阈值 {threshold}")
    print(f"疑似重复标记：{len(flagged)} 对，命中有意相似的 {len(hits)} 对")
    print(f"  精确率 {precision:.1%}（其中 {len(near)} 对为同一主题、同一地点而非有意相似，可视为真实的近似提案；"
          f"按其也算命中为 {(len(hits) + len(near)) / len(flagged) if flagged else 1:.1%}）")
    print(f"  召回率 {recall:.1%}")
    with UnitOfWork(db) as uow:
        pairs = [(frozenset((r.proposal_id, r.other_id)), r.score) for r in uow.session.scalars(select(ProposalSimilarity))]
    print("  按阈值：" + "；".join(
        f"{t:.2f} → 精确率 {_ratio(len({p for p, sc in pairs if sc >= t} & twins), len({p for p, sc in pairs if sc >= t}))}"
        f"、召回率 {_ratio(len({p for p, sc in pairs if sc >= t} & twins), len(twins))}"
        for t in (0.5, 0.55, 0.6, 0.65, 0.7)))
    q95 = statistics.quantiles(step_ms, n=20)[-1] if len(step_ms) > 20 else max(step_ms)
    print(f"每件提交的相似度计算：中位数 {statistics.median(step_ms):.1f} ms，95% 分位 {q95:.1f} ms；"
          f"整个提交（含保存案件）中位数 {statistics.median(whole_ms):.1f} ms")
    db.engine.dispose()


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


if __name__ == "__main__":
    main()
