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


def test_topic_department_first():
    decision = decide(context(addressed_department_ids=(3,)))
    assert (decision.department_id, decision.rule) == (2, "topic")
    assert decision.reasons == (
        "the topic “Acte de naissance” is handled by État civil",
        "confidence of the classification: 90%",
    )


def test_inactive_topic_department_falls_back_to_addressed_one():
    decision = decide(
        context(active_department_ids=frozenset({1, 3}), addressed_department_ids=(3,))
    )
    assert (decision.department_id, decision.rule) == (3, "addressed")
    assert decision.reasons == ("the message was sent to the address of Voirie",)


def test_no_topic_goes_to_reception():
    decision = decide(context(topic_id=None))
    assert (decision.department_id, decision.rule) == (1, "reception")
    assert decision.reasons == ("no topic recognised: Accueil, the reception department, sorts it",)


def test_nowhere_to_go_is_said_so():
    decision = decide(context(topic_id=None, default_department_id=None))
    assert (decision.department_id, decision.rule) == (None, "unrouted")
    assert decision.agent_id is None
