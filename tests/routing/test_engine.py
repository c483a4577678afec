"""The department decision of the inbound pipeline, table-driven and without a database."""

import pytest

from guichet.routing.engine import RoutingContext, decide


def context(**overrides):
    values = {
        "organization_id": 1,
        "topic_id": 10,
        "topic_departments": {10: 2, 11: 3},
        "active_department_ids": frozenset({1, 2, 3}),
        "default_department_id": 1,
        "addressed_department_ids": (),
        "classification_confidence": 0.9,
        "topic_names": {10: "Acte de naissance", 11: "Nid-de-poule"},
        "department_names": {1: "Accueil", 2: "État civil", 3: "Voirie"},
    }
    values.update(overrides)
    return RoutingContext(**values)


CASES = {
    "the topic's department first": (
        context(addressed_department_ids=(3,)),
        (
            2,
            "topic",
            (
                "the topic “Acte de naissance” is handled by État civil",
                "confidence of the classification: 90%",
            ),
        ),
    ),
    "an inactive topic department falls back to the addressed one": (
        context(active_department_ids=frozenset({1, 3}), addressed_department_ids=(3,)),
        (3, "addressed", ("the message was sent to the address of Voirie",)),
    ),
    "the first active addressed department": (
        context(topic_id=None, addressed_department_ids=(4, 3, 2)),
        (3, "addressed", ("the message was sent to the address of Voirie",)),
    ),
    "a topic without a department goes to the addressed one": (
        context(topic_id=12, addressed_department_ids=(2,)),
        (2, "addressed", ("the message was sent to the address of État civil",)),
    ),
    "no topic goes to reception": (
        context(topic_id=None),
        (1, "reception", ("no topic recognised: Accueil, the reception department, sorts it",)),
    ),
    "a department without a name is named by its number": (
        context(topic_id=11, department_names={}, classification_confidence=0.456),
        (
            3,
            "topic",
            (
                "the topic “Nid-de-poule” is handled by #3",
                "confidence of the classification: 46%",
            ),
        ),
    ),
    "nowhere to go is said so": (
        context(topic_id=None, default_department_id=None),
        (
            None,
            "unrouted",
            ("no department could be chosen: supervisors see the request in every queue",),
        ),
    ),
    "an inactive reception department is nowhere to go": (
        context(topic_id=None, active_department_ids=frozenset({2, 3})),
        (
            None,
            "unrouted",
            ("no department could be chosen: supervisors see the request in every queue",),
        ),
    ),
}


@pytest.mark.parametrize(("given", "expected"), CASES.values(), ids=CASES.keys())
def test_the_department_decision(given, expected):
    decision = decide(given)

    assert (decision.department_id, decision.rule, decision.reasons) == expected
    assert decision.agent_id is None
