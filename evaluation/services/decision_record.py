"""The decision record: one zip an officer downloads to defend the award if a bidder
challenges it, holding

* ``tender/releases.json``: the tender as published, every OCDS release of it;
* ``tender/documents/``: the documents published with it;
* ``award/award-report.pdf``: the report the decision was approved against, and
  ``award/decision.json``: the approval, its reasons, the standstill and the confirmation,
  with each bid's outcome per lot once confirmed;
* ``notices/``: every assessment summary, decision letter and the award notice as issued;
* ``evaluation/lot-N/``: each lot's individual scores and consensus with their reasons, and
  its results, as CSV;
* ``conflicts.csv``: the conflicts record;
* ``audit/events.jsonl``: every audit event about the tender and its bids, each with its
  place in the chain and its hash, and ``audit/verification.json``: the whole chain checked
  when the record was made;
* ``manifest.sha256``: the SHA-256 of every other file, as ``sha256sum --check`` reads it.

Available to the council's officers who evaluate none of its lots (as the award report)
once the award is approved; each download is audited with the manifest's digest.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import IO, Any
from uuid import UUID

import anyio

from app import audit, database
from app.accounts import CurrentUser
from app.audit_chain import canonical_json
from app.clock import LONDON
from app.errors import InvalidTransition, NotPermitted
from app.platform import Platform
from app.tables import AuditEvent
from app.vocabulary import AuditAction
from evaluation.services import moderation, results
from evaluation.services.award_report import NOT_FOR_EVALUATORS
from evaluation.services.awards import evaluates
from evaluation.services.exports import (
    conflicts_table,
    consensus_table,
    results_table,
    scores_table,
    to_csv,
)
from evaluation.services.notices import notice_files
from evaluation.services.panels import conflicts_record, lot_bidders
from evaluation.tables import AwardDecision, BidOutcome
from tenders.services import events, releases
from tenders.services.opening import council_tender
from tenders.services.views import TenderView, as_uuid
from tenders.tables import Bid
from tenders.vocabulary import TenderStatus

MANIFEST = "manifest.sha256"
#: Files held in memory up to this size, on disk beyond it (tender documents can be large).
SPOOL_BYTES = 16 * 1024 * 1024
CHUNK = 256 * 1024
NOT_YET = "The decision record is made once the award is approved"
README = """Decision record of {title} ({reference}), {council}
Made {made} by {made_by}.

tender/releases.json      the tender as published: every OCDS release of it
tender/documents/         the documents published with the tender
award/award-report.pdf    the award report the decision was approved against
award/decision.json       the approval and its reasons, the standstill, the confirmation
                          and, once confirmed, each bid's outcome for each lot
notices/                  every assessment summary, decision letter and the award notice
evaluation/lot-N/         each lot's individual scores and consensus with their reasons,
                          and its results
conflicts.csv             every conflict of interest declaration
audit/events.jsonl        every audit event about the tender and its bids, one a line:
                          seq, prev_hash, hash and body; hash is the SHA-256 of the
                          canonical JSON (sorted keys, no spaces, UTF-8) of
                          {{"body": body, "prev_hash": prev_hash, "seq": seq}}
audit/verification.json   the whole audit chain, verified when this record was made
manifest.sha256           the SHA-256 of every other file: sha256sum --check manifest.sha256
"""


@dataclass(frozen=True)
class DecisionRecord:
    filename: str
    #: The zip, positioned at its start; the caller closes it.
    file: IO[bytes]
    size: int
    #: The SHA-256 of the manifest: what the audit event records.
    manifest_sha256: str


def _safe(text: str) -> str:
    """A file name part from free text: letters, digits and single hyphens."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:60] or "file"


def _json(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).encode() + b"\n"


async def _audit_extract(tender: TenderView) -> list[dict[str, Any]]:
    """Every event about the tender or one of its bids, in chain order. Bodies are
    canonical JSON, so an event's object is found by its exact text."""
    bid_ids = [
        as_uuid(row["id"]) for row in await Bid.select(Bid.id).where(Bid.tender == tender.id)
    ]
    wanted = [("tender", tender.id)] + [("bid", bid_id) for bid_id in bid_ids]
    found: list[dict[str, Any]] = []
    # In groups, so that a tender with many bids makes a few short queries.
    for start in range(0, len(wanted), 50):
        query = AuditEvent.select(
            AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.body
        )
        condition = None
        for kind, object_id in wanted[start : start + 50]:
            pattern = f'%"object_id":"{object_id}","object_type":"{kind}"%'
            like = AuditEvent.body.like(pattern)
            condition = like if condition is None else condition | like
        found += await query.where(condition)
    return [
        {
            "seq": row["seq"],
            "prev_hash": row["prev_hash"],
            "hash": row["hash"],
            "body": json.loads(row["body"]),
        }
        for row in sorted(found, key=lambda row: row["seq"])
    ]


async def _decision(tender: TenderView) -> dict[str, Any]:
    row = (
        await AwardDecision.select(
            AwardDecision.report_sha256,
            AwardDecision.reasons,
            AwardDecision.approved_by.name.as_alias("approved_by"),
            AwardDecision.approved_at,
            AwardDecision.notices_issued_at,
            AwardDecision.standstill_last_day,
            AwardDecision.confirmed_at,
            AwardDecision.confirmed_by.name.as_alias("confirmed_by"),
        )
        .where(AwardDecision.tender == tender.id)
        .first()
    )
    if row is None:
        raise InvalidTransition(NOT_YET)
    names = {
        bidder.organisation_id: bidder.name
        for lot in tender.lots
        for bidder in await lot_bidders(tender.id, lot.id)
    }
    lots = {lot.id: lot for lot in tender.lots}
    ordered = []
    for found in await BidOutcome.select().where(BidOutcome.tender == tender.id):
        lot = lots[as_uuid(found["lot"])]
        bidder = names[as_uuid(found["organisation"])]
        rank = found["rank"]
        # By lot, then ranked bids best first, then the excluded (no rank) by name.
        place = (lot.number, rank is None, rank or 0, bidder)
        ordered.append(
            (
                place,
                {
                    "lot": f"Lot {lot.number}: {lot.name}",
                    "bidder": bidder,
                    "outcome": found["outcome"],
                    "rank": rank,
                    "reasons": found["reasons"].splitlines(),
                },
            )
        )
    outcomes = [entry for _, entry in sorted(ordered, key=lambda pair: pair[0])]
    return {
        **row,
        "standstill_applies": tender.standstill_applies,
        "standstill_working_days": tender.standstill_days,
        "outcomes": outcomes,
    }


def _entry(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, date_time=stamp)
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


def _zip(files: Sequence[tuple[str, bytes | Path]], made: datetime) -> tuple[IO[bytes], int, str]:
    """In a worker thread: the files and their manifest as a zip; the manifest's digest.
    Files in the store (a ``Path``) are copied in chunks, hashed as they go, so a record
    with large tender documents never holds them in memory."""
    stamp = made.astimezone(LONDON).timetuple()[:6]
    lines = []
    spooled: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the caller closes it)
    with zipfile.ZipFile(spooled, "w") as archive:
        for name, content in files:
            digest = hashlib.sha256()
            with archive.open(_entry(name, stamp), "w") as entry:
                if isinstance(content, Path):
                    with content.open("rb") as stored:
                        while chunk := stored.read(CHUNK):
                            digest.update(chunk)
                            entry.write(chunk)
                else:
                    digest.update(content)
                    entry.write(content)
            lines.append(f"{digest.hexdigest()}  {name}\n")
        manifest = "".join(lines).encode()
        archive.writestr(_entry(MANIFEST, stamp), manifest)
    size = spooled.tell()
    spooled.seek(0)
    return spooled, size, hashlib.sha256(manifest).hexdigest()


async def decision_record(
    platform: Platform, officer: CurrentUser, tender_id: str | UUID
) -> DecisionRecord:
    """The tender's decision record as it stands, made now; the download is audited.

    Raises ``NotFound`` (not a tender of the officer's council), ``NotPermitted`` (not an
    officer, or one who evaluates one of its lots) and ``InvalidTransition`` (the award is
    not approved yet).
    """
    tender = await council_tender(officer, tender_id)
    if not officer.is_officer:
        raise NotPermitted()
    if await evaluates(tender.id, officer.id):
        raise NotPermitted(NOT_FOR_EVALUATORS)
    if tender.stored_status not in (TenderStatus.AWARD_APPROVED, TenderStatus.AWARDED):
        raise InvalidTransition(NOT_YET)
    made = platform.clock.now()
    decision = await _decision(tender)
    files: list[tuple[str, bytes | Path]] = [
        (
            "README.txt",
            README.format(
                title=tender.title,
                reference=tender.reference,
                council=tender.buyer_name,
                made=made.astimezone(LONDON).isoformat(timespec="seconds"),
                made_by=officer.name,
            ).encode(),
        ),
        ("tender/releases.json", _json(await releases.tender_releases(platform, tender.id))),
    ]
    for number, document in enumerate(tender.documents, start=1):
        extension = (
            document.original_name.rsplit(".", 1)[-1].lower()
            if "." in document.original_name
            else "bin"
        )
        files.append(
            (
                f"tender/documents/{number:02d}-{_safe(document.title)}.{_safe(extension)}",
                platform.files.open_path(document.sha256),
            )
        )
    files.append(("award/award-report.pdf", platform.files.open_path(decision["report_sha256"])))
    files.append(("award/decision.json", _json(decision)))
    for notice in await notice_files(officer, tender.id) if decision["notices_issued_at"] else []:
        files.append((f"notices/{notice.filename}", platform.files.open_path(notice.sha256)))
    for lot in tender.lots:
        if not await lot_bidders(tender.id, lot.id):
            continue
        grid = await moderation.lot_grid(tender, lot, moderating=False)
        folder = f"evaluation/lot-{lot.number}"
        files.append((f"{folder}/scores.csv", to_csv(scores_table(grid))))
        files.append((f"{folder}/consensus.csv", to_csv(consensus_table(grid))))
        files.append(
            (f"{folder}/results.csv", to_csv(results_table(await results.compute(tender, lot))))
        )
    files.append(
        ("conflicts.csv", to_csv(conflicts_table(await conflicts_record(officer, tender.id))))
    )
    extract = await _audit_extract(tender)
    files.append(("audit/events.jsonl", b"".join(canonical_json(e) + b"\n" for e in extract)))
    verified = await audit.verify(platform)
    files.append(
        (
            "audit/verification.json",
            _json({"chain": asdict(verified), "extracted_events": len(extract)}),
        )
    )
    archive, size, manifest_sha256 = await anyio.to_thread.run_sync(_zip, files, made)
    async with database.write_transaction():
        await events.record(
            platform,
            officer,
            AuditAction.EVALUATION_DECISION_RECORD_EXPORT,
            tender.id,
            {"manifest_sha256": manifest_sha256, "files": len(files) + 1, "size": size},
        )
    return DecisionRecord(
        f"decision-record-{_safe(tender.reference)}.zip", archive, size, manifest_sha256
    )


async def chunks(record: DecisionRecord) -> AsyncIterator[bytes]:
    """The zip in chunks, read off the event loop; closed at the end."""
    try:
        while chunk := await anyio.to_thread.run_sync(record.file.read, CHUNK):
            yield chunk
    finally:
        record.file.close()
