"""The demo's knowledge: a selection of real articles with their attribution, and templates."""

from __future__ import annotations

import json

import pytest

from guichet.demo.knowledge import ATTRIBUTION, load_demo_knowledge, theme_of
from guichet.knowledge.models import Article, ReplyTemplate
from guichet.knowledge.variables import check_template

pytestmark = pytest.mark.django_db


def _fiche(fiche, title, audience="particuliers"):
    return {
        "id": f"{fiche}|{audience}",
        "title": title,
        "text": "Texte de la fiche.",
        "description": "Résumé.",
        "audience": audience,
        "type": "Fiche pratique",
    }


def test_the_selection_keeps_the_attribution_and_the_source_link(town, other_town, tmp_path):
    path = tmp_path / "kb.jsonl"
    rows = [
        _fiche("F1341", "Carte d'identité d'un majeur : première demande"),
        _fiche("F1", "Impôt sur le revenu - Versement de cotisations syndicales"),
        _fiche("F2", "Carte d'identité", audience="professionnels"),
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{broken\n", encoding="utf-8")

    articles, templates, notice = load_demo_knowledge([town, other_town], town, kb_file=path)

    article = Article.objects.get()
    assert (articles.created, notice) == (1, "")
    assert (
        article.attribution
        == ATTRIBUTION
        == "Source : service-public.fr, DILA — Licence Ouverte 2.0"
    )
    assert article.source_url == "https://www.service-public.fr/particuliers/vosdroits/F1341"
    assert article.theme == "Carte d'identité et passeport"
    assert list(Article.objects.available_to(other_town.pk)) == [article]
    assert templates.created == ReplyTemplate.objects.filter(organization=town).count() == 11
    assert all(check_template(t.body) == [] for t in ReplyTemplate.objects.all())


def test_without_the_file_the_demo_goes_on_and_says_so(town, other_town, tmp_path):
    articles, templates, notice = load_demo_knowledge(
        [town, other_town], town, kb_file=tmp_path / "absent.jsonl"
    )

    assert articles is None
    assert notice.startswith("Knowledge base file not found")
    assert Article.objects.count() == 0
    assert templates.created == 11


def test_themes_come_from_titles():
    assert theme_of("Passeport d'un majeur : en cas de perte") == "Carte d'identité et passeport"
    assert theme_of("Listes électorales : nouvelle inscription") == "Élections"
    assert theme_of("Impôt sur le revenu") == ""
