"""The parallel mode of `bench/ingest_email.py` (--workers N): N mailboxes ingested at once.

In the product each mailbox is polled by a background worker (`guichet serve --workers N` starts N
`db_worker` processes, and a lease per mailbox keeps two of them off the same one): mailboxes of
one or several organizations are ingested side by side by different processes, on one database.
This mode does the same with the benchmark's two phases:

- N towns set up alike (`bench.corpus.Town.numbered`: the demo town's departments and topics, their
  own addresses, slug and reference prefix) and N floor organizations, created by this process;
- N corpora, one per town, in `--corpus`/mailbox-<k> (seeds S, S+1, ...; reused if present);
- N processes started with the 'spawn' method, each with Django set up and its own database
  connection, waiting for each other (a barrier) before each phase: all floors at once, then all
  pipelines at once, each process on its own mailbox (`run_floor` / `run_pipeline` of
  `ingest_email.py`, unchanged);
- figures of all (messages / wall time from the first start to the last finish) and per worker;
  the outcome checked per town against its own corpus's predictions.

Reply addresses carry the case id, and the case ids of towns ingested at once interleave: the
corpora are written with `TOKEN_CASE_OFFSET` (bench/corpus.py), their reply addresses name a case
id no case has, and those answers are threaded by their References header (`threaded_by`).
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue
import resource
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import ingest_email as bench

START_METHOD = "spawn"
# Reply addresses name case ids from here on: more than any case id of a benchmark run (see above).
TOKEN_CASE_OFFSET = 1_000_000_000
# How long a worker waits for the others at a phase's start (they set Django up first).
BARRIER_SECONDS = 900.0


@dataclass(frozen=True)
class Job:
    number: int
    town_pk: int
    floor_pk: int
    files: list[Path]
    batch_size: int
    in_memory: bool


def run(args: argparse.Namespace, workdir: Path, database: bench.Database) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connections

    from bench import corpus as corpus_module
    from guichet.intake.models import InboundRecord

    workers = args.workers
    call_command("migrate", verbosity=0, interactive=False)
    specs = [
        corpus_module.Town.numbered(number, token_case_offset=TOKEN_CASE_OFFSET)
        for number in range(1, workers + 1)
    ]
    towns = [bench.create_town(spec) for spec in specs]
    floors = [bench.create_floor_organization(number) for number in range(1, workers + 1)]

    root = args.corpus or workdir / "corpus"
    corpora = [
        bench.load_corpus(root / f"mailbox-{number}", args.messages, args.seed + number - 1, spec)[
            0
        ]
        for number, spec in enumerate(specs, start=1)
    ]
    jobs = [
        Job(number, town.pk, floor.pk, corpus.files, args.batch_size, args.store == "memory")
        for number, (town, floor, corpus) in enumerate(
            zip(towns, floors, corpora, strict=True), start=1
        )
    ]
    connections.close_all()  # the workers open their own
    bench._progress(f"{workers} workers, {len(jobs[0].files)} messages each: floor, then pipeline")
    reports = _run_workers(jobs)

    deliveries = bench.Phase()
    if args.sending == "deferred":
        for town in towns:
            delivered = bench.run_deliveries(town)
            deliveries.messages += delivered.messages
            deliveries.seconds += delivered.seconds

    first_start = min(r["pipeline"]["start"] for r in reports)
    per_worker = []
    for town, corpus, report in zip(towns, corpora, reports, strict=True):
        outcome = bench.pipeline_outcome(town)
        expected = {
            k: corpus.expected[k]
            for k in ("cases_created", "replies_threaded")
            if k in corpus.expected
        }
        pipeline, floor = report["pipeline"], report["floor"]
        per_worker.append(
            {
                "worker": report["number"],
                "organization": town.slug,
                "messages": pipeline["messages"],
                "records": InboundRecord.objects.filter(organization=town).count(),
                "seconds": round(pipeline["seconds"], 3),
                "messages_per_second": round(_rate(pipeline), 1),
                "started_s": round(pipeline["start"] - first_start, 3),
                "floor_seconds": round(floor["seconds"], 3),
                "floor_messages_per_second": round(_rate(floor), 1),
                "ratio_to_floor": round(_rate(floor) / _rate(pipeline), 2)
                if _rate(pipeline)
                else None,
                # the share of one core the worker used in its pipeline phase: the rest of
                # the time it waited (for a lock, the database server, the processor)
                "cpu_seconds": round(pipeline.get("cpu_seconds", 0.0), 2),
                "cpu_share": round(pipeline.get("cpu_seconds", 0.0) / pipeline["seconds"], 2)
                if pipeline["seconds"]
                else None,
                "p50_ms": round(bench.percentile(pipeline["latency_ms"], 0.50), 3),
                "p99_ms": round(bench.percentile(pipeline["latency_ms"], 0.99), 3),
                "queries_per_message": round(pipeline["queries"] / pipeline["messages"], 2)
                if pipeline["messages"]
                else 0,
                "peak_memory_mb": report["peak_memory_mb"],
                "cases_created": outcome["cases_created"],
                "replies_threaded": outcome["replies_threaded"],
                "threaded_by": outcome["threaded_by"],
                "acknowledgements": outcome["acknowledgements"],
                "acknowledgements_sent": outcome["acknowledgements_sent"],
                "kept_aside": outcome["kept_aside"],
                "errors": pipeline["errors"],
                "expected": expected,
                "as_expected": all(outcome[k] == v for k, v in expected.items())
                if expected
                else None,
                "corpus": str(corpus.path) if args.keep or args.corpus else None,
                "seed": corpus.expected.get("seed"),
            }
        )
    return _aggregate(args, database, reports, per_worker, corpora, deliveries)


def _rate(phase: dict[str, Any]) -> float:
    return phase["messages"] / phase["seconds"] if phase["seconds"] else 0.0


def _wall(reports: list[dict[str, Any]], phase: str) -> tuple[float, int]:
    """Seconds from the first worker's start to the last one's finish, and the messages."""
    seconds = max(r[phase]["end"] for r in reports) - min(r[phase]["start"] for r in reports)
    return seconds, sum(r[phase]["messages"] for r in reports)


def _aggregate(
    args: argparse.Namespace,
    database: bench.Database,
    reports: list[dict[str, Any]],
    per_worker: list[dict[str, Any]],
    corpora: list[Any],
    deliveries: bench.Phase,
) -> dict[str, Any]:
    seconds, messages = _wall(reports, "pipeline")
    floor_seconds, floor_messages = _wall(reports, "floor")
    rate = messages / seconds if seconds else 0.0
    floor_rate = floor_messages / floor_seconds if floor_seconds else 0.0
    latencies = [ms for r in reports for ms in r["pipeline"]["latency_ms"]]
    queries = sum(r["pipeline"]["queries"] for r in reports)
    errors: Counter[str] = Counter()
    threaded_by: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for worker in per_worker:
        errors.update(worker["errors"])
        threaded_by.update(worker["threaded_by"])
    for corpus in corpora:
        kinds.update(corpus.expected.get("by_kind", {}))
    verdicts = [w["as_expected"] for w in per_worker]
    expected = (
        {
            k: sum(w["expected"][k] for w in per_worker)
            for k in ("cases_created", "replies_threaded")
        }
        if all(w["expected"] for w in per_worker)
        else {}
    )
    total = {
        k: sum(w[k] for w in per_worker)
        for k in (
            "cases_created",
            "replies_threaded",
            "acknowledgements",
            "acknowledgements_sent",
            "kept_aside",
        )
    }
    return {
        "benchmark": "ingest_email",
        "database": database.kind,
        "messages": messages,
        "seconds": round(seconds, 3),
        "messages_per_second": round(rate, 1),
        "cases_created": total["cases_created"],
        "replies_threaded": total["replies_threaded"],
        "p50_ms": round(bench.percentile(latencies, 0.50), 3),
        "p99_ms": round(bench.percentile(latencies, 0.99), 3),
        "ms_per_message": round(seconds * 1000 / messages, 3) if messages else None,
        "peak_memory_mb": max(r["peak_memory_mb"] for r in reports),
        "peak_memory_method": "the largest of the workers' "
        + (
            bench.PEAK_MEMORY_METHOD
            if all(r["memory_reset"] for r in reports)
            else "resource.getrusage(RUSAGE_SELF).ru_maxrss of the whole worker process"
        ),
        "queries_per_message": round(queries / messages, 2) if messages else 0,
        "floor_seconds": round(floor_seconds, 3),
        "floor_messages_per_second": round(floor_rate, 1),
        "ratio_to_floor": round(floor_rate / rate, 2) if rate else None,
        "batch_size": args.batch_size,
        "entry_point": "ingest_batch" if args.batch_size else "receive",
        "store": args.store if args.batch_size else "database",
        "sending": bench.SENDING[args.sending],
        "acknowledgements": total["acknowledgements"],
        "acknowledgements_sent": total["acknowledgements_sent"],
        "delivery_messages_per_second": round(deliveries.rate, 1)
        if args.sending == "deferred"
        else None,
        "threaded_by": dict(threaded_by.most_common()),
        "kept_aside": total["kept_aside"],
        "errors": dict(errors),
        "expected": expected,
        "as_expected": None if None in verdicts else all(verdicts),
        "corpus": {
            "path": str(args.corpus) if args.keep or args.corpus else None,
            "files": sum(len(c.files) for c in corpora),
            "bytes": sum(p.stat().st_size for c in corpora for p in c.files),
            "seed": args.seed,
            "seeds": [c.expected.get("seed") for c in corpora],
            "kinds": dict(sorted(kinds.items())),
        },
        "machine": bench.machine(database),
        "workers": len(reports),
        "start_method": START_METHOD,
        "mailboxes": "one per worker, each its own town (villebois, villebois-2, ...); reply "
        "addresses name no case (case ids interleave): those answers are threaded by headers",
        "per_worker": per_worker,
    }


# --- the workers ------------------------------------------------------------------------------


def _run_workers(jobs: list[Job]) -> list[dict[str, Any]]:
    """Start one process per job, wait for all their reports (in the jobs' order)."""
    context = multiprocessing.get_context(START_METHOD)
    barrier = context.Barrier(len(jobs))
    results = context.Queue()
    processes = [
        context.Process(target=work, args=(job, barrier, results), name=f"mailbox-{job.number}")
        for job in jobs
    ]
    for process in processes:
        process.start()
    reports: dict[int, dict[str, Any]] = {}
    try:
        while len(reports) < len(jobs):
            try:
                report = results.get(timeout=5)
            except queue.Empty:
                dead = [p for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    barrier.abort()
                    raise RuntimeError(
                        f"worker {dead[0].name} died (exit code {dead[0].exitcode})"
                    ) from None
                continue
            if "error" in report:
                raise RuntimeError(f"worker {report['number']} failed:\n{report['error']}")
            reports[report["number"]] = report
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
                process.join()
    return [reports[job.number] for job in jobs]


def work(job: Job, barrier: Any, results: Any) -> None:
    """A worker process: its report (or its error) put on `results`."""
    try:
        results.put(_ingest(job, barrier))
    except BaseException:
        barrier.abort()
        results.put({"number": job.number, "error": traceback.format_exc()})


def _ingest(job: Job, barrier: Any) -> dict[str, Any]:
    import django

    django.setup()  # the environment was set by the parent (`configure`), inherited
    from django.db import connections

    from guichet.organizations.models import Organization

    bench.PROGRESS = False
    town = Organization.objects.get(pk=job.town_pk)
    floor_organization = Organization.objects.get(pk=job.floor_pk)
    try:
        barrier.wait(BARRIER_SECONDS)
        started = time.monotonic()
        floor = bench.run_floor(job.files, floor_organization, job.batch_size)
        floor_report = _phase(floor, started, time.monotonic())
        barrier.wait(BARRIER_SECONDS)
        bench.drop_floor_rows(floor_organization)
        memory_reset = bench.reset_peak_memory()
        barrier.wait(BARRIER_SECONDS)
        started, cpu = time.monotonic(), _cpu_seconds()
        pipeline = bench.run_pipeline(
            job.files, town, job.batch_size, None, in_memory=job.in_memory
        )
        pipeline_report = _phase(pipeline, started, time.monotonic())
        pipeline_report["cpu_seconds"] = _cpu_seconds() - cpu
        peak = bench.peak_memory_mb()
    finally:
        connections.close_all()
    return {
        "number": job.number,
        "floor": floor_report,
        "pipeline": pipeline_report,
        "peak_memory_mb": peak,
        "memory_reset": memory_reset,
    }


def _cpu_seconds() -> float:
    """Processor time of this process (all its threads), user and system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _phase(phase: bench.Phase, start: float, end: float) -> dict[str, Any]:
    """A phase as reported to the parent; `start` and `end` on the monotonic clock, which all
    processes of the machine share (Linux's CLOCK_MONOTONIC)."""
    return {
        "start": start,
        "end": end,
        "seconds": phase.seconds,
        "messages": phase.messages,
        "latency_ms": phase.latency_ms,
        "queries": phase.queries,
        "errors": dict(phase.errors),
    }
