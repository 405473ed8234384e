"""The ingest benchmark: N generated reports through the service the API uses, beside PostgreSQL's COPY.

Reports are generated on the fly from a seeded pool of people and selectors, so subjects repeat
across reports as they do in real intelligence, and nothing proportional to N is ever held in
memory. Each report goes through the real extractor and then ``report_submit_many`` in batches:
validation, entities, statements, the name index, linking and the audit chain, exactly as an API submission.
"""

from __future__ import annotations

import os
import random
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection

from cairn.accounts.choices import Jurisdiction, OrganisationKind, Role
from cairn.accounts.models import Organisation, User
from cairn.accounts.services import organisation_create, user_create
from cairn.audit.models import AuditEntry
from cairn.entities.choices import SubjectRole
from cairn.entities.extraction import extract
from cairn.entities.models import Entity, Statement
from cairn.entities.normalise import SelectorKind
from cairn.intelligence.choices import Dissemination, HandlingCode, IntelligenceAssessment, SourceEvaluation
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.intelligence.models import IntelligenceReport, ReportRevision
from cairn.intelligence.services import report_submit_many

DEFAULT_SEED = 1_000_003
ORGANISATION_CODE = "bench"
OFFICER_USERNAME = "officer.bench"
SOURCE_SYSTEM = "cairn-bench"
MIN_CHARS, MAX_CHARS = 300, 800
CHECKPOINTS = 10  # progress lines per run

# --- the pool of subjects ----------------------------------------------------------------------------

# Latin-script locales of the nationalities seen in UK trafficking cases (as the demo world uses).
NAME_LOCALES = (
    ("en_GB", 5),
    ("ro_RO", 2),
    ("pl_PL", 2),
    ("vi_VN", 2),
    ("sq_AL", 2),
    ("sk_SK", 1),
    ("lt_LT", 1),
    ("hu_HU", 1),
    ("cs_CZ", 1),
)
POOL_SIZES = {"person": 3000, "phone": 1000, "vrm": 1500, "postcode": 1000, "email": 1000, "iban": 500}
# How often each kind of subject is mentioned.
KIND_WEIGHTS = {"person": 40, "phone": 20, "vrm": 12, "postcode": 10, "email": 10, "iban": 8}
SUBJECTS_PER_REPORT = ((1, 30), (2, 35), (3, 20), (4, 15))
EMAIL_DOMAINS = ("mailbox.example", "inbox.example", "quickmail.example", "postbox.example")
UK_BANK_CODES = ("NWBK", "BARC", "LOYD", "HBUK", "MIDL", "SRLG", "NAIA")
VRM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # no I, Q or Z
VRM_AGES = ("15", "65", "16", "66", "17", "67", "18", "68", "19", "69", "20", "70", "21", "71", "22", "72", "23")


@dataclass(frozen=True)
class Pool:
    """People and selectors reports draw on; every value is one the extractor is known to find."""

    values: dict[str, tuple[str, ...]]

    def pick(self, kind: str, rng: random.Random) -> str:
        values = self.values[kind]
        # Squared: a few subjects turn up in many reports, most in a handful, as in real intelligence.
        return values[int(len(values) * rng.random() ** 2)]


def pool_sizes(reports: int) -> dict[str, int]:
    """The full pool for a real run; a smaller one for a few hundred reports, which would not use it."""
    return {kind: max(20, min(size, reports)) for kind, size in POOL_SIZES.items()}


def _found(kind: str, value: str, carrier: str) -> bool:
    """Whether the extractor finds exactly ``value`` as a ``kind`` in a neutral sentence."""
    wanted = SelectorKind.PERSON_NAME.value if kind == "person" else kind
    return any(c.kind == wanted and c.text == value for c in extract(carrier.format(value)))


def build_pool(seed: int = DEFAULT_SEED, sizes: dict[str, int] | None = None) -> Pool:
    """A deterministic pool: the same seed gives the same people and selectors."""
    from anyascii import anyascii
    from faker import Faker
    from schwifty import IBAN

    sizes = sizes or POOL_SIZES
    rng = random.Random(f"{seed}:pool")
    locales = [loc for loc, _ in NAME_LOCALES]
    fakers = {}
    for loc in locales:
        fakers[loc] = Faker(loc)
        fakers[loc].seed_instance(rng.randrange(2**31))
    weights = [w for _, w in NAME_LOCALES]
    en = fakers["en_GB"]

    def unique(kind: str, make: Callable[[], str], carrier: str) -> tuple[str, ...]:
        out: dict[str, None] = {}
        attempts = 0
        while len(out) < sizes[kind] and attempts < sizes[kind] * 20:
            attempts += 1
            value = make()
            if value not in out and _found(kind, value, carrier):
                out[value] = None
        return tuple(out)

    def person() -> str:
        f = fakers[rng.choices(locales, weights)[0]]
        return f"{f.first_name()} {f.last_name()}"

    def phone() -> str:
        # Ofcom's drama range: no real subscriber holds one. Written the ways officers write them.
        n = rng.randrange(1000)
        return rng.choice((f"07700 900{n:03d}", f"07700900{n:03d}", f"+44 7700 900{n:03d}"))

    def vrm() -> str:
        letters = "".join(rng.choice(VRM_LETTERS) for _ in range(5))
        return f"{letters[:2]}{rng.choice(VRM_AGES)} {letters[2:]}"

    def email() -> str:
        f = fakers[rng.choices(locales, weights)[0]]
        local = anyascii(f"{f.first_name()}.{f.last_name()}").lower().replace(" ", "").replace("'", "")
        return f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"

    def iban() -> str:
        account = "".join(rng.choice("0123456789") for _ in range(8))
        sort = "".join(rng.choice("0123456789") for _ in range(6))
        return IBAN.generate(
            "GB", bank_code=rng.choice(UK_BANK_CODES), branch_code=sort, account_code=account
        ).formatted

    return Pool(
        values={
            "person": unique("person", person, "It is said that {} was there."),
            "phone": unique("phone", phone, "It was called from {} twice."),
            "vrm": unique("vrm", vrm, "It was seen in {} twice."),
            "postcode": unique("postcode", en.postcode, "It is near {} apparently."),
            "email": unique("email", email, "It was sent to {} twice."),
            "iban": unique("iban", iban, "It was paid into {} twice."),
        }
    )


# --- report texts ------------------------------------------------------------------------------------

MENTIONS = {
    "person": (
        "The source states that {} collects the wages of the workers and keeps their passports.",
        "Intelligence indicates that {} drives the women between addresses most evenings.",
        "A neighbour reported that {} visits the premises late at night and seems to be in charge.",
        "It is believed that {} arranged the travel and is owed a debt by each of the workers.",
        "Workers were overheard saying that {} threatens them if they ask to leave.",
        "Officers spoke to a man who gave his name as {} and said he was a relative of the owner.",
    ),
    "phone": (
        "Adverts for the work give the number {} and ask applicants to message rather than call.",
        "The mobile {} is used to arrange shifts and pick-ups.",
        "A worker was given the number {} to call if stopped by police.",
        "Cell site data puts the phone {} near the address on several nights.",
    ),
    "vrm": (
        "A vehicle with the registration {} was seen dropping off workers before six in the morning.",
        "ANPR shows {} making repeated trips between the two towns at night.",
        "Several young people were seen getting out of a grey van, registration {}, outside the shop.",
    ),
    "postcode": (
        "The workers are housed at an address in the {} area, several to a room.",
        "Deliveries of mattresses were made to a house near {} over two weeks.",
        "Rent for a property at {} is paid in cash by a third party.",
    ),
    "email": (
        "Applicants are asked to send copies of their identity documents to {} before travelling.",
        "The account {} was used to register several online adverts.",
        "Messages from {} promise work and accommodation in the United Kingdom.",
    ),
    "iban": (
        "Wages are paid into the account {} and then withdrawn in cash the same day.",
        "Several transfers from victims' accounts went to {} over the last month.",
        "Rent is taken from the workers and deposited into {} each week.",
    ),
}
FILLERS = (
    "The information was passed on by a partner agency.",
    "The source has provided reliable information in the past.",
    "The workers appeared tired and did not make eye contact.",
    "No further details are known at this time.",
    "The premises are open from early morning until late at night.",
    "Local officers have attended the area on two previous occasions.",
    "It is not known how long this has been going on.",
    "There are concerns that some of the workers may be under eighteen.",
    "Further enquiries are being made with the local authority.",
    "The shop appears to take very little custom for the number of staff.",
    "Cash payments are made at the end of each week.",
    "A vulnerable adult referral has been considered.",
    "This is one of several similar reports about the area.",
    "The reporting person wishes to remain anonymous.",
)
DISSEMINATIONS = (Dissemination.SHARED.value, Dissemination.RESTRICTED.value, Dissemination.CONFIDENTIAL.value)
EXPLOITATION_TYPES = (("labour",), ("sexual",), ("criminal",), ("labour", "criminal"), ())


@dataclass(frozen=True)
class GeneratedReport:
    number: int
    text: str
    dissemination: str
    exploitation_types: tuple[str, ...]
    occurred_on: date


def generate_reports(
    pool: Pool, count: int, seed: int = DEFAULT_SEED, *, part: int = 0, first: int = 0
) -> Iterator[GeneratedReport]:
    """``count`` reports, one at a time (never a list of them), each 300–800 characters naming 1–4 subjects.

    ``part`` > 0 gives another stream from the same pool (a second submitter's share), numbered from ``first``.
    """
    rng = random.Random(f"{seed}:reports" if part == 0 else f"{seed}:reports:{part}")
    kinds = list(KIND_WEIGHTS)
    kind_weights = list(KIND_WEIGHTS.values())
    sizes = [n for n, _ in SUBJECTS_PER_REPORT]
    size_weights = [w for _, w in SUBJECTS_PER_REPORT]
    base = date(2026, 1, 1)
    for number in range(count):
        target = rng.randint(MIN_CHARS, MAX_CHARS)
        sentences = [rng.choice(FILLERS)]
        for kind in rng.choices(kinds, kind_weights, k=rng.choices(sizes, size_weights)[0]):
            sentences.append(rng.choice(MENTIONS[kind]).format(pool.pick(kind, rng)))
        length = sum(len(s) + 1 for s in sentences)
        for _ in range(len(FILLERS)):
            filler = rng.choice(FILLERS)
            if length + len(filler) + 1 > target and length >= MIN_CHARS:
                break
            sentences.insert(rng.randint(1, len(sentences)), filler)
            length += len(filler) + 1
        yield GeneratedReport(
            number=first + number,
            text=" ".join(sentences)[:MAX_CHARS],
            dissemination=DISSEMINATIONS[number % len(DISSEMINATIONS)],
            exploitation_types=rng.choice(EXPLOITATION_TYPES),
            occurred_on=base - timedelta(days=rng.randrange(730)),
        )


def report_input(report: GeneratedReport) -> ReportInput:
    """What an officer's client would submit: the text and the subjects the extractor proposed."""
    subjects: list[SubjectInput] = []
    for c in extract(report.text):
        if c.kind == SelectorKind.PERSON_NAME:
            # The first person named is the suspect; everyone and everything else is mentioned.
            role = SubjectRole.OTHER if any(s.kind == "person" for s in subjects) else SubjectRole.SUSPECT
            subjects.append(SubjectInput(kind="person", value=c.text, role=role))
        else:
            subjects.append(SubjectInput(kind=c.kind, value=c.text, role=SubjectRole.OTHER))
    return ReportInput(
        text=report.text,
        source_evaluation=SourceEvaluation.UNTESTED,
        intelligence_assessment=IntelligenceAssessment.B,
        handling_code=HandlingCode.P,
        dissemination=report.dissemination,
        exploitation_types=list(report.exploitation_types),
        occurred_on=report.occurred_on,
        subjects=subjects,
        source_system=SOURCE_SYSTEM,
        source_reference=f"bench-{report.number}",
    )


# --- measuring ---------------------------------------------------------------------------------------


def rss_mb() -> float:
    """The resident set size now (not the peak), from /proc."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    """The peak resident set size of this process or of any submitter process it ran, whichever is larger."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # kilobytes on Linux


def backend_cpu_seconds() -> float | None:
    """CPU time of this connection's PostgreSQL backend, when the server runs on this machine."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # utime and stime, fields 14 and 15 of stat(5), counted after the ")" that ends the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def table_count(model: Any) -> int:
    # Counted in SQL: the benchmark reads no domain rows, it only sizes the tables.
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{model._meta.db_table}"')  # noqa: S608 - a model's own table name
        return int(cursor.fetchone()[0])


COUNTED = {
    "reports": IntelligenceReport,
    "statements": Statement,
    "entities": Entity,
    "revisions": ReportRevision,
    "audit entries": AuditEntry,
}


def table_counts() -> dict[str, int]:
    return {label: table_count(model) for label, model in COUNTED.items()}


@dataclass
class Checkpoint:
    done: int
    rate: float  # reports/s over the segment since the previous checkpoint
    rss_mb: float


@dataclass
class IngestResult:
    reports: int
    batch: int
    seconds: float
    generate_seconds: float  # writing the texts (the benchmark's own work, not Cairn's)
    extract_seconds: float  # extraction and building the inputs, wall clock
    extract_cpu_seconds: float  # the same, this process's CPU time
    service_seconds: float  # report_submit_many, wall clock
    service_cpu_seconds: float  # the same, this process's CPU time; the rest is waiting for PostgreSQL
    backend_cpu_seconds: float | None  # the PostgreSQL backend serving it, if it is on this machine
    subjects: int
    written: dict[str, int]
    checkpoints: list[Checkpoint] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.reports / self.seconds if self.seconds else 0.0


def bench_actor() -> User:
    """The benchmark's officer in its own organisation, created through the account services."""
    org = Organisation.objects.filter(code=ORGANISATION_CODE).first()
    if org is None:
        org = organisation_create(
            actor=None,
            code=ORGANISATION_CODE,
            name="Benchmark Constabulary",
            kind=OrganisationKind.POLICE_FORCE,
            jurisdiction=Jurisdiction.ENGLAND_WALES,
        )
    user = User.objects.select_related("organisation").filter(username=OFFICER_USERNAME).first()
    if user is None:
        user = user_create(
            actor=None,
            username=OFFICER_USERNAME,
            organisation_code=org.code,
            roles=[Role.OFFICER],
            first_name="Bench",
            last_name="Officer",
        )
    return user


# Submitter processes: the service is safe to run concurrently (entities are created with ON CONFLICT
# in key order, the audit chain appends under its advisory lock), and one process leaves a core idle
# while it waits on PostgreSQL. CAIRN_BENCH_INGEST_WORKERS=1 gives the single-process figure.
DEFAULT_WORKERS = max(1, int(os.environ.get("CAIRN_BENCH_INGEST_WORKERS", "2")))


@dataclass
class _Stages:
    generate: float = 0.0
    extract: float = 0.0
    extract_cpu: float = 0.0
    service: float = 0.0
    service_cpu: float = 0.0
    subjects: int = 0
    backend_cpu: float | None = None


def _submit_stream(
    *, actor: User, generated: Iterator[GeneratedReport], count: int, batch: int, on_batch: Callable[[int], None]
) -> _Stages:
    """Extract and submit ``count`` generated reports in batches, timing each stage; ``on_batch(n)`` after each."""
    stages = _Stages()
    clock, cpu = time.perf_counter, time.process_time
    done = 0
    while done < count:
        items: list[ReportInput] = []
        for _ in range(min(batch, count - done)):
            t0 = clock()
            report = next(generated)
            t1, c1 = clock(), cpu()
            items.append(report_input(report))
            stages.generate += t1 - t0
            stages.extract += clock() - t1
            stages.extract_cpu += cpu() - c1
            stages.subjects += len(items[-1].subjects)
        t0, c0 = clock(), cpu()
        report_submit_many(actor=actor, items=items)
        stages.service += clock() - t0
        stages.service_cpu += cpu() - c0
        done += len(items)
        del items
        on_batch(done)
    return stages


def _shares(reports: int, workers: int) -> list[tuple[int, int]]:
    """(first report number, count) of each submitter's share."""
    out, first = [], 0
    for w in range(workers):
        count = reports // workers + (1 if w < reports % workers else 0)
        out.append((first, count))
        first += count
    return out


def _worker(
    part: int, first: int, count: int, actor_id: int, pool: Pool, batch: int, seed: int, queue: Any
) -> None:  # pragma: no cover - runs in a child process
    from django.db import connections

    try:
        actor = User.objects.select_related("organisation").get(pk=actor_id)
        backend_before = backend_cpu_seconds()
        previous = 0

        def on_batch(done: int) -> None:
            nonlocal previous
            queue.put(("batch", (part, done - previous), rss_mb()))
            previous = done

        generated = generate_reports(pool, count, seed, part=part, first=first)
        stages = _submit_stream(actor=actor, generated=generated, count=count, batch=batch, on_batch=on_batch)
        backend_after = backend_cpu_seconds()
        if backend_before is not None and backend_after is not None:
            stages.backend_cpu = backend_after - backend_before
        queue.put(("done", stages, None))
    except BaseException:
        import traceback

        queue.put(("error", traceback.format_exc(), None))
    finally:
        connections.close_all()


def run_ingest(
    *,
    actor: User,
    pool: Pool,
    reports: int,
    batch: int,
    seed: int = DEFAULT_SEED,
    progress: Callable[[Checkpoint], None] | None = None,
    workers: int = DEFAULT_WORKERS,
) -> IngestResult:
    """Submit ``reports`` generated reports in batches of ``batch`` and time each stage.

    With ``workers`` > 1 that many submitter processes share the reports (each its own generated
    stream from the same pool, its own connection); the stage times are then summed over them, so
    per report they read as CPU-like totals, while ``seconds`` stays the wall clock of the whole run.
    """
    workers = max(1, min(workers, reports))
    before = table_counts()
    step = max(1, -(-reports // CHECKPOINTS))
    checkpoints: list[Checkpoint] = []
    state = {"next": step, "segment_done": 0, "segment_started": time.perf_counter()}

    def reached(done: int, rss: float) -> None:
        if done >= state["next"] or done == reports:
            now = time.perf_counter()
            checkpoint = Checkpoint(done, (done - state["segment_done"]) / (now - state["segment_started"]), rss)
            checkpoints.append(checkpoint)
            if progress is not None:
                progress(checkpoint)
            state["segment_started"], state["segment_done"] = now, done
            while state["next"] <= done:
                state["next"] += step

    started = time.perf_counter()
    state["segment_started"] = started
    if workers == 1:
        backend_before = backend_cpu_seconds()
        generated = generate_reports(pool, reports, seed)
        stages = _submit_stream(
            actor=actor, generated=generated, count=reports, batch=batch, on_batch=lambda d: reached(d, rss_mb())
        )
        backend_after = backend_cpu_seconds()
        if backend_before is not None and backend_after is not None:
            stages.backend_cpu = backend_after - backend_before
        all_stages = [stages]
    else:
        all_stages = _run_workers(
            actor=actor, pool=pool, reports=reports, batch=batch, seed=seed, workers=workers, reached=reached
        )
    seconds = time.perf_counter() - started
    after = table_counts()
    backend = [s.backend_cpu for s in all_stages]
    return IngestResult(
        reports=reports,
        batch=batch,
        seconds=seconds,
        generate_seconds=sum(s.generate for s in all_stages),
        extract_seconds=sum(s.extract for s in all_stages),
        extract_cpu_seconds=sum(s.extract_cpu for s in all_stages),
        service_seconds=sum(s.service for s in all_stages),
        service_cpu_seconds=sum(s.service_cpu for s in all_stages),
        subjects=sum(s.subjects for s in all_stages),
        backend_cpu_seconds=None if any(b is None for b in backend) else sum(b or 0.0 for b in backend),
        written={k: after[k] - before[k] for k in after},
        checkpoints=checkpoints,
    )


def _run_workers(
    *,
    actor: User,
    pool: Pool,
    reports: int,
    batch: int,
    seed: int,
    workers: int,
    reached: Callable[[int, float], None],
) -> list[_Stages]:
    import multiprocessing

    from django.db import connections

    # Forked children must not share the parent's connection: close it, each child opens its own.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [
        context.Process(target=_worker, args=(part, first, count, actor.pk, pool, batch, seed, queue), daemon=True)
        for part, (first, count) in enumerate(_shares(reports, workers))
    ]
    for process in processes:
        process.start()
    stages: list[_Stages] = []
    done = 0
    rss: dict[int, float] = {}
    try:
        while len(stages) < workers:
            kind, payload, extra = queue.get()
            if kind == "batch":
                part, count = payload
                done += count
                rss[part] = extra
                reached(done, max(rss.values()))
            elif kind == "done":
                stages.append(payload)
            else:
                raise RuntimeError(f"a submitter process failed:\n{payload}")
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
    return stages


# --- the COPY baseline -------------------------------------------------------------------------------

COPY_TABLE = "bench_copy_report"
COPY_COLUMNS = (
    "text",
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "dissemination",
    "organisation_id",
    "created_at",
)


@dataclass
class CopyResult:
    rows: int
    seconds: float
    generate_seconds: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def copy_only_rate(self) -> float:
        # Approximate: the server parses what was sent while the next rows are generated.
        seconds = self.seconds - self.generate_seconds
        return self.rows / seconds if seconds > 0 else 0.0


def copy_baseline(*, pool: Pool, reports: int, organisation_id: int, seed: int = DEFAULT_SEED) -> CopyResult:
    """PostgreSQL's own bulk load of the same report rows into a plain table: the ceiling for ingest.

    The rows come from the same generator (so the time includes writing the texts, as the service
    run's does) without extraction, entities, statements or audit, in one COPY.
    """
    now = datetime.now(UTC)
    generate_s = 0.0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        cursor.execute(
            f"CREATE TABLE {COPY_TABLE} (text text NOT NULL, source_evaluation varchar(1) NOT NULL, "
            "intelligence_assessment varchar(1) NOT NULL, handling_code varchar(1) NOT NULL, "
            "dissemination varchar(16) NOT NULL, organisation_id bigint NOT NULL, created_at timestamptz NOT NULL)"
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        raw.execute("SET statement_timeout = 0")
        with raw.copy(f"COPY {COPY_TABLE} ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            t0 = time.perf_counter()
            for report in generate_reports(pool, reports, seed):
                t1 = time.perf_counter()
                generate_s += t1 - t0
                copy.write_row(
                    (
                        report.text,
                        SourceEvaluation.UNTESTED.value,
                        IntelligenceAssessment.B.value,
                        HandlingCode.P.value,
                        report.dissemination,
                        organisation_id,
                        now,
                    )
                )
                t0 = time.perf_counter()
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {COPY_TABLE}")
    return CopyResult(rows=reports, seconds=seconds, generate_seconds=generate_s)
