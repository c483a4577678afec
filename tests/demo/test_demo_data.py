"""What `guichet demo --cases 40 --seed 1` builds: the organizations, their services and topics, the
accounts, and requests that went through the real pipeline and the agents' hands."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone

from guichet.cases.models import Case, CaseEvent, EventKind
from guichet.citizens.models import Citizen, ContactPoint
from guichet.conversations.models import Conversation, DeliveryStatus, Direction, Message
from guichet.core.colors import contrast_ratio
from guichet.intake.models import InboundRecord, RecordStatus
from guichet.organizations.models import Department, Membership, Organization, Topic, User

pytestmark = pytest.mark.django_db

VILLEBOIS_DEPARTMENTS = {
    "accueil": ("Accueil", "accueil@villebois.fr"),
    "etat-civil": ("État civil", "etat-civil@villebois.fr"),
    "urbanisme": ("Urbanisme", "urbanisme@villebois.fr"),
    "voirie": ("Voirie et propreté", "voirie@villebois.fr"),
    "ccas": ("Action sociale (CCAS)", "ccas@villebois.fr"),
    "education": ("Éducation et enfance", "education@villebois.fr"),
    "dechets": ("Déchets et environnement", "dechets@villebois.fr"),
}
VILLEBOIS_TOPICS = {
    "actes-etat-civil": "etat-civil",
    "mariage-pacs": "etat-civil",
    "livret-famille": "etat-civil",
    "titres-identite": "etat-civil",
    "permis-construire": "urbanisme",
    "declaration-prealable": "urbanisme",
    "plu-cadastre": "urbanisme",
    "chaussee-trottoirs": "voirie",
    "eclairage-public": "voirie",
    "stationnement": "voirie",
    "depots-sauvages": "dechets",
    "collecte-bacs": "dechets",
    "encombrants-dechetterie": "dechets",
    "inscription-scolaire": "education",
    "cantine-periscolaire": "education",
    "petite-enfance": "education",
    "aides-sociales": "ccas",
    "seniors": "ccas",
}
# login -> (role, departments, organization slug); "platform" has no membership.
ACCOUNTS = {
    "admin": ("platform", set(), ""),
    "mairie.admin": ("administrator", set(), "villebois"),
    "superviseur": ("supervisor", set(), "villebois"),
    "accueil": ("agent", {"accueil"}, "villebois"),
    "claire.etatcivil": ("agent", {"etat-civil"}, "villebois"),
    "nadia.urbanisme": ("agent", {"urbanisme"}, "villebois"),
    "marc.voirie": ("agent", {"voirie"}, "villebois"),
    "julien.ccas": ("agent", {"ccas"}, "villebois"),
    "lea.education": ("agent", {"education"}, "villebois"),
    "hugo.dechets": ("agent", {"dechets"}, "villebois"),
    "agent.valombre": ("agent", {"accueil", "eau"}, "val-ombre"),
}


@pytest.fixture
def town(demo_output):
    return Organization.objects.get(slug="villebois")


@pytest.fixture
def intercommunality(demo_output):
    return Organization.objects.get(slug="val-ombre")


def test_two_organizations_with_readable_colours(town, intercommunality):
    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["val-ombre", "villebois"]
    assert (town.name, town.reference_prefix, town.email_address, town.response_days) == (
        "Ville de Villebois",
        "VIL",
        "mairie@villebois.fr",
        5,
    )
    assert (intercommunality.name, intercommunality.reference_prefix) == (
        "Communauté de communes du Val d'Ombre",
        "CCVO",
    )
    assert contrast_ratio(town.primary_color, "#ffffff") >= 4.5
    assert contrast_ratio(intercommunality.primary_color, "#ffffff") >= 4.5
    assert "Villebois" in town.portal_intro
    assert town.default_department.slug == "accueil"
    assert intercommunality.default_department.slug == "accueil"


def test_town_departments_and_topics(town):
    departments = {d.slug: (d.name, d.email_address) for d in town.departments.all()}
    assert departments == VILLEBOIS_DEPARTMENTS
    topics = {t.slug: t.department.slug for t in Topic.objects.filter(organization=town)}
    assert topics == VILLEBOIS_TOPICS
    for topic in Topic.objects.filter(organization=town):
        # One keyword or phrase per line, none split by a comma.
        assert "," not in topic.keywords
        assert len(topic.keyword_list()) >= 4
    assert Topic.objects.get(organization=town, slug="permis-construire").response_days == 10
    assert Topic.objects.get(organization=town, slug="stationnement").response_days is None


def test_intercommunality_departments_and_topics(intercommunality):
    assert sorted(intercommunality.departments.values_list("slug", flat=True)) == ["accueil", "eau"]
    assert sorted(
        Topic.objects.filter(organization=intercommunality).values_list("slug", flat=True)
    ) == [
        "assainissement",
        "facture-eau",
        "fuite-coupure",
    ]


def test_accounts_roles_and_departments(demo_output):
    users = {u.username: u for u in User.objects.all()}
    assert set(users) == set(ACCOUNTS)
    for login, (role, departments, organization) in ACCOUNTS.items():
        user = users[login]
        assert user.check_password("demo-guichet-2026"), login
        memberships = list(Membership.objects.filter(user=user))
        if role == "platform":
            assert memberships == []
            assert (user.is_superuser, user.is_staff) == (True, True)
            continue
        assert [(m.role, m.organization.slug) for m in memberships] == [(role, organization)]
        assert set(memberships[0].departments.values_list("slug", flat=True)) == departments
        assert user.is_superuser is False
        assert user.is_staff is (login == "mairie.admin")


def test_accounts_have_french_names(demo_output):
    names = dict(User.objects.values_list("username", "first_name"))
    assert names["claire.etatcivil"] == "Claire"
    assert names["marc.voirie"] == "Marc"
    assert User.objects.filter(last_name="").count() == 0
    assert User.objects.filter(first_name="").count() == 0


def test_output_prints_the_logins_table(demo_output):
    assert "password for all: demo-guichet-2026" in demo_output
    for login in ACCOUNTS:
        assert f"  {login} " in demo_output
    assert "40 requests by status" in demo_output


def test_case_counts_and_departments(town, intercommunality):
    assert Case.objects.filter(organization=town).count() == 40
    assert Case.objects.filter(organization=intercommunality).count() == 4
    assert Case.objects.filter(department__isnull=True).count() == 0
    assert Case.objects.exclude(department__organization=F("organization")).count() == 0


def test_every_channel_and_status_is_represented(town):
    cases = Case.objects.filter(organization=town)
    assert set(cases.values_list("channel", flat=True)) == {
        "portal",
        "email",
        "sms",
        "phone",
        "api",
    }
    assert set(cases.values_list("status", flat=True)) == {
        "new",
        "open",
        "waiting",
        "resolved",
        "closed",
    }
    # New requests wait in the queues, unassigned.
    assert cases.filter(status="new", assignee__isnull=False).count() == 0
    assert cases.exclude(status="new").filter(assignee__isnull=True).count() == 0
    assert cases.filter(status="closed", closed_at__isnull=True).count() == 0


def test_requests_came_through_the_pipeline(town):
    assert InboundRecord.objects.exclude(status=RecordStatus.PROCESSED).count() == 0
    assert InboundRecord.objects.filter(case__isnull=True).count() == 0
    # Every request was received, classified, routed and acknowledged.
    for case in Case.objects.filter(organization=town):
        steps = list(
            CaseEvent.objects.filter(case=case, kind=EventKind.PIPELINE)
            .order_by("created_at", "pk")
            .values_list("data__step", flat=True)[:6]
        )
        assert steps == ["persist", "identify", "thread", "classify", "route", "acknowledge"]
        assert (
            Message.objects.filter(
                case=case, direction=Direction.OUTBOUND, is_automatic=True
            ).count()
            == 1
        )
    emails = Message.objects.filter(organization=town, direction=Direction.INBOUND, channel="email")
    assert emails.filter(email_message_id="").count() == 0


def test_citizens_wrote_again_on_their_requests(town):
    threaded = CaseEvent.objects.filter(
        organization=town, kind=EventKind.PIPELINE, data__step="thread", data__new_case=False
    )
    assert threaded.count() >= 1
    with_replies = set(
        Message.objects.filter(organization=town, direction=Direction.INBOUND)
        .values("case")
        .annotate(count=Count("pk"))
        .filter(count__gte=2)
        .values_list("case", flat=True)
    )
    # Each message threaded into an existing request is on a request with several messages.
    assert set(threaded.values_list("case", flat=True)) == with_replies


def test_agents_worked_through_the_actions(town):
    events = set(CaseEvent.objects.filter(organization=town).values_list("kind", flat=True))
    assert {
        EventKind.ASSIGNED,
        EventKind.MESSAGE_SENT,
        EventKind.STATUS_CHANGED,
        EventKind.NOTE_ADDED,
    } <= events
    replies = Message.objects.filter(
        organization=town, direction=Direction.OUTBOUND, is_automatic=False
    )
    assert replies.filter(author__isnull=True).count() == 0
    assert replies.count() >= 10


def test_history_is_in_the_past_and_in_order(town):
    now = timezone.now()
    cases = list(Case.objects.filter(organization=town).order_by("created_at", "pk"))
    # Two months of history, more of it recent, up to the last hours.
    assert now - timedelta(days=61) <= cases[0].created_at < now - timedelta(days=20)
    assert cases[-1].created_at > now - timedelta(days=1)
    recent = sum(1 for c in cases if c.created_at > now - timedelta(days=20))
    assert recent > len(cases) / 2
    assert [c.reference for c in cases] == sorted(c.reference for c in cases)
    for model in (Message, CaseEvent, Conversation, InboundRecord):
        field = "received_at" if model is InboundRecord else "created_at"
        assert model.objects.filter(**{f"{field}__gt": now}).count() == 0, model
    for case in cases:
        events = list(case.events.values_list("created_at", flat=True))
        assert events == sorted(events)
        assert events[0] == case.created_at
        assert case.due_at > case.created_at


def test_historical_messages_are_delivered_not_queued(town, intercommunality):
    outbound = Message.objects.filter(direction=Direction.OUTBOUND)
    assert outbound.filter(delivery_status=DeliveryStatus.QUEUED).count() == 0
    assert outbound.filter(sent_at__isnull=True).count() == 0
    assert (
        outbound.filter(channel="portal").exclude(delivery_status=DeliveryStatus.PUBLISHED).count()
        == 0
    )


def test_no_record_crosses_organizations(town, intercommunality):
    assert Case.objects.exclude(citizen__organization=F("organization")).count() == 0
    assert Message.objects.exclude(case__organization=F("organization")).count() == 0
    assert Conversation.objects.exclude(citizen__organization=F("organization")).count() == 0
    assert ContactPoint.objects.exclude(citizen__organization=F("organization")).count() == 0
    # Someone wrote to both: two citizen records with the same address, one per organization.
    shared = (
        ContactPoint.objects.filter(kind="email")
        .values("value")
        .annotate(count=Count("organization", distinct=True))
        .filter(count=2)
    )
    assert shared.count() == 1
    assert Citizen.objects.filter(contact_points__value=shared[0]["value"]).count() == 2


def test_demo_addresses_use_reserved_example_domains(town):
    domains = {
        value.rpartition("@")[2]
        for value in ContactPoint.objects.filter(kind="email").values_list("value", flat=True)
    }
    assert domains <= {"example.org", "example.net", "example.com", "exemple.fr"}


def test_if_empty_does_nothing_the_second_time(demo_output):
    counts = (Organization.objects.count(), Case.objects.count(), User.objects.count())
    stdout = StringIO()
    call_command("demo", "--if-empty", stdout=stdout)
    assert stdout.getvalue() == "Demo data already exists; nothing was created.\n"
    assert (Organization.objects.count(), Case.objects.count(), User.objects.count()) == counts


def test_without_if_empty_refuses_a_database_in_use(demo_output):
    cases = Case.objects.count()
    with pytest.raises(CommandError, match="only fills an empty database"):
        call_command("demo", "--cases", "5")
    assert Case.objects.count() == cases
    assert Department.objects.filter(organization__slug="villebois").count() == 7
