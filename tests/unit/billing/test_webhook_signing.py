"""billing.signing against the Standard Webhooks spec, its published vector and its library."""

import base64
import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from billing.signing import (
    SignatureError,
    generate_secret,
    headers_for,
    sign,
    verify,
)

# The vector published by the Standard Webhooks project: test_sign_function in
# libraries/python/tests/test_webhooks.py of github.com/standard-webhooks/
# standard-webhooks (the PyPI wheel ships no tests). The same values appear in
# the other reference libraries' tests.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

NOW = 1_767_225_600  # 2026-01-01T00:00:00Z
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()
BODY = b'{"type":"invoice.issued","data":{"number":"INV-2026-000001"}}'

PROPERTY = settings(database=None, max_examples=100, deadline=None)
msg_ids = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Nd"), max_codepoint=127)
    | st.sampled_from("_-"),
    min_size=1,
    max_size=40,
)


def reason_of(secret, headers, body=BODY, now=NOW, **kwargs):
    with pytest.raises(SignatureError) as caught:
        verify(secret, headers, body, now, **kwargs)
    return caught.value.reason


def test_our_signature_reproduces_the_published_test_vector():
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE


def test_the_published_test_vector_verifies():
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": VECTOR_SIGNATURE,
    }
    verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP)


def test_the_reference_library_reproduces_the_vector_too():
    # Guards the vector itself: a typo in it would make the test above meaningless.
    signature = Webhook(VECTOR_SECRET).sign(
        VECTOR_ID, datetime.fromtimestamp(VECTOR_TIMESTAMP, UTC), VECTOR_BODY.decode()
    )
    assert signature == VECTOR_SIGNATURE


def test_headers_for_carry_id_timestamp_and_signature():
    assert headers_for(SECRET, "msg_1", NOW, BODY) == {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(NOW),
        "webhook-signature": sign(SECRET, "msg_1", NOW, BODY),
    }


def test_a_signed_delivery_verifies():
    verify(SECRET, headers_for(SECRET, "msg_1", NOW, BODY), BODY, now=NOW)


@PROPERTY
@given(msg_id=msg_ids, body=st.text().map(str.encode))
def test_the_reference_library_accepts_what_we_sign(msg_id, body):
    now = int(time.time())  # the reference library only checks against the wall clock
    secret = generate_secret()
    Webhook(secret).verify(body, headers_for(secret, msg_id, now, body), json_parse=False)


@PROPERTY
@given(msg_id=msg_ids, text=st.text())
def test_we_accept_what_the_reference_library_signs(msg_id, text):
    secret = generate_secret()
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(NOW, UTC), text)
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(NOW), "webhook-signature": signature}
    verify(secret, headers, text.encode(), now=NOW)


@PROPERTY
@given(body=st.binary())
def test_any_body_bytes_can_be_signed_and_verified(body):
    # Unlike the reference library, which decodes the body as UTF-8 first.
    verify(SECRET, headers_for(SECRET, "msg_1", NOW, body), body, now=NOW)


def test_a_tampered_body_is_refused():
    headers = headers_for(SECRET, "msg_1", NOW, BODY)
    assert reason_of(SECRET, headers, body=BODY.replace(b"000001", b"000002")) == "bad_signature"


def test_another_secret_is_refused():
    headers = headers_for(generate_secret(), "msg_1", NOW, BODY)
    assert reason_of(SECRET, headers) == "bad_signature"


def test_a_signature_for_another_id_is_refused():
    headers = headers_for(SECRET, "msg_1", NOW, BODY) | {"webhook-id": "msg_2"}
    assert reason_of(SECRET, headers) == "bad_signature"


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(missing):
    headers = headers_for(SECRET, "msg_1", NOW, BODY)
    del headers[missing]
    assert reason_of(SECRET, headers) == "missing_headers"


def test_an_empty_header_counts_as_missing():
    headers = headers_for(SECRET, "msg_1", NOW, BODY) | {"webhook-signature": ""}
    assert reason_of(SECRET, headers) == "missing_headers"


def test_header_names_are_case_insensitive():
    headers = {
        name.title(): value for name, value in headers_for(SECRET, "msg_1", NOW, BODY).items()
    }
    verify(SECRET, headers, BODY, now=NOW)


@pytest.mark.parametrize(
    "timestamp", ["hello", "1.5", "-5", "1e9", " 1767225600", "１７６７２２５６００", "9" * 13]
)
def test_a_timestamp_that_is_not_unix_seconds_is_refused(timestamp):
    headers = headers_for(SECRET, "msg_1", NOW, BODY) | {"webhook-timestamp": timestamp}
    assert reason_of(SECRET, headers) == "bad_timestamp"


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 86_400])
def test_a_timestamp_outside_the_tolerance_is_refused(offset):
    headers = headers_for(SECRET, "msg_1", NOW + offset, BODY)
    assert reason_of(SECRET, headers) == "stale_timestamp"


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_a_timestamp_at_the_edge_of_the_tolerance_is_accepted(offset):
    verify(SECRET, headers_for(SECRET, "msg_1", NOW + offset, BODY), BODY, now=NOW)


def test_the_tolerance_can_be_narrowed():
    headers = headers_for(SECRET, "msg_1", NOW - 61, BODY)
    assert reason_of(SECRET, headers, tolerance=60) == "stale_timestamp"


def test_any_v1_entry_of_the_signature_header_may_match():
    good = sign(SECRET, "msg_1", NOW, BODY)
    other = sign(generate_secret(), "msg_1", NOW, BODY)
    entries = ["v2," + good.removeprefix("v1,"), other, "garbage", "v1,not*base64", "v1a", good]
    headers = headers_for(SECRET, "msg_1", NOW, BODY) | {"webhook-signature": "  ".join(entries)}
    verify(SECRET, headers, BODY, now=NOW)


@pytest.mark.parametrize(
    "signature",
    [
        "garbage",  # no comma: the reference library raises a bare ValueError here
        "v1,",
        "v1,%%%",  # not base64: the reference library raises binascii.Error
        "v2," + base64.b64encode(b"x" * 32).decode(),
        "v1," + base64.b64encode(b"x" * 32).decode(),
    ],
)
def test_malformed_or_wrong_signatures_are_refused_as_bad_signature(signature):
    headers = headers_for(SECRET, "msg_1", NOW, BODY) | {"webhook-signature": signature}
    assert reason_of(SECRET, headers) == "bad_signature"


def test_a_signature_made_with_another_version_is_not_accepted_as_v1():
    good = sign(SECRET, "msg_1", NOW, BODY)
    headers = headers_for(SECRET, "msg_1", NOW, BODY) | {"webhook-signature": "v1a," + good[3:]}
    assert reason_of(SECRET, headers) == "bad_signature"


def test_signature_error_is_a_value_error_with_a_stable_reason():
    error = SignatureError("bad_signature")
    assert isinstance(error, ValueError)
    assert error.reason == "bad_signature"


def test_generated_secrets_are_32_random_bytes_in_whsec_form():
    first, second = generate_secret(), generate_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32


def test_a_secret_may_omit_the_prefix_and_the_padding():
    unpadded = base64.b64encode(b"k" * 32).decode().rstrip("=")
    assert sign(unpadded, "msg_1", NOW, BODY) == sign(SECRET, "msg_1", NOW, BODY)


@pytest.mark.parametrize("secret", ["whsec_", "whsec_not base64!", ""])
def test_a_secret_that_is_not_base64_is_a_configuration_error(secret):
    with pytest.raises(ValueError) as caught:
        sign(secret, "msg_1", NOW, BODY)
    assert not isinstance(caught.value, SignatureError)


@pytest.mark.parametrize("msg_id", ["", "msg.1", "msg 1", "msg\t1"])
def test_message_ids_that_would_blur_the_signed_content_are_refused(msg_id):
    with pytest.raises(ValueError):
        sign(SECRET, msg_id, NOW, BODY)


def test_the_body_must_be_the_raw_bytes():
    with pytest.raises(TypeError):
        sign(SECRET, "msg_1", NOW, BODY.decode())
    with pytest.raises(TypeError):
        verify(SECRET, headers_for(SECRET, "msg_1", NOW, BODY), BODY.decode(), now=NOW)


@pytest.mark.parametrize("timestamp", [1.5, True, "1767225600", -1])
def test_timestamps_are_non_negative_integer_seconds(timestamp):
    with pytest.raises((TypeError, ValueError)):
        sign(SECRET, "msg_1", timestamp, BODY)
