"""Email ingestion benchmark: a folder of N .eml files through the whole inbound pipeline.

    .venv/bin/python bench/ingest_email.py [--messages N] [--database-url URL] [--corpus DIR]
                                           [--batch-size B] [--store memory|database]
                                           [--sending deferred|immediate]
                                           [--seed S] [--keep] [--profile FILE] [--workers N]

Generates (or reads) a town hall's mailbox (`bench/corpus.py`), sets up a fresh database (an SQLite
file in WAL mode in a temporary folder, or a throwaway `guichet_bench_<pid>` database created on the
PostgreSQL server named by --database-url and dropped at the end), migrates it, creates the demo
town with its departments and topics, then measures two things on the same files:

- the floor: each file read, parsed, and its raw row inserted (an `InboundRecord` with its raw file,
  written as `ingest_batch` writes its new messages' — `persist_new_records` — or, with
  --batch-size 0, as `persist_raw` does), nothing else;
- the pipeline: each file read, parsed and handed to the product's entry point, which persists it
  raw, identifies the citizen, threads, classifies, routes and acknowledges it
  (`guichet.intake.pipeline.ingest_batch`, B messages per transaction; with --batch-size 0,
  `receive()` once per message, as `guichet ingest-email` calls it). With batches, --store memory
  (the default) processes each batch in a `BatchStore` (rows read and written per table and
  batch), --store database one statement at a time as `receive()` does.

Acknowledgements are created as queued outbound messages, and their delivery is a background task,
as in the product. By default (--sending deferred) the task backend is the database one that
`make run` uses: delivery tasks are queued in the database with the messages, and no worker runs
during the measure; the queued acknowledgements are then delivered apart (the worker's job, timed
separately: `delivery_messages_per_second`). With --sending immediate, each delivery runs in
process right after its transaction commits (Django's locmem email backend: the SMTP conversation
itself is never measured), inside the pipeline's time.

With --workers N (N > 1), N mailboxes are ingested at the same time by N processes, each into its
own town (`bench/ingest_parallel.py`), as `guichet serve --workers N` polls several mailboxes.

Prints one JSON document on stdout (figures, counts, the expected outcome and whether it was met);
progress goes to stderr. See bench/README.md and docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

DEFAULT_MESSAGES = 5000
DEFAULT_BATCH_SIZE = 100
DEFAULT_SEED = 2026
# Fixed so that the corpus can carry valid signed reply addresses (see bench/corpus.py).
BENCH_SECRET_KEY = "guichet-benchmark-key-not-secret-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105
PEAK_MEMORY_METHOD = (
    "resource.getrusage(RUSAGE_SELF).ru_maxrss of the benchmark process, its high-water mark reset "
    "(/proc/self/clear_refs) before the pipeline phase on Linux"
)
SENDING = {
    "deferred": "database task backend (as `make run`): delivery tasks queued with the "
    "acknowledgements, delivered after the measure (delivery_messages_per_second)",
    "immediate": "immediate task backend: each acknowledgement delivered in process after its "
    "transaction commits (locmem email backend), inside the measured time",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="See bench/README.md."
    )
    parser.add_argument("--messages", type=int, default=None, help="number of messages (5000)")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL server to create the throwaway database on "
        "(e.g. postgres://postgres@127.0.0.1:5432/postgres); default: SQLite in WAL mode",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="folder of .eml files to ingest; generated there if it holds none",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"messages per transaction ({DEFAULT_BATCH_SIZE}); 0: receive() once per message",
    )
    parser.add_argument(
        "--store",
        choices=("memory", "database"),
        default="memory",
        help="with batches: process them in memory (BatchStore) or on the database (memory)",
    )
    parser.add_argument(
        "--sending",
        choices=sorted(SENDING),
        default="deferred",
        help="deliver acknowledgements after the measure (deferred) or inside it (immediate)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="corpus seed (2026)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder and the database"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write a cProfile of the pipeline phase to this file (slows the run down)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="mailboxes ingested at the same time, one process each, --messages each (1)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.workers <= 26:
        parser.error("--workers must be from 1 to 26")
    if args.workers > 1 and args.profile is not None:
        parser.error("--profile profiles one process: not with --workers")
    if args.messages is not None and args.messages < 1:
        parser.error("--messages must be at least 1")
    if args.batch_size < 0:
        parser.error("--batch-size must be 0 or more")
    if args.corpus is not None and args.corpus.exists() and not args.corpus.is_dir():
        parser.error(f"--corpus must be a folder: {args.corpus} is a file")
    if args.database_url and urlsplit(args.database_url).scheme not in (
        "postgres",
        "postgresql",
        "pgsql",
    ):
        parser.error("--database-url must be a postgres:// URL (SQLite is the default)")
    return args


# --- the database ---------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    kind: str
    server_url: str = ""
    name: str = ""

    @classmethod
    def create(cls, server_url: str, workdir: Path) -> Database:
        if not server_url:
            return cls(f"sqlite:///{workdir / 'bench.sqlite3'}", "sqlite")
        import psycopg

        name = f"guichet_bench_{os.getpid()}"
        with psycopg.connect(_libpq(server_url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        parts = urlsplit(server_url)
        url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
        return cls(url, "postgresql", server_url, name)

    def drop(self) -> None:
        if self.kind != "postgresql":
            return
        import psycopg

        with psycopg.connect(_libpq(self.server_url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def _libpq(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def configure(database: Database, workdir: Path, *, task_backend: str = "immediate") -> None:
    """The environment the settings read, set before Django starts."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "guichet.config.settings.base"
    os.environ["DATABASE_URL"] = database.url
    os.environ["GUICHET_DATA_DIR"] = str(workdir / "data")
    os.environ["GUICHET_TASK_BACKEND"] = task_backend
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["SECRET_KEY"] = BENCH_SECRET_KEY
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("LOG_LEVEL", "WARNING")


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Phase:
    """Timings of one pass over the corpus."""

    seconds: float = 0.0
    messages: int = 0
    # Per message: from reading its file to the commit of its transaction (its batch's), when it
    # is safely stored and processed.
    latency_ms: list[float] = field(default_factory=list)
    queries: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def reset_peak_memory() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_memory_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return round(peak / divisor, 1)


# --- the benchmark ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="guichet-bench-"))
    database: Database | None = None
    try:
        try:
            database = Database.create(args.database_url, workdir)
        except Exception as exc:  # psycopg's errors: the server is down, the role may not create
            print(
                f"ingest_email.py: cannot create the benchmark database on {args.database_url}: "
                f"{exc}",
                file=sys.stderr,
            )
            return 2
        configure(
            database,
            workdir,
            task_backend="immediate" if args.sending == "immediate" else "database",
        )
        import django

        django.setup()
        if args.workers > 1:
            from bench import ingest_parallel

            result = ingest_parallel.run(args, workdir, database)
        else:
            result = run(args, workdir, database)
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0 if result["as_expected"] is not False and not result["kept_aside"] else 1
    finally:
        _close_connections()
        if args.keep:
            print(
                f"kept: {workdir}"
                + (f", database {database.name}" if database and database.name else ""),
                file=sys.stderr,
            )
        else:
            if database is not None:
                database.drop()
            shutil.rmtree(workdir, ignore_errors=True)


def _close_connections() -> None:
    if "django.db" not in sys.modules:
        return
    from django.db import connections

    connections.close_all()


def run(args: argparse.Namespace, workdir: Path, database: Database) -> dict[str, Any]:
    from django.core.management import call_command

    from bench import corpus as corpus_module

    call_command("migrate", verbosity=0, interactive=False)
    town = create_town()
    floor_organization = create_floor_organization()

    corpus_dir = args.corpus or workdir / "corpus"
    corpus, has_files = load_corpus(corpus_dir, args.messages, args.seed, corpus_module.DEMO_TOWN)
    files = corpus.files

    floor = run_floor(files, floor_organization, args.batch_size)
    drop_floor_rows(floor_organization)

    memory_reset = reset_peak_memory()
    pipeline = run_pipeline(
        files, town, args.batch_size, args.profile, in_memory=args.store == "memory"
    )
    peak = peak_memory_mb()

    deliveries = run_deliveries(town) if args.sending == "deferred" else None
    outcome = pipeline_outcome(town)
    expected = {
        k: corpus.expected[k] for k in ("cases_created", "replies_threaded") if k in corpus.expected
    }
    as_expected = all(outcome[k] == v for k, v in expected.items()) if expected else None
    return {
        "benchmark": "ingest_email",
        "database": database.kind,
        "messages": pipeline.messages,
        "seconds": round(pipeline.seconds, 3),
        "messages_per_second": round(pipeline.rate, 1),
        "cases_created": outcome["cases_created"],
        "replies_threaded": outcome["replies_threaded"],
        "p50_ms": round(percentile(pipeline.latency_ms, 0.50), 3),
        "p99_ms": round(percentile(pipeline.latency_ms, 0.99), 3),
        "ms_per_message": round(pipeline.seconds * 1000 / pipeline.messages, 3)
        if pipeline.messages
        else None,
        "peak_memory_mb": peak,
        "peak_memory_method": PEAK_MEMORY_METHOD
        if memory_reset
        else "resource.getrusage(RUSAGE_SELF).ru_maxrss of the whole benchmark process",
        "queries_per_message": round(pipeline.queries / pipeline.messages, 2)
        if pipeline.messages
        else 0,
        "floor_seconds": round(floor.seconds, 3),
        "floor_messages_per_second": round(floor.rate, 1),
        "ratio_to_floor": round(floor.rate / pipeline.rate, 2) if pipeline.rate else None,
        "batch_size": args.batch_size,
        "entry_point": "ingest_batch" if args.batch_size else "receive",
        "store": args.store if args.batch_size else "database",
        "sending": SENDING[args.sending],
        "acknowledgements": outcome["acknowledgements"],
        "acknowledgements_sent": outcome["acknowledgements_sent"],
        "delivery_messages_per_second": round(deliveries.rate, 1) if deliveries else None,
        "threaded_by": outcome["threaded_by"],
        "kept_aside": outcome["kept_aside"],
        "errors": dict(pipeline.errors),
        "expected": expected,
        "as_expected": as_expected,
        "corpus": {
            "path": str(corpus.path) if args.keep or args.corpus else None,
            "files": len(files),
            "bytes": sum(p.stat().st_size for p in files),
            "seed": corpus.expected.get("seed", args.seed if not has_files else None),
            "kinds": corpus.expected.get("by_kind", {}),
        },
        "machine": machine(database),
    }


def load_corpus(directory: Path, messages: int | None, seed: int, town: Any) -> tuple[Any, bool]:
    """The corpus of `town`'s mailbox (a `bench.corpus.Town`) in `directory`: read if the folder
    holds .eml files, generated there otherwise; and whether it was read."""
    from django.utils import timezone

    from bench import corpus as corpus_module

    year = timezone.localtime().year
    has_files = directory.is_dir() and any(p.suffix == ".eml" for p in directory.iterdir())
    if has_files:
        corpus = corpus_module.read(directory, messages)
        written_for = corpus.expected.get("town")
        if written_for is not None and written_for != town.describe():
            raise SystemExit(
                f"ingest_email.py: {directory} holds the mailbox of another town "
                f"({written_for}, not {town.describe()}): give another --corpus"
            )
    else:
        _progress(f"generating {messages or DEFAULT_MESSAGES} messages in {directory}")
        corpus = corpus_module.generate(
            directory, messages or DEFAULT_MESSAGES, seed=seed, year=year, town=town
        )
    if corpus.expected and corpus.expected.get("year") != year:
        corpus.expected = {}  # references of another year: the predictions do not hold
    return corpus, has_files


def create_town(town_spec: Any = None) -> Any:
    """A town (a `bench.corpus.Town`, the demo town by default), its departments and topics
    (`guichet.demo.content`), created first."""
    from bench.corpus import DEMO_TOWN
    from guichet.demo import content
    from guichet.organizations.models import Department, Organization, Topic

    spec = town_spec or DEMO_TOWN
    organization = spec.organization
    town = Organization.objects.create(
        name=organization.name,
        slug=organization.slug,
        reference_prefix=organization.reference_prefix,
        email_address=organization.email_address,
        primary_color=organization.primary_color,
        response_days=organization.response_days,
    )
    if town.pk != spec.pk:
        _progress(f"warning: the town got id {town.pk}, signed reply addresses will not match")
    departments = {
        department.slug: Department.objects.create(
            organization=town,
            name=department.name,
            slug=department.slug,
            email_address=department.email_address,
            description=department.description,
        )
        for department in spec.departments
    }
    town.default_department = departments[organization.default_department]
    town.save(update_fields=["default_department"])
    for topic in content.VILLEBOIS_TOPICS:
        Topic.objects.create(
            organization=town,
            name=topic.name,
            slug=topic.slug,
            description=topic.description,
            department=departments[topic.department],
            keywords="\n".join(topic.keywords),
            response_days=topic.response_days,
        )
    return town


def create_floor_organization(number: int = 0) -> Any:
    """The organization the floor's rows go to (`number` > 0: the floor of the n-th worker)."""
    from guichet.organizations.models import Organization

    if not number:
        return Organization.objects.create(
            name="Floor", slug="bench-floor", reference_prefix="FLOOR"
        )
    return Organization.objects.create(
        name=f"Floor {number}",
        slug=f"bench-floor-{number}",
        reference_prefix="FLOOR" + chr(ord("A") + number - 1),
    )


def _sources(files: list[Path]) -> Iterator[Any]:
    from guichet.channels.email.sources import iter_email_sources

    return iter_email_sources(files)


# Progress bars on stderr (off in the parallel mode's workers: N bars would overwrite each other).
PROGRESS = True


def _bar(total: int, description: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=description,
        unit="msg",
        file=sys.stderr,
        leave=False,
        disable=not PROGRESS,
    )


def run_floor(files: list[Path], organization: Any, batch_size: int) -> Phase:
    """Parse each file and insert its raw row, nothing else, in transactions of the same size as
    the pipeline's (one per message when the pipeline calls receive()), each file parsed before
    its transaction opens, as in the pipeline. With batches, the rows
    are written with the pieces of `ingest_batch`'s `persist_new_records` (the raw files written by
    a few threads, one insert per batch), in the cheapest order (each file written while the next
    is parsed, the insert once all are written), without the attachments; one by one otherwise."""
    from django.core.files.base import ContentFile
    from django.db import transaction
    from django.utils import timezone

    from guichet.channels.email.parser import parse_email
    from guichet.intake.models import InboundRecord
    from guichet.intake.pipeline import RawFiles, _new_record

    phase = Phase()
    size = batch_size or 1
    sources = _sources(files)
    started = time.perf_counter()
    with _bar(len(files), "floor") as bar:
        # Each message parsed before its transaction opens, as the pipeline's are (`run_pipeline`
        # reads a batch, then hands it over): with several processes on SQLite, whose transactions
        # take the write lock when they begin, the parsing is not done holding the lock.
        while batch_size:
            inbounds, records, files = [], [], []
            for source in itertools.islice(sources, size):
                inbound = parse_email(source.raw)
                fingerprint = hashlib.sha256(inbound.raw).hexdigest()
                record = _new_record(organization, inbound, fingerprint=fingerprint)[0]
                # written while the next files are parsed (the cheapest order: the names are
                # known before the insert, no update)
                files.append(RawFiles([(record, inbound)]))
                inbounds.append(inbound)
                records.append(record)
            for written in files:
                written.wait()
            # the insert in a savepoint of the batch's transaction, as persist_new_records does it
            with transaction.atomic(), transaction.atomic():
                InboundRecord.objects.bulk_create(records)
            phase.messages += len(inbounds)
            bar.update(len(inbounds))
            if len(inbounds) < size:
                break
        for source in () if batch_size else sources:  # receive(): one message per transaction
            inbound = parse_email(source.raw)
            with transaction.atomic():
                now = timezone.now()
                record = InboundRecord(
                    organization=organization,
                    channel=inbound.channel,
                    external_id=inbound.external_id[:300],
                    request_fingerprint=hashlib.sha256(inbound.raw).hexdigest(),
                    payload=inbound.to_payload(),
                    raw_size=len(inbound.raw),
                    received_at=now,
                    steps=[{"step": "persist", "at": now.isoformat(), "size": len(inbound.raw)}],
                )
                record.raw_file.save(inbound.raw_filename, ContentFile(inbound.raw), save=False)
                record.save()
            phase.messages += 1
            bar.update(1)
    phase.seconds = time.perf_counter() - started
    return phase


def drop_floor_rows(organization: Any) -> None:
    """The floor's rows and files go: the pipeline starts on the same fresh database."""
    from django.conf import settings

    from guichet.intake.models import InboundRecord

    InboundRecord.objects.filter(organization=organization).delete()
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "inbound" / str(organization.pk), ignore_errors=True)


def run_pipeline(
    files: list[Path], town: Any, batch_size: int, profile: Path | None, *, in_memory: bool = True
) -> Phase:
    from django.core import mail
    from django.db import connection

    from guichet.channels.email.parser import EmailParseError, parse_email
    from guichet.intake import pipeline
    from guichet.organizations.queries import RecipientDirectory

    phase = Phase()
    counter = QueryCounter()
    directory = RecipientDirectory()
    sources = _sources(files)

    def read(limit: int) -> tuple[list[Any], list[float]]:
        """Up to `limit` parsed messages for the town, with when their file was read."""
        batch: list[Any] = []
        starts: list[float] = []
        for _ in range(limit):
            started = time.perf_counter()
            source = next(sources, None)
            if source is None:
                break
            try:
                inbound = parse_email(source.raw)
            except EmailParseError:
                phase.errors["not an email"] += 1
                continue
            if directory.find(inbound.recipients) != town:
                phase.errors["not for the town"] += 1
                continue
            batch.append(inbound)
            starts.append(started)
        return batch, starts

    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
    size = batch_size or 1
    started = time.perf_counter()
    with connection.execute_wrapper(counter), _bar(len(files), "pipeline") as bar:
        if profiler is not None:
            profiler.enable()
        while True:
            batch, starts = read(size)
            if not batch:
                break
            if batch_size:
                pipeline.ingest_batch(town, batch, in_memory=in_memory)
            else:
                pipeline.receive(town, batch[0])
            done = time.perf_counter()
            phase.latency_ms += [(done - start) * 1000 for start in starts]
            phase.messages += len(batch)
            mail.outbox = []  # what the locmem backend "sent" (with --sending immediate)
            bar.update(len(batch))
        if profiler is not None:
            profiler.disable()
    phase.seconds = time.perf_counter() - started
    phase.queries = counter.count
    if profiler is not None and profile is not None:
        profiler.dump_stats(str(profile))
    return phase


def run_deliveries(town: Any) -> Phase:
    """What the worker does after a deferred run: deliver the queued acknowledgements (through the
    locmem email backend), one task at a time as `deliver_message_task` does."""
    from django.core import mail

    from guichet.conversations.delivery import deliver
    from guichet.conversations.models import DeliveryStatus, Message

    queued = list(
        Message.objects.filter(organization=town, delivery_status=DeliveryStatus.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    phase = Phase()
    started = time.perf_counter()
    with _bar(len(queued), "delivery") as bar:
        for message_id in queued:
            deliver(message_id)
            phase.messages += 1
            if len(mail.outbox) >= 100:
                mail.outbox = []
            bar.update(1)
    phase.seconds = time.perf_counter() - started
    mail.outbox = []
    return phase


def pipeline_outcome(town: Any) -> dict[str, Any]:
    from guichet.cases.models import Case
    from guichet.conversations.models import DeliveryStatus, Direction, Message
    from guichet.intake.models import InboundRecord, RecordStatus

    threaded_by: Counter[str] = Counter()
    replies = 0
    for steps in InboundRecord.objects.filter(
        organization=town, status=RecordStatus.PROCESSED
    ).values_list("steps", flat=True):
        thread = next((s for s in steps if s.get("step") == "thread"), None)
        if thread is not None and not thread.get("new_case"):
            replies += 1
            threaded_by[str(thread.get("how", ""))] += 1
    acknowledgements = Message.objects.filter(
        organization=town, direction=Direction.OUTBOUND, is_automatic=True
    )
    return {
        "cases_created": Case.objects.filter(organization=town).count(),
        "replies_threaded": replies,
        "threaded_by": dict(threaded_by.most_common()),
        "acknowledgements": acknowledgements.count(),
        "acknowledgements_sent": acknowledgements.filter(
            delivery_status=DeliveryStatus.SENT
        ).count(),
        "kept_aside": InboundRecord.objects.filter(organization=town)
        .exclude(status=RecordStatus.PROCESSED)
        .count(),
    }


def machine(database: Database) -> dict[str, Any]:
    import django
    from django.db import connection

    if database.kind == "sqlite":
        import sqlite3

        engine = f"SQLite {sqlite3.sqlite_version}"
    else:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            engine = f"PostgreSQL {cursor.fetchone()[0]}"
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": engine,
    }


def _progress(text: str) -> None:
    print(text, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
