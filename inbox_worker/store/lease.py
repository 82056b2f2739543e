"""One worker per mailbox: a lease row in mailbox_state, taken and renewed in short transactions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import MailboxState


def _ensure_row(session: Session, mailbox: str, now: datetime) -> None:
    if session.get(MailboxState, mailbox) is None:
        session.add(MailboxState(mailbox=mailbox, last_uid=0, updated_at=now))
        try:
            session.commit()
        except IntegrityError:  # another worker created it first
            session.rollback()


def acquire(engine: Engine, mailbox: str, owner: str, now: datetime, seconds: int) -> bool:
    """Take (or renew) the lease; False while another live worker holds it."""
    with Session(engine) as session:
        _ensure_row(session, mailbox, now)
        result = session.execute(
            update(MailboxState)
            .where(MailboxState.mailbox == mailbox,
                   or_(MailboxState.lease_owner.is_(None), MailboxState.lease_owner == owner,
                       MailboxState.lease_until < now))
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
            session.add(MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=0, updated_at=now))
            return False
        changed = state.uidvalidity is not None and state.uidvalidity != uidvalidity
        if changed or state.uidvalidity is None:
            state.uidvalidity, state.updated_at = uidvalidity, now
            if changed:
                state.last_uid = 0
        return changed
