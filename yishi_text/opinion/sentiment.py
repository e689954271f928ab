"""Three-class sentiment (负面 neg / 中性 neu / 正面 pos): multinomial logistic regression, numpy only.

Features: hashed character 1–3-grams (2^18 buckets, sublinear tf ``1 + ln c``, L2-normalised per text)
plus the negative-event lexicon as extra features: one-hot buckets of the number of distinct terms hit
and of their summed weight. The model learns what a lexicon hit is worth, so official news that
mentions 事故 in a report of work done is not forced negative.

Training: mini-batch Adam with decoupled weight decay, applied lazily to the buckets a batch touches
(sparse rows), class-balanced sample weights, fixed seed: a few seconds on ~40k texts.

Prediction: softmax; when the top class is polar (neg/pos) but its probability is below the neutral
band ``threshold``, the text is called neutral. Confidence is the top class's probability, or in the
band ``1 - max(p_neg, p_pos)``.

Featurisation is vectorised over a whole batch: code points → uint64 multiplicative hashes of
1/2/3-grams (n-grams never cross two texts) → one sort to count (text, bucket) pairs. Only the first
``MAX_CHARS`` characters of a text are read.
"""

from __future__ import annotations

import io
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from yishi_text.opinion import lexicon as lexicon_mod

LABELS = ("neg", "neu", "pos")
FORMAT_VERSION = 1
BITS = 18
N_BUCKETS = 1 << BITS
MAX_CHARS = 2000
# Lexicon features: hit count buckets 0,1,2,3-4,5+ and weight-sum buckets [0,1),[1,3),[3,6),[6,10),10+.
COUNT_EDGES = (1, 2, 3, 5)
SCORE_EDGES = (1.0, 3.0, 6.0, 10.0)
N_LEX = (len(COUNT_EDGES) + 1) + (len(SCORE_EDGES) + 1)
N_FEATURES = N_BUCKETS + N_LEX
LEX_VALUE = 0.5  # the lexicon features' value next to the unit-length n-gram vector
DEFAULT_THRESHOLD = 0.5
BATCH = 2048  # texts featurised at once

_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(64 - BITS)
MAX_TERM = 8  # longest lexicon term the vectorised matcher finds
MAX_CODE = 0x110000


def _constants(count: int, state: int) -> tuple[np.uint64, ...]:
    """Fixed odd 64-bit constants (a splitmix64 sequence)."""
    out = []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        out.append(np.uint64((z ^ (z >> 31)) | 1))
    return tuple(out)


_K = _constants(MAX_TERM, 0x243F6A8885A308D3)  # per position in an n-gram
_ORDER = _constants(3, 0x13198A2E03707344)  # per n-gram order: 1-, 2- and 3-grams use different buckets


@dataclass
class Features:
    """A sparse matrix: n-gram (row, col, value) triples with rows sorted, plus 2 lexicon columns per row."""

    n: int
    rows: np.ndarray  # int64
    cols: np.ndarray  # int64
    vals: np.ndarray  # float32
    lex: np.ndarray  # int64 (n, 2); each has value LEX_VALUE

    def slice(self, start: int, stop: int, lo: int, hi: int) -> Features:
        """Rows start..stop-1, whose n-gram entries are lo..hi-1 (CSR row pointers)."""
        return Features(stop - start, self.rows[lo:hi] - start, self.cols[lo:hi], self.vals[lo:hi],
                        self.lex[start:stop])


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text[:MAX_CHARS].encode("utf-32-le"), dtype=np.uint32)


def _fold(codes: np.ndarray) -> np.ndarray:
    """The parts of NFKC + lower-casing that matter for Chinese text, on code points (str NFKC costs
    ~90 µs per 600 chars, more than everything else here): full-width ASCII → ASCII, U+3000 → space,
    A–Z → a–z. Items reaching the model were NFKC-normalised by the pipeline already."""
    c = codes.astype(np.uint64)
    full = (c >= 0xFF01) & (c <= 0xFF5E)
    c[full] -= np.uint64(0xFEE0)
    c[c == 0x3000] = np.uint64(0x20)
    upper = (c >= 65) & (c <= 90)
    c[upper] += np.uint64(32)
    return c


def _chain(c: np.ndarray, doc: np.ndarray, longest: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(hashes, doc ids)] of the n-grams for n = 1..longest; n-grams never cross two texts.

    h1 = c·K1; hn = (h(n-1) ⊕ c[i+n-1]·Kn)·MIX. Lexicon terms are hashed the same way (`term_hash`).
    """
    h = c * _K[0]
    ok = np.ones(len(c), dtype=bool)
    out = [(h, doc)]
    for n in range(2, longest + 1):
        if len(h) <= 1:
            break
        h = (h[:-1] ^ (c[n - 1:] * _K[n - 1])) * _MIX
        ok = ok[:-1] & (doc[n - 1:] == doc[: len(doc) - n + 1])
        out.append((h[ok], doc[: len(h)][ok]))
    return out


def _prefix_hashes(term: str) -> list[int]:
    """Chain hashes of the term's prefixes, shortest first (the last is the term's own hash)."""
    c = _fold(np.frombuffer(term.encode("utf-32-le"), dtype=np.uint32))
    return [int(h[0]) for h, _d in _chain(c, np.zeros(len(c), np.int64), len(c))]


@dataclass(frozen=True)
class _LexiconIndex:
    first: np.ndarray  # bool per code point: a term starts with it
    hashes: np.ndarray  # uint64, sorted: every prefix of every term (terms included)
    term_ids: np.ndarray  # int64 per hash: the term it completes, or -1 for a mere prefix
    weights: np.ndarray  # float64 per term
    longest: int


_INDEXES: dict[str, _LexiconIndex] = {}


def _lexicon_index(lex: lexicon_mod.Lexicon) -> _LexiconIndex:
    if lex.version not in _INDEXES:
        terms = [t for t in lex.weights if 0 < len(t) <= MAX_TERM]
        entries: dict[int, int] = {}
        for term_id, term in enumerate(terms):
            prefixes = _prefix_hashes(term)
            for h in prefixes[:-1]:
                entries.setdefault(h, -1)
            entries[prefixes[-1]] = term_id
        keys = np.array(sorted(entries), dtype=np.uint64)
        first = np.zeros(MAX_CODE, dtype=bool)
        first[[int(_fold(_codes(t[0]))[0]) for t in terms]] = True
        _INDEXES[lex.version] = _LexiconIndex(
            first, keys, np.array([entries[int(k)] for k in keys], dtype=np.int64),
            np.array([lex.weights[t] for t in terms]), max(len(t) for t in terms),
        )
    return _INDEXES[lex.version]


def _lexicon_found(c: np.ndarray, doc: np.ndarray, n: int, index: _LexiconIndex) -> tuple[np.ndarray, np.ndarray]:
    """Per text: the number of distinct lexicon terms found, and the sum of their weights.

    Candidates are the positions whose character starts some term (a table lookup); each is extended
    one character at a time while it stays inside its text and is still the prefix of some term, so
    the candidate set shrinks at every step (most die at the second character).
    """
    starts = np.flatnonzero(index.first[c])
    h = c[starts] * _K[0]
    found_docs, found_terms = [], []
    for length in range(1, index.longest + 1):
        if length > 1:
            at = starts + (length - 1)
            keep = at < len(c)
            keep[keep] &= doc[at[keep]] == doc[starts[keep]]
            starts, h, at = starts[keep], h[keep], at[keep]
            h = (h ^ (c[at] * _K[length - 1])) * _MIX
        if not len(starts):
            break
        pos = np.minimum(np.searchsorted(index.hashes, h), len(index.hashes) - 1)
        known = index.hashes[pos] == h
        term = np.where(known, index.term_ids[pos], -1)
        hit = term >= 0
        found_docs.append(doc[starts[hit]])
        found_terms.append(term[hit])
        starts, h = starts[known], h[known]
    n_terms = len(index.weights)
    pairs = np.unique(np.concatenate(found_docs) * n_terms + np.concatenate(found_terms)) if found_docs else []
    docs, terms = np.asarray(pairs, np.int64) // n_terms, np.asarray(pairs, np.int64) % n_terms
    return (np.bincount(docs, minlength=n).astype(np.float64),
            np.bincount(docs, weights=index.weights[terms], minlength=n))


def _lexicon_columns(count: np.ndarray, score: np.ndarray) -> np.ndarray:
    """(n, 2) column ids: each text's bucket of distinct-term count and of summed term weight."""
    cols = np.empty((len(count), 2), dtype=np.int64)
    cols[:, 0] = N_BUCKETS + np.searchsorted(COUNT_EDGES, count, side="right")
    cols[:, 1] = N_BUCKETS + len(COUNT_EDGES) + 1 + np.searchsorted(SCORE_EDGES, score, side="right")
    return cols


def _prepare(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(folded code points of all texts end to end, text index of each)."""
    code_list = [_codes(t) for t in texts]
    lengths = np.fromiter((len(c) for c in code_list), dtype=np.int64, count=len(texts))
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    return (_fold(np.concatenate(code_list)) if len(doc) else np.zeros(0, np.uint64)), doc


def lexicon_counts(texts: Sequence[str], lex: lexicon_mod.Lexicon | None = None) -> list[int]:
    """Distinct lexicon terms per text, found by the vectorised matcher (agrees with lexicon.hits)."""
    c, doc = _prepare(texts)
    found = _lexicon_found(c, doc, len(texts), _lexicon_index(lex or lexicon_mod.load()))[0]
    return [int(x) for x in found]


def featurize(texts: Sequence[str], lex: lexicon_mod.Lexicon | None = None) -> Features:
    lex = lex or lexicon_mod.load()
    parts = [_featurize_batch(texts[start:start + BATCH], lex, start) for start in range(0, len(texts), BATCH)]
    if not parts:
        return Features(0, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32),
                        np.zeros((0, 2), np.int64))
    return Features(len(texts), *(np.concatenate([getattr(p, a) for p in parts])
                                  for a in ("rows", "cols", "vals", "lex")))


def _featurize_batch(texts: Sequence[str], lex: lexicon_mod.Lexicon, offset: int) -> Features:
    n = len(texts)
    c, doc = _prepare(texts)
    rows = np.empty(0, np.int64)
    cols = np.empty(0, np.int64)
    vals = np.empty(0, np.float32)
    if len(c):
        chains = _chain(c, doc, 3)
        buckets = np.concatenate([(h ^ _ORDER[k]) >> _SHIFT for k, (h, _d) in enumerate(chains)]).astype(np.uint32)
        docs = np.concatenate([d for _h, d in chains]).astype(np.uint32)
        # One sort counts every (text, bucket) pair; 32-bit keys sort faster (BATCH · 2^BITS < 2^32).
        keys, counts = np.unique((docs << np.uint32(BITS)) | buckets, return_counts=True)
        rows = (keys >> np.uint32(BITS)).astype(np.int64)
        cols = (keys & np.uint32(N_BUCKETS - 1)).astype(np.int64)
        tf = 1.0 + np.log(counts)
        norms = np.sqrt(np.bincount(rows, weights=tf * tf, minlength=n))
        vals = (tf / norms[rows]).astype(np.float32)
    lex_cols = _lexicon_columns(*_lexicon_found(c, doc, n, _lexicon_index(lex)))
    return Features(n, rows + offset, cols, vals, lex_cols)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _scores(x: Features, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Raw class scores (n, 3). `weights` is (3, N_FEATURES): per-class rows make gathers 1-D and fast."""
    out = np.empty((x.n, len(LABELS)), dtype=np.float64)
    for k in range(len(LABELS)):
        contrib = np.take(weights[k], x.cols) * x.vals
        lex = (np.take(weights[k], x.lex[:, 0]) + np.take(weights[k], x.lex[:, 1])) * LEX_VALUE
        out[:, k] = np.bincount(x.rows, weights=contrib, minlength=x.n) + lex
    return out + bias


@dataclass
class SentimentModel:
    weights: np.ndarray  # float32 (3, N_FEATURES), class rows in LABELS order
    bias: np.ndarray  # float32 (3,)
    threshold: float = DEFAULT_THRESHOLD
    lexicon_version: str = ""
    meta: dict = field(default_factory=dict)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(LABELS)))
        return _softmax(_scores(featurize(list(texts)), self.weights, self.bias))

    def predict(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """(label, confidence) per text; empty or blank text is neutral."""
        return [self._decide(p, bool(t.strip())) for p, t in zip(self.probabilities(texts), texts, strict=True)]

    def predict_articles(self, titles: Sequence[str], texts: Sequence[str]) -> list[tuple[str, float]]:
        """(label, confidence) of news items: the mean of the headline's and the whole text's
        probabilities. A news story's tone is in its headline; the body of a report on a problem
        mostly retells the official response in the even register of official news, which alone
        would pull "自来水浊度超标…已启动应急预案" to neutral."""
        full = self.probabilities(texts)
        heads = self.probabilities([t if t.strip() else x for t, x in zip(titles, texts, strict=True)])
        mixed = (full + heads) / 2 if len(texts) else full
        return [self._decide(p, bool(t.strip())) for p, t in zip(mixed, texts, strict=True)]

    def _decide(self, p: np.ndarray, has_text: bool) -> tuple[str, float]:
        if not has_text:
            return "neu", 1.0
        top = int(p.argmax())
        if LABELS[top] != "neu" and p[top] < self.threshold:
            return "neu", round(float(1.0 - max(p[0], p[2])), 4)
        return LABELS[top], round(float(p[top]), 4)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            format_version=np.array(FORMAT_VERSION),
            n_buckets=np.array(N_BUCKETS),
            labels=np.array(LABELS),
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            threshold=np.array(self.threshold),
            lexicon_version=np.array(self.lexicon_version),
            meta=np.array(json.dumps(self.meta, ensure_ascii=False)),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SentimentModel:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            if int(z["format_version"]) != FORMAT_VERSION or int(z["n_buckets"]) != N_BUCKETS:
                raise ValueError("情感模型格式版本不符，请重新训练")
            if tuple(str(s) for s in z["labels"]) != LABELS:
                raise ValueError("情感模型的类别与当前代码不符，请重新训练")
            model = cls(
                weights=z["weights"], bias=z["bias"], threshold=float(z["threshold"]),
                lexicon_version=str(z["lexicon_version"]), meta=json.loads(str(z["meta"])),
            )
        if model.lexicon_version != lexicon_mod.version():
            # Still usable (the buckets keep their meaning); the caller may want to retrain.
            model.meta["lexicon_outdated"] = True
        return model


def _class_weights(y: np.ndarray) -> np.ndarray:
    counts = np.bincount(y, minlength=len(LABELS)).astype(np.float64)
    present = counts > 0
    w = np.zeros(len(LABELS))
    w[present] = counts.sum() / (present.sum() * counts[present])
    return w[y]


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    seed: int = 42,
    sample_weights: Sequence[float] | None = None,
    epochs: int = 4,
    batch_size: int = 256,
    learning_rate: float = 0.1,
    weight_decay: float = 1e-4,
    threshold: float = DEFAULT_THRESHOLD,
) -> SentimentModel:
    """Fit the model. `sample_weights` multiply the class-balanced weights (analyst corrections count more)."""
    started = time.perf_counter()
    if len(texts) != len(labels) or not texts:
        raise ValueError("训练数据为空或文本与标签数量不符")
    index = {label: i for i, label in enumerate(LABELS)}
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(texts))  # shuffled once; batches are contiguous slices, visited in random order
    texts = [texts[i] for i in order]
    y = np.array([index[labels[i]] for i in order], dtype=np.int64)
    sw = _class_weights(y)
    if sample_weights is not None:
        sw = sw * np.asarray(sample_weights, dtype=np.float64)[order]
    batches = _batches(featurize(texts), batch_size)
    weights = np.zeros((len(LABELS), N_FEATURES), dtype=np.float32)
    bias = np.zeros(len(LABELS), dtype=np.float64)
    adam = _Adam(weights.shape, learning_rate, weight_decay)
    for _epoch in range(epochs):
        for i in rng.permutation(len(batches)):
            batch = batches[i]
            local = np.take(weights, batch.touched, axis=1)  # the batch's columns of W, gathered once
            p = _softmax(_batch_scores(batch, local) + bias)
            p[np.arange(batch.n), y[batch.start:batch.start + batch.n]] -= 1.0
            share = sw[batch.start:batch.start + batch.n]
            g = p * (share / share.sum())[:, None]
            adam.step(weights, local, batch, g)
            bias -= learning_rate * g.sum(axis=0)
    meta = {
        "n_train": len(texts),
        "class_counts": {label: int((y == i).sum()) for i, label in enumerate(LABELS)},
        "train_seconds": round(time.perf_counter() - started, 2),
        "seed": seed,
        "epochs": epochs,
    }
    return SentimentModel(weights, bias.astype(np.float32), threshold, lexicon_mod.version(), meta)


@dataclass
class _Batch:
    """One training mini-batch, prepared once for all epochs: the columns it touches and, per entry,
    the row, the index into `touched`, and the value (n-gram entries then the two lexicon entries)."""

    start: int
    n: int
    touched: np.ndarray
    inverse: np.ndarray
    rows: np.ndarray
    vals: np.ndarray


def _batches(x: Features, size: int) -> list[_Batch]:
    indptr = np.searchsorted(x.rows, np.arange(x.n + 1))  # rows are sorted: CSR row pointers
    out = []
    for start in range(0, x.n, size):
        stop = min(start + size, x.n)
        part = x.slice(start, stop, indptr[start], indptr[stop])
        cols = np.concatenate([part.cols, part.lex.ravel()])
        touched, inverse = np.unique(cols, return_inverse=True)
        rows = np.concatenate([part.rows, np.repeat(np.arange(part.n), 2)])
        vals = np.concatenate([part.vals, np.full(2 * part.n, LEX_VALUE, np.float32)])
        out.append(_Batch(start, part.n, touched, inverse.astype(np.int32), rows.astype(np.int32), vals))
    return out


def _batch_scores(batch: _Batch, local: np.ndarray) -> np.ndarray:
    out = np.empty((batch.n, len(LABELS)), dtype=np.float64)
    for k in range(len(LABELS)):
        out[:, k] = np.bincount(batch.rows, weights=np.take(local[k], batch.inverse) * batch.vals, minlength=batch.n)
    return out


class _Adam:
    """Lazy (sparse-row) Adam with decoupled weight decay: only the buckets a batch touches move."""

    def __init__(self, shape: tuple[int, int], lr: float, decay: float) -> None:
        self.m = np.zeros(shape, np.float32)
        self.v = np.zeros(shape, np.float32)
        self.t = 0
        self.lr, self.decay = lr, decay

    def step(self, weights: np.ndarray, local: np.ndarray, batch: _Batch, g: np.ndarray) -> None:
        self.t += 1
        grad = np.empty(local.shape, np.float32)
        for k in range(local.shape[0]):
            per_entry = np.take(g[:, k], batch.rows) * batch.vals
            grad[k] = np.bincount(batch.inverse, weights=per_entry, minlength=len(batch.touched))
        m = np.take(self.m, batch.touched, axis=1) * 0.9 + 0.1 * grad
        v = np.take(self.v, batch.touched, axis=1) * 0.999 + 0.001 * grad * grad
        m_hat = m / (1 - 0.9 ** self.t)
        v_hat = v / (1 - 0.999 ** self.t)
        new = local - self.lr * (m_hat / (np.sqrt(v_hat) + 1e-8) + self.decay * local)
        for k in range(local.shape[0]):  # 1-D scatters are several times faster than a 2-D one
            self.m[k][batch.touched] = m[k]
            self.v[k][batch.touched] = v[k]
            weights[k][batch.touched] = new[k]


def evaluate(model: SentimentModel, texts: Sequence[str], labels: Sequence[str]) -> dict:
    """accuracy, macro_f1, per-class precision/recall/F1, neg_recall, confusion {true: {pred: n}}."""
    predicted = [label for label, _ in model.predict(list(texts))]
    return score_labels(list(labels), predicted)


def score_labels(truth: list[str], predicted: list[str]) -> dict:
    confusion = {t: dict.fromkeys(LABELS, 0) for t in LABELS}
    for t, p in zip(truth, predicted, strict=True):
        confusion[t][p] += 1
    per_class = {}
    for label in LABELS:
        tp = confusion[label][label]
        support = sum(confusion[label].values())
        predicted_n = sum(confusion[t][label] for t in LABELS)
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                            "support": support}
    present = [c for c in LABELS if per_class[c]["support"]]
    total = len(truth)
    return {
        "n": total,
        "accuracy": round(sum(confusion[c][c] for c in LABELS) / total, 4) if total else math.nan,
        "macro_f1": round(sum(per_class[c]["f1"] for c in present) / len(present), 4) if present else math.nan,
        "neg_recall": per_class["neg"]["recall"],
        "per_class": per_class,
        "confusion": confusion,
        "predicted_share": {c: round(sum(confusion[t][c] for t in LABELS) / total, 4) if total else 0.0
                            for c in LABELS},
    }
