"""The registry's own tables: registrations, their validations, corrections, audit events, senders, the
web-service accounts with their certificates and OAuth tokens."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, Json, UTCDateTime

# What the migrations make differently on PostgreSQL, which the models cannot declare for both engines: the
# remark index table `registration_remark` and the triggers that keep it (`db.remarks`); and the monthly
# partitions of the registrations and their history (`db.partitions`), whose keys include the registration date:
# a primary key of (id, registration_date), and the history's foreign keys of (registration_id,
# registration_date), which follow a registration moved to another date.
POSTGRESQL_ONLY_TABLES = frozenset({"registration_remark"})
POSTGRESQL_HISTORY_KEYS = frozenset({"fk_validation_registration_id_registration",
                                     "fk_revision_registration_id_registration"})


class Registration(Base):
    """A presence registration. Its id is the receipt number (unique, increasing; on PostgreSQL the primary key
    also holds the date, as the monthly partitions need)."""

    __tablename__ = "registration"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    regime: Mapped[str] = mapped_column(String(8))  # day | clocking
    sector: Mapped[int | None] = mapped_column(SmallInteger)
    registration_date: Mapped[date] = mapped_column(Date)  # Belgian local date
    clocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # cleaning: the instant
    direction: Mapped[str | None] = mapped_column(String(3))  # cleaning: in | out
    inss: Mapped[str | None] = mapped_column(String(11))
    limosa_id: Mapped[str | None] = mapped_column(String(17))
    enterprise_number: Mapped[str | None] = mapped_column(String(10))
    foreign_vat: Mapped[str | None] = mapped_column(String(20))
    workplace: Mapped[str] = mapped_column(String(13))  # the work-declaration number
    client_reference: Mapped[str | None] = mapped_column(String(50))
    activity: Mapped[str | None] = mapped_column(String(16))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    post_code: Mapped[str | None] = mapped_column(String(4))
    municipality: Mapped[str | None] = mapped_column(String(100))
    street: Mapped[str | None] = mapped_column(String(150))
    house_number: Mapped[str | None] = mapped_column(String(20))
    box: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(12))
    sender_enterprise: Mapped[str | None] = mapped_column(String(20))
    sender_id: Mapped[str | None] = mapped_column(String(64))
    sender_user_type: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifecycle: Mapped[str] = mapped_column(String(10), default="registered")
    lifecycle_at: Mapped[datetime] = mapped_column(UTCDateTime)
    validity: Mapped[str] = mapped_column(String(8), default="pending")
    remark_codes: Mapped[str] = mapped_column(String(200), default="")  # of the last validation
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancellation_reason: Mapped[str | None] = mapped_column(String(15))
    # A check-in on a worker's phone, with his consent: whether he stood within the declared workplace's
    # radius (the coordinates themselves only when his employer keeps them). None: not asked, or no position.
    within_radius: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (
        Index("ix_registration_workplace_date", "workplace", "registration_date"),
        Index("ix_registration_inss_date", "inss", "registration_date"),
        Index("ix_registration_enterprise_date", "enterprise_number", "registration_date"),
        Index("ix_registration_foreign_vat_date", "foreign_vat", "registration_date"),
        Index("ix_registration_limosa_date", "limosa_id", "registration_date"),
        Index("ix_registration_date", "registration_date"),
        Index("ix_registration_sender", "sender_enterprise", "registration_date"),
        # Never reuse a receipt number, even after the newest registrations were purged.
        {"sqlite_autoincrement": True},
    )


class Validation(Base):
    """One run of the content checks on a registration (append-only history)."""

    __tablename__ = "validation"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    registration_date: Mapped[date] = mapped_column(Date)  # the registration's, its partition's key
    validated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    validity: Mapped[str] = mapped_column(String(8))  # valid | invalid
    remark_codes: Mapped[str] = mapped_column(String(200), default="")
    trigger: Mapped[str] = mapped_column(String(40))  # registration | source:<name> | correction | ...
    job_id: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (Index("ix_validation_registration", "registration_id", "id"),)


class Revision(Base):
    """A correction made by the back office: the values before and after (append-only)."""

    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registration.id", ondelete="CASCADE"))
    registration_date: Mapped[date] = mapped_column(Date)  # the registration's (after the correction)
    revised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    justification: Mapped[str] = mapped_column(Text)
    before: Mapped[dict] = mapped_column(Json)
    after: Mapped[dict] = mapped_column(Json)

    __table_args__ = (Index("ix_revision_registration", "registration_id", "id"),)


class AuditEvent(Base):
    """Every change: who, when, by which channel, what. Written in the transaction of the change."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_enterprise: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_ids: Mapped[list] = mapped_column(Json)  # the ids changed (a batch changes many)
    details: Mapped[dict] = mapped_column(Json, default=dict)

    __table_args__ = (Index("ix_audit_event_occurred", "occurred_at"),)


class Sender(Base):
    """An enterprise's sender (expeditor) number, as in the OAuth client id `self_service_expeditor_<N>`."""

    __tablename__ = "sender"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Account(Base):
    """An enterprise's web-service account (channel management, "Chaman"): a name, permissions (OAuth scopes)
    and certificates. Its OAuth client id is `self_service_expeditor_<N>`, N the enterprise's sender number, so
    an enterprise has at most one active account (the partial unique index); a revoked account keeps its row.
    """

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise: Mapped[str] = mapped_column(String(20))  # KBO/BCE number (10 digits) or foreign VAT number
    name: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(String(500))  # space-separated, as in OAuth (`domain.scopes`)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("uq_account_active_enterprise", "enterprise", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )


class Certificate(Base):
    """An X.509 authentication certificate an enterprise registered for its web-service account
    (`domain.certificates` says which).

    An enterprise may hold several (rollover). Revoking one sets `revoked_at`; the row stays, for the audit trail.
    `account_id` is the account it authenticates for OAuth; a certificate without account (registered for the
    SOAP channel alone) identifies its enterprise all the same.
    """

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise: Mapped[str] = mapped_column(String(20), index=True)  # KBO/BCE number or foreign VAT number
    name: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the DER, lowercase hex
    pem: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(500))  # RFC 4514
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    account_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("account.id"), index=True)


class UsedAssertion(Base):
    """A client assertion (JWT) already used at the token endpoint: its `jti` is refused until it expires."""

    __tablename__ = "used_assertion"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)  # kept until then, then pruned


class ReceivedMessage(Base):
    """A signed SOAP message already accepted: a replay of it is refused until `expires_at`, then it is pruned
    (`services.replays`)."""

    __tablename__ = "received_message"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of what its signature covers, hex
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AccessToken(Base):
    """An OAuth access token given by the token endpoint, by the SHA-256 of its value (never the value)."""

    __tablename__ = "access_token"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token, lowercase hex
    account_id: Mapped[int] = mapped_column(BigId, ForeignKey("account.id"), index=True)
    scopes: Mapped[str] = mapped_column(String(500))  # space-separated: those granted
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class User(Base):
    """A person who signs in to the web pages (the national register's people are `sources.models.Person`): a
    worker, an enterprise's staff, an inspector, a back-office agent.

    Built-in accounts (the embedded default and the simulation environment) have a password (Argon2id) and a
    one-time-code secret (TOTP); people signed in through OpenID Connect may have neither. `national_number`
    is the INSS or BIS number, the key every role and registration is about.
    """

    __tablename__ = "web_user"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    national_number: Mapped[str] = mapped_column(String(11), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)  # lower case
    language: Mapped[str | None] = mapped_column(String(2))  # fr | nl | de | en: the preferred one
    password_hash: Mapped[str | None] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))  # base32; set once the enrolment is confirmed
    totp_last_step: Mapped[int | None] = mapped_column(BigId)  # the last code's time step: never accepted twice
    staff: Mapped[str | None] = mapped_column(String(12))  # inspector | back_office: the service's own people
    # An enrolment link (created without a password): the SHA-256 of its token, valid until then.
    enrolment_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    enrolment_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    credentials_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecoveryCode(Base):
    """A single-use code that stands in for a one-time code when the phone is lost (by its SHA-256)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("web_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class UserSession(Base):
    """A signed-in browser: server-side, so that it can be ended at once (sign-out, sign-out everywhere).

    The cookie holds a random token; the table its SHA-256. It ends after `idle` without a request, at
    `expires_at` whatever happens, or when ended."""

    __tablename__ = "user_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("web_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(20))  # password+totp | recovery-code | openid-connect
    enterprise: Mapped[str | None] = mapped_column(String(20))  # the enterprise acted for; none: for himself
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RoleGrant(Base):
    """A role a person holds for an enterprise, granted by one of its access managers (`domain.visibility.Role`).

    The main access manager is not granted: he is the enterprise's legal representative in the enterprise
    register (a founder or mandatary). A grant ends on `ends_on` (included) or when revoked; the row stays."""

    __tablename__ = "role_grant"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise: Mapped[str] = mapped_column(String(20), index=True)  # KBO/BCE number or foreign VAT number
    national_number: Mapped[str] = mapped_column(String(11), index=True)
    role: Mapped[str] = mapped_column(String(30))
    ends_on: Mapped[date | None] = mapped_column(Date)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    granted_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("web_user.id"))  # none: the operator
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("web_user.id"))


class Passkey(Base):
    """A passkey (WebAuthn credential) a person signs in with instead of a password and a one-time code: the
    authenticator checks him (fingerprint, face, PIN) and signs the registry's challenge."""

    __tablename__ = "passkey"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("web_user.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url, as browsers send it
    public_key: Mapped[str] = mapped_column(Text)  # COSE, base64url
    sign_count: Mapped[int] = mapped_column(BigId, default=0)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebAuthnChallenge(Base):
    """A challenge given to a browser for a passkey ceremony: good once, for a few minutes."""

    __tablename__ = "webauthn_challenge"

    challenge: Mapped[str] = mapped_column(String(100), primary_key=True)  # base64url
    purpose: Mapped[str] = mapped_column(String(12))  # register | sign-in
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("web_user.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class EnterpriseSetting(Base):
    """What an enterprise decided for its workers' check-ins (cleaning): whether their phones' positions are
    kept, as their employment contracts may say; by default only whether they stood on the workplace."""

    __tablename__ = "enterprise_setting"

    enterprise: Mapped[str] = mapped_column(String(20), primary_key=True)
    keep_positions: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64))


class ErrorReport(Base):
    """A worker tells his employer, within 30 days, that one of his registrations is wrong and what it should
    be; the employer then asks the back office for a correction."""

    __tablename__ = "error_report"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    registration_id: Mapped[int] = mapped_column(BigId, index=True)
    registration_date: Mapped[date] = mapped_column(Date)
    inss: Mapped[str] = mapped_column(String(11))  # the worker who reports (his own registration)
    employer: Mapped[str] = mapped_column(String(20), index=True)  # to whom: the registration's enterprise
    what_is_wrong: Mapped[str] = mapped_column(Text)
    should_be: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    request_id: Mapped[int | None] = mapped_column(BigId)  # the correction request the employer made of it


class CorrectionRequest(Base):
    """An employer's (or a self-employed person's) request to the back office to correct a registration,
    within 30 days of its date, with supporting documents; approved (the registration edited) or rejected."""

    __tablename__ = "correction_request"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    registration_id: Mapped[int] = mapped_column(BigId, index=True)
    registration_date: Mapped[date] = mapped_column(Date)
    requester_enterprise: Mapped[str | None] = mapped_column(String(20), index=True)
    requester_inss: Mapped[str | None] = mapped_column(String(11))  # a self-employed person asking himself
    requester_id: Mapped[str] = mapped_column(String(64))  # the user who sent it
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the instant it should be
    corrected_direction: Mapped[str | None] = mapped_column(String(3))  # in | out, as it should be
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answer_by: Mapped[date] = mapped_column(Date)  # the back office answers by then (*ours*)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | rejected
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    error_report_id: Mapped[int | None] = mapped_column(BigId)


class CorrectionDocument(Base):
    """A supporting document of a correction request: a PDF, JPEG or PNG, checked by its content."""

    __tablename__ = "correction_document"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("correction_request.id", ondelete="CASCADE"),
                                            index=True)
    name: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class GatewayDevice(Base):
    """A gateway kiosk enrolled by a declaring contractor for one of its workplaces: its public key (the private
    key never leaves the kiosk), and where its chain of offline entries stands (`domain.gateway_entries`)."""

    __tablename__ = "gateway_device"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    enterprise: Mapped[str] = mapped_column(String(20), index=True)
    workplace: Mapped[str] = mapped_column(String(13))
    name: Mapped[str] = mapped_column(String(100))
    public_key: Mapped[str] = mapped_column(Text)  # PEM, EC P-256
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    enrolled_by: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_counter: Mapped[int] = mapped_column(BigId, default=0)
    last_digest: Mapped[str] = mapped_column(String(64))
    last_made_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
