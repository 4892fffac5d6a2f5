"""The settings of billing: declared here, merged into app.config at init_app
(docs/CONFIGURATION.md lists them)."""

from server.config import Setting

SETTINGS = (
    Setting("CALLOUT_FEE", "str", "", "e.g. `45.00`: one call-out line on every invoice with work"),
    Setting("DEFAULT_HOURLY_RATE", "str", "", "for contractors without a labour category"),
    Setting(
        "AUTO_ISSUE_INVOICES",
        "flag",
        "",
        "`1`: issue drafts at once (unless a rate or price is missing)",
    ),
    Setting("PAYMENT_TERMS_DAYS", "int", "30", "due date of an issued invoice, in days"),
    Setting(
        "AGENCY_VAT_ID",
        "str",
        "",
        "the seller's VAT number: printed on invoices; needed to issue one that charges VAT",
    ),
    Setting("AGENCY_POSTCODE", "str", "", "the seller's postcode on e-invoices"),
    Setting("AGENCY_CITY", "str", "", "the seller's city on e-invoices"),
    Setting("AGENCY_COUNTRY", "str", "GB", "the seller's (and default buyer's) ISO country code"),
    Setting(
        "AGENCY_PAYEE_ACCOUNT", "str", "", "IBAN / account, printed as the credit transfer account"
    ),
    Setting("AGENCY_COMPANY_NUMBER", "str", "", "company registration number, printed on invoices"),
    Setting("BANK_NAME", "str", "", "bank name in the invoice's payment details"),
    Setting("BANK_SORT_CODE", "str", "", "sort code in the invoice's payment details"),
    Setting("BANK_ACCOUNT_NUMBER", "str", "", "account number in the invoice's payment details"),
    Setting(
        "BANK_IBAN",
        "str",
        "",
        "IBAN in the invoice's payment details (and the e-invoice payee account by default)",
    ),
    Setting(
        "WEBHOOK_SECRET_OVERLAP_HOURS",
        "int",
        "24",
        "the default overlap of a secret rotation: the old secret also signs this long",
    ),
    Setting(
        "EXPORT_DROP_DIR",
        "str",
        "",
        "the folder `fieldline export --out` writes to; the exports page lists its last runs",
    ),
    Setting("WEBHOOK_TIMEOUT_SECONDS", "int", "15", "timeout of one webhook delivery"),
    Setting(
        "ALLOW_PRIVATE_WEBHOOK_URLS",
        "flag",
        "",
        "`1`: webhook URLs may resolve to private addresses",
    ),
    Setting(
        "ALLOW_LOOPBACK_WEBHOOK_URLS",
        "flag",
        "",
        "`1`: webhook URLs may resolve to loopback (tests)",
    ),
    Setting("ERP_MAX_BODY_BYTES", "int", "65536", "largest payment report (413)"),
    Setting(
        "ERP_TIMESTAMP_TOLERANCE_SECONDS",
        "int",
        "300",
        "how far `webhook-timestamp` may be from now",
    ),
    Setting(
        "RECEIVED_WEBHOOK_RETENTION_DAYS",
        "int",
        "30",
        "received webhook-ids are kept this long for deduplication",
    ),
    Setting(
        "IDEMPOTENCY_KEY_RETENTION_HOURS",
        "int",
        "72",
        "how long an `Idempotency-Key` and its answer are remembered",
    ),
    Setting("XERO_ACCOUNT_CODE", "str", "200", "account code of the Xero export"),
    Setting("XERO_TAX_TYPE", "str", "OUTPUT2", "tax type of taxed lines in the Xero export"),
    Setting(
        "XERO_ZERO_TAX_TYPE",
        "str",
        "ZERORATEDOUTPUT",
        "tax type of zero-rated lines in the Xero export",
    ),
)
