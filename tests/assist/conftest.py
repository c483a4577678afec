"""Fixtures of the assist tests: a tiny deterministic embedder stands in for e5, so that only
one test (tests/assist/test_real_models.py) loads the real model."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest

from guichet.assist.errors import ModelUnavailable
from guichet.assist.text import analyze


class BagOfStemsEmbedder:
    """Each analysed French term hashed to one of 64 dimensions; L2-normalised. Texts sharing
    stems get a high cosine, which is all the tests of the plumbing need."""

    name = "test-bag-of-stems"
    dim = 64

    def __init__(self) -> None:
        self.calls = 0

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in analyze(text):
                digest = hashlib.blake2b(term.encode(), digest_size=2).digest()
                vectors[row, int.from_bytes(digest, "big") % self.dim] += 1.0
            norm = np.linalg.norm(vectors[row])
            if norm:
                vectors[row] /= norm
        return vectors

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts)


class BrokenEmbedder:
    name = "broken"
    dim = 64

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        raise ModelUnavailable("the embedding package is not installed")

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        raise ModelUnavailable("the embedding package is not installed")


@pytest.fixture
def embedder() -> BagOfStemsEmbedder:
    return BagOfStemsEmbedder()


@pytest.fixture
def broken_embedder() -> BrokenEmbedder:
    return BrokenEmbedder()
