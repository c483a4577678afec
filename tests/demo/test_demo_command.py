"""`guichet demo` on an empty database: deterministic with a seed, refuses bad input, and the
login table `guichet serve` prints."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from guichet.cases.models import Case
from guichet.demo.report import describe_logins
from guichet.organizations.models import Organization, User

pytestmark = pytest.mark.django_db


def run_demo(*args):
    """Run the command in a savepoint rolled back afterwards; return what it left."""
    with transaction.atomic():
        call_command("demo", *args, stdout=StringIO(), stderr=StringIO())
        subjects = sorted(Case.objects.values_list("organization__slug", "channel", "subject"))
        transaction.set_rollback(True)
    return subjects


def test_same_seed_gives_the_same_requests():
    first = run_demo("--cases", "12", "--seed", "7")
    second = run_demo("--cases", "12", "--seed", "7")
    assert Organization.objects.count() == 0
    assert len(first) == 12 + 4
    assert first == second


def test_another_seed_gives_other_requests():
    assert run_demo("--cases", "12", "--seed", "7") != run_demo("--cases", "12", "--seed", "8")


def test_if_empty_on_an_empty_database_creates_the_demo():
    stdout = StringIO()
    call_command(
        "demo", "--if-empty", "--cases", "5", "--seed", "3", stdout=stdout, stderr=StringIO()
    )
    assert Case.objects.filter(organization__slug="villebois").count() == 5
    assert "Demo data created" in stdout.getvalue()


def test_if_empty_leaves_a_database_with_another_organization_alone(other_town):
    stdout = StringIO()
    call_command("demo", "--if-empty", stdout=stdout)
    assert stdout.getvalue() == (
        "The database already has organizations ('montval'...); no demo data was added.\n"
    )
    assert list(Organization.objects.values_list("slug", flat=True)) == ["montval"]
    assert User.objects.count() == 0


@pytest.mark.parametrize("cases", ["0", "-3", "5001"])
def test_case_count_out_of_range_is_refused(cases):
    with pytest.raises(CommandError, match="--cases must be between 1 and 5000"):
        call_command("demo", "--cases", cases)
    assert Organization.objects.count() == 0


def test_no_logins_to_print_without_demo_accounts():
    assert describe_logins() == []


def test_the_demo_trains_the_town_s_triage_model_and_new_requests_use_it(settings):
    from guichet.assist.models import Prediction
    from guichet.assist.training import MODEL_FILE
    from guichet.channels.base import InboundMessage
    from guichet.intake.pipeline import receive

    stderr = StringIO()
    with transaction.atomic():
        call_command("demo", "--cases", "80", "--seed", "2", stdout=StringIO(), stderr=stderr)
        assert "Triage model: trained on " in stderr.getvalue()
        assert (settings.DATA_DIR / "assist" / "villebois" / MODEL_FILE).is_file()
        town = Organization.objects.get(slug="villebois")

        reception = receive(
            town,
            InboundMessage(
                channel="email",
                external_id="after-demo-1",
                sender_address="nouvelle.habitante@example.org",
                subject="Acte de naissance",
                text="Bonjour, je voudrais une copie intégrale de mon acte de naissance.",
            ),
        )

        prediction = Prediction.objects.get(case=reception.case)
        assert prediction.model_name == "fr-tfidf-logreg"
        assert prediction.model_version
        assert reception.case.topic.slug == "actes-etat-civil"
        transaction.set_rollback(True)


def test_a_demo_too_small_to_train_says_so():
    stderr = StringIO()
    with transaction.atomic():
        call_command("demo", "--cases", "3", "--seed", "3", stdout=StringIO(), stderr=stderr)
        transaction.set_rollback(True)
    assert "Triage model: not trained (" in stderr.getvalue()
