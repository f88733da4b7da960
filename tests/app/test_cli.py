"""The command line, run as a newcomer or an administrator would run it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from app import accounts
from app.errors import Invalid
from app.tables import Organisation, User
from app.vocabulary import OrganisationKind, Role
from evaluation.tables import ConflictDeclaration, PanelMember, SignOff
from evaluation.vocabulary import PanelRole
from tenders.lifecycle import effective_status
from tenders.tables import Lot, Submission, Tender
from tenders.vocabulary import TenderStatus

CARETENDER = str(Path(sys.executable).with_name("caretender"))


def run(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CARETENDER_VAR_DIR": str(tmp_path),
        "CARETENDER_ARGON2_TIME_COST": "1",
        "CARETENDER_ARGON2_MEMORY_COST": "8",
        "CARETENDER_ARGON2_PARALLELISM": "1",
    }
    return subprocess.run(
        [CARETENDER, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_create_buyer_makes_a_council_and_its_first_officer(tmp_path):
    result = run(
        "create-buyer",
        "--organisation",
        "Tamworth Borough Council",
        "--name",
        "Ravi Kumar",
        "--email",
        "Ravi.Kumar@tamworth.example",
        "--password",
        "a sturdy officer passphrase",
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Created Tamworth Borough Council" in result.stdout
    officer = await User.objects().where(User.email == "ravi.kumar@tamworth.example").first()
    assert officer.role == Role.OFFICER
    council = await Organisation.objects().where(Organisation.id == officer.organisation).first()
    assert council.kind == OrganisationKind.BUYER


async def test_create_buyer_refuses_bad_input_and_creates_nothing(tmp_path):
    result = run(
        "create-buyer",
        "--organisation",
        "",
        "--name",
        "Ravi Kumar",
        "--email",
        "not-an-email",
        "--password",
        "password",
        tmp_path=tmp_path,
    )
    assert result.returncode == 2
    assert "organisation_name: Enter the organisation's name" in result.stderr
    assert "email: Enter an email address in the correct format" in result.stderr
    assert "password: This password is too common" in result.stderr
    assert await Organisation.count() == 0


async def test_demo_loads_a_council_and_three_providers_once_and_prints_every_sign_in(tmp_path):
    first = run("demo", tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Demo data loaded." in first.stdout
    assert "priya.shah@staffordshire.example" in first.stdout
    assert "officer-demo-passphrase" in first.stdout
    assert (
        "Tom Barker and Aisha Okafor evaluate, and Gareth Lloyd moderates, the bids of "
        '"Children\'s overnight short breaks"' in first.stdout
    )
    assert await Organisation.count().where(Organisation.kind == OrganisationKind.BUYER) == 1
    assert await Organisation.count().where(Organisation.kind == OrganisationKind.PROVIDER) == 3
    assert await User.count().where(User.role == Role.EVALUATOR) == 3
    tenders = {row["title"]: row for row in await Tender.select()}
    assert set(tenders) == {
        "Children's community support framework",
        "Supported living block contracts",
        "Home care in Tamworth",
        "Shared Lives respite",
        "Children's overnight short breaks",
        "Home care in Cannock Chase",
    }
    assert tenders["Home care in Tamworth"]["status"] == TenderStatus.DRAFT
    # Ready to evaluate: three bids opened, a panel of two evaluators and a moderator
    # cleared of conflicts.
    evaluating = tenders["Children's overnight short breaks"]
    assert evaluating["status"] == TenderStatus.OPENED
    assert await Submission.count().where(Submission.tender == evaluating["id"]) == 3
    assert await PanelMember.count().where(PanelMember.tender == evaluating["id"]) == 3
    assert (
        await ConflictDeclaration.count().where(
            ConflictDeclaration.tender == evaluating["id"], ConflictDeclaration.conflict.eq(False)
        )
        == 9
    )
    # Awaiting the award: scored, moderated by an officer, signed off.
    moderated = tenders["Home care in Cannock Chase"]
    assert moderated["status"] == TenderStatus.MODERATED
    assert await SignOff.count().where(SignOff.tender == moderated["id"]) == 1
    moderator = await PanelMember.select(PanelMember.user.role.as_alias("role")).where(
        PanelMember.tender == moderated["id"], PanelMember.role == PanelRole.MODERATOR
    )
    assert moderator == [{"role": Role.OFFICER}]
    assert "Priya Shah, who is not on its panel, can approve its award" in first.stdout
    closed = tenders["Shared Lives respite"]
    assert (
        effective_status(
            TenderStatus(closed["status"]), closed["submission_deadline"], datetime.now(UTC)
        )
        is TenderStatus.CLOSED
    )
    assert (
        await Lot.count().where(
            Lot.tender == tenders["Children's community support framework"]["id"]
        )
        == 5
    )

    again = run("demo", tmp_path=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout
    assert await User.count() == 8


async def test_migrate_reports_the_database_is_up_to_date(tmp_path):
    result = run("migrate", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Database is up to date." in result.stdout


async def test_two_create_buyer_runs_with_one_email_make_one_officer_and_a_clear_refusal(platform):
    async def create(council: str):
        try:
            return await accounts.create_buyer(
                platform, council, "Ravi Kumar", "ravi@tamworth.example", "a sturdy passphrase"
            )
        except Invalid as error:
            return error

    outcomes = await asyncio.gather(create("Tamworth Borough Council"), create("Lichfield DC"))
    refusals = [o for o in outcomes if isinstance(o, Invalid)]
    assert len(refusals) == 1
    assert refusals[0].field_errors == {"email": "An account already uses this email address"}
    assert await User.count() == 1
    assert await Organisation.count() == 1
