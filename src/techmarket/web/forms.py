"""Plain HTML forms: read what was posted, and send a form back to its page with a
message next to each field it concerns.

A form handler reads the form, validates it with the same pydantic schema as the API,
calls the service, and redirects (POST → redirect → GET). When the schema or the service
refuses, it *raises* ``reject(...)``: the page is drawn at once (with what was typed and
the messages), and the request's transaction is rolled back as for any error — unless
the cause keeps its changes, as a failed login is recorded.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from techmarket.errors import DomainError
from techmarket.web import csrf, messages
from techmarket.web.templating import render

FORM_LEVEL = ""  # the key of messages about the form as a whole

FieldErrors = dict[str, list[str]]


async def read(request: Request, lists: Collection[str] = ()) -> dict[str, Any]:
    """The posted fields without the CSRF token; empty fields are left out (so a schema's
    defaults apply and required ones are reported missing); fields named in ``lists``
    (checkboxes, multiple selects) are lists."""
    form = await request.form()
    values: dict[str, Any] = {}
    for key in form:
        if key == csrf.FIELD:
            continue
        if key in lists:
            values[key] = [v for v in form.getlist(key) if v != ""]
        elif (value := form.get(key)) != "":
            values[key] = value
    return values


def field_errors(
    exc: DomainError | ValidationError,
    fields: Mapping[str, str] | None = None,
    messages_by_field: Mapping[str, str] | None = None,
) -> FieldErrors:
    """Messages in Chinese by field name. A validation error names its field itself
    (nested fields joined with dots: ``admin.email``); a domain error goes to the field
    ``fields`` maps its code to, else to the form as a whole."""
    found: FieldErrors = {}
    if isinstance(exc, ValidationError):
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"] if isinstance(part, str))
            text = (messages_by_field or {}).get(name) or messages.validation(error)
            if text not in found.setdefault(name, []):
                found[name].append(text)
    else:
        found[(fields or {}).get(exc.code, FORM_LEVEL)] = [messages.domain(exc)]
    return found


class FormRejected(DomainError):
    """A form drawn again with its messages; the error handler sends ``response``."""

    code, status, title = "form_rejected", 422, "The form has errors"

    def __init__(self, response: HTMLResponse, cause: DomainError | ValidationError) -> None:
        super().__init__()
        self.response = response
        self.keeps_changes = isinstance(cause, DomainError) and cause.keeps_changes  # type: ignore[misc]


def reject(
    request: Request,
    template: str,
    exc: DomainError | ValidationError,
    context: Mapping[str, Any],
    *,
    fields: Mapping[str, str] | None = None,
    messages_by_field: Mapping[str, str] | None = None,
) -> FormRejected:
    """The form page again, to be raised: ``context`` must hold ``form`` (what was typed);
    ``errors`` is added. Status 422 for invalid input (a wrong password too), else the
    domain error's own (409 for a conflict, 403 when not allowed, 429 with Retry-After)."""
    status, headers = 422, {}
    if isinstance(exc, DomainError) and exc.status not in (400, 401):
        status = exc.status
        headers = {k: v for k, v in exc.headers.items() if k != "WWW-Authenticate"}
    errors = field_errors(exc, fields, messages_by_field)
    response = render(
        request, template, {**context, "errors": errors}, status_code=status, headers=headers
    )
    return FormRejected(response, exc)
