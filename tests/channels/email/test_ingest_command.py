"""`guichet ingest-email`: files in, case references out, nothing twice; replies from the desk
thread back when the citizen answers them."""

from email.message import EmailMessage
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from guichet.cases.actions import do_reply_case
from guichet.cases.models import Case
from guichet.conversations.models import Direction, Message

CORPUS = Path(__file__).parent / "corpus"
pytestmark = pytest.mark.django_db


def ingest(*args):
    out = StringIO()
    try:
        call_command("ingest-email", *map(str, args), "--no-progress", stdout=out)
    except SystemExit as exc:
        return out.getvalue(), exc.code
    return out.getvalue(), 0


def test_a_folder_of_real_world_mail(town):
    output, code = ingest(CORPUS, "--organization", "villebois")
    lines = output.splitlines()
    assert code == 0
    assert (
        lines[-1]
        == "22 messages: 20 new, 1 reply, 1 delivery report, 0 duplicate, 0 kept aside, 0 error"
    )
    assert any(
        line.endswith(
            "reply_with_reference.eml -> "
            + Case.objects.get(subject__icontains="nid").reference
            + " (added to the request)"
        )
        for line in lines
    )
    assert Case.objects.count() == 20
    assert (
        "bounce_dsn.eml -> delivery report (failed) about a message Guichet did not send" in output
    )
    # Importing the same folder again creates nothing.
    again, code = ingest(CORPUS, "--organization", "villebois")
    assert (
        again.splitlines()[-1]
        == "22 messages: 0 new, 0 reply, 0 delivery report, 22 duplicate, 0 kept aside, 0 error"
    )
    assert Case.objects.count() == 20


def test_organization_found_from_recipients(town, other_town, tmp_path):
    ours = tmp_path / "ours.eml"
    ours.write_bytes(citizen_mail("Question", message_id="q1@example.org"))
    output, code = ingest(ours)
    assert code == 0
    assert "-> VIL-" in output
    assert Case.objects.get().organization == town
    # Sent to an address no organization uses, with two organizations: said so, nothing created.
    output, code = ingest(CORPUS / "outlook_acte_naissance.eml")
    assert code == 1
    assert (
        "no organization receives mail at contact@mairie-villeneuve.fr (use --organization)"
        in output
    )
    assert Case.objects.count() == 1


def test_clear_errors(town, tmp_path):
    with pytest.raises(CommandError, match="no such file or directory"):
        ingest(tmp_path / "missing.eml")
    with pytest.raises(CommandError, match="unknown organization 'nowhere'"):
        ingest(CORPUS, "--organization", "nowhere")
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    output, code = ingest(empty, "--organization", "villebois")
    assert code == 1
    assert "empty.eml: not an email" in output


def citizen_mail(subject, *, message_id, in_reply_to=None, body="Bonjour"):
    mail = EmailMessage()
    mail["From"] = "Jeanne Dupont <jeanne.dupont@example.org>"
    mail["To"] = "mairie@villebois.fr"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
        mail["References"] = f"<{in_reply_to}>"
    mail.set_content(body)
    return mail.as_bytes()


def test_desk_reply_threads_back_when_the_citizen_answers(
    town, civil_agent, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    first = tmp_path / "first.eml"
    first.write_bytes(
        citizen_mail(
            "Acte de naissance",
            message_id="a1@example.org",
            body="Je souhaite un acte de naissance.",
        )
    )
    with django_capture_on_commit_callbacks(execute=True):
        ingest(first)
    case = Case.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        do_reply_case(case, "Pour quelle date de naissance ?", actor=civil_agent, then="wait")
    sent = mailoutbox[-1]
    assert sent.extra_headers["In-Reply-To"] == "<a1@example.org>"
    reply_id = sent.extra_headers["Message-ID"].strip("<>")
    # The citizen answers from an ordinary client, with a new subject: headers alone thread it.
    second = tmp_path / "second.eml"
    second.write_bytes(
        citizen_mail(
            "Ma réponse", message_id="a2@example.org", in_reply_to=reply_id, body="Le 3 mars 1990."
        )
    )
    output, code = ingest(second)
    assert code == 0
    assert output.splitlines()[0].endswith(f"-> {case.reference} (added to the request)")
    case.refresh_from_db()
    assert case.status == "open"
    assert list(Message.objects.filter(case=case).values_list("direction", "text")) == [
        (Direction.INBOUND, "Je souhaite un acte de naissance."),
        (Direction.OUTBOUND, Message.objects.filter(case=case, is_automatic=True).get().text),
        (Direction.OUTBOUND, "Pour quelle date de naissance ?"),
        (Direction.INBOUND, "Le 3 mars 1990."),
    ]
