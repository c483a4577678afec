"""Building the demo: organizations, people, and a few hundred requests with their history.

Every request goes through the real inbound pipeline (`guichet.intake.pipeline.receive`, fed by the
channels' own builders: an .eml parsed by the email parser, the portal's form builders, the API's
message shape for SMS, calls and the town's app), so identification, threading, classification,
routing and acknowledgement really run. Agents then work through the real case actions (assign,
note, reply, transfer, status changes). Only time is simulated: each step runs now and its stamps
are moved back to when it "happened" (`clock.Backdater`).
"""

from __future__ import annotations

import logging
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone
from tqdm import tqdm

from guichet.cases.actions import (
    do_add_note,
    do_assign_case,
    do_reply_case,
    do_set_priority,
    do_set_topic,
    do_transfer_case,
    do_transition_case,
)
from guichet.cases.lifecycle import Status, Transition
from guichet.cases.models import Case, Priority
from guichet.channels.base import InboundMessage
from guichet.conversations.actions import reply_channels
from guichet.conversations.models import Channel, DeliveryStatus, Direction, Message
from guichet.core.text import fold
from guichet.demo import content
from guichet.demo.clock import Backdater, closing_before, is_open, next_opening, opening_after
from guichet.demo.inbound import MessageFactory, e164, reply_subject
from guichet.demo.knowledge import load_demo_knowledge
from guichet.demo.planning import (
    VAL_OMBRE_CHANNELS,
    VILLEBOIS_CHANNELS,
    Plan,
    Planner,
    other_organization_cases,
)
from guichet.demo.report import describe_data, describe_logins
from guichet.demo.requests import VAL_OMBRE_REQUESTS
from guichet.demo.service_levels import seed_callbacks, seed_service_levels
from guichet.demo.town import VILLEBOIS_REQUESTS
from guichet.intake.pipeline import receive
from guichet.organizations.models import (
    Department,
    Membership,
    Organization,
    Role,
    Topic,
    User,
    validate_readable_colour,
)

# `guichet serve` prints the demo logins through this module.
__all__ = ["DemoBuilder", "DemoError", "describe_data", "describe_logins"]

SHORT_NAMES = {"villebois": "Mairie de Villebois", "val-ombre": "CC du Val d'Ombre"}

logger = logging.getLogger(__name__)


# A step: what happens, how many hours after the previous one (a range), and whether it waits for
# office hours (agents) or not (citizens write whenever they like).
Step = tuple[str, tuple[float, float], bool]


class ProgressStream(Protocol):
    def write(self, text: str) -> object: ...

    def flush(self) -> object: ...

    def isatty(self) -> bool: ...


class DemoError(Exception):
    """The demo could not be built (the message says why); nothing of it is kept."""


@dataclass
class OrganizationContext:
    organization: Organization
    backdater: Backdater
    departments: dict[str, Department]
    topics: dict[str, Topic]
    agents: dict[int, User]  # department id -> the agent who works there
    supervisor: User | None = None
    short_name: str = ""


@dataclass
class DemoReport:
    seconds: float = 0.0
    organizations: list[Organization] = field(default_factory=list)


def _silent_tasks() -> dict[str, Any]:
    """The task configuration used while seeding (see `DemoBuilder.build`)."""
    queues = settings.TASKS.get("default", {}).get("QUEUES", ["default"])
    return {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": queues}}


class DemoBuilder:
    def __init__(self, *, seed: int, cases: int, progress: ProgressStream | None = None) -> None:
        self.seed = seed
        self.cases = cases
        self.progress = progress
        self.now = timezone.now()
        self.planner = Planner(random.Random(seed), self.now)  # noqa: S311 — demo data
        # Agents' choices draw from their own generator, so the plans do not depend on them.
        self.rng = random.Random(f"{seed}:work")  # noqa: S311 — demo data, not secrets
        self.messages = MessageFactory(self.rng)
        self.cases_by_plan: dict[int, Case] = {}
        self.contexts: dict[str, OrganizationContext] = {}

    # --- the whole demo ----------------------------------------------------------------------

    def build(self) -> DemoReport:
        """Create everything in one transaction.

        Replies and acknowledgements are delivered by a background task enqueued when the
        transaction commits. The demo writes history: nothing of it should reach a mailbox or a
        queue. So the seeding runs with Django's dummy task backend (enqueued tasks are kept in
        memory and dropped; the commit, and so the enqueueing, happens inside the override), and
        the historical messages are then marked as delivered when they were written. The database
        task queue of `make run` receives nothing, and its worker has nothing to catch up on.
        """
        started = time.monotonic()
        report = DemoReport()
        with override_settings(TASKS=_silent_tasks()), transaction.atomic():
            villebois = self._organization(
                content.VILLEBOIS, content.VILLEBOIS_DEPARTMENTS, content.VILLEBOIS_TOPICS
            )
            val_ombre = self._organization(
                content.VAL_OMBRE, content.VAL_OMBRE_DEPARTMENTS, content.VAL_OMBRE_TOPICS
            )
            report.organizations = [villebois, val_ombre]
            seed_service_levels(villebois, self.now)
            self._users()
            plans = self._plans()
            self._run(plans)
            seed_callbacks(villebois)
            self._mark_delivered(report.organizations)
            from guichet.routing.setup import configure_default_routing

            for organization in report.organizations:  # skills, capacities, presence
                configure_default_routing(organization)
            self._knowledge(report.organizations, villebois)
        # After the commit: the model file is written outside the database.
        self._triage_model(villebois)
        report.seconds = time.monotonic() - started
        return report

    def _knowledge(self, organizations: list[Organization], town: Organization) -> None:
        """Real service-public.fr articles (shared library) and the town's reply templates."""
        articles, _templates, notice = load_demo_knowledge(organizations, town)
        if self.progress is not None:
            if notice:
                self.progress.write(f"{notice}\n")
            if articles is not None:
                self.progress.write(f"Knowledge base: {articles.imported} articles imported.\n")

    def _triage_model(self, town: Organization) -> None:
        """Train the town's triage model on the requests just written, as `guichet assist-train`
        does, so that new requests of the demo are classified by a model of its own history.
        The demo's data is committed by then: a training that fails is reported, never fatal."""
        from guichet.assist.errors import AssistError
        from guichet.assist.training import model_dir, train_organization

        try:
            meta = train_organization(town)
        except AssistError as exc:  # NotEnoughHistory with a small --cases
            # A model left by an earlier demo database would not fit this one.
            shutil.rmtree(model_dir(town), ignore_errors=True)
            message = f"Triage model: not trained ({exc}).\n"
        except Exception as exc:  # the demo is kept whatever happens here
            logger.exception("the demo's triage model could not be trained")
            message = f"Triage model: not trained ({type(exc).__name__}: {exc}).\n"
        else:
            message = (
                f"Triage model: trained on {meta['examples']} requests, "
                f"{meta['topics']} topics (cross-validated accuracy "
                f"{meta['quality']['accuracy']:.2f}, confidence threshold "
                f"{meta['threshold_at_training']['value']:g}).\n"
            )
        if self.progress is not None:
            self.progress.write(message)

    # --- organizations and people ------------------------------------------------------------

    def _organization(
        self,
        spec: content.OrganizationSpec,
        departments: tuple[content.DepartmentSpec, ...],
        topics: tuple[content.TopicSpec, ...],
    ) -> Organization:
        validate_readable_colour(spec.primary_color)
        organization = Organization.objects.create(
            name=spec.name,
            slug=spec.slug,
            reference_prefix=spec.reference_prefix,
            email_address=spec.email_address,
            primary_color=spec.primary_color,
            portal_intro=spec.portal_intro,
            response_days=spec.response_days,
            created_at=self.now - timedelta(days=90),
        )
        by_slug = {
            d.slug: Department.objects.create(
                organization=organization,
                name=d.name,
                slug=d.slug,
                email_address=d.email_address,
                description=d.description,
            )
            for d in departments
        }
        organization.default_department = by_slug[spec.default_department]
        organization.save(update_fields=["default_department"])
        topic_rows = {
            t.slug: Topic.objects.create(
                organization=organization,
                name=t.name,
                slug=t.slug,
                description=t.description,
                department=by_slug[t.department],
                keywords="\n".join(t.keywords),
                response_days=t.response_days,
            )
            for t in topics
        }
        self.contexts[spec.slug] = OrganizationContext(
            organization=organization,
            backdater=Backdater(organization),
            departments=by_slug,
            topics=topic_rows,
            agents={},
            short_name=SHORT_NAMES.get(spec.slug, spec.name),
        )
        return organization

    def _users(self) -> None:
        # One hash for every account: hashing costs ~0.3 s each and they share the password.
        password = make_password(content.DEMO_PASSWORD)
        for spec in content.USERS:
            domain = "example.org" if spec.role == "platform" else f"{spec.organization}.fr"
            user = User.objects.create(
                username=spec.username,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{fold(spec.first_name)}.{fold(spec.last_name).replace(' ', '')}@{domain}",
                password=password,
                is_staff=spec.is_staff,
                is_superuser=spec.role == "platform",
                date_joined=self.now - timedelta(days=90),
            )
            if spec.role == "platform":
                continue
            context = self.contexts[spec.organization]
            membership = Membership.objects.create(
                user=user, organization=context.organization, role=spec.role
            )
            departments = [context.departments[slug] for slug in spec.departments]
            membership.departments.set(departments)
            for department in departments:
                context.agents.setdefault(department.pk, user)
            if spec.role == Role.SUPERVISOR:
                context.supervisor = user

    # --- planning ------------------------------------------------------------------------------

    def _plans(self) -> list[Plan]:
        villebois = self.contexts[content.VILLEBOIS.slug]
        val_ombre = self.contexts[content.VAL_OMBRE.slug]
        town_plans = self.planner.plan(
            content.VILLEBOIS.slug,
            content.VILLEBOIS.email_address,
            {slug: d.email_address for slug, d in villebois.departments.items()},
            VILLEBOIS_REQUESTS,
            self.cases,
            VILLEBOIS_CHANNELS,
            guarantee=True,
        )
        # Someone who lives in Villebois writes to the intercommunality too: the same address
        # makes two separate citizen records, one per organization.
        shared = next((p.person for p in town_plans if p.person.email), None)
        other_plans = self.planner.plan(
            content.VAL_OMBRE.slug,
            content.VAL_OMBRE.email_address,
            {slug: d.email_address for slug, d in val_ombre.departments.items()},
            VAL_OMBRE_REQUESTS,
            other_organization_cases(self.cases),
            VAL_OMBRE_CHANNELS,
            guarantee=False,
            shared_person=shared,
        )
        return sorted([*town_plans, *other_plans], key=lambda p: p.received_at)

    # --- running the plans -------------------------------------------------------------------

    def _run(self, plans: list[Plan]) -> None:
        bar = tqdm(
            total=len(plans),
            desc="Demo requests",
            unit="request",
            file=self.progress or sys.stderr,
            # No bar at all when quiet; none either when stderr is a log file, not a terminal.
            disable=True if self.progress is None else None,
            leave=False,
        )
        with bar:
            for plan in plans:
                self._execute(plan)
                bar.update(1)

    def _step(
        self, context: OrganizationContext, case: Case, when: datetime, action: Callable[[], object]
    ) -> None:
        started = timezone.now()
        action()
        context.backdater.rewrite(started, when, case, inbound=False)
        case.refresh_from_db()

    def _receive(
        self, context: OrganizationContext, inbound: InboundMessage, when: datetime
    ) -> Case:
        started = timezone.now()
        reception = receive(context.organization, inbound)
        case = reception.case
        if case is None:
            raise DemoError(
                f"the pipeline could not process a demo message ({inbound.channel} "
                f"{inbound.external_id}): {reception.record.error}"
            )
        context.backdater.rewrite(started, when, case, inbound=True)
        case.refresh_from_db()
        return case

    def _execute(self, plan: Plan) -> None:
        context = self.contexts[plan.organization]
        case = self._receive(context, self._first_message(plan), plan.received_at)
        self.cases_by_plan[id(plan)] = case
        if plan.target == Status.NEW:
            when = next_opening(
                plan.received_at + timedelta(minutes=self.rng.randint(10, 50)), self.rng
            )
            if (
                plan.priority > Priority.NORMAL
                and context.supervisor
                and when < self._deadline(plan)
            ):
                supervisor = context.supervisor
                self._step(
                    context,
                    case,
                    when,
                    lambda: do_set_priority(case, plan.priority, actor=supervisor),
                )
            return
        steps = self._script(context, plan, case)
        for (kind, _delay, _working), when in zip(steps, self._times(plan, steps), strict=True):
            self._do(kind, context, plan, case, when)

    def _deadline(self, plan: Plan) -> datetime:
        return plan.deadline or self.planner.limit

    def _script(self, context: OrganizationContext, plan: Plan, case: Case) -> list[Step]:
        steps: list[Step] = []
        intended = context.departments[plan.template.department]
        if case.department_id != intended.pk:
            steps.append(("transfer", (0.2, 6), True))
        if plan.priority > Priority.NORMAL:
            steps.append(("priority", (0.05, 0.5), True))
            if context.supervisor is not None:
                steps.append(("supervisor_note", (0.05, 0.5), True))
        steps.append(("assign", (0.3, 20), True))
        if plan.note:
            steps.append(("note", (0.1, 3), True))
        target = plan.target
        if target == Status.WAITING:
            steps.append(("ask", (0.1, 4), True))
            return steps
        if plan.ask_first:
            steps += [("ask", (0.1, 4), True), ("citizen_answer", (2, 40), False)]
        elif plan.update:
            steps.append(("update", (0.1, 4), True))
            if plan.chaser:
                steps.append(("citizen_chaser", (24, 72), False))
        if target in (Status.RESOLVED, Status.CLOSED):
            steps.append(("answer", (1, 30), True))
        if target == Status.CLOSED:
            if plan.thanks:
                steps += [
                    ("citizen_thanks", (1, 20), False),
                    ("close_after_thanks", (0.5, 8), True),
                ]
            else:
                steps.append(("close", (48, 170), True))
        return steps

    def _times(self, plan: Plan, steps: list[Step]) -> list[datetime]:
        """When each step happens: after the previous one, in office hours for agents, squeezed
        proportionally when the request is too recent for the whole story to have happened."""
        moment = plan.received_at
        times: list[datetime] = []
        for _kind, (low, high), working in steps:
            moment += timedelta(hours=self.rng.uniform(low, high))
            if working:
                moment = next_opening(moment, self.rng)
            times.append(moment)
        deadline = self._deadline(plan)
        if times and times[-1] > deadline:
            ratio = (deadline - plan.received_at) / (times[-1] - plan.received_at)
            times = [plan.received_at + (t - plan.received_at) * ratio for t in times]
        previous = plan.received_at
        ordered: list[datetime] = []
        for (_kind, _delay, working), moment in zip(steps, times, strict=True):
            if working and not is_open(moment):
                # Squeezed out of office hours: the end of the previous opening if there is room,
                # else the next opening if it comes before the deadline.
                before = closing_before(moment) - timedelta(minutes=self.rng.randint(5, 40))
                after = opening_after(moment) + timedelta(minutes=self.rng.randint(0, 30))
                if before > previous:
                    moment = before
                elif after < deadline:
                    moment = after
            moment = max(moment.replace(microsecond=0), previous + timedelta(seconds=1))
            ordered.append(moment)
            previous = moment
        return ordered

    # --- one step ----------------------------------------------------------------------------

    def _agent(self, context: OrganizationContext, case: Case) -> User:
        agent = context.agents.get(case.department_id or 0) or context.supervisor
        if agent is None:
            raise DemoError(f"nobody works in the department of {case.reference}")
        return agent

    def _do(
        self, kind: str, context: OrganizationContext, plan: Plan, case: Case, when: datetime
    ) -> None:
        rng = self.rng
        agent = self._agent(context, case)
        if kind == "transfer":
            target = context.departments[plan.template.department]
            topic = context.topics.get(plan.template.topic)
            reason = rng.choice(content.TRANSFER_REASONS).format(department=target.name)

            def transfer() -> None:
                if topic is not None and case.topic_id != topic.pk:
                    do_set_topic(case, topic, actor=agent)
                do_transfer_case(case, target, actor=agent, reason=reason)

            self._step(context, case, when, transfer)
        elif kind == "priority":
            actor = context.supervisor or agent
            self._step(
                context, case, when, lambda: do_set_priority(case, plan.priority, actor=actor)
            )
        elif kind == "supervisor_note":
            supervisor = context.supervisor
            text = rng.choice((*content.SUPERVISOR_NOTES, *content.URGENT_NOTES))
            self._step(context, case, when, lambda: do_add_note(case, text, actor=supervisor))
        elif kind == "assign":
            actor = context.supervisor if plan.supervisor_assigns and context.supervisor else agent
            self._step(context, case, when, lambda: do_assign_case(case, agent, actor=actor))
        elif kind == "note":
            text = rng.choice(plan.template.notes or content.GENERIC_NOTES).format_map(plan.fill)
            self._step(context, case, when, lambda: do_add_note(case, text, actor=agent))
        elif kind in ("ask", "update", "answer"):
            self._reply(kind, context, plan, case, agent, when)
        elif kind.startswith("citizen_"):
            self._citizen_writes(kind, context, plan, case, when)
        elif kind in ("close", "close_after_thanks"):
            actor = context.supervisor if context.supervisor and rng.random() < 0.4 else agent
            reason = (
                "Remerciements de l'usager, rien à ajouter."
                if kind == "close_after_thanks"
                else rng.choice(content.CLOSE_REASONS)
            )
            self._step(
                context,
                case,
                when,
                lambda: do_transition_case(case, Transition.CLOSE, actor=actor, reason=reason),
            )
        else:  # pragma: no cover — the script only holds the kinds above
            raise DemoError(f"unknown demo step {kind!r}")

    def _reply(
        self,
        kind: str,
        context: OrganizationContext,
        plan: Plan,
        case: Case,
        agent: User,
        when: datetime,
    ) -> None:
        rng = self.rng
        template = plan.template
        pool = {
            "ask": template.asks or content.GENERIC_ASKS,
            "update": template.updates or content.GENERIC_UPDATES,
            "answer": template.answers,
        }[kind]
        body = rng.choice(pool).format_map(plan.fill)
        then = {"ask": Transition.WAIT, "update": None, "answer": Transition.RESOLVE}[kind]
        channels = reply_channels(case)
        channel = channels[0]
        if channel == Channel.PHONE:
            if Channel.EMAIL not in channels:
                # Reachable by phone only: the agent calls back and notes the call.
                note = rng.choice(content.CALLED_BACK).format(text=body, **plan.fill)

                def call_back() -> None:
                    do_add_note(case, note, actor=agent)
                    if then is not None:
                        do_transition_case(case, then, actor=agent)

                self._step(context, case, when, call_back)
                return
            channel = Channel.EMAIL
        if channel == Channel.SMS:
            text = f"{context.short_name} : {body} (réf. {case.reference})"
        else:
            department = case.department.name if case.department else ""
            text = (
                f"Bonjour {plan.person.title} {plan.person.last},\n\n{body}\n\n"
                f"{rng.choice(content.AGENT_SIGNOFFS)}\n{agent.get_full_name()}\n{department}\n"
                f"{context.organization.name}"
            )
        self._step(
            context,
            case,
            when,
            lambda: do_reply_case(case, text, actor=agent, channel=channel, then=then),
        )

    def _citizen_writes(
        self, kind: str, context: OrganizationContext, plan: Plan, case: Case, when: datetime
    ) -> None:
        rng = self.rng
        person = plan.person
        pool = {
            "citizen_answer": plan.template.citizen_answers or content.GENERIC_CITIZEN_ANSWERS,
            "citizen_chaser": content.CITIZEN_CHASERS,
            "citizen_thanks": content.CITIZEN_THANKS,
        }[kind]
        values = {**plan.fill, "reference": case.reference}
        text = rng.choice(pool).format_map(values)
        last = (
            Message.objects.filter(case=case, direction=Direction.OUTBOUND, is_automatic=False)
            .order_by("-created_at", "-pk")
            .first()
        )
        channel = last.channel if last is not None else plan.channel
        messages = self.messages
        inbound: InboundMessage
        if channel == Channel.EMAIL:
            address = context.organization.email_address
            inbound = messages.email_answer(address, person, case, last, text, when)
        elif channel in (Channel.PORTAL, Channel.API):
            inbound = messages.portal_reply(person, case, text, when)
        elif channel == Channel.SMS:
            sms = rng.choice(content.SMS_REPLIES).format_map(values)
            inbound = messages.api_message(Channel.SMS, e164(person.mobile), "", "", sms, when)
        else:
            summary = rng.choice(content.CALLBACK_SUMMARIES).format_map(plan.fill)
            note = rng.choice(content.CALLBACK_NOTES).format(text=summary, **values)
            subject = f"Rappel : {case.subject}"
            inbound = messages.api_message(
                Channel.PHONE, person.phone, person.name, subject, note, when
            )
        threaded = self._receive(context, inbound, when)
        if threaded.pk != case.pk:
            raise DemoError(
                f"a citizen's answer on {case.reference} ({inbound.channel}, {case.status}) "
                f"opened {threaded.reference}"
            )
        case.refresh_from_db()

    def _first_message(self, plan: Plan) -> InboundMessage:
        """The message that opens the request (for a follow-up: the citizen writing again on a
        closed request, which the pipeline turns into a new request that follows it)."""
        person = plan.person
        when = plan.received_at
        messages = self.messages
        base = self.cases_by_plan.get(id(plan.follow_up_of)) if plan.follow_up_of else None
        if base is not None:
            base.refresh_from_db()
            if base.status != Status.CLOSED:
                base = None
        if plan.channel == Channel.EMAIL:
            last = (
                Message.objects.filter(
                    case=base, direction=Direction.OUTBOUND, channel=Channel.EMAIL
                )
                .order_by("-created_at", "-pk")
                .first()
                if base is not None
                else None
            )
            if last is not None:
                subject = reply_subject(last.subject)
                return messages.email(person, plan.recipient, subject, plan.text, when, last)
            return messages.email(person, plan.recipient, plan.subject, plan.text, when)
        if plan.channel == Channel.PORTAL:
            if base is not None:
                return messages.portal_reply(person, base, plan.text, when)
            phone = person.mobile if plan.extra_contact else ""
            return messages.portal_request(
                person, plan.subject, plan.text, when, phone=phone, topic=plan.topic_hint
            )
        if plan.channel == Channel.SMS:
            # SMS carry no name; some people sign, the desk learns it from other channels.
            sender = e164(person.mobile)
            return messages.api_message(Channel.SMS, sender, "", plan.subject, plan.text, when)
        if plan.channel == Channel.PHONE:
            extra = (person.email,) if plan.extra_contact else ()
            return messages.api_message(
                Channel.PHONE, person.phone, person.name, plan.subject, plan.text, when, extra=extra
            )
        return messages.api_message(
            Channel.API,
            person.email,
            person.name,
            plan.subject,
            plan.text,
            when,
            topic=plan.topic_hint,
        )

    # --- after the story -----------------------------------------------------------------------

    def _mark_delivered(self, organizations: list[Organization]) -> None:
        """Historical messages were delivered when they were written (see `build`)."""
        queued = Message.objects.filter(
            organization__in=organizations,
            direction=Direction.OUTBOUND,
            delivery_status=DeliveryStatus.QUEUED,
        )
        queued.filter(channel=Channel.PORTAL).update(
            delivery_status=DeliveryStatus.PUBLISHED, sent_at=F("created_at")
        )
        queued.exclude(channel=Channel.PORTAL).update(
            delivery_status=DeliveryStatus.SENT, sent_at=F("created_at")
        )
