"""The optimisations made for the ingestion benchmark give the same results as the plain code
they replaced: the classifier's word counts and cached patterns score like one pattern per key,
the fast folding folds like `guichet.core.text.fold`, acknowledgements written with what the
pipeline knows are those the lookups would write, references count the same with or without
`UPDATE ... RETURNING`, contact points are seen when their citizen writes."""

import random
import re

import pytest
from django.utils import timezone

from guichet.assist.classifiers import Classification, KeywordClassifier, TopicProfile, fold_fast
from guichet.cases.models import Case
from guichet.channels.email.addresses import reply_address
from guichet.citizens.models import ContactPoint
from guichet.conversations.models import Direction, Message
from guichet.core.text import fold
from guichet.demo import content
from guichet.demo.town import VILLEBOIS_REQUESTS
from guichet.intake import steps
from guichet.intake.pipeline import receive
from tests.bench.test_batch_guarantees import mailbox, outcome


def reference_classify(topics, subject, text):
    """The classifier as it was written before (one compiled pattern per key and message)."""
    folded_subject = f" {fold(subject)} "
    folded_text = f" {fold(text[:20000])} "
    scored = []
    for topic in topics:
        score = 0.0
        matched = []
        for phrase in (*topic.keywords, topic.name):
            key = fold(phrase)
            if not key:
                continue
            pattern = re.compile(rf"(?<= ){re.escape(key)}(?= )")
            hits = len(pattern.findall(folded_subject)) * 2.0 + len(pattern.findall(folded_text))
            if hits:
                score += min(hits, 3) * (1 + key.count(" "))
                matched.append(phrase)
        if score:
            scored.append((score, topic.topic_id, matched))
    if not scored:
        return Classification(None, 0.0, "keywords-v1", ("no topic keyword found",))
    scored.sort(key=lambda item: (-item[0], item[1]))
    best_score, best_topic, matched = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    return Classification(
        best_topic,
        round(best_score / (best_score + runner_up), 3),
        "keywords-v1",
        tuple(f"keyword: {m}" for m in matched[:5]),
    )


TOPICS = [
    TopicProfile(n, spec.slug, spec.name, spec.keywords)
    for n, spec in enumerate(content.VILLEBOIS_TOPICS, start=1)
]
# Phrases whose words repeat, where counting words and matching the phrase could disagree.
TOPICS.append(TopicProfile(99, "echo", "Écho écho", ("nid nid", "de de de", "a a", "")))


def texts(count, seed):
    rng = random.Random(seed)
    pieces = [
        *(s for t in VILLEBOIS_REQUESTS for s in (*t.subjects, *t.bodies, *t.informal)),
        "nid nid nid de de de de a a a",
        "ÉCHO — écho !! NID-de-POULE, nid   de\tpoule",
        "ﬁche d'état-civil ½ Kelvin \u212a İstanbul œuvre cœur straße",
        "",
    ]
    for _ in range(count):
        words = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
        yield rng.choice(pieces)[:80], words


@pytest.mark.parametrize("seed", range(5))
def test_the_classifier_scores_as_one_pattern_per_key(seed):
    classifier = KeywordClassifier()
    for subject, text in texts(300, seed):
        assert classifier.classify(TOPICS, subject, text) == reference_classify(
            TOPICS, subject, text
        ), (subject, text)


def test_an_edited_topic_is_never_scored_with_its_old_keywords():
    # Given a classification made with a topic's keywords (and cached)
    classifier = KeywordClassifier()
    before = [TopicProfile(1, "voirie", "Voirie", ("trottoir",))]
    assert classifier.classify(before, "Trottoir", "").topic_id == 1
    # When the topic's keywords change
    after = [TopicProfile(1, "voirie", "Voirie", ("chaussée",))]
    # Then the new keywords are used at once
    assert classifier.classify(after, "Trottoir", "").topic_id is None
    assert classifier.classify(after, "Chaussée", "").topic_id == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Déchèterie !",
        "l'état-civil",
        "ASCII only, with: punctuation; and 123 numbers",
        "Kelvin \u212a and \ufb01 ligature, ½, İ, ß, œ, Ǆ, \U0001d518\U0001d52b\U0001d526",
        "e\u0301 combining after the fact, a\u0308\u0304",
        "  leading and trailing — spaces  ",
        "日本語のテキスト and العربية",
    ],
)
def test_fast_folding_folds_like_fold(text):
    assert fold_fast(text) == fold(text)


def test_fast_folding_on_every_character_of_the_basic_plane():
    text = "".join(chr(code) for code in range(0x20, 0xD800))
    assert fold_fast(text) == fold(text)
    for start in range(0x20, 0xD800, 97):
        chunk = "".join(chr(code) for code in range(start, min(start + 97, 0xD800)))
        assert fold_fast(chunk) == fold(chunk)


@pytest.mark.django_db
def test_acknowledgements_are_written_as_the_lookups_would_write_them(
    town, twin_town, email_inbound, monkeypatch
):
    # Given messages on every kind of channel, from new and known senders
    def messages(prefix):
        return [
            *mailbox(email_inbound, prefix),
            email_inbound(channel="sms", external_id="s1", sender_address="06 12 34 56 78"),
            email_inbound(channel="portal", external_id="p1", sender_address="lea@example.org"),
            email_inbound(channel="api", external_id="x1", sender_address="Marc@Example.org"),
            email_inbound(
                external_id="t1",
                email_message_id="",
                subject="Sans identifiant",
                sender_address="nouveau@example.org",
            ),
        ]

    def forwarded_answer(organization):
        """Someone Jeanne forwarded the answer to writes to the signed address of her request,
        now closed: a follow-up request, for Jeanne, from an address that is not hers."""
        first = Case.objects.filter(organization=organization).order_by("pk").first()
        Case.objects.filter(pk=first.pk).update(status="closed")
        return email_inbound(
            external_id="f1",
            sender_address="autre@example.org",
            subject="Suite",
            recipients=(reply_address(organization.email_address, organization.pk, first.pk),),
        )

    # When one town acknowledges them with what the pipeline knows, the other with the lookups
    for inbound in messages("JUM"):
        receive(twin_town, inbound)
    receive(twin_town, forwarded_answer(twin_town))
    monkeypatch.setattr(steps, "_opening_thread", lambda run, channel: None)
    for inbound in messages("VIL"):
        receive(town, inbound)
    receive(town, forwarded_answer(town))
    # Then the acknowledgements are the same (address, channel, threading headers), in the same
    # conversations
    assert outcome(twin_town) == outcome(town)
    for organization in (town, twin_town):
        for ack in Message.objects.filter(organization=organization, is_automatic=True):
            opening = (
                Message.objects.filter(case=ack.case, direction=Direction.INBOUND)
                .order_by("created_at", "pk")
                .first()
            )
            # (An API message is acknowledged by email; a forwarded answer to the citizen's own
            # address: other conversations.)
            if (ack.channel, ack.recipient_address) == (opening.channel, opening.sender_address):
                assert ack.conversation_id == opening.conversation_id
    rows = outcome(town)[0]
    acknowledged = {a for row in rows for a in row["acknowledged"]}
    assert ("nouveau@example.org", "email", "", "", True) in acknowledged
    follow_up = rows[-1]
    assert follow_up["how"] == "follow-up of a closed request"
    assert [a[0] for a in follow_up["acknowledged"]] == ["jeanne.dupont@example.org"]


@pytest.mark.django_db
@pytest.mark.parametrize("returning", [False, True])
def test_next_reference_without_update_returning(town, monkeypatch, returning):
    from guichet.cases import references
    from guichet.cases.references import next_reference

    # Given a database without UPDATE ... RETURNING (or with it)
    monkeypatch.setattr(references, "_has_update_returning", lambda connection: returning)
    # Then references are numbered from 1, one after the other, whatever the path
    year = timezone.localtime().year
    assert [next_reference(town) for _ in range(3)] == [f"VIL-{year}-{n:06d}" for n in (1, 2, 3)]


@pytest.mark.django_db
def test_contact_points_are_seen_when_their_citizen_writes(town):
    from guichet.citizens.actions import resolve_citizen
    from guichet.citizens.identity import normalise_contact

    contacts = [normalise_contact("jeanne@example.org"), normalise_contact("06 12 34 56 78")]
    first = resolve_citizen(town, contacts, display_name="Jeanne")
    points = list(ContactPoint.objects.filter(citizen=first.citizen))
    assert first.created is True
    assert first.owned == {"jeanne@example.org", "+33612345678"}
    assert {p.last_seen_at for p in points} == {first.citizen.created_at}
    again = resolve_citizen(town, contacts[:1])
    assert (again.citizen, again.created, again.owned) == (
        first.citizen,
        False,
        {"jeanne@example.org"},
    )
    seen = ContactPoint.objects.get(citizen=first.citizen, value="jeanne@example.org")
    assert seen.last_seen_at > first.citizen.created_at
