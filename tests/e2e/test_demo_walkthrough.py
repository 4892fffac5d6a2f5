"""`fieldline demo --walkthrough` prints a bash script; run as printed against a real
`fieldline demo` server, it takes a device push to an issued, paid invoice and a closed
ticket."""

import os
import subprocess
import sys
import time

import pytest
import requests

from tests.reliability.live import Process, environment, free_port


def staff_payments_endpoint(app) -> bool:
    """Whether staff can record payments (and paid tickets close): the other half of the
    chain, merged separately."""
    return any(
        rule.rule.startswith("/api/invoices/") and rule.rule.endswith("/payments")
        for rule in app.url_map.iter_rules()
    )


def test_the_printed_walkthrough_runs_from_a_device_push_to_a_paid_invoice(
    app, runner, database_url, tmp_path
):
    port = free_port()
    printed = runner.invoke(args=["demo", "--walkthrough", "--port", str(port)])
    assert printed.exit_code == 0, printed.output
    env = environment(app, database_url)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    server = Process(["demo", "--port", str(port)], env, tmp_path / "demo.log").start()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.2)

        run = subprocess.run(
            ["bash", "-c", printed.output],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
    finally:
        server.stop()

    assert run.returncode == 0, run.stdout + run.stderr + server.log()[-5000:]
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    *_, issued, payment, invoice_status, ticket_status = lines
    assert issued.startswith("Issued INV-") and "for GBP 143.94" in issued
    assert '"invoice_status":"paid"' in payment.replace(" ", "")
    assert invoice_status == "paid"
    pdf = next(tmp_path.glob("INV-*.pdf")).read_bytes()
    assert pdf.startswith(b"%PDF")
    if not staff_payments_endpoint(app):
        pytest.xfail("a paid ticket closes once the closing rule (issue 17, part A) is merged")
    assert ticket_status == "closed"
