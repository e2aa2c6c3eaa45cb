"""The similarity index's arithmetic (engine/adapters/similar_text.py): the weighting that works in
the stored entries only gives what the textbook formula over every column gives, and a query finds
itself first, whether indexed in a batch or one at a time."""
import numpy as np
from sklearn.preprocessing import normalize

from engine.adapters import similar_text
from engine.adapters.similar_text import N_FEATURES, TextIndex, _counts, _idf
from engine.tooling.plenary_data import session_proposals

TEXTS = [f"{p['title']} {p['body']} {p['suggestions']}" for p in session_proposals(40, pairs=4, seed=3)]


def test_idf_of_the_ngrams_seen_equals_the_formula_over_every_column():
    df = np.zeros(N_FEATURES, dtype=np.int32)
    counts = _counts(TEXTS)
    np.add.at(df, counts.indices, 1)
    for n in (1, 40, 1000):
        assert np.array_equal(_idf(df, n), np.log((1 + n) / (1 + df)).astype(np.float32) + 1)


def test_weighting_equals_idf_times_counts_normalised_by_rows():
    counts = _counts(TEXTS + [""])  # an empty text: a row without entries stays empty
    idf = np.random.default_rng(7).uniform(1, 5, N_FEATURES).astype(np.float32)
    ours = TextIndex._weigh(counts, idf)
    expected = normalize(counts.multiply(idf).tocsr())
    assert ours.shape == expected.shape and ours.dtype == np.float32
    assert abs(ours - expected).max() < 1e-6
    assert ours[len(TEXTS)].nnz == 0


def test_an_indexed_text_is_its_own_best_match_with_score_one():
    index = TextIndex()
    rows = [(n + 1, text[:20], text, "", 2026) for n, text in enumerate(TEXTS)]
    index.add(rows[:30])
    for row in rows[30:]:  # added one at a time: weighted with the idf of the last re-weighting
        index.add([row])
    for n in (0, 35):
        found = index.similar(similar_text.full_text(*rows[n][1:4]), 3, 0.2)
        assert found[0][0] == rows[n][0] and abs(found[0][1] - 1.0) < 1e-3


def test_rows_added_one_at_a_time_stay_in_few_blocks_and_score_as_one_matrix_would():
    """The rows added since the last re-weighting are merged as they come (O(log n) blocks), and a
    query's scores, read column by column from the re-weighted rows, equal one product of the
    query with every weighted row."""
    texts = [f"{p['title']} {p['body']} {p['suggestions']}" for p in session_proposals(400, pairs=20, seed=5)]
    index = TextIndex()
    rows = [(n + 1, text[:20], text, "", 2026) for n, text in enumerate(texts)]
    index.add(rows[:300])
    for row in rows[300:329]:  # under the tenth of growth that re-weights
        index.add([row])
    assert index._weighted_n == 300 and sum(pair[0].shape[0] for pair in index._recent) == 29
    assert len(index._recent) <= 5  # 29 rows: at most one block per bit
    from scipy import sparse
    every = sparse.vstack([index._weighted[0].tocsr(), *(pair[0] for pair in index._recent)]).tocsr()
    query = TextIndex._weigh(_counts([similar_text.full_text(*rows[320][1:4])]), index._idf)
    expected = np.asarray((every @ query.T).todense()).ravel()
    assert np.allclose(index.scores(similar_text.full_text(*rows[320][1:4])), expected, atol=1e-6)
    assert not index._query.any()  # the dense query vector is zero again for the next one
