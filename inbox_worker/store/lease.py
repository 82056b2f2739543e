"""One worker per mailbox: a lease row in mailbox_state, taken and renewed in short transactions."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox_worker.store.models import MailboxState


def _ensure_row(session: Session, mailbox: str, now: datetime) -> None:
    if session.get(MailboxState, mailbox) is None:
        session.add(MailboxState(mailbox=mailbox, updated_at=now))
        try:
            session.commit()
        except IntegrityError:  # another worker created it first
            session.rollback()


def owner_is_dead(owner: str | None) -> bool:
    """True for a lease taken by a process of this host that no longer runs (it crashed or was killed)."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(engine: Engine, mailbox: str, owner: str, now: datetime, seconds: int) -> bool:
    """Take (or renew) the lease; False while another live worker holds it."""
    with Session(engine) as session:
        _ensure_row(session, mailbox, now)
        current = session.scalar(select(MailboxState.lease_owner).where(MailboxState.mailbox == mailbox))
        holders = [MailboxState.lease_owner.is_(None), MailboxState.lease_owner == owner,
                   MailboxState.lease_until < now]
        if current not in (None, owner) and owner_is_dead(current):
            holders.append(MailboxState.lease_owner == current)  # compare-and-set on the dead owner
        result = session.execute(
            update(MailboxState).where(MailboxState.mailbox == mailbox, or_(*holders))
            .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds))
        )
        session.commit()
        return bool(getattr(result, "rowcount", 0))


def release(engine: Engine, mailbox: str, owner: str) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(MailboxState)
                        .where(MailboxState.mailbox == mailbox, MailboxState.lease_owner == owner)
                        .values(lease_owner=None, lease_until=None))


def check_uidvalidity(engine: Engine, mailbox: str, uidvalidity: int, now: datetime) -> bool:
    """Record the folder's UIDVALIDITY; True when it changed (every UID we knew is meaningless now)."""
    with Session(engine) as session, session.begin():
        state = session.scalar(select(MailboxState).where(MailboxState.mailbox == mailbox).with_for_update())
        if state is None:
            session.add(MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, updated_at=now))
            return False
        changed = state.uidvalidity is not None and state.uidvalidity != uidvalidity
        if changed or state.uidvalidity is None:
            state.uidvalidity, state.updated_at = uidvalidity, now
        return changed
