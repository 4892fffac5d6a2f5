"""`fieldline demo` sets up billing (rates, an owner, seller and bank details, an ERP
secret it prints) idempotently, and `fieldline erp sign-payment` signs as the ERP does."""

import re
import shlex

from sqlalchemy import func, select
from standardwebhooks import Webhook

from billing.models import BlockOwner, Customer, LabourCategory
from server.extensions import db
from server.models import User


def test_the_demo_prints_its_erp_secret_and_bills_labour_at_category_rates(app, runner):
    app.config["ERP_INBOUND_SECRET"] = ""
    first = runner.invoke(args=["demo", "--no-serve"])
    second = runner.invoke(args=["demo", "--no-serve"])

    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    secret = re.search(r"ERP_INBOUND_SECRET=(whsec_\S+)", first.output).group(1)
    assert f"ERP_INBOUND_SECRET={secret}" in second.output  # the same secret every run
    assert "AGENCY_VAT_ID=GB123456789" in first.output and "--walkthrough" in first.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LabourCategory)) == 2
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
        assert db.session.scalar(select(func.count()).select_from(BlockOwner)) == 1
        carl = db.session.scalar(select(User).where(User.email == "carl.plumber@demo.fieldline"))
        plumber = db.session.get(LabourCategory, carl.labour_category_id)
        assert (plumber.name, str(plumber.hourly_rate)) == ("Plumber", "52.5000")


def test_configured_settings_win_over_the_demo_values(app, runner):
    app.config["BANK_NAME"] = "Real Bank"  # as read from the environment by create_app
    result = runner.invoke(args=["demo", "--no-serve"])
    assert "BANK_NAME=Real Bank" in result.output and "Demo Bank" not in result.output
    assert app.config["BANK_NAME"] == "Real Bank"


def test_sign_payment_prints_a_curl_command_signed_like_the_erp(runner):
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    result = runner.invoke(
        args=["erp", "sign-payment", "--invoice", "INV-2026-000001", "--amount", "197.94",
              "--secret", secret, "--reference", "BACS 1"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    words = shlex.split(result.output)
    headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
    body = words[words.index("--data-binary") + 1]
    event = Webhook(secret).verify(body, headers)
    assert event["invoice_number"] == "INV-2026-000001" and event["amount"] == "197.94"
    assert words[:5] == ["curl", "-sS", "-X", "POST", "http://127.0.0.1:5000/api/erp/payments"]
