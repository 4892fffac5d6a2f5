"""The pure rules of reading mail (no app): what is history, what is signature, HTML to
text, charsets, and a parser that survives any bytes at all."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.mail.parse import decode_bytes, parse
from server.mail.reply_text import html_to_text, strip_reply


def test_a_top_posted_reply_loses_its_attribution_and_quote():
    text = "Yes, Tuesday is fine.\n\nOn Mon, 2 Jun 2025, Fieldline wrote:\n> When suits you?\n"
    assert strip_reply(text) == "Yes, Tuesday is fine."


def test_an_attribution_wrapped_over_two_lines_is_recognised():
    text = (
        "Thanks!\n\nOn Tue, 3 Jun 2025 at 10:00, Fieldline <\n"
        "reply+abc@localhost> wrote:\n> old text\n"
    )
    assert strip_reply(text) == "Thanks!"


def test_inline_answers_between_quoted_lines_are_kept():
    text = "On Mon, Fieldline wrote:\n> Is the tap leaking?\nYes, badly.\n> Since when?\nSunday."
    assert strip_reply(text) == "Yes, badly.\nSunday."


def test_outlook_header_blocks_end_the_new_text():
    outlook = (
        "Fine by me.\n\n________________________________\nFrom: Fieldline <f@localhost>\n"
        "Sent: Tuesday, June 3, 2025 10:00\nTo: Zoe\nSubject: [T-000001] Leak\n\nOld text"
    )
    assert strip_reply(outlook) == "Fine by me."
    plain = "Fine.\n\nFrom: Fieldline\nSent: Tuesday\nSubject: x\n\nOld"
    assert strip_reply(plain) == "Fine."
    original = "Ok.\n-----Original Message-----\nFrom: x\nold"
    assert strip_reply(original) == "Ok."


def test_signatures_and_mobile_footers_are_cut():
    assert strip_reply("See you then.\n-- \nZoe\n07700 900123") == "See you then."
    assert strip_reply("See you then.\n\nSent from my iPhone") == "See you then."


def test_other_languages_attributions_are_recognised():
    text = "Danke.\n\nAm 03.06.2025 um 10:00 schrieb Fieldline <f@localhost>:\n> Alt"
    assert strip_reply(text) == "Danke."


def test_a_sentence_starting_with_on_is_not_an_attribution():
    text = "On Tuesday the plumber came.\nIt works now."
    assert strip_reply(text) == text


def test_html_becomes_text_with_blockquotes_as_quotes():
    markup = (
        "<style>x{}</style><p>Hello&nbsp;there &amp; <i>thanks</i></p><br>"
        "<blockquote><p>old</p></blockquote><ul><li>one</li><li>two</li></ul>"
    )
    assert html_to_text(markup) == "Hello there & thanks\n\n> old\n\none\n\ntwo"


def test_broken_html_still_yields_its_text():
    text = html_to_text("<p>Unclosed <b>bold <div>text</p></span><")
    assert text.startswith("Unclosed bold\ntext")


def test_charsets_are_tried_declared_first_then_utf8_then_with_replacement():
    assert decode_bytes("Café".encode("latin-1"), "iso-8859-1") == "Café"
    assert decode_bytes("Café".encode(), "x-bogus") == "Café"
    assert decode_bytes("Café".encode(), None) == "Café"
    assert decode_bytes(b"Caf\xe9", "us-ascii") == "Caf\ufffd"
    assert decode_bytes(b"Caf\xe9", None) == "Café"  # undeclared and not UTF-8: Windows-1252


@pytest.mark.parametrize(
    "charset", ["base64", "zlib", "rot13", "hex", "utf-8\x00", "idna", "punycode", "x" * 500]
)
def test_charsets_that_are_no_text_encodings_still_decode(charset):
    assert decode_bytes(b"hello \xff", charset).startswith("hello")


def test_encoded_words_in_odd_charsets_leave_the_header_readable():
    raw = (
        b"From: =?base64?Q?x?= <a@example.test>\r\nSubject: =?idna?Q?hi?= =?zlib?B?eJw=?=\r\n\r\nok"
    )
    parsed = parse(raw)
    assert parsed.sender == "a@example.test" and "hi" in parsed.subject


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_an_exception(raw):
    parsed = parse(raw)
    assert "\x00" not in parsed.text and "\x00" not in parsed.subject
    parsed.text.encode("utf-8")  # storable: no lone surrogates


HEADERS = st.sampled_from(
    [
        b"From: ",
        b"To: ",
        b"Subject: ",
        b"Content-Type: ",
        b"Content-Transfer-Encoding: ",
        b"Content-Disposition: ",
        b"Message-ID: ",
        b"References: ",
        b"Auto-Submitted: ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(HEADERS, st.binary(max_size=80)), max_size=12),
    st.binary(max_size=500),
)
def test_hostile_headers_parse_without_an_exception(headers, body):
    raw = b"".join(name + value.replace(b"\n", b" ") + b"\r\n" for name, value in headers)
    parse(raw + b"\r\n" + body)
