"""What a kiosk keeps on its disk, in its data folder:

- `kiosk-key.pem`: its private key (EC P-256), made on the machine and never sent anywhere (only readable by its
  owner);
- `kiosk.json`: which registry, which kiosk it is there, its workplace and the enterprises on it (nothing
  personal);
- `kiosk.db` (SQLite): the chain's head (the last entry's counter and digest), the entries that wait to be sent,
  in the order they were made, and what the registry refused (counter, instant, reason: nothing personal).

An entry is a person's registration, so it holds his number: it is deleted as soon as the registry has answered
for it, and SQLite overwrites what it deletes (`secure_delete`). Making an entry moves the head in the same
transaction that queues it: the counter only goes up, even across a crash."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ..domain.gateway_entries import GENESIS, Entry, fingerprint, sign
from ..domain.texts import N_

SCHEMA = """
create table if not exists head (id integer primary key check (id = 1), counter integer not null, digest text not null);
create table if not exists queue (position integer primary key autoincrement, counter integer not null,
                                  entry text not null, sent integer not null default 0);
create table if not exists refusal (id integer primary key autoincrement, counter integer not null,
                                    made_at text not null, reason text not null, noticed_at text not null);
"""
KEEP_REFUSALS = 100
SPOILT = N_("spoilt on this kiosk's disk: it is no entry any more")
NOT_SENT = N_("not sent: the kiosk was set up anew")


@dataclass
class Enrolment:
    """Which kiosk this is at which registry, once set up."""

    server: str
    kiosk: int
    name: str
    workplace: str
    address: str
    enterprise: str
    chain: list[dict] = field(default_factory=list)  # [{"number", "name"}] of the workplace's enterprises
    revoked: bool = False


@dataclass(frozen=True)
class Queued:
    """An entry that waits, with its place in the queue, and whether it was sent before without an answer."""

    position: int
    entry: Entry
    sent: bool


@dataclass(frozen=True)
class Refusal:
    counter: int
    made_at: str
    reason: str
    noticed_at: str


class KioskStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # the queue holds national numbers: its owner's only
        self._lock = threading.RLock()
        database = self.folder / "kiosk.db"
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))
        self._db = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
        self._db.execute("pragma secure_delete = on")
        self._db.executescript(SCHEMA)
        self._db.execute("insert or ignore into head values (1, 0, ?)", (GENESIS,))
        self.key = self._key()
        self._enrolment = self._read_enrolment()

    # --- the key and the enrolment -------------------------------------------------------------------------------

    def _key(self) -> ec.EllipticCurvePrivateKey:
        path = self.folder / "kiosk-key.pem"
        if path.exists():
            return serialization.load_pem_private_key(path.read_bytes(), password=None)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(pem)
        return key

    @property
    def public_pem(self) -> str:
        return self.key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_pem)

    def _read_enrolment(self) -> Enrolment | None:
        path = self.folder / "kiosk.json"
        return Enrolment(**json.loads(path.read_text())) if path.exists() else None

    def enrolment(self) -> Enrolment | None:
        """The kiosk's set-up, read from disk once (every screen asks for it); changed through `save_enrolment`."""
        return self._enrolment

    def save_enrolment(self, enrolment: Enrolment) -> None:
        path = self.folder / "kiosk.json"
        with self._lock:
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(asdict(enrolment), indent=1))
            temporary.replace(path)
            self._enrolment = enrolment

    def start_again(self, now: datetime) -> None:
        """After the kiosk was revoked: a new key, no enrolment, an empty chain (to be set up anew). What still
        waits is noted as not sent."""
        with self._lock:
            for name in ("kiosk.json", "kiosk-key.pem"):
                (self.folder / name).unlink(missing_ok=True)
            self._enrolment = None
            self._db.execute("begin immediate")
            self._db.execute("insert into refusal (counter, made_at, reason, noticed_at) select counter, "
                             "coalesce(json_extract(entry, '$.made_at'), ''), ?, ? from queue order by position",
                             (NOT_SENT, now.isoformat()))
            self._db.execute("delete from queue")
            self._db.execute("update head set counter = 0, digest = ?", (GENESIS,))
            self._db.execute("commit")
            self.key = self._key()

    # --- the chain and its queue ---------------------------------------------------------------------------------

    def make(self, made_at: datetime, workplace: str, inss: str | None, limosa_id: str | None,
             enterprise: str | None) -> Entry:
        """A registration made on the kiosk: signed, numbered after the last one, chained to it and queued, in
        one transaction."""
        with self._lock:
            self._db.execute("begin immediate")
            try:
                counter, previous = self._db.execute("select counter, digest from head").fetchone()
                entry = sign(Entry(counter + 1, made_at.isoformat(), workplace, inss, limosa_id, enterprise,
                                   previous), self.key)
                self._db.execute("update head set counter = ?, digest = ?", (entry.counter, entry.digest()))
                self._db.execute("insert into queue (counter, entry) values (?, ?)",
                                 (entry.counter, json.dumps(asdict(entry))))
                self._db.execute("commit")
            except BaseException:
                self._db.execute("rollback")
                raise
            return entry

    def waiting(self, now: datetime, limit: int = 100) -> list[Queued]:
        """The first entries to send, in the order they are stored. One that is not even an entry any more
        (spoilt on disk) leaves the queue, noted as refused."""
        with self._lock:
            rows = self._db.execute("select position, counter, entry, sent from queue order by position limit ?",
                                    (limit,)).fetchall()
            found = []
            for position, counter, text, sent in rows:
                try:
                    found.append(Queued(position, Entry(**json.loads(text)), bool(sent)))
                except (ValueError, TypeError):
                    self.spoilt(position, counter, now)
            return found

    def spoilt(self, position: int, counter: int, now: datetime) -> None:
        with self._lock:
            self._db.execute("begin immediate")
            self._db.execute("delete from queue where position = ?", (position,))
            self._db.execute("insert into refusal (counter, made_at, reason, noticed_at) values (?, '', ?, ?)",
                             (counter, SPOILT, now.isoformat()))
            self._db.execute("commit")

    def mark_sent(self, queued: list[Queued]) -> None:
        """Sent, without an answer: the registry may have taken them all the same."""
        with self._lock:
            self._db.executemany("update queue set sent = 1 where position = ?", [(q.position,) for q in queued])

    def count_waiting(self) -> int:
        with self._lock:
            return self._db.execute("select count(*) from queue").fetchone()[0]

    def answered(self, sent: list[Queued], refusals: dict[int, str], now: datetime,
                 go_on_from: str | None = None) -> None:
        """The registry answered for these entries (`refusals` by place in the queue): they leave the queue;
        those it refused are noted (what it said, never who). `go_on_from`: the digest of the last entry the
        registry took, to chain the next one to, in the same transaction (after refusals)."""
        with self._lock:
            self._db.execute("begin immediate")
            for queued in sent:
                self._db.execute("delete from queue where position = ?", (queued.position,))
                if queued.position in refusals:
                    self._db.execute("insert into refusal (counter, made_at, reason, noticed_at) values (?, ?, ?, ?)",
                                     (queued.entry.counter, queued.entry.made_at, refusals[queued.position],
                                      now.isoformat()))
            self._db.execute("delete from refusal where id <= (select max(id) from refusal) - ?", (KEEP_REFUSALS,))
            if go_on_from is not None:
                self._db.execute("update head set digest = ?", (go_on_from,))
            self._db.execute("commit")

    def go_on_from(self, digest: str) -> None:
        """Chain the next entry to the last one the registry took (when set up, or taken back)."""
        with self._lock:
            self._db.execute("update head set digest = ?", (digest,))

    def head(self) -> tuple[int, str]:
        with self._lock:
            return self._db.execute("select counter, digest from head").fetchone()

    def refusals(self) -> list[Refusal]:
        with self._lock:
            return [Refusal(*row) for row in self._db.execute(
                "select counter, made_at, reason, noticed_at from refusal order by id desc")]

    def count_refusals(self) -> int:
        with self._lock:
            return self._db.execute("select count(*) from refusal").fetchone()[0]

    def clear_refusals(self) -> None:
        with self._lock:
            self._db.execute("delete from refusal")

    def close(self) -> None:
        self._db.close()
