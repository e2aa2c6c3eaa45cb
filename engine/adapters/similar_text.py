"""Chinese text similarity of proposals: TF-IDF over character 2-3-grams (scikit-learn).

Chinese has no spaces between words; character bigrams and trigrams catch the
words without a dictionary or a downloaded model (no network is needed). A
proposal's text is its title (counted twice: it says what the proposal is
about), its body and its suggestions; `title_only` queries (a title being
typed) are compared with the titles.

One `TextIndex` per database is kept in the process (`index_for`): it reads
the proposals once, then only those added since (by id), so each lookup costs
one small query plus a few sparse matrix products. The inverse document
frequencies are re-weighted when the corpus has grown by a tenth; rows added in
between are weighted with the previous ones (a small drift, never a wrong
answer). Several processes each keep their own index of the same table.
Imports: engine.model.
"""
import functools
import re
import threading
import weakref
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.model import clock
from engine.model.tables import Proposal
from engine.profile.region import Region

N_FEATURES = 2 ** 20
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)  # spaces, punctuation: not part of any n-gram
REWEIGHT_GROWTH = 0.1
DEFAULTS = {"keep_score": 0.2, "flag_score": 0.65, "shown": 5}


def settings(region: Region) -> dict:
    """The region's `similarity:` settings, with the defaults for those it leaves out."""
    return {**DEFAULTS, **(region.raw.get("similarity") or {})}


def full_text(title: str, body: str, suggestions: str) -> str:
    """The text a proposal is compared by."""
    return f"{title} {title} {body or ''} {suggestions or ''}"


@functools.cache
def _vectorizer() -> Any:
    """Character 2- and 3-grams hashed into N_FEATURES columns. scikit-learn is imported on
    first use, not with this module: it is most of the CPU of importing the whole program
    (about 1 s), which every command and every server start would otherwise pay."""
    from sklearn.feature_extraction.text import HashingVectorizer
    return HashingVectorizer(analyzer="char", ngram_range=(2, 3), n_features=N_FEATURES, alternate_sign=False,
                             norm=None, preprocessor=_clean)


def _clean(text: str) -> str:
    return _NOISE.sub(" ", text.lower())


def _counts(texts: list[str]) -> Any:
    """Sub-linear term frequencies (1 + log tf) of each text, as a CSR matrix."""
    matrix = _vectorizer().transform(texts).astype(np.float32).tocsr()
    matrix.data = 1.0 + np.log(matrix.data)
    return matrix


def _idf(df: np.ndarray, n: int) -> np.ndarray:
    """Smoothed inverse document frequencies log((1 + n) / (1 + df)) + 1 (float32), worked out
    for the n-grams seen; every other column gets the value of df = 0."""
    idf = np.full(N_FEATURES, np.log(np.array([1.0 + n])).astype(np.float32)[0] + 1, dtype=np.float32)
    seen = np.flatnonzero(df)
    idf[seen] = np.log((1 + n) / (1 + df[seen])).astype(np.float32) + 1
    return idf


class TextIndex:
    """The proposals of one database, vectorised: full texts and titles."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # held by whoever refreshes or asks (engine/services/similarity.py)
        self._query = np.zeros(N_FEATURES, dtype=np.float32)  # the dense query vector, zeroed after each use
        self._reset()

    def _reset(self) -> None:
        """Forget every indexed proposal."""
        self.ids = np.zeros(0, dtype=np.int64)  # the indexed proposals' ids, in index order
        self.years: list[int] = []
        self.last_id = 0
        self._full: list = []  # raw count blocks (CSR)
        self._titles: list = []
        self._df = np.zeros(N_FEATURES, dtype=np.int32)
        self._df_titles = np.zeros(N_FEATURES, dtype=np.int32)
        self._weighted: tuple | None = None  # (full, titles) weighted and normalised, for the first `_weighted_n` rows
        self._weighted_n = 0
        self._recent: list[tuple] = []  # [(full row, title row)] weighted with the idf of the last re-weighting
        self._idf: np.ndarray | None = None
        self._idf_titles: np.ndarray | None = None

    # -- keeping up with the table ------------------------------------------------------
    def refresh(self, session: Session, below: int | None = None) -> None:
        """Add the proposals stored since the last look, those with ids under `below` when
        given (a transaction's own new row stays out until it is committed); start again if
        the table was emptied."""
        where = [Proposal.id < below] if below is not None else []
        count, top = session.execute(select(func.count(Proposal.id), func.max(Proposal.id)).where(*where)).one()
        if (top or 0) < self.last_id or (count or 0) < len(self.ids):
            self._reset()
        if (top or 0) == self.last_id:
            return
        rows = session.execute(select(Proposal.id, Proposal.title, Proposal.body, Proposal.suggestions,
                                      Proposal.submitted_at).where(Proposal.id > self.last_id, *where)
                               .order_by(Proposal.id)).all()
        self.add([(r.id, r.title, r.body, r.suggestions, _year(r.submitted_at)) for r in rows])

    def add(self, rows: list[tuple]) -> None:
        """Add proposals given as (id, title, body, suggestions, year), in id order."""
        if not rows:
            return
        full = _counts([full_text(t, b, s) for _, t, b, s, _ in rows])
        titles = _counts([t for _, t, _, _, _ in rows])
        self._full.append(full)
        self._titles.append(titles)
        np.add.at(self._df, full.indices, 1)
        np.add.at(self._df_titles, titles.indices, 1)
        self.ids = np.concatenate([self.ids, np.fromiter((r[0] for r in rows), np.int64, len(rows))])
        self.years += [r[4] for r in rows]
        self.last_id = rows[-1][0]
        if self._weighted is None or len(self.ids) > self._weighted_n * (1 + REWEIGHT_GROWTH):
            self._reweight()
        else:
            self._recent.append((self._weigh(full, self._idf), self._weigh(titles, self._idf_titles)))
            self._merge_recent()

    def _merge_recent(self) -> None:
        """Keep the blocks added since the last re-weighting few: the last two are stacked into
        one while the one before holds no more than twice the rows of the last (as a
        log-structured store merges its runs), so a query multiplies O(log n) blocks, not one
        per proposal added, and each row is copied O(log n) times."""
        from scipy import sparse
        recent = self._recent
        while len(recent) >= 2 and recent[-2][0].shape[0] <= 2 * recent[-1][0].shape[0]:
            (full_a, titles_a), (full_b, titles_b) = recent[-2], recent.pop()
            recent[-1] = (sparse.vstack([full_a, full_b]).tocsr(), sparse.vstack([titles_a, titles_b]).tocsr())

    def _reweight(self) -> None:
        from scipy import sparse  # with scikit-learn, on first use (see _vectorizer)
        n = len(self.ids)
        self._idf, self._idf_titles = _idf(self._df, n), _idf(self._df_titles, n)
        full, titles = sparse.vstack(self._full).tocsr(), sparse.vstack(self._titles).tocsr()
        self._full, self._titles = [full], [titles]
        # column-major: a query reads only the columns of its own n-grams (an inverted index)
        self._weighted = (self._weigh(full, self._idf).tocsc(), self._weigh(titles, self._idf_titles).tocsc())
        self._weighted_n, self._recent = n, []

    @staticmethod
    def _weigh(counts: Any, idf: Any) -> Any:
        """Counts times idf, each row scaled to unit length: work in the stored entries only
        (never a pass over all N_FEATURES columns)."""
        weighted = counts.copy()
        weighted.data = weighted.data * idf[weighted.indices]
        rows = np.repeat(np.arange(weighted.shape[0]), np.diff(weighted.indptr))
        norms = np.sqrt(np.bincount(rows, weights=weighted.data.astype(np.float64) ** 2, minlength=weighted.shape[0]))
        norms[norms == 0] = 1.0
        weighted.data = (weighted.data / norms[rows]).astype(np.float32)
        return weighted

    # -- asking -----------------------------------------------------------------------------
    def scores(self, text: str, title_only: bool = False) -> np.ndarray:
        """Cosine similarity of `text` with every indexed proposal, in `self.ids` order."""
        if not len(self.ids):
            return np.zeros(0, dtype=np.float32)
        which = 1 if title_only else 0
        idf = self._idf_titles if title_only else self._idf
        if self._weighted is None:
            raise RuntimeError("the index was not weighted (refresh first)")
        weighted = self._weigh(_counts([text]), idf)
        # the re-weighted rows: only the columns of the query's n-grams are read, O(their entries)
        main = np.asarray(self._weighted[which][:, weighted.indices] @ weighted.data).ravel()
        if not self._recent:
            return main
        query = self._query  # the few rows added since, row-major, against a dense query vector
        query[weighted.indices] = weighted.data
        try:
            return np.concatenate([main, *(np.asarray(pair[which] @ query).ravel() for pair in self._recent)])
        finally:
            query[weighted.indices] = 0.0  # zero again for the next query (callers hold `lock`)

    def similar(self, text: str, limit: int, min_score: float, title_only: bool = False,
                exclude: int | None = None, before: int | None = None) -> list[tuple[int, float]]:
        """The best (proposal id, score) pairs, best first: at least `min_score`, not `exclude`,
        only ids below `before` when given (earlier proposals)."""
        scores = self.scores(text, title_only)
        ids = self.ids
        keep = scores >= min_score
        if exclude is not None:
            keep &= ids != exclude
        if before is not None:
            keep &= ids < before
        found = np.flatnonzero(keep)
        best = found[np.argsort(-scores[found], kind="stable")[:limit]]
        return [(int(ids[i]), round(float(scores[i]), 4)) for i in best]


_INDEXES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def index_for(session: Session) -> TextIndex:
    """The process's index of the database `session` works on (made on first use), brought
    up to date with what is committed."""
    engine = session.get_bind()
    with _GUARD:
        index = _INDEXES.get(engine)
        if index is None:
            index = _INDEXES[engine] = TextIndex()
    return index


def _year(moment: datetime) -> int:
    """The China calendar year of a stored time (SQLite gives it back without a zone: UTC)."""
    return moment.astimezone(clock.CHINA).year
