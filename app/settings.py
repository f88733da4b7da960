"""Settings, read once from ``CARETENDER_*`` environment variables into frozen objects.

Tests build their own ``Settings`` directly instead of touching the environment.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DatabaseSettings:
    #: CARETENDER_DATABASE_URL: ``sqlite:///path/to/file.sqlite`` or ``postgresql://...``.
    url: str
    #: CARETENDER_DATABASE_TIMEOUT: seconds SQLite waits on a lock before giving up.
    sqlite_timeout: float = 10.0

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite:")

    @property
    def sqlite_path(self) -> str:
        return self.url.removeprefix("sqlite:///")


@dataclass(frozen=True)
class PasswordSettings:
    """argon2id parameters; the defaults are argon2-cffi's (RFC 9106 low-memory)."""

    #: CARETENDER_ARGON2_TIME_COST
    time_cost: int = 3
    #: CARETENDER_ARGON2_MEMORY_COST (KiB)
    memory_cost: int = 65536
    #: CARETENDER_ARGON2_PARALLELISM
    parallelism: int = 4


@dataclass(frozen=True)
class SessionSettings:
    #: CARETENDER_SESSION_IDLE_MINUTES: a session unused this long is signed out.
    idle_minutes: int = 30
    #: CARETENDER_SESSION_ABSOLUTE_HOURS: a session never lives longer than this.
    absolute_hours: int = 12
    #: CARETENDER_API_TOKEN_HOURS: lifetime of an API bearer token.
    api_token_hours: int = 1


@dataclass(frozen=True)
class SignInLimits:
    #: CARETENDER_SIGNIN_WINDOW_MINUTES: failures older than this are forgotten.
    window_minutes: int = 15
    #: CARETENDER_SIGNIN_MAX_PER_ACCOUNT: failures for one email before it is locked.
    per_account: int = 5
    #: CARETENDER_SIGNIN_MAX_PER_ADDRESS: failures from one address before it is locked.
    per_address: int = 20


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings
    #: CARETENDER_SECRET_KEY: signs sessions, CSRF tokens and audit checkpoints.
    secret_key: str
    #: CARETENDER_VAR_DIR: where development state lives (database, key, mail, files).
    var_dir: Path
    #: CARETENDER_FILES_DIR: the file store, and the audit checkpoints beside it.
    files_dir: Path
    #: CARETENDER_SMTP_URL: empty means mail is written as .eml files under var/mail/.
    smtp_url: str = ""
    #: CARETENDER_MAIL_FROM: the sender of every email.
    mail_from: str = "caretender <no-reply@caretender.invalid>"
    #: CARETENDER_MAIL_WORKER_INTERVAL: seconds between deliveries of the mail outbox by the
    #: web process itself; 0 leaves delivery to ``caretender worker``. From the environment
    #: the default is 5 on SQLite and 0 on PostgreSQL.
    mail_worker_interval: float = 0.0
    #: CARETENDER_BASE_URL: the address people use to reach the platform.
    base_url: str = "http://127.0.0.1:8000"
    #: CARETENDER_OCDS_PREFIX: the prefix of every OCDS ocid, as registered with the Open
    #: Contracting Partnership ("ocds-" and six characters) for real publication.
    ocds_prefix: str = "ocds-caretender"
    #: CARETENDER_DEBUG: show tracebacks instead of the error page (never in production).
    debug: bool = False
    #: CARETENDER_CLOCK_FILE: a rehearsal clock set from this file (``app.clock``); never
    #: in production.
    clock_file: Path | None = None
    #: CARETENDER_EVIDENCE_MAX_MB: the largest evidence file a provider may upload.
    evidence_max_bytes: int = 50 * 1024 * 1024
    #: CARETENDER_BID_MAX_MB: the most all the evidence files of one bid may add up to.
    bid_max_bytes: int = 500 * 1024 * 1024
    passwords: PasswordSettings = field(default_factory=PasswordSettings)
    sessions: SessionSettings = field(default_factory=SessionSettings)
    signin_limits: SignInLimits = field(default_factory=SignInLimits)

    @property
    def audit_checkpoints_path(self) -> Path:
        """Signed checkpoints of the audit chain, deliberately outside the database."""
        return self.files_dir / "audit-checkpoints.jsonl"


def _int(env: dict[str, str], name: str, default: int) -> int:
    return int(env.get(f"CARETENDER_{name}", default))


def database_settings_from_env(env: dict[str, str] | None = None) -> DatabaseSettings:
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("CARETENDER_VAR_DIR", PROJECT_ROOT / "var"))
    url = env.get("CARETENDER_DATABASE_URL") or f"sqlite:///{var_dir / 'caretender.sqlite'}"
    return DatabaseSettings(
        url=url, sqlite_timeout=float(env.get("CARETENDER_DATABASE_TIMEOUT", 10.0))
    )


def _secret_key(env: dict[str, str], var_dir: Path) -> str:
    """The key from the environment; in development one generated into var/ on first run."""
    if key := env.get("CARETENDER_SECRET_KEY"):
        return key
    if env.get("CARETENDER_ENV") == "production":
        raise RuntimeError("CARETENDER_SECRET_KEY is required in production")
    path = var_dir / "secret.key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _clock_file(env: dict[str, str]) -> Path | None:
    path = env.get("CARETENDER_CLOCK_FILE")
    if path and env.get("CARETENDER_ENV") == "production":
        raise RuntimeError("CARETENDER_CLOCK_FILE is for rehearsals, never production")
    return Path(path) if path else None


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    var_dir = Path(env.get("CARETENDER_VAR_DIR", PROJECT_ROOT / "var"))
    database = database_settings_from_env(env)
    return Settings(
        database=database,
        secret_key=_secret_key(env, var_dir),
        var_dir=var_dir,
        files_dir=Path(env.get("CARETENDER_FILES_DIR", var_dir / "files")),
        smtp_url=env.get("CARETENDER_SMTP_URL", ""),
        mail_from=env.get("CARETENDER_MAIL_FROM", Settings.mail_from),
        mail_worker_interval=float(
            env.get("CARETENDER_MAIL_WORKER_INTERVAL", 5.0 if database.is_sqlite else 0.0)
        ),
        base_url=env.get("CARETENDER_BASE_URL", "http://127.0.0.1:8000"),
        ocds_prefix=env.get("CARETENDER_OCDS_PREFIX", Settings.ocds_prefix),
        debug=env.get("CARETENDER_DEBUG", "") == "1",
        clock_file=_clock_file(env),
        evidence_max_bytes=_int(env, "EVIDENCE_MAX_MB", 50) * 1024 * 1024,
        bid_max_bytes=_int(env, "BID_MAX_MB", 500) * 1024 * 1024,
        passwords=PasswordSettings(
            time_cost=_int(env, "ARGON2_TIME_COST", 3),
            memory_cost=_int(env, "ARGON2_MEMORY_COST", 65536),
            parallelism=_int(env, "ARGON2_PARALLELISM", 4),
        ),
        sessions=SessionSettings(
            idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 30),
            absolute_hours=_int(env, "SESSION_ABSOLUTE_HOURS", 12),
            api_token_hours=_int(env, "API_TOKEN_HOURS", 1),
        ),
        signin_limits=SignInLimits(
            window_minutes=_int(env, "SIGNIN_WINDOW_MINUTES", 15),
            per_account=_int(env, "SIGNIN_MAX_PER_ACCOUNT", 5),
            per_address=_int(env, "SIGNIN_MAX_PER_ADDRESS", 20),
        ),
    )
