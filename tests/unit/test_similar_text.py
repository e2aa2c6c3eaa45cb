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
