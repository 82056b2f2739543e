"""Min profil: the logged-in staff member's own name and signature (the signature goes under their replies)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request
from werkzeug.wrappers import Response

from inbox_worker.features.tickets.edit import ActionError
from inbox_worker.features.tickets.reply import MAX_SIGNATURE, clean_signature
from inbox_worker.store import audit
from inbox_worker.web.context import db, now, staff

bp = Blueprint("profile", __name__)
MAX_NAME = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


@bp.get("/profile")
def profile() -> str:
    return render_template("profile.html", me=staff(), max_signature=MAX_SIGNATURE, max_name=MAX_NAME)


@bp.post("/profile")
def save_profile() -> Response | tuple[str, int]:
    member = staff()
    name = " ".join(_CONTROL.sub(" ", request.form.get("name", "")).split())
    try:
        if len(name) > MAX_NAME:
            raise ActionError(f"Navnet må højst være {MAX_NAME} tegn")
        signature = clean_signature(request.form.get("signature", ""))
    except ActionError as exc:
        flash(str(exc), "error")
        return render_template("profile.html", me=member, max_signature=MAX_SIGNATURE, max_name=MAX_NAME,
                               draft=request.form), 400
    changed = [field for field, value in (("name", name), ("signature", signature))
               if getattr(member, field) != value]
    if changed:
        details: dict[str, Any] = {"changed": changed}
        if "name" in changed:
            details.update(before=member.name, after=name)
        if "signature" in changed:
            details.update(signature_chars=len(signature))
        member.name, member.signature = name, signature
        audit.record(db(), member.initials, "profile", now(), **details)
        db().commit()
    flash("Profilen er gemt" if changed else "Intet at gemme: profilen er uændret", "ok")
    return redirect("/profile")
