"""A ticket from an unknown sender: create the customer, add the sender as a contact or an alias, or take a
suggestion; each links the ticket to the result in the same transaction, through `ticket_actions.act`.

The panel itself (`_customer_link.html`) gets its facts from the template global `sender_panel(t)`, read
only for a ticket whose sender is nobody's address.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, request
from sqlalchemy import select

from inbox_worker.errors import UserError
from inbox_worker.features.customers import create
from inbox_worker.features.customers.sender import SenderPanel
from inbox_worker.features.customers.sender import sender_panel as read_panel
from inbox_worker.features.tickets import edit as ticket_edit
from inbox_worker.mail import rulebook
from inbox_worker.store.models import Customer, Ticket
from inbox_worker.web.context import db, now, web
from inbox_worker.web.ticket_actions import ActionResult, act

bp = Blueprint("senders", __name__, url_prefix="/tickets/<int:number>/sender")


def _form(name: str) -> str:
    return request.form.get(name, "").strip()[:500]


@bp.app_template_global("sender_panel")
def sender_panel(ticket: Ticket) -> SenderPanel | None:
    """The unknown-sender panel's facts, or None when the sender is known (the page shows the link form only)."""
    free_mail = rulebook.link(Path(web().settings.paths.rules)).free_mail_domains
    return read_panel(db(), ticket, free_mail)


def _sender(ticket: Ticket) -> str:
    if not ticket.from_address:
        raise UserError("Sagen har ingen afsenderadresse")
    return ticket.from_address


def _create_customer(ticket: Ticket, me: str) -> None:
    customer = create.create_customer(db(), _form("key"), _form("name"), _form("domain"), _form("language") or "da",
                                      me, now(), ticket=ticket.id)
    contact = None
    if _form("contact") == "1":
        contact = create.add_contact(db(), customer.key, _sender(ticket), _form("contact_name"),
                                     _form("language") or "da", me, now(), ticket=ticket.id).email
    ticket_edit.link_customer(db(), ticket, customer.key, contact, False, me, now())


def _add_contact(ticket: Ticket, me: str) -> None:
    contact = create.add_contact(db(), _form("customer"), _form("email") or _sender(ticket), _form("name"),
                                 _form("language") or "da", me, now(), ticket=ticket.id)
    ticket_edit.link_customer(db(), ticket, _form("customer"), contact.email, False, me, now())


def _add_alias(ticket: Ticket, me: str) -> None:
    _sender(ticket)
    owner = create.address_owner(db(), _form("contact"))
    if owner is None or owner.email != _form("contact").lower():
        raise UserError("Vælg den kontakt, adressen skal være alias for")
    key = db().scalar(select(Customer.key).where(Customer.id == owner.customer_id))
    ticket_edit.link_customer(db(), ticket, str(key), owner.email, True, me, now())


def _take_suggestion(ticket: Ticket, me: str) -> None:
    ticket_edit.link_customer(db(), ticket, _form("customer"), None, False, me, now())
    if _form("device"):
        ticket_edit.link_device(db(), ticket, _form("device"), me, now())


@bp.post("/customer")
def new_customer(number: int) -> ActionResult:
    return act(number, _create_customer, "Kunden er oprettet, og sagen er koblet til den")


@bp.post("/contact")
def new_contact(number: int) -> ActionResult:
    return act(number, _add_contact, "Kontakten er oprettet, og sagen er koblet til den")


@bp.post("/alias")
def new_alias(number: int) -> ActionResult:
    return act(number, _add_alias, "Adressen er tilføjet som alias, og sagen er koblet til kontakten")


@bp.post("/suggestion")
def suggestion(number: int) -> ActionResult:
    return act(number, _take_suggestion, "Sagen er koblet efter forslaget")
