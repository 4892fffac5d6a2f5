"""A known scenario for the report tests (API, pages, browser): in the manager's block
four tickets reported today — one resolved (and so closed: its billing is included),
one resolved (closed) then reopened and put on
hold, two open — and one ticket in another department's block the manager cannot see.

Volume for today, as the manager: opened 4, resolved 2, closed 2, open at the end 3.
As an admin: opened 5, open at the end 4."""

from types import SimpleNamespace


def build(make, people) -> SimpleNamespace:
    manager = people.manager
    tickets = [
        make.ticket(people.tenant, people.block, people.unit, summary=f"Scenario {n}")
        for n in range(4)
    ]
    for ticket in tickets:
        make.triage(ticket, manager, priority="high")
    make.status(tickets[0], manager, "resolved")
    make.status(tickets[1], manager, "resolved")
    make.status(tickets[1], manager, "open")
    make.status(tickets[1], manager, "on_hold")
    other_department = make.department(name="Elsewhere lettings")
    other_block = make.block(department=other_department, name="Elsewhere House")
    other_unit = make.unit(other_block)
    outsider = make.tenant_in(other_unit)
    hidden = make.ticket(outsider, other_block, other_unit, summary="Not the manager's")
    make.triage(hidden, people.admin, priority="high")
    return SimpleNamespace(tickets=tickets, hidden=hidden, other_block=other_block)
