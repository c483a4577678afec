"""Generative answers against a real HTTP server on loopback speaking the OpenAI chat API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from guichet.knowledge.assistant import ANSWER, reply_to
from guichet.knowledge.generation import Passage, draft_answer
from guichet.knowledge.search import index_for


class FakeLLM:
    """A chat-completions endpoint answering with `content` (or an HTTP error `status`)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.content = "Demandez-le à la mairie du lieu de naissance [1]."
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                owner.requests.append(json.loads(self.rfile.read(length)))
                owner.headers.append({"path": self.path, **dict(self.headers)})
                body = json.dumps(
                    {"choices": [{"message": {"role": "assistant", "content": owner.content}}]}
                ).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def llm(settings):
    server = FakeLLM()
    settings.GUICHET_LLM_BASE_URL = server.url
    settings.GUICHET_LLM_MODEL = "qwen2.5-1.5b-instruct"
    settings.GUICHET_LLM_API_KEY = "sk-local"
    settings.GUICHET_LLM_TIMEOUT = 5
    yield server
    server.close()


PASSAGES = [Passage("Acte de naissance", "À la mairie du lieu de naissance.")]


def test_the_answer_is_drafted_from_the_passages_only_with_the_question_masked(llm):
    answer = draft_answer(
        "Je suis jeanne.dupont@example.org, où demander un acte de naissance ?", PASSAGES
    )

    sent = llm.requests[0]
    assert answer == "Demandez-le à la mairie du lieu de naissance [1]."
    assert llm.headers[0]["path"] == "/v1/chat/completions"
    assert llm.headers[0]["Authorization"] == "Bearer sk-local"
    assert sent["model"] == "qwen2.5-1.5b-instruct"
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["messages"][1]["content"] == (
        "Extraits :\n\n[1] Acte de naissance\nÀ la mairie du lieu de naissance.\n\n"
        "Question : Je suis [EMAIL], où demander un acte de naissance ?"
    )


@pytest.mark.parametrize(
    ("status", "content"),
    [
        (500, "Demandez-le [1]."),  # server error
        (200, "Demandez-le à la mairie."),  # no citation
        (200, "Demandez-le à la mairie [4]."),  # cites a passage that was not given
        (200, "JE NE SAIS PAS"),
    ],
)
def test_an_unusable_answer_gives_none(llm, status, content):
    llm.status, llm.content = status, content

    assert draft_answer("Où demander un acte de naissance ?", PASSAGES) is None
    assert len(llm.requests) == 1


def test_an_unreachable_endpoint_gives_none(settings):
    settings.GUICHET_LLM_BASE_URL = "http://127.0.0.1:9/v1"
    settings.GUICHET_LLM_MODEL = "m"

    assert draft_answer("Où demander un acte de naissance ?", PASSAGES) is None


def test_nothing_is_sent_when_not_configured(llm, settings):
    settings.GUICHET_LLM_BASE_URL = ""

    assert draft_answer("Où demander un acte de naissance ?", PASSAGES) is None
    assert llm.requests == []


@pytest.mark.django_db
def test_the_assistant_uses_the_drafted_answer_and_lists_its_sources(llm, knowledge, town):
    reply = reply_to(index_for(town.pk), town.pk, "Où demander un acte de naissance ?")

    assert (reply.outcome, reply.generated) == (ANSWER, True)
    assert reply.text == "Demandez-le à la mairie du lieu de naissance [1]."
    assert reply.sources[0] == ("article", knowledge["birth"].pk, knowledge["birth"].title)
    assert knowledge["birth"].title in llm.requests[0]["messages"][1]["content"]


@pytest.mark.django_db
def test_the_assistant_falls_back_to_the_passage_when_the_endpoint_fails(llm, knowledge, town):
    llm.status = 503

    reply = reply_to(index_for(town.pk), town.pk, "Où demander un acte de naissance ?")

    assert (reply.outcome, reply.generated) == (ANSWER, False)
    assert reply.text == knowledge["birth"].body
    assert reply.sources == ()
