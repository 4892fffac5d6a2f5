"""The registry of problem codes: every `code` an error response can carry, for every package.

Pure data. Clients switch on `code`; this table is the contract, and docs/API.md's table of
codes is generated from it (`python -m server.docs`). The feature packages'
codes (sync, delivery_notes, billing) are listed here too, marked with their package: the
registry is data, so listing them costs the server no import of those packages, and one
table is the whole contract. tests/unit/test_problem_registry.py fails when a package
raises a code that is not registered here (or with another status), when a registered code
is raised nowhere, and when docs/API.md's table differs from this one.

`status` is the HTTP status the code is answered with; `title` the problem's short title
(the `title` member carries the raising class's title, e.g. "Conflict" for every 409);
`description` says when a client meets it.
"""

from typing import NamedTuple


class Problem(NamedTuple):
    code: str
    status: int | tuple[int, ...]
    title: str
    description: str
    package: str = "server"

    @property
    def statuses(self) -> tuple[int, ...]:
        return self.status if isinstance(self.status, tuple) else (self.status,)


_S, _Y, _D, _B = "server", "sync", "delivery_notes", "billing"

PROBLEMS: tuple[Problem, ...] = (
    # Generic codes: the HTTP errors raised by Flask, werkzeug and the error classes.
    Problem(
        "bad_request",
        400,
        "Bad request",
        "malformed JSON (also NaN, Infinity, too deep) or another bad request",
    ),
    Problem(
        "not_authenticated", 401, "Not authenticated", "no or malformed `Authorization` header"
    ),
    Problem("forbidden", 403, "Forbidden", "the caller's role may not do this"),
    Problem("not_found", 404, "Not found", "unknown, or outside the caller's scope"),
    Problem(
        "method_not_allowed",
        405,
        "Method not allowed",
        "the path exists but not with this method; see `Allow`",
    ),
    Problem(
        "not_acceptable", 406, "Not acceptable", "no representation matches the `Accept` header"
    ),
    Problem("conflict", 409, "Conflict", "the request conflicts with the current state"),
    Problem(
        "payload_too_large",
        413,
        "Payload too large",
        "the body (or a file in it) is over its limit, with or without a Content-Length",
    ),
    Problem(
        "unsupported_media_type",
        415,
        "Unsupported media type",
        "send the body as `application/json` (or the type the endpoint takes)",
    ),
    Problem(
        "validation_failed",
        422,
        "Validation failed",
        "the input did not validate; see `errors` (also a NUL character in any string)",
    ),
    Problem("too_many_requests", 429, "Too many requests", "slow down; see `Retry-After`"),
    Problem(
        "internal_error",
        500,
        "Internal server error",
        "logged with the trace; the response carries none",
    ),
    Problem(
        "service_unavailable",
        503,
        "Service unavailable",
        "the service cannot answer now; retry later",
    ),
    Problem(
        "database_unavailable",
        503,
        "Service unavailable",
        "the database could not be reached or the connection was lost; nothing saved; "
        "retry after `Retry-After`",
    ),
    Problem(
        "insufficient_storage",
        507,
        "Insufficient storage",
        "the file store is full, read-only or unwritable; nothing recorded",
    ),
    Problem(
        "http_error",
        400,
        "HTTP error",
        "any other HTTP error status (its `status` member says which)",
    ),
    # Authentication.
    Problem(
        "invalid_credentials",
        401,
        "Not authenticated",
        "wrong email or password (never says which)",
    ),
    Problem("token_expired", 401, "Not authenticated", "the access or refresh token expired"),
    Problem(
        "token_invalid",
        401,
        "Not authenticated",
        "bad token: signature, claims, algorithm or audience, or a `sub` that is not a user id",
    ),
    Problem(
        "token_reused",
        401,
        "Not authenticated",
        "a rotated refresh token was presented again: every session of that device is revoked",
    ),
    Problem(
        "token_revoked",
        401,
        "Not authenticated",
        "the session or the account was revoked or deactivated",
    ),
    Problem("device_revoked", 401, "Not authenticated", "the device was revoked by staff"),
    Problem(
        "login_throttled",
        429,
        "Too many requests",
        "too many failed logins from this address for this account, for the account, or "
        "from this address overall; see `Retry-After`",
    ),
    # People, properties, settings.
    Problem("email_taken", 409, "Conflict", "a user with this email exists"),
    Problem("department_exists", 409, "Conflict", "a department with this name exists"),
    Problem(
        "tenancy_overlap",
        409,
        "Conflict",
        "the tenant already has a tenancy of this unit in that period",
    ),
    Problem("ticket_type_exists", 409, "Conflict", "a ticket type with this name exists"),
    Problem(
        "certificate_not_found",
        404,
        "Not found",
        "unknown certificate, or outside the caller's scope",
    ),
    Problem("certificate_replaced", 409, "Conflict", "the certificate was already renewed"),
    Problem("canned_response_not_found", 404, "Not found", "unknown canned response"),
    Problem("holiday_exists", 409, "Conflict", "this day is a holiday already"),
    # Tickets and their workflow.
    Problem("ticket_not_found", 404, "Not found", "no such ticket in the caller's scope"),
    Problem(
        "ticket_not_triaged",
        409,
        "Conflict",
        "set the ticket's type and priority (triage) before any other update",
    ),
    Problem("unknown_status", 409, "Conflict", "the target status does not exist"),
    Problem("status_unchanged", 409, "Conflict", "the ticket is already in that status"),
    Problem(
        "illegal_status_move",
        409,
        "Conflict",
        "the workflow does not allow this move from the ticket's status",
    ),
    Problem(
        "forbidden_status_move",
        403,
        "Forbidden",
        "the caller's role may never make this status move",
    ),
    Problem(
        "ticket_awaiting_payment",
        409,
        "Conflict",
        "a chargeable ticket cannot close before its invoice is paid",
    ),
    Problem(
        "already_assigned", 409, "Conflict", "the contractor is already assigned to the ticket"
    ),
    Problem("not_assigned", 404, "Not found", "the contractor is not assigned to the ticket"),
    # Attachments.
    Problem("attachment_not_found", 404, "Not found", "no such attachment visible to the caller"),
    Problem(
        "attachment_not_uploaded",
        404,
        "Not found",
        "the attachment record exists but its bytes have not arrived",
    ),
    Problem(
        "attachment_type_refused",
        415,
        "Unsupported media type",
        "the sniffed type is not in `ATTACHMENT_TYPES`",
    ),
    Problem(
        "attachment_type_mismatch",
        415,
        "Unsupported media type",
        "the sniffed type differs from the declared Content-Type",
    ),
    Problem(
        "not_message_author",
        403,
        "Forbidden",
        "files are attached to the caller's own messages only",
    ),
    Problem(
        "content_digest_required",
        400,
        "Content-Digest problem",
        "bytes uploads need `Content-Digest: sha-256=:<base64>:`",
    ),
    Problem(
        "content_digest_invalid",
        400,
        "Content-Digest problem",
        "the Content-Digest header is malformed",
        _Y,
    ),
    Problem(
        "content_digest_mismatch",
        400,
        "Bad request",
        "the bytes do not hash to their Content-Digest or the record's sha256",
    ),
    # Mail in and signup.
    Problem(
        "mail_secret_invalid",
        401,
        "Not authenticated",
        "the MTA endpoint needs the correct `X-Fieldline-Mail-Secret`",
    ),
    Problem("inbound_mail_not_found", 404, "Not found", "no such quarantined mail"),
    Problem(
        "inbound_mail_not_kept",
        (404, 409),
        "Not found",
        "the mail was too large to keep: 404 reading it, 409 deciding on it",
    ),
    Problem(
        "inbound_mail_decided",
        409,
        "Conflict",
        "the quarantined mail was already posted or discarded",
    ),
    Problem(
        "inbound_mail_not_postable",
        409,
        "Conflict",
        "the quarantined mail cannot be posted to a ticket",
    ),
    Problem(
        "signup_throttled",
        429,
        "Too many requests",
        "too many username requests from this address or email; see `Retry-After`",
    ),
    Problem("signup_request_not_found", 404, "Not found", "no such signup request"),
    Problem(
        "signup_decided", 409, "Conflict", "the signup request was already approved or rejected"
    ),
    Problem(
        "password_link_invalid", 400, "Bad request", "the set-password link is not valid (any more)"
    ),
    Problem(
        "password_link_expired",
        400,
        "Bad request",
        "the set-password link expired; ask for a new one",
    ),
    # Sync.
    Problem(
        "unsupported_schema_version",
        400,
        "Unsupported schema version",
        "the device's schema version is not served",
        _Y,
    ),
    Problem(
        "sync_bad_push",
        400,
        "Malformed push",
        "the push body is not shaped as tables of created/updated/deleted",
        _Y,
    ),
    Problem(
        "sync_unknown_table",
        400,
        "Malformed push",
        "the push names a table the server does not sync",
        _Y,
    ),
    Problem(
        "sync_unknown_ticket",
        422,
        "Validation failed",
        "the push refers to tickets the device never had",
        _Y,
    ),
    Problem(
        "sync_id_conflict", 409, "Conflict", "a pushed id belongs to another user's record", _Y
    ),
    Problem(
        "signature_not_png",
        415,
        "Unsupported media type",
        "a signature's bytes are not a PNG image",
        _Y,
    ),
    Problem(
        "signature_image_invalid",
        422,
        "Validation failed",
        "a signature PNG is too large or malformed",
        _Y,
    ),
    # Delivery notes.
    Problem(
        "delivery_note_not_found",
        404,
        "Not found",
        "no such delivery note in the caller's scope",
        _D,
    ),
    Problem(
        "note_not_ready",
        409,
        "Delivery note not ready",
        "the signature has not arrived yet; the PDF is made when it does",
        _D,
    ),
    Problem(
        "note_not_renderable",
        409,
        "Delivery note cannot be rendered",
        "the stored note cannot make a PDF (broken signature image, missing rows)",
        _D,
    ),
    # Billing.
    Problem(
        "labour_category_exists", 409, "Conflict", "a labour category with this name exists", _B
    ),
    Problem("labour_category_not_found", 404, "Not found", "no such labour category", _B),
    Problem("contractor_not_found", 404, "Not found", "no such contractor", _B),
    Problem("invoice_not_found", 404, "Not found", "no such invoice", _B),
    Problem("ticket_not_chargeable", 409, "Conflict", "only chargeable tickets are invoiced", _B),
    Problem(
        "nothing_to_invoice", 409, "Conflict", "the ticket has no chargeable work to invoice", _B
    ),
    Problem("invoice_not_draft", 409, "Conflict", "only a draft can be issued or discarded", _B),
    Problem(
        "invoice_not_creditable",
        409,
        "Conflict",
        "a credit note, a draft or an invoice already credited cannot be credited",
        _B,
    ),
    Problem("invoice_not_issued", 409, "Conflict", "a draft has no e-invoice; issue it first", _B),
    Problem(
        "einvoice_not_configured",
        409,
        "Conflict",
        "e-invoices need the seller's VAT id: set `AGENCY_VAT_ID`",
        _B,
    ),
    Problem(
        "url_refused",
        422,
        "Validation failed",
        "the webhook URL is not allowed (scheme, credentials, private address)",
        _B,
    ),
    Problem("endpoint_not_found", 404, "Not found", "no such webhook endpoint", _B),
    Problem("delivery_not_found", 404, "Not found", "no such webhook delivery", _B),
    Problem(
        "delivery_in_progress", 409, "Conflict", "the webhook delivery is still being tried", _B
    ),
    Problem(
        "endpoint_disabled",
        409,
        "Conflict",
        "the webhook endpoint is disabled; enable it before redelivering",
        _B,
    ),
    Problem(
        "erp_not_configured",
        401,
        "Not authenticated",
        "payments are refused until `ERP_INBOUND_SECRET` is set",
        _B,
    ),
    Problem(
        "webhook_missing_headers",
        401,
        "Not authenticated",
        "webhook-id, webhook-timestamp and webhook-signature are required",
        _B,
    ),
    Problem(
        "webhook_bad_timestamp",
        401,
        "Not authenticated",
        "webhook-timestamp is not Unix seconds",
        _B,
    ),
    Problem(
        "webhook_stale_timestamp",
        401,
        "Not authenticated",
        "webhook-timestamp is outside `ERP_TIMESTAMP_TOLERANCE_SECONDS`",
        _B,
    ),
    Problem(
        "webhook_bad_signature",
        401,
        "Not authenticated",
        "no webhook-signature matches the ERP secret",
        _B,
    ),
    Problem("malformed_json", 400, "Bad request", "the payment report is not a JSON object", _B),
    Problem(
        "unknown_invoice",
        422,
        "Payment refused",
        "the payment names no known invoice (kept for staff)",
        _B,
    ),
    Problem(
        "currency_mismatch",
        422,
        "Payment refused",
        "the payment's currency differs from the invoice's (kept for staff)",
        _B,
    ),
    Problem(
        "invoice_not_payable",
        422,
        "Payment refused",
        "the invoice takes no payments in its status (kept for staff)",
        _B,
    ),
    Problem(
        "overpayment",
        422,
        "Payment refused",
        "the payment is more than the outstanding amount (kept for staff)",
        _B,
    ),
    Problem(
        "idempotency_key_invalid",
        400,
        "Bad request",
        "`Idempotency-Key` is not 1-255 printable ASCII characters (a quoted string or token)",
        _S,
    ),
    Problem(
        "idempotency_key_reused",
        422,
        "Validation failed",
        "the same user's `Idempotency-Key` was used before for another method, path or body",
        _S,
    ),
    Problem(
        "idempotency_key_in_use",
        409,
        "Conflict",
        "a request with this `Idempotency-Key` is still running",
        _S,
    ),
    Problem(
        "credit_exceeds_invoice",
        422,
        "Validation failed",
        (
            "a credit line is unknown, repeated, zero, over 3 decimals or more than is left "
            "to credit (see `errors.lines.<i>`)"
        ),
        _B,
    ),
    Problem(
        "nothing_to_credit",
        422,
        "Validation failed",
        "nothing is left to credit on the invoice",
        _B,
    ),
    Problem(
        "invoice_too_large",
        409,
        "Conflict",
        "the ticket's work adds up to more than one invoice holds (999,999,999,999.99)",
        _B,
    ),
    Problem(
        "held_work_not_found",
        404,
        "Not found",
        "no such held record (or an unknown kind) on this ticket",
        _Y,
    ),
    Problem(
        "held_work_decided",
        409,
        "Conflict",
        "this held work was already approved or rejected",
        _Y,
    ),
    Problem(
        "invoice_has_warnings",
        409,
        "Conflict",
        "issuing a draft with warnings (listed in `errors.warnings`) without `force`",
        _B,
    ),
    Problem(
        "seller_vat_id_missing",
        409,
        "Conflict",
        "issuing an invoice that charges VAT while `AGENCY_VAT_ID` is not set",
        _B,
    ),
    Problem(
        "bill_to_locked",
        409,
        "Conflict",
        "changing a ticket's bill-to after one of its invoices was issued",
        _B,
    ),
    Problem(
        "customer_not_found",
        404,
        "Not found",
        "unknown customer id",
        _B,
    ),
    Problem(
        "invoice_line_not_found",
        404,
        "Not found",
        "the line is not on that invoice",
        _B,
    ),
    Problem(
        "block_not_found",
        404,
        "Not found",
        "unknown block, or outside the caller's scope",
        _B,
    ),
    Problem(
        "unit_not_found",
        404,
        "Not found",
        "unknown unit, or outside the caller's scope",
        _B,
    ),
    Problem(
        "not_attachment_uploader",
        403,
        "Forbidden",
        "bytes for an attachment record someone else recorded",
        _S,
    ),
    Problem(
        "upload_quota_exceeded",
        507,
        "Insufficient storage",
        "bytes sent before their records exceed `ATTACHMENT_PENDING_MAX_BYTES` for this user",
        _S,
    ),
    Problem(
        "unknown_query_parameter",
        422,
        "Validation failed",
        "a query parameter the endpoint does not declare; `errors` names it",
        _S,
    ),
    Problem(
        "current_password_wrong",
        422,
        "Validation failed",
        "`POST /api/me/password` with a wrong current password",
        _S,
    ),
    Problem(
        "user_not_found",
        404,
        "Not found",
        "unknown user, or outside the caller's directory",
        _S,
    ),
    Problem(
        "saved_filter_exists",
        409,
        "Conflict",
        "console: the user already has a saved queue filter of this name",
        _S,
    ),
    Problem(
        "saved_filter_limit",
        409,
        "Conflict",
        "console: the user keeps the most saved queue filters allowed (50); delete one",
        _S,
    ),
    Problem(
        "saved_filter_not_found",
        404,
        "Not found",
        "console: unknown saved filter, or another user's",
        _S,
    ),
    Problem(
        "tenancy_not_found",
        404,
        "Not found",
        "unknown tenancy, or outside the caller's scope",
        _S,
    ),
    Problem(
        "last_admin",
        409,
        "Conflict",
        "the last active admin cannot lose the role or be deactivated",
        _S,
    ),
    Problem(
        "self_deactivation",
        409,
        "Conflict",
        "an admin cannot deactivate themselves",
        _S,
    ),
    Problem(
        "user_inactive",
        409,
        "Conflict",
        "no set-password link for a deactivated user",
        _S,
    ),
    Problem(
        "tenancy_ended",
        409,
        "Conflict",
        "the tenancy already ended on or before that day",
        _S,
    ),
    Problem(
        "ticket_closed",
        409,
        "Conflict",
        "editing a closed ticket (reopen it first), or closing one twice as a duplicate",
        _S,
    ),
    Problem(
        "duplicate_of_duplicate",
        409,
        "Conflict",
        "the ticket to follow is itself a duplicate: link to its original",
        _S,
    ),
    Problem(
        "database_not_migrated",
        503,
        "Service unavailable",
        (
            "the database lacks a table or column of this version: run "
            "`fieldline db upgrade`; nothing saved"
        ),
        _S,
    ),
)

REGISTRY: dict[str, Problem] = {problem.code: problem for problem in PROBLEMS}
assert len(REGISTRY) == len(PROBLEMS), "a problem code is registered twice"

# Stable codes for the HTTP errors raised by Flask/werkzeug themselves (server/errors.py).
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}
HTTP_FALLBACK_CODE = "http_error"


def is_registered(code: str, status: int) -> bool:
    problem = REGISTRY.get(code)
    if problem is None:
        return False
    return code == HTTP_FALLBACK_CODE or status in problem.statuses


def markdown_table() -> str:
    """The problem codes as the Markdown table docs/API.md carries, in registry order."""
    lines = ["| code | status | package | meaning |", "|---|---|---|---|"]
    for problem in PROBLEMS:
        status = " / ".join(map(str, problem.statuses))
        if problem.code == HTTP_FALLBACK_CODE:
            status = "other"
        lines.append(f"| `{problem.code}` | {status} | {problem.package} | {problem.description} |")
    return "\n".join(lines) + "\n"
