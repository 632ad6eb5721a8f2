"""Configuration from the environment (prefix ``CALLFUNNEL_``)."""

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

IPNetwork = IPv4Network | IPv6Network


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLFUNNEL_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./callfunnel.db"

    # MANGO OFFICE: the product key and salt from the cabinet; webhooks are refused while unset.
    mango_api_key: str = ""
    mango_api_salt: str = ""
    mango_api_url: str = "https://app.mango-office.ru/vpbx/"
    # The caller-ID line for click-to-call (the line's name in the cabinet); empty: the employee's default.
    mango_line_number: str = ""
    # Zadarma: webhooks are signed with the API secret; the key goes with outbound requests.
    zadarma_secret: str = ""
    zadarma_api_key: str = ""
    zadarma_api_url: str = "https://api.zadarma.com"
    # Sipuni and UIS sign nothing: the secret in their URL's ``?key=`` (webhooks are refused while unset).
    sipuni_secret: str = ""
    uis_secret: str = ""
    # The ``returned_code`` the UIS scenario step gets to wait (music, then ask again) or to go on
    # with its own plan (a free operator's phone, voicemail).
    uis_wait_code: int = 1
    uis_fallback_code: int = 2
    # Our own signed JSON protocol for any other PBX.
    generic_secret: str = ""
    pbx_request_timeout_seconds: float = Field(default=5.0, gt=0)
    # How often committed PBX commands are looked for (besides a wake-up when one is written);
    # 0 stops the background sender (commands then go out only through CommandSender.send_due).
    pbx_command_poll_seconds: float = Field(default=0.5, ge=0)

    default_region: str = "RU"
    timezone: str = "Europe/Moscow"
    callback_sla_minutes: int = Field(default=15, ge=0)
    # Unanswered dial attempts after which a callback is closed as unreachable (0: never).
    callback_max_attempts: int = Field(default=5, ge=0)
    # Optional allow-list per vendor, JSON: {"mango": ["81.88.80.0/22"], "generic": ["10.0.0.5"]};
    # keys: mango, zadarma, sipuni, uis, generic.
    pbx_allowed_ips: dict[str, list[IPNetwork]] = Field(default_factory=dict)
    max_webhook_bytes: int = Field(default=1024 * 1024, gt=0)
    # A webhook dated longer ago than this is refused (409): a replayed capture, not a delivery.
    webhook_max_age_days: float = Field(default=30.0, gt=0)
    # Handled webhooks are kept this long, then pruned; their dedup keys go with them, so this must
    # be at least a day longer than WEBHOOK_MAX_AGE_DAYS (a redelivery older than that is refused).
    inbox_retention_days: float = Field(default=90.0, gt=0)
    # Finished offers and the PBX commands that carried them are kept this long, then pruned.
    offer_retention_days: float = Field(default=30.0, gt=0)
    # /health/ready answers 503 while more webhooks than this wait to be processed.
    ready_max_backlog: int = Field(default=10_000, gt=0)
    # Who turns stored webhooks into calls, callbacks and live events (and keeps the calls report's
    # rollups): the server itself (``in_process``), or ``separate``: a `callfunnel process` beside
    # it on the same database, the processing on a core of its own (see the README's design notes).
    processing: Literal["in_process", "separate"] = "in_process"
    # A routing webhook (a PBX waiting for our decision) is answered with the PBX's own plan when the
    # decision is not made within this: PBXs wait a few seconds at most (MANGO 3, Zadarma's
    # NOTIFY_START about 2), and a late answer is worth nothing.
    sync_decision_deadline_ms: int = Field(default=1500, ge=50, le=10_000)
    # A webhook body that has not fully arrived after this long is cut off (408).
    webhook_read_timeout_seconds: float = Field(default=10.0, gt=0)

    # A call the PBX never finalizes is finalized by the sweep.
    finalize_after_legs_ended_seconds: int = 300
    finalize_after_silence_seconds: int = 7200
    sweep_interval_seconds: float = 15.0
    # Offers ring out, wrap-ups end and waiting calls are re-offered on this tick.
    dispatch_interval_seconds: float = Field(default=1.0, gt=0)

    # Reconciliation with the PBXs' call history (MANGO, Zadarma: where API credentials are set):
    # this often, and at once after an outage; the first run reads this far back.
    reconcile_interval_seconds: float = Field(default=1800.0, gt=0)
    reconcile_first_window_seconds: float = Field(default=7200.0, gt=0)
    reconcile_check_seconds: float = Field(default=30.0, gt=0)
    # Zadarma calls are checked against its call history once it has been read this far past the
    # call's end (the history lags): unknown ones are flagged ``unconfirmed``.
    reconcile_confirm_grace_seconds: float = Field(default=3600.0, ge=0)

    # Live clients (websockets).  A panel gone longer than the grace period logs its operator out.
    panel_grace_seconds: float = Field(default=30.0, gt=0)
    # Presence sweep, overdue callbacks and queue figures run on this tick; open panels are marked
    # alive every ``panel_refresh_seconds`` (keep it well under the grace period).
    realtime_interval_seconds: float = Field(default=1.0, gt=0)
    panel_refresh_seconds: float = Field(default=10.0, gt=0)
    event_retention_days: float = Field(default=7.0, gt=0)
    # The event bus re-reads the events table this often even without a notification.
    event_poll_seconds: float = Field(default=1.0, gt=0)
    ws_max_frame_bytes: int = Field(default=16 * 1024, gt=0)
    ws_messages_per_second: float = Field(default=10.0, gt=0)
    ws_message_burst: int = Field(default=30, gt=0)
    # Frames waiting to be sent to one socket; a client that falls this far behind is disconnected
    # (close code 4008) and resumes with ``since``.
    ws_send_queue_frames: int = Field(default=2000, gt=0)

    # A sign-in (POST /api/auth/login) lasts this long; the user's API token is not affected.
    session_hours: float = Field(default=12.0, gt=0)
    # Where the first start on an empty database writes the generated admin password (readable
    # by its owner only).  None: beside the SQLite file, or in the working directory on
    # PostgreSQL; "": no first admin (users come from ``callfunnel user add``).
    admin_password_file: str | None = None

    # Who may take over another manager's client or callback: ``logged`` (operators, explicitly;
    # every takeover logged) or ``supervisor`` (operators get 403 and ask a supervisor).
    takeover_policy: Literal["logged", "supervisor"] = "logged"

    # Recordings: listened to through callfunnel, fetched from the PBX on first listening and kept
    # in the cache directory (files readable by their owner only) until unused this many days or
    # the cache outgrows its size (least recently listened to first; examples are kept for good).
    recordings_enabled: bool = True
    # Hosts the generic protocol's recording links may point to (JSON list; none: no generic recordings).
    generic_recording_hosts: list[str] = Field(default_factory=list)
    recording_cache_dir: str = "recordings"
    recording_cache_days: float = Field(default=30.0, gt=0)
    recording_cache_max_mb: int = Field(default=2048, ge=1)
    playback_log_days: float = Field(default=365.0, gt=0)

    # Call lists: a manager's claim on a contact lapses after this without a result.
    list_claim_minutes: float = Field(default=30.0, gt=0)
    # A dial from a call list that brings no call from the PBX within this is ``dial_failed``.
    dial_confirm_seconds: float = Field(default=60.0, gt=0)

    # The funnel: a deal untouched this long gets a reminder task; checked (with refusal reopenings) this often.
    cadence_days: float = Field(default=7.0, gt=0)
    # The calls report: a call is resolved at first contact when the number does not call again within this.
    fcr_days: int = Field(default=7, ge=1, le=90)
    funnel_interval_seconds: float = Field(default=600.0, gt=0)

    # FastAPI's native OpenTelemetry (traces, metrics, logs) once a provider is configured; off by
    # default because even unconfigured it costs every request a provider lookup.
    opentelemetry: bool = False
    # Prometheus: ``GET /metrics`` answers only ``Authorization: Bearer <METRICS_TOKEN>`` (404 while
    # unset); ``METRICS_ENABLED=false`` stops counting altogether.
    metrics_token: str = ""
    metrics_enabled: bool = True
    log_level: str = "INFO"
    # A stopping server (SIGTERM) waits at most this long for requests and websockets to finish
    # (uvicorn's graceful-shutdown timeout, set by ``callfunnel serve``), then closes them.
    shutdown_seconds: int = Field(default=20, ge=1)
    # ``json``: one JSON object per line (for a log collector); ``text``: for a terminal.
    log_format: Literal["text", "json"] = "text"

    @model_validator(mode="after")
    def _dedup_outlives_the_replay_window(self) -> "Settings":
        if self.webhook_max_age_days > self.inbox_retention_days - 1:
            raise ValueError(
                f"WEBHOOK_MAX_AGE_DAYS ({self.webhook_max_age_days:g}) must be at least one day shorter than "
                f"INBOX_RETENTION_DAYS ({self.inbox_retention_days:g}): a webhook's dedup key is pruned with it, "
                "so an older redelivery must be refused by its date"
            )
        return self

    @field_validator("pbx_allowed_ips", mode="before")
    @classmethod
    def _parse_networks(cls, value: object) -> object:
        if isinstance(value, dict):
            return {vendor: [ip_network(str(n), strict=False) for n in nets] for vendor, nets in value.items()}
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
