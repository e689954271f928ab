from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from yishi_text.opinion import minhash
from yishi_text.opinion.minhash import (
    BANDS,
    DUPLICATE_THRESHOLD,
    NUM_PERM,
    band_hashes,
    estimated_jaccard,
    from_bytes,
    jaccard,
    signature,
    to_bytes,
)
from yishi_text.opinion.normalize import normalize_text

from .people_daily import articles

KNOWN = "某市自来水厂发生泄漏事故，市民反映水质问题"
# Stored in the database: if these change, every stored signature and band is invalid.
KNOWN_FIRST = [221413293, 350460405, 4645707, 51580379]
KNOWN_BANDS = [-7601886348824973029, -2957810711624861783]
ROOT = Path(__file__).resolve().parents[3]


def test_known_text_gives_fixed_values():
    sig = signature(KNOWN)
    assert sig.dtype == np.uint32 and sig.shape == (NUM_PERM,)
    assert sig[:4].tolist() == KNOWN_FIRST
    assert band_hashes(sig)[:2] == KNOWN_BANDS


def test_signature_is_the_same_in_another_process():
    code = ("from yishi_text.opinion.minhash import signature, band_hashes;"
            f"s = signature({KNOWN!r}); print(s[:4].tolist(), band_hashes(s)[:2])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "12345"}, cwd=ROOT)
    assert out.stdout.strip() == f"{KNOWN_FIRST} {KNOWN_BANDS}"


def test_bytes_round_trip():
    sig = signature(KNOWN)
    data = to_bytes(sig)
    assert len(data) == NUM_PERM * 4
    assert np.array_equal(from_bytes(data), sig)
    assert from_bytes(memoryview(data)).flags.writeable
    with pytest.raises(ValueError):
        from_bytes(b"short")


def test_band_hashes_fit_a_signed_bigint():
    bands = band_hashes(signature(KNOWN))
    assert len(bands) == BANDS
    assert all(-(2**63) <= b < 2**63 for b in bands)
    assert any(b < 0 for b in band_hashes(signature("另一段完全不同的文字内容，用于检查符号")) + bands)


def test_punctuation_width_and_case_do_not_matter():
    assert np.array_equal(signature("某市，停水。ABC"), signature("某市 停水 abc"))
    assert np.array_equal(signature("ＡＢＣ"), signature("abc"))


def test_short_and_empty_texts():
    assert np.array_equal(signature("停水"), signature("停水!"))
    assert not np.array_equal(signature("停水"), signature("断水"))
    assert jaccard("停水", "停水") == 1.0
    assert jaccard("", "") == 0.0
    assert jaccard("。。", "停水") == 0.0
    assert (signature("") == 0xFFFFFFFF).all()


def test_exact_jaccard():
    assert jaccard("abcdef", "abcdef") == 1.0
    assert jaccard("abcdef", "abcdeg") == pytest.approx(1 / 3)  # {abcde, bcdef} vs {abcde, bcdeg}
    assert jaccard("abcdefgh", "stuvwxyz") == 0.0


def _repost(paragraphs: list[str], rng: random.Random) -> str:
    header = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)} 10:2{rng.randint(0, 9)} 来源：{rng.choice(['新华网', '人民网', '央视新闻'])}"
    footer = f"（责任编辑：{rng.choice(['王五', '李四'])}）\n转载声明：本文转自人民日报，版权归原作者所有，如有侵权请联系删除。"
    return "\n".join([f"原标题：{paragraphs[0][:20]}", header, *paragraphs, footer])


def _candidates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(set(enumerate(band_hashes(a))) & set(enumerate(band_hashes(b))))


def test_reposts_are_found_and_follow_ups_are_not():
    """Boilerplate reposts and reposts with a paragraph dropped reach the threshold and are LSH
    candidates; follow-ups that share the opening paragraph stay below it."""
    rng = random.Random(42)
    docs = [a for a in articles() if len(a) >= 4][:300]
    assert len(docs) == 300
    light = medium = candidates = follow_up_hits = 0
    for index, paragraphs in enumerate(docs):
        original = normalize_text("\n".join(paragraphs))
        reposted = normalize_text(_repost(paragraphs, rng))
        shortened = normalize_text(_repost(paragraphs[:-1] if index % 2 else paragraphs[1:], rng))
        other = docs[(index + 150) % len(docs)]
        follow_up = normalize_text("\n".join([paragraphs[0], *other[1:]]))
        sig = signature(original)
        light += jaccard(original, reposted) >= DUPLICATE_THRESHOLD
        medium += jaccard(original, shortened) >= DUPLICATE_THRESHOLD
        candidates += _candidates(sig, signature(reposted))
        follow_up_hits += jaccard(original, follow_up) >= DUPLICATE_THRESHOLD
    assert light == 300
    assert candidates == 300
    assert medium >= 0.85 * 300
    assert follow_up_hits <= 3  # ≤ 1 %


def test_estimate_tracks_exact_jaccard():
    docs = ["\n".join(a) for a in articles()[:200]]
    errors = []
    for i in range(100):
        a = docs[i]
        b = docs[i][: len(docs[i]) // 2] + docs[i + 100][:300]
        errors.append(estimated_jaccard(signature(a), signature(b)) - jaccard(a, b))
    assert abs(float(np.mean(errors))) < 0.02
    assert float(np.std(errors)) < 0.06


def test_unrelated_texts_are_not_candidates():
    docs = ["\n".join(a) for a in articles()[:400]]
    sigs = [signature(d) for d in docs]
    pairs = sum(_candidates(sigs[i], sigs[i + 200]) for i in range(200))
    assert pairs <= 2


def test_constants_are_consistent():
    assert minhash.BANDS * minhash.ROWS == NUM_PERM
    assert minhash.SHINGLE == 5


def test_stack_bytes_is_from_bytes_row_by_row():
    sigs = [signature(" ".join(article)) for article in articles()[:50]]
    blobs = [to_bytes(sig) for sig in sigs]
    matrix = minhash.stack_bytes(blobs)
    assert matrix.shape == (50, NUM_PERM) and matrix.dtype == np.uint32
    for row, blob in zip(matrix, blobs, strict=True):
        assert np.array_equal(row, from_bytes(blob))
    assert minhash.stack_bytes([]).shape == (0, NUM_PERM)
    with pytest.raises(ValueError):
        minhash.stack_bytes([blobs[0], b"short"])
