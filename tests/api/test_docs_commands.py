"""Every `gunicorn` and `fieldline` command shown in a shell block of README.md or
docs/*.md is parsed by the real argument parser (gunicorn's config parser, the
`fieldline` click commands), so a renamed flag or command fails here instead of
in production. Other commands (curl, createdb, pip) are examples of other tools."""

import os
import re
import shlex
from pathlib import Path

import click
import pytest
from flask import has_app_context
from gunicorn.config import Config as GunicornConfig

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```(?:sh|bash|shell|console)\n(.*?)^```", re.S | re.M)
SEPARATORS = {"&&", "||", ";", "|"}


def shell_commands(text: str) -> list[list[str]]:
    """argv lists of the commands in a document's shell blocks (continuation lines
    joined, comments dropped, `a && b` split)."""
    commands = []
    for block in BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            current: list[str] = []
            for word in [*words, ";"]:
                if word in SEPARATORS:
                    if current:
                        commands.append(current)
                    current = []
                else:
                    current.append(word)
    return commands


def documented(program: str) -> list[tuple[str, list[str]]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for argv in shell_commands(path.read_text()):
            if os.path.basename(argv[0]) == program:
                found.append((f"{path.name}: {shlex.join(argv)}", argv[1:]))
    return found


def test_shell_blocks_are_split_into_commands():
    text = (
        "```sh\nexport A=1 && fieldline db upgrade   # once\n"
        "gunicorn --workers 4 \\\n  wsgi:app\n```\n"
    )
    assert shell_commands(text) == [
        ["export", "A=1"],
        ["fieldline", "db", "upgrade"],
        ["gunicorn", "--workers", "4", "wsgi:app"],
    ]


def test_the_docs_show_gunicorn_and_fieldline_commands():
    assert documented("gunicorn") and documented("fieldline")


@pytest.mark.parametrize("where, args", documented("gunicorn"))
def test_documented_gunicorn_commands_parse(where, args):
    try:
        parsed = GunicornConfig().parser().parse_args(args)
    except SystemExit as exit:
        pytest.fail(f"gunicorn refuses {where} (exit {exit.code})")
    assert parsed.args == ["wsgi:app"], where  # the app module the repository ships


def _parse_fieldline(args: list[str]) -> click.Command:
    """Parse (and type-convert) a `fieldline` command line down to its last
    subcommand without running anything; the command it names."""
    from server.cli import cli_group

    contexts = [cli_group().make_context("fieldline", list(args))]
    try:
        while isinstance(contexts[-1].command, click.Group):
            ctx = contexts[-1]
            rest = [*ctx._protected_args, *ctx.args]
            if not rest:
                break
            name, command, rest = ctx.command.resolve_command(ctx, rest)
            contexts.append(command.make_context(name, rest, parent=ctx))
        return contexts[-1].command
    finally:
        # Closing pops the app context FlaskGroup pushed to find the app's commands;
        # left open, it would be every later CLI test's current app.
        for ctx in reversed(contexts):
            ctx.close()


@pytest.mark.parametrize("where, args", documented("fieldline"))
def test_documented_fieldline_commands_parse(where, args, tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/docs.sqlite3")
    try:
        command = _parse_fieldline(args)
    except click.ClickException as error:
        pytest.fail(f"fieldline refuses {where}: {error.format_message()}")
    assert not isinstance(command, click.Group), where
    assert not has_app_context()  # nothing of the parse is left behind


def test_a_wrong_flag_is_caught(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(SystemExit):
        GunicornConfig().parser().parse_args(["--keepalive", "15", "wsgi:app"])
    with pytest.raises(click.ClickException):
        _parse_fieldline(["worker", "--pol", "2"])
