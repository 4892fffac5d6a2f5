"""Judge our reply stripping against two maintained parsers on the same cases.

Not a dependency of Fieldline: install the two libraries into a scratch folder and
put it on the path, e.g.

    pip install --target /tmp/parsers mail-parser-reply email-reply-parser
    PYTHONPATH=.:/tmp/parsers python bench/reply_parsers.py

The cases are those of tests/mail/test_reply_text.py, the Thunderbird-style reply the
mail tests send (tests/mail/mailclient.py) and a reply that only quotes. The result
and the decision are in docs/MAIL.md.
"""

import sys

from server.mail.reply_text import strip_reply

try:
    from email_reply_parser import EmailReplyParser as ERP
    from mailparser_reply import EmailReplyParser as MPR
except ImportError:
    sys.exit(__doc__)

CASES = [
    (
        "top-posted + attribution",
        "Yes, Tuesday is fine.\n\nOn Mon, 2 Jun 2025, Fieldline wrote:\n> When suits you?\n",
        "Yes, Tuesday is fine.",
    ),
    (
        "attribution wrapped over two lines",
        "Thanks!\n\nOn Tue, 3 Jun 2025 at 10:00, Fieldline <\n"
        "reply+abc@localhost> wrote:\n> old text\n",
        "Thanks!",
    ),
    (
        "inline answers kept",
        "On Mon, Fieldline wrote:\n> Is the tap leaking?\nYes, badly.\n> Since when?\nSunday.",
        "Yes, badly.\nSunday.",
    ),
    (
        "Outlook header block",
        "Fine by me.\n\n________________________________\nFrom: Fieldline <f@localhost>\n"
        "Sent: Tuesday, June 3, 2025 10:00\nTo: Zoe\nSubject: [T-000001] Leak\n\nOld text",
        "Fine by me.",
    ),
    (
        "plain From/Sent block",
        "Fine.\n\nFrom: Fieldline\nSent: Tuesday\nSubject: x\n\nOld",
        "Fine.",
    ),
    ("-----Original Message-----", "Ok.\n-----Original Message-----\nFrom: x\nold", "Ok."),
    ("signature '-- '", "See you then.\n-- \nZoe\n07700 900123", "See you then."),
    ("mobile footer", "See you then.\n\nSent from my iPhone", "See you then."),
    (
        "German attribution",
        "Danke.\n\nAm 03.06.2025 um 10:00 schrieb Fieldline <f@localhost>:\n> Alt",
        "Danke.",
    ),
    (
        "sentence starting with 'On' kept",
        "On Tuesday the plumber came.\nIt works now.",
        "On Tuesday the plumber came.\nIt works now.",
    ),
    (
        "Thunderbird reply (tests/mail/mailclient.py)",
        "Thanks, Tuesday morning suits me.\n\n-- \nZoe\n\n"
        "On Tue, 3 Jun 2025 at 10:00, Fieldline <fieldline@localhost> wrote:\n"
        "> A plumber comes on Tuesday.\n>\n> -- \n"
        "> Reply to this email to answer on T-000001; your reply is added to the ticket.\n",
        "Thanks, Tuesday morning suits me.",
    ),
    ("only a quote", "On Tue, 3 Jun 2025 at 10:00, Fieldline wrote:\n> We are on it.\n", ""),
]


def mpr(text):
    return MPR(languages=["en", "de", "fr", "es", "nl", "it", "pt"]).parse_reply(text=text).strip()


def erp(text):
    return ERP.parse_reply(text).strip()


def main() -> None:
    score = {"ours": 0, "mail-parser-reply": 0, "email-reply-parser": 0}
    for name, text, want in CASES:
        row = []
        for label, fn in (
            ("ours", strip_reply),
            ("mail-parser-reply", mpr),
            ("email-reply-parser", erp),
        ):
            try:
                got = fn(text)
            except Exception as e:
                got = f"<{type(e).__name__}: {e}>"
            ok = got == want
            score[label] += ok
            row.append(f"{label}={'ok' if ok else repr(got)[:70]}")
        print(f"- {name}: " + "; ".join(row))
    print(score, "of", len(CASES))


if __name__ == "__main__":
    main()
