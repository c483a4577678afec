"""`guichet knowledge-import`: idempotent on the source id, every bad line reported by number."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from guichet.knowledge.models import Article, FaqEntry, Library, ReplyTemplate

pytestmark = pytest.mark.django_db


def _write(tmp_path, lines):
    path = tmp_path / "kb.jsonl"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n",
        encoding="utf-8",
    )
    return path


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command("knowledge-import", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


ARTICLE = {
    "id": "F1341|particuliers",
    "title": "Carte d'identité d'un majeur",
    "text": "La carte se demande en mairie.",
    "description": "Première demande.",
    "audience": "particuliers",
    "url": "https://www.service-public.fr/particuliers/vosdroits/F1341",
    "attribution": "Source : service-public.fr, DILA — Licence Ouverte 2.0",
    "topics": ["acte-naissance"],
}


def test_import_into_an_organization_then_again_updates_the_same_items(town, tmp_path):
    faq = {"id": "faq-1", "question": "Horaires ?", "answer": "De 8 h 30 à 17 h 30."}
    template = {
        "kind": "template",
        "id": "t-1",
        "name": "Accusé",
        "body": "Bonjour {{ citizen_name }}",
    }
    path = _write(tmp_path, [ARTICLE, faq, template])

    out, _err = _run(path, "--organization", "villebois")

    article = Article.objects.get()
    assert out.strip() == "3 created, 0 updated in villebois; 0 lines with errors."
    assert (article.organization, article.library, article.source_id) == (
        town,
        None,
        "F1341|particuliers",
    )
    assert article.summary == "Première demande."
    assert article.attribution == "Source : service-public.fr, DILA — Licence Ouverte 2.0"
    assert [t.slug for t in article.topics.all()] == ["acte-naissance"]
    assert FaqEntry.objects.get().answer == "De 8 h 30 à 17 h 30."
    assert ReplyTemplate.objects.get().body == "Bonjour {{ citizen_name }}"

    path = _write(tmp_path, [{**ARTICLE, "title": "Carte d'identité (majeur)"}, faq, template])
    out, _err = _run(path, "--organization", "villebois")

    assert out.strip() == "0 created, 3 updated in villebois; 0 lines with errors."
    assert Article.objects.get().title == "Carte d'identité (majeur)"
    assert (FaqEntry.objects.count(), ReplyTemplate.objects.count()) == (1, 1)


def test_bad_lines_are_reported_by_number_and_the_good_ones_kept(town, tmp_path):
    path = _write(
        tmp_path,
        [
            ARTICLE,
            "{not json",
            {"title": "Sans identifiant", "text": "x"},
            {"id": "x2", "title": "Sans texte"},
            "",
            {"id": "x3", "title": "Motif inconnu", "text": "x", "topics": ["inconnu"]},
            {"kind": "template", "id": "t", "name": "Mauvais", "body": "{{ nom }}"},
            {"id": "x4", "title": "Date", "text": "x", "valid_until": "demain"},
            [1, 2],
            {"id": "ok-2", "title": "Bonne ligne", "text": "Texte"},
        ],
    )

    out, err = _run(path, "--organization", "villebois")

    assert out.strip() == "2 created, 0 updated in villebois; 7 lines with errors."
    reported = [line for line in err.splitlines() if line.startswith(str(path))]
    assert reported == [
        f"{path}:2: not valid JSON: Expecting property name enclosed in double quotes (column 2)",
        f"{path}:3: 'id' is missing: it identifies the item when the file is imported again",
        f"{path}:4: 'body' or 'text' is missing or empty",
        f"{path}:6: unknown topics: inconnu",
        f"{path}:7: Unknown variables: {{{{ nom }}}}. Available: {{{{ citizen_name }}}}, "
        "{{ reference }}, {{ due_date }}, {{ agent_name }}, {{ organization }}.",
        f"{path}:8: 'valid_until' is not a date (YYYY-MM-DD): 'demain'",
        f"{path}:9: a line must hold a JSON object",
    ]
    assert sorted(Article.objects.values_list("source_id", flat=True)) == [
        "F1341|particuliers",
        "ok-2",
    ]
    assert ReplyTemplate.objects.count() == 0


def test_shared_import_goes_to_a_library_seen_by_every_organization(town, other_town, tmp_path):
    rows = [{**ARTICLE, "topics": []}, {"id": "F2", "title": "Deuxième", "text": "x"}]
    path = _write(tmp_path, rows)

    out, _err = _run(path, "--shared", "--limit", "1")

    library = Library.objects.get()
    assert (
        out.strip() == "1 created, 0 updated in library bibliotheque-commune; 0 lines with errors."
    )
    assert library.shared_with_all is True
    assert list(
        Article.objects.available_to(other_town.pk).values_list("source_id", flat=True)
    ) == ["F1341|particuliers"]


def test_topics_are_refused_in_a_shared_import(town, tmp_path):
    path = _write(tmp_path, [ARTICLE])

    with pytest.raises(CommandError, match="Nothing was imported"):
        _run(path, "--shared")

    assert Article.objects.count() == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl", "--organization", "villebois"], "no such file"),
        (["FILE", "--organization", "nowhere"], "No organization 'nowhere'"),
        (["FILE", "--organization", "villebois", "--limit", "0"], "--limit must be 1 or more"),
    ],
)
def test_command_errors_are_clear(town, tmp_path, args, message):
    path = _write(tmp_path, [ARTICLE])
    args = [
        str(path) if a == "FILE" else str(tmp_path / a) if a.endswith(".jsonl") else a for a in args
    ]

    with pytest.raises(CommandError, match=message):
        _run(*args)

    assert Article.objects.count() == 0
