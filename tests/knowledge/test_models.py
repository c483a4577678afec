"""Templates' variables, and what each organization may see of the knowledge base."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from guichet.knowledge.models import Article, Library, ReplyTemplate
from guichet.knowledge.variables import TemplateValues, check_template, render_template
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_a_template_is_filled_with_the_case_values():
    text = "Bonjour {{ citizen_name }}, dossier {{reference}} avant le {{ due_date }}. {{ agent_name }} ({{ organization }})"

    filled = render_template(
        text,
        TemplateValues(
            citizen_name="Jeanne Dupont",
            reference="VIL-2026-000001",
            due_date=datetime.date(2026, 12, 3),
            agent_name="Claire Martin",
            organization="Ville de Villebois",
        ),
    )

    assert filled == (
        "Bonjour Jeanne Dupont, dossier VIL-2026-000001 avant le Dec. 3, 2026. Claire Martin "
        "(Ville de Villebois)"
    )


def test_filling_never_evaluates_what_the_values_contain():
    filled = render_template(
        "{{ citizen_name }} {{ reference }}",
        TemplateValues(citizen_name="{{ reference }}", reference="{% debug %}"),
    )

    assert filled == "{{ reference }} {% debug %}"


def test_unknown_and_malformed_variables_are_reported():
    assert check_template("Bonjour {{ citizen_name }}") == []
    assert check_template("Bonjour {{ nom }} {{ citizen_name }} {{ iban }}") == [
        "Unknown variables: {{ iban }}, {{ nom }}. Available: {{ citizen_name }}, "
        "{{ reference }}, {{ due_date }}, {{ agent_name }}, {{ organization }}."
    ]
    assert check_template("Bonjour {{ citizen.name }}") == [
        "A variable is not written correctly: write it as {{ citizen_name }}, with a name."
    ]


def test_a_template_with_an_unknown_variable_is_refused_at_save(town):
    template = ReplyTemplate(organization=town, name="Essai", body="Bonjour {{ prenom }}")

    with pytest.raises(ValidationError) as error:
        template.full_clean()

    assert error.value.message_dict["body"][0].startswith("Unknown variables: {{ prenom }}.")


def test_an_item_has_exactly_one_owner(town):
    library = Library.objects.create(name="Commune", slug="commune")

    with pytest.raises(ValidationError):
        Article(title="T", body="B").full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        Article.objects.create(organization=town, library=library, title="T", body="B")
    assert Article.objects.count() == 0


def test_each_organization_sees_its_own_items_and_the_shared_library(knowledge, town, other_town):
    assert set(Article.objects.available_to(town.pk)) == {
        knowledge["birth"],
        knowledge["identity"],
        knowledge["electoral"],
        knowledge["internal"],
    }
    assert set(Article.objects.available_to(other_town.pk)) == {
        knowledge["foreign"],
        knowledge["identity"],
        knowledge["electoral"],
    }


def test_a_library_for_members_only_is_not_seen_by_others(town, other_town):
    third = OrganizationFactory()
    library = Library.objects.create(name="Centre de services partagés", slug="csp")
    library.organizations.set([town, other_town])
    article = Article.objects.create(library=library, title="Procédure commune", body="Texte")

    assert list(Article.objects.available_to(town.pk)) == [article]
    assert list(Article.objects.available_to(other_town.pk)) == [article]
    assert list(Article.objects.available_to(third.pk)) == []


def test_agents_see_their_organizations_items_only(knowledge, civil_agent, other_agent):
    assert knowledge["foreign"] not in Article.objects.visible_to(civil_agent)
    assert knowledge["birth"] in Article.objects.visible_to(civil_agent)
    assert knowledge["identity"] in Article.objects.visible_to(other_agent)
    assert knowledge["birth"] not in Article.objects.visible_to(other_agent)


def test_items_out_of_their_validity_dates_are_not_current(town):
    today = datetime.date(2026, 6, 1)
    Article.objects.create(
        organization=town, title="Ancien", body="x", valid_until=today.replace(month=5)
    )
    future = Article.objects.create(
        organization=town, title="Futur", body="x", valid_from=today.replace(month=7)
    )
    always = Article.objects.create(organization=town, title="Toujours", body="x")

    assert list(Article.objects.available_to(town.pk).current(today)) == [always]
    assert future in Article.objects.available_to(town.pk).current(today.replace(month=8))
