"""Optional generative answers: an OpenAI-compatible chat endpoint drafts an answer from the
retrieved passages only, citing them as [1], [2]...

Off unless `GUICHET_LLM_BASE_URL` is set (a local llama.cpp, vLLM or Ollama server). What is sent:
the citizen's question with personal data masked (`guichet.assist.pii.mask`) and the numbered
passages (public knowledge-base text); nothing else of the conversation, no name, no contact. Any
failure — timeout, HTTP error, malformed answer, an answer that cites nothing or says it does not
know — returns None and the assistant answers with the passage itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

MAX_ANSWER_CHARS = 2000
MAX_PASSAGE_CHARS = 1500
NO_ANSWER = "JE NE SAIS PAS"
SYSTEM_PROMPT = (
    "Tu es l'assistant en ligne d'une administration française. Réponds à la question de "
    "l'usager en français, en trois phrases au plus, UNIQUEMENT à partir des extraits numérotés "
    "fournis. Cite chaque extrait utilisé par son numéro entre crochets, par exemple [1]. "
    "N'invente rien. Si les extraits ne permettent pas de répondre, réponds exactement : "
    f"{NO_ANSWER}"
)
_CITATION = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Passage:
    title: str
    text: str


def is_configured() -> bool:
    return bool(settings.GUICHET_LLM_BASE_URL and settings.GUICHET_LLM_MODEL)


def _endpoint() -> str:
    base = settings.GUICHET_LLM_BASE_URL.rstrip("/")
    return f"{base}/chat/completions"


def _masked(question: str) -> str:
    from guichet.assist.pii import mask

    return mask(question)


def build_messages(question: str, passages: Sequence[Passage]) -> list[dict[str, str]]:
    numbered = "\n\n".join(
        f"[{number}] {p.title}\n{p.text[:MAX_PASSAGE_CHARS]}"
        for number, p in enumerate(passages, start=1)
    )
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Extraits :\n\n{numbered}\n\nQuestion : {_masked(question)}"},
    ]


def draft_answer(question: str, passages: Sequence[Passage]) -> str | None:
    """The endpoint's answer, or None (not configured, failed, or not grounded in the passages)."""
    if not is_configured() or not passages:
        return None
    headers = {"Content-Type": "application/json"}
    if settings.GUICHET_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.GUICHET_LLM_API_KEY}"
    payload: dict[str, Any] = {
        "model": settings.GUICHET_LLM_MODEL,
        "messages": build_messages(question, passages),
        "temperature": 0.1,
        "max_tokens": 400,
        "stream": False,
    }
    try:
        response = requests.post(
            _endpoint(), json=payload, headers=headers, timeout=settings.GUICHET_LLM_TIMEOUT
        )
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
    except (requests.RequestException, ValueError, KeyError, IndexError, TypeError) as exc:
        logger.warning("generative answer unavailable, answering with the passage: %s", exc)
        return None
    if not isinstance(content, str):
        return None
    content = content.strip()[:MAX_ANSWER_CHARS]
    cited = {int(n) for n in _CITATION.findall(content)}
    if NO_ANSWER in content.upper() or not cited or not cited <= set(range(1, len(passages) + 1)):
        logger.info("generative answer discarded (no valid citation or no answer)")
        return None
    return content
