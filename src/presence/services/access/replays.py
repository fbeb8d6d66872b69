"""A signed SOAP message is accepted once: the same envelope sent again is refused ("message already received").

A message is known by the digest of what its signature covers (`auth.wssecurity` computes it: the SHA-256 of
its canonical SignedInfo, which holds the digests of the Body and the Timestamp). It is remembered in the
`received_message` table, shared by every serving process through the database, until no replay of it could
pass the freshness check any more (`SignedMessage.keep_until`), then pruned: now and then by the requests
themselves, and by `presence purge`.

Where it is recorded, and why there: in the transaction that stores what the message asks for, as that
transaction's first statement, so the record and the effects commit together or not at all.

- A request refused before that transaction (not authenticated, not authorised, invalid) is not recorded: the
  same message sent again gets the same refusal. A tampered copy sent first cannot use up the genuine message.
- A message whose processing failed with a server error (SOA-00001, whose fault says it may be retried as it
  is) is not recorded either: the failure rolled the record back with everything else, so the client's retry is
  processed as if it were the first send.
- Of simultaneous sends of one message, on any number of processes, the insert-or-nothing keyed by the digest
  lets exactly one through; the others wait for its transaction (PostgreSQL's primary key, SQLite's single
  writer) and are refused once it commits, or go ahead if it was rolled back.

Consultations (search, get) change nothing: their message is recorded in a transaction of its own once their
answer is ready, before it is given, so a replayed consultation gets no answer either.

Requests authenticated by an OAuth bearer token instead of a signature are not concerned: the token is the
credential, valid until it expires, and the message itself carries no proof to remember.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ...db.bulk import insert_new
from ...db.engine import Database
from ...db.models import ReceivedMessage

PRUNE_CHANCE = 1 / 50  # of a recorded message also deleting the expired ones (as the token endpoint does)


class AlreadyReceived(Exception):
    """This signed message was accepted before, by this process or another."""

    def __init__(self) -> None:
        super().__init__("message already received")


@dataclass(frozen=True)
class SignedMessage:
    digest: str  # SHA-256 of what the signature covers, hex
    keep_until: datetime  # a replay could pass the freshness check until then


def record(session: Session, message: SignedMessage, now: datetime) -> None:
    """Remember the message in the caller's transaction; `AlreadyReceived` (roll back!) when it was before."""
    if not insert_new(session, ReceivedMessage.__table__,
                      {"digest": message.digest, "expires_at": message.keep_until}, ["digest"]):
        raise AlreadyReceived
    if random.random() < PRUNE_CHANCE:
        prune(session, now)


def record_alone(db: Database, message: SignedMessage, now: datetime) -> None:
    """Remember a message that changes nothing (a consultation), in a transaction of its own."""
    with db.writing() as session:
        record(session, message, now)


def prune(session: Session, now: datetime) -> int:
    """Forget the messages no replay of which could be accepted any more; how many."""
    return session.execute(ReceivedMessage.__table__.delete().where(ReceivedMessage.expires_at < now)).rowcount
