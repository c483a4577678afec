"""Planning the demo's requests: who writes, on which channel, about what, when, and how far each
request has gone by now. Pure: a seeded random generator and "now" in, plans out (no database),
so the same seed always gives the same requests.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from guichet.cases.lifecycle import Status
from guichet.cases.models import Priority
from guichet.citizens.identity import InvalidContactPoint, normalise_phone
from guichet.conversations.models import Channel
from guichet.core.text import fold
from guichet.demo import content
from guichet.demo.clock import last_opening_before, opening_after
from guichet.demo.requests import RequestTemplate

VILLEBOIS_CHANNELS: dict[str, float] = {
    Channel.EMAIL: 34,
    Channel.PORTAL: 30,
    Channel.PHONE: 14,
    Channel.SMS: 14,
    Channel.API: 8,
}
VAL_OMBRE_CHANNELS: dict[str, float] = {Channel.EMAIL: 50, Channel.PORTAL: 35, Channel.SMS: 15}
# Messages per hour of the day (email, portal, SMS, app): a working population's rhythm.
HOURLY = (1, 0.5, 0.3, 0.2, 0.2, 0.5, 1.5, 3, 5, 7, 8, 7, 5, 6, 7, 7, 6, 5, 4, 4, 4, 3, 2, 1.5)
# Share of the requests received in the last day, and of those left new and unassigned.
RECENT_SHARE = 0.2
NEW_SHARE = 0.15
RETURNING_SHARE = 0.22
HISTORY_DAYS = 60
# How far a request has gone by now, by its age in days: weights of these statuses.
PROGRESS_STATUSES = (Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED)
PROGRESS_BY_AGE: tuple[tuple[float, tuple[int, int, int, int]], ...] = (
    (1, (70, 15, 15, 0)),
    (5, (40, 20, 35, 5)),
    (12, (20, 15, 35, 30)),
    (25, (7, 5, 20, 68)),
    (math.inf, (3, 2, 5, 90)),
)


def other_organization_cases(cases: int) -> int:
    """How many requests the second organization gets for `cases` requests of the town."""
    return max(4, round(cases / 20))


@dataclass
class Person:
    first: str
    last: str
    female: bool
    email: str = ""
    mobile: str = ""
    landline: str = ""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def civility(self) -> str:
        return "Mme" if self.female else "M."

    @property
    def title(self) -> str:
        return "Madame" if self.female else "Monsieur"

    @property
    def phone(self) -> str:
        return self.mobile or self.landline

    def reachable_on(self, channel: str) -> bool:
        if channel in (Channel.SMS,):
            return bool(self.mobile)
        if channel == Channel.PHONE:
            return bool(self.phone)
        return bool(self.email)


@dataclass
class Plan:
    organization: str
    received_at: datetime
    channel: str
    person: Person
    template: RequestTemplate
    fill: dict[str, str]
    subject: str
    text: str
    recipient: str = ""
    topic_hint: str = ""
    # Portal: a phone number typed in the form too. Phone: an email address given on the phone.
    extra_contact: bool = False
    target: str = Status.NEW
    priority: int = Priority.NORMAL
    ask_first: bool = False
    update: bool = False
    chaser: bool = False
    thanks: bool = False
    note: bool = False
    supervisor_assigns: bool = False
    follow_up_of: Plan | None = None
    # Every action on the request happens before this moment.
    deadline: datetime | None = None
    sequence: int = 0


def _accepts(template: RequestTemplate, channel: str) -> bool:
    if channel == Channel.SMS:
        return bool(template.sms)
    if channel == Channel.PHONE:
        return bool(template.calls)
    if channel == Channel.API:
        return template.report
    return True


def _slug(text: str) -> str:
    return fold(text).replace(" ", "")


def mobile_prefix() -> str:
    """ARCEP's fiction block when the validator accepts it, else the fallback block."""
    try:
        normalise_phone(f"{content.FICTION_MOBILE_PREFIX} 00 00")
    except InvalidContactPoint:
        return content.FALLBACK_MOBILE_PREFIX
    return content.FICTION_MOBILE_PREFIX


class Planner:
    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.limit = now - timedelta(minutes=2)
        self.people: dict[str, list[Person]] = {}
        self._emails: set[str] = set()
        self._numbers: set[str] = set()
        self._mobile_prefix = mobile_prefix()

    # --- people ------------------------------------------------------------------------------

    def _number(self, prefix: str) -> str:
        while True:
            suffix = self.rng.randrange(10000)
            number = f"{prefix} {suffix // 100:02d} {suffix % 100:02d}"
            if number not in self._numbers:
                self._numbers.add(number)
                return number

    def _email(self, first: str, last: str) -> str:
        rng = self.rng
        given, family = _slug(first), _slug(last)
        patterns: tuple[str, ...] = (
            f"{given}.{family}",
            f"{given[0]}.{family}",
            f"{given}{family}{rng.randint(1, 99)}",
            f"{family}.{given}",
            f"{given}.{family}{rng.randint(60, 99)}",
            f"{given}-{family}",
        )
        while True:
            address = f"{rng.choice(patterns)}@{rng.choice(content.EMAIL_DOMAINS)}"
            if address not in self._emails:
                self._emails.add(address)
                return address
            patterns = (f"{given}.{family}{rng.randint(100, 999)}",)

    def new_person(self, channel: str) -> Person:
        rng = self.rng
        female = rng.random() < 0.55
        first = rng.choice(content.FEMALE_FIRST_NAMES if female else content.MALE_FIRST_NAMES)
        last = rng.choice(content.LAST_NAMES)
        needs_email = channel in (Channel.EMAIL, Channel.PORTAL, Channel.API)
        person = Person(first, last, female)
        if needs_email or rng.random() < 0.45:
            person.email = self._email(first, last)
        if channel == Channel.SMS or rng.random() < 0.7:
            person.mobile = self._number(self._mobile_prefix)
        if (channel == Channel.PHONE and not person.mobile) or rng.random() < 0.1:
            person.landline = self._number(rng.choice(content.FICTION_LANDLINE_PREFIXES))
        return person

    def person_for(self, organization: str, channel: str) -> Person:
        pool = self.people.setdefault(organization, [])
        known = [p for p in pool if p.reachable_on(channel)]
        if known and self.rng.random() < RETURNING_SHARE:
            return self.rng.choice(known)
        person = self.new_person(channel)
        pool.append(person)
        return person

    # --- one request -------------------------------------------------------------------------

    def fill(self, person: Person) -> dict[str, str]:
        rng = self.rng
        return {
            "street": rng.choice(content.STREETS),
            "num": str(rng.randint(1, 120)),
            "place": rng.choice(content.PLACES),
            "school": rng.choice(content.SCHOOLS),
            "child": rng.choice(content.CHILD_NAMES),
            "klass": rng.choice(content.CLASSES),
            "birth_date": f"{rng.randint(1, 28)} {rng.choice(content.MONTHS)} "
            f"{rng.randint(1950, 2004)}",
            "birth_place": rng.choice(content.BIRTH_PLACES),
            "year": str(rng.randint(1985, 2016)),
            "year_child": str(rng.randint(2021, 2023)),
            "parcel": f"{rng.choice(content.PARCEL_SECTIONS)} {rng.randint(12, 480)}",
            "date": f"{rng.randint(1, 28)} {rng.choice(content.MONTHS)}",
            "date_month": rng.choice(content.MONTHS),
            "amount": f"{rng.randint(35, 140)},{rng.choice(('00', '40', '60', '80'))}",
            "bill": str(rng.randint(180, 640)),
            "age": str(rng.randint(72, 94)),
            "spouse": rng.choice(content.MALE_FIRST_NAMES),
            "name": person.name,
            "first": person.first,
            "last": person.last,
            "civility": person.civility,
            "reach": f"au {person.phone}" if person.phone else "par retour de mail",
        }

    def compose(
        self,
        organization: str,
        organization_email: str,
        department_emails: dict[str, str],
        templates: Sequence[RequestTemplate],
        channel: str,
        received_at: datetime,
        person: Person | None = None,
    ) -> Plan:
        rng = self.rng
        compatible = [t for t in templates if _accepts(t, channel)]
        template = rng.choices(compatible, weights=[t.weight for t in compatible])[0]
        person = person or self.person_for(organization, channel)
        fill = self.fill(person)
        subject = rng.choice(template.subjects).format_map(fill)
        plan = Plan(organization, received_at, channel, person, template, fill, subject, "")
        if channel == Channel.SMS:
            plan.text = rng.choice(template.sms).format_map(fill)
            plan.subject = plan.text if len(plan.text) <= 60 else plan.text[:57].rstrip() + "…"
        elif channel == Channel.PHONE:
            plan.text = rng.choice(template.calls).format_map(fill)
            plan.subject = f"Appel : {subject}"
            plan.extra_contact = bool(person.email) and rng.random() < 0.5
        elif channel == Channel.API:
            body = rng.choice(template.bodies).format_map(fill)
            plan.text = (
                f"{body}\n\nAdresse indiquée : {fill['num']} {fill['street']}\n"
                "Envoyé depuis l'application « Villebois en poche »"
            )
            plan.subject = f"Signalement : {subject}"
            plan.topic_hint = template.topic
        else:
            plan.text = self.written_text(template, fill)
            if channel == Channel.PORTAL:
                plan.topic_hint = template.topic if rng.random() < 0.55 else ""
                if plan.topic_hint and rng.random() < 0.12:
                    # The citizen picked a wrong topic in the form: an agent will transfer it.
                    others = sorted(
                        {
                            t.topic
                            for t in templates
                            if t.topic and t.department != template.department
                        }
                    )
                    plan.topic_hint = rng.choice(others) if others else plan.topic_hint
                plan.extra_contact = bool(person.mobile) and rng.random() < 0.5
            else:
                department_email = department_emails.get(template.department, "")
                use_department = template.department != "accueil" and rng.random() < 0.3
                plan.recipient = (
                    department_email if use_department and department_email else organization_email
                )
        return plan

    def written_text(self, template: RequestTemplate, fill: dict[str, str]) -> str:
        rng = self.rng
        if template.informal and rng.random() < 0.3:
            return rng.choice(template.informal).format_map(fill)
        greeting = rng.choice(content.GREETINGS)
        body = rng.choice(template.bodies).format_map(fill)
        closing = rng.choice(content.CLOSINGS).format_map(fill)
        return f"{greeting}\n\n{body}\n\n{closing}"

    # --- when ----------------------------------------------------------------------------------

    def received_at(self, channel: str, recent: bool) -> datetime:
        rng = self.rng
        if recent:
            moment = self.now - timedelta(minutes=rng.uniform(5, 22 * 60))
            for _ in range(4):
                if timezone.localtime(moment).hour >= 7 or rng.random() < 0.2:
                    break
                moment = self.now - timedelta(minutes=rng.uniform(5, 22 * 60))
        else:
            days = list(range(1, HISTORY_DAYS))
            weights = []
            for day in days:
                weekday = timezone.localtime(self.now - timedelta(days=day)).weekday()
                weights.append(math.exp(-day / 20) * (0.4 if weekday >= 5 else 1.0))
            day = rng.choices(days, weights=weights)[0]
            local = timezone.localtime(self.now - timedelta(days=day))
            hour = rng.choices(range(24), weights=HOURLY)[0]
            moment = local.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        if channel == Channel.PHONE:
            moment = last_opening_before(moment, rng)
        if moment > self.limit - timedelta(minutes=3):
            moment = self.limit - timedelta(minutes=rng.randint(3, 40))
        return moment.replace(microsecond=0)

    # --- a whole organization ----------------------------------------------------------------

    def plan(
        self,
        organization: str,
        organization_email: str,
        department_emails: dict[str, str],
        templates: Sequence[RequestTemplate],
        count: int,
        channel_weights: dict[str, float],
        *,
        guarantee: bool,
        shared_person: Person | None = None,
    ) -> list[Plan]:
        """`count` requests of one organization, oldest first. With `guarantee`, every channel and
        every status appears (when `count` allows) and at least one citizen writes twice."""
        rng = self.rng
        channels = rng.choices(
            list(channel_weights), weights=list(channel_weights.values()), k=count
        )
        if guarantee:
            self._ensure_each(channels, list(channel_weights))
        recent = round(count * RECENT_SHARE)
        plans: list[Plan] = []
        for position, channel in enumerate(channels):
            when = self.received_at(channel, recent=position < recent)
            person = None
            if (
                shared_person is not None
                and channel in (Channel.EMAIL, Channel.PORTAL)
                and not any(p.person is shared_person for p in plans)
            ):
                person = shared_person
                self.people.setdefault(organization, []).append(shared_person)
            plans.append(
                self.compose(
                    organization,
                    organization_email,
                    department_emails,
                    templates,
                    channel,
                    when,
                    person,
                )
            )
        plans.sort(key=lambda p: p.received_at)
        for sequence, plan in enumerate(plans):
            plan.sequence = sequence
            plan.deadline = self.limit
        self._targets(plans, guarantee=guarantee)
        self._flags(plans, guarantee=guarantee)
        self._follow_ups(plans, count // 60)
        return plans

    def _ensure_each(self, values: list[str], wanted: list[str]) -> None:
        """Make every wanted value appear once (when there is room), replacing repeated ones."""
        if len(values) < len(wanted):
            return
        for value in wanted:
            if value in values:
                continue
            counts = Counter(values)
            position = next(i for i, v in enumerate(values) if counts[v] > 1)
            values[position] = value

    def _target_for_age(self, days: float) -> str:
        weights = next(w for younger_than, w in PROGRESS_BY_AGE if days < younger_than)
        return self.rng.choices(PROGRESS_STATUSES, weights=weights)[0]

    def _workable(self, plan: Plan) -> bool:
        """Whether the town hall has been open since the request came (agents work in office
        hours: a request received last night is still new this early morning)."""
        return opening_after(plan.received_at) + timedelta(minutes=20) < self.limit

    def _targets(self, plans: list[Plan], *, guarantee: bool) -> None:
        count = len(plans)
        new = max(1, round(count * NEW_SHARE))
        for plan in plans[:-new]:
            age = (self.now - plan.received_at).total_seconds() / 86400
            target = self._target_for_age(age)
            plan.target = target if self._workable(plan) else Status.NEW
        if count >= 20:
            # A couple of requests forgotten in a queue for a week or more: overdue.
            forgotten = [p for p in plans[:-new] if 6 <= (self.now - p.received_at).days <= 12]
            for plan in self.rng.sample(forgotten, min(2, len(forgotten))):
                plan.target = Status.NEW
        if guarantee and count >= 5:
            statuses = [p.target for p in plans]
            wanted = [Status.CLOSED, Status.RESOLVED, Status.WAITING, Status.OPEN]
            for status in wanted:
                if status in statuses:
                    continue
                counts = Counter(statuses)
                # Closed and resolved requests are the oldest ones; open and waiting the newest.
                order = (
                    range(count)
                    if status in (Status.CLOSED, Status.RESOLVED)
                    else range(count - 1, -1, -1)
                )
                for position in order:
                    current = statuses[position]
                    if (
                        current != Status.NEW
                        and counts[current] > 1
                        and self._workable(plans[position])
                    ):
                        statuses[position] = status
                        plans[position].target = status
                        break

    def _flags(self, plans: list[Plan], *, guarantee: bool) -> None:
        rng = self.rng
        for plan in plans:
            if plan.template.urgent and rng.random() < plan.template.urgent:
                plan.priority = Priority.URGENT if rng.random() < 0.35 else Priority.HIGH
            if plan.target == Status.NEW:
                continue
            plan.ask_first = plan.target != Status.WAITING and rng.random() < 0.3
            plan.update = (
                plan.target != Status.WAITING and not plan.ask_first and rng.random() < 0.35
            )
            plan.chaser = plan.update and rng.random() < 0.4
            # Thanks come by email or on the tracking page, never on the phone.
            plan.thanks = (
                plan.target == Status.CLOSED
                and plan.channel in (Channel.EMAIL, Channel.PORTAL, Channel.API)
                and rng.random() < 0.12
            )
            plan.note = rng.random() < 0.45
            plan.supervisor_assigns = rng.random() < 0.3
        if guarantee and not any(p.ask_first or p.chaser or p.thanks for p in plans):
            for plan in plans:
                if plan.target in (Status.OPEN, Status.RESOLVED, Status.CLOSED):
                    plan.ask_first, plan.update, plan.chaser = True, False, False
                    break
        if guarantee and not any(p.priority > Priority.NORMAL for p in plans):
            urgent = [p for p in plans if p.template.urgent] or plans
            urgent[-1].priority = Priority.HIGH

    def _follow_ups(self, plans: list[Plan], wanted: int) -> None:
        """A few citizens write again about a request that was closed: the pipeline opens a
        follow-up request (`Case.follows`)."""
        if wanted <= 0:
            return
        channel_counts = Counter(p.channel for p in plans)
        taken: set[int] = set()
        for base in plans:
            if wanted <= 0:
                break
            if (
                base.target != Status.CLOSED
                or base.channel not in (Channel.EMAIL, Channel.PORTAL)
                or base.sequence in taken
                or (self.now - base.received_at).days < 20
            ):
                continue
            later = [
                p
                for p in plans
                if p.sequence not in taken
                and p.sequence != base.sequence
                and p.received_at >= base.received_at + timedelta(days=16)
                and p.follow_up_of is None
                and (p.channel in (Channel.EMAIL, Channel.PORTAL) or channel_counts[p.channel] > 1)
            ]
            if not later:
                continue
            follow = self.rng.choice(later)
            channel_counts[follow.channel] -= 1
            taken.update((base.sequence, follow.sequence))
            follow.follow_up_of = base
            follow.person = base.person
            follow.channel = base.channel
            follow.template = base.template
            follow.fill = base.fill
            follow.subject = base.subject
            follow.recipient = base.recipient
            follow.topic_hint = ""
            follow.extra_contact = False
            follow.text = self.rng.choice(content.CITIZEN_RECURRENCES).format_map(base.fill)
            base.deadline = min(
                base.deadline or self.limit, follow.received_at - timedelta(hours=2)
            )
            wanted -= 1
