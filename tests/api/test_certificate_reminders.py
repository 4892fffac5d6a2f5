"""The worker's certificate expiry reminders: once per certificate and lead time, only
the tightest lead reached, none after a renewal, one mail when two workers race, and
an optional renewal ticket."""

from datetime import UTC, date, datetime, time, timedelta

from server.extensions import db
from server.models import CertificateReminder, OutboxMessage, Ticket
from server.services import certificate_jobs, certificates
from server.worker import run_once
from tests.factories import as_caller

NOON = time(12, 0, tzinfo=UTC)


def _at(day: date) -> datetime:
    return datetime.combine(day, NOON)


def _run(app, day: date) -> dict:
    with app.app_context():
        counts = certificate_jobs.run(_at(day))
        db.session.commit()
        return counts


def _mails(app) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.dedupe_key.like("email:certificate:%"))
        ).all()
        db.session.expunge_all()
        return rows


def test_each_lead_time_mails_the_manager_once(app, make, people):
    today = date.today()
    certificate = make.certificate(
        people.block, number="GAS-77", expires_on=today + timedelta(days=50)
    )
    assert _run(app, today)["reminders"] == 1
    assert _run(app, today)["reminders"] == 0  # the same day again: nothing
    assert _run(app, today + timedelta(days=10))["reminders"] == 0  # still the 60-day lead
    assert _run(app, today + timedelta(days=21))["reminders"] == 1  # 29 days left: 30-day lead
    assert _run(app, today + timedelta(days=44))["reminders"] == 1  # 6 days left: 7-day lead
    assert _run(app, today + timedelta(days=60))["reminders"] == 0  # expired: all leads sent
    mails = _mails(app)
    assert [m.dedupe_key for m in mails] == [
        certificate_jobs.reminder_key(certificate.id, lead) for lead in (60, 30, 7)
    ]
    import json

    first = json.loads(mails[0].payload)
    assert first["to"] == people.manager.email
    assert "GAS-77" in first["body"] and "Gas safety" in first["subject"]


def test_a_certificate_recorded_close_to_expiry_gets_only_the_tightest_reminder(app, make, people):
    today = date.today()
    make.certificate(people.block, expires_on=today + timedelta(days=5))
    assert _run(app, today)["reminders"] == 1
    assert [m.dedupe_key.rsplit(":", 1)[1] for m in _mails(app)] == ["7"]


def test_renewing_a_certificate_stops_its_reminders(app, make, people):
    today = date.today()
    old = make.certificate(people.block, expires_on=today + timedelta(days=50))
    assert _run(app, today)["reminders"] == 1
    with app.app_context():
        certificates.renew_certificate(
            as_caller(people.manager),
            old.id,
            number="GAS-NEW",
            issued_on=today,
            expires_on=today + timedelta(days=365),
        )
        db.session.commit()
    for later in (21, 44, 60):
        assert _run(app, today + timedelta(days=later))["reminders"] == 0
    assert len(_mails(app)) == 1


def test_a_config_with_other_lead_times_is_followed(app, make, people):
    app.config["CERTIFICATE_REMINDER_DAYS"] = (14,)
    today = date.today()
    make.certificate(people.block, expires_on=today + timedelta(days=50))
    assert _run(app, today)["reminders"] == 0
    assert _run(app, today + timedelta(days=40))["reminders"] == 1


def test_two_workers_racing_send_one_mail(app, make, people, monkeypatch):
    today = date.today()
    make.certificate(people.block, expires_on=today + timedelta(days=20))
    assert _run(app, today)["reminders"] == 1
    # A second worker that read "nothing sent yet" before the first one committed:
    # the unique (certificate, lead) pair refuses its reminder and its mail.
    monkeypatch.setattr(certificate_jobs, "_sent_pairs", lambda ids: set())
    assert _run(app, today)["reminders"] == 0
    assert len(_mails(app)) == 1
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(CertificateReminder.id))) == 1


def test_the_worker_runs_the_job_once_per_period(app, make, people):
    make.certificate(people.block, expires_on=date.today() + timedelta(days=3))
    now = _at(date.today())
    first = run_once(app, now=now, max_messages=0)
    second = run_once(app, now=now + timedelta(minutes=1), max_messages=0)
    assert first.jobs["certificate_reminders"]["reminders"] == 1
    assert "certificate_reminders" not in second.jobs  # not due again within the hour
    assert len(_mails(app)) == 1


def test_blocks_without_a_manager_are_reminded_once_one_is_named(app, make, people):
    block = make.block()
    make.certificate(block, expires_on=date.today() + timedelta(days=10))
    assert _run(app, date.today()) == {"reminders": 0, "renewal_tickets": 0, "no_manager": 1}
    with app.app_context():
        from server.models import Block

        db.session.get(Block, block.id).manager_id = people.manager.id
        db.session.commit()
    assert _run(app, date.today())["reminders"] == 1


def test_the_renewal_ticket_setting_opens_one_ticket(app, make, people):
    app.config["CERTIFICATE_RENEWAL_TICKETS"] = True
    today = date.today()
    make.certificate(
        people.block, "electrical", number="EICR-9", expires_on=today + timedelta(days=50)
    )
    assert _run(app, today)["renewal_tickets"] == 1
    assert _run(app, today + timedelta(days=21))["renewal_tickets"] == 0  # only the first
    with app.app_context():
        tickets = db.session.scalars(db.select(Ticket).where(Ticket.summary.like("Renew%"))).all()
        assert [t.summary for t in tickets] == ["Renew the Electrical (EICR) certificate (EICR-9)"]
        assert tickets[0].block_id == people.block.id


def test_renewal_tickets_are_off_by_default(app, make, people):
    make.certificate(people.block, expires_on=date.today() + timedelta(days=5))
    assert _run(app, date.today())["renewal_tickets"] == 0
    with app.app_context():
        assert db.session.scalar(db.select(Ticket.id).where(Ticket.summary.like("Renew%"))) is None
