"""docs/cli.md is generated from the live argument parser (docs/gen/cli.py):
it must be what the generator writes now, and the generator must leave out
no command and no option."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from pyspec.cli import build_parser


def _generator():
    spec = importlib.util.spec_from_file_location("cli_doc_gen", Path("docs/gen/cli.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules["cli_doc_gen"] = mod
    spec.loader.exec_module(mod)
    return mod


gen = _generator()


def _sections(text: str) -> dict[str, str]:
    """The text of each `## PROG COMMAND` section, by command."""
    out = {}
    for chunk in text.split("\n## ")[1:]:
        heading, _, body = chunk.partition("\n")
        out[heading.partition(" ")[2]] = body  # "pyspec check" -> "check"
    return out


def test_cli_doc_is_up_to_date():
    want = gen.render(build_parser())
    got = Path("docs/cli.md").read_text(encoding="utf-8")
    assert got == want, "docs/cli.md is stale: run `python docs/gen/cli.py`"


def test_every_command_and_option_is_documented():
    parser = build_parser()
    sections = _sections(gen.render(parser))
    commands = gen._subcommands(parser)
    assert set(sections) == set(commands)
    for name, sub in commands.items():
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            for option in action.option_strings:
                assert f"`{option}" in sections[name], f"pyspec {name} {option} missing from docs/cli.md"
            if isinstance(action, argparse._SubParsersAction):
                for sub_name in action.choices:
                    assert f"\n### pyspec {name} {sub_name}\n" in sections[name], f"pyspec {name} {sub_name} missing"
            elif not action.option_strings:
                assert gen._metavar(action) in sections[name], f"pyspec {name} {action.dest} missing"


def test_usage_and_table_of_a_parser_with_every_kind_of_argument():
    parser = argparse.ArgumentParser(prog="tool")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("run", help="run it", description="Runs   it.")
    p.add_argument("spec", help="the spec")
    p.add_argument("more", nargs="*", metavar="FILE", help="more files")
    p.add_argument("--model", "-m", required=True, metavar="M", help="the model (default %(default)s)")
    p.add_argument("--mode", choices=["fast", "slow"], default="fast", help="how")
    p.add_argument("--verbose", "-v", action="store_true", help="say more | less")
    g = p.add_argument_group("network options")
    g.add_argument("--port", type=int, default=1, help="the port")
    text = gen.render(parser)
    section = _sections(text)["run"]
    assert section.startswith("\nRuns it.\n\n```\ntool run --model M [--mode {fast,slow}] [--verbose] [--port PORT] "
                              "spec [FILE ...]\n```\n")
    assert "| `spec` | the spec |\n| `[FILE ...]` | more files |\n| `--model M`, `-m M` | the model " \
           "(default None) (required) |" in section
    assert "| `--verbose`, `-v` | say more \\| less |" in section  # a | would end the table cell
    assert "Network options:\n\n| argument | meaning |\n|---|---|\n| `--port PORT` | the port |" in section
    assert "| [`run`](#tool-run) | run it |" in text


def test_paths_of_this_machine_are_replaced_by_placeholders():
    parser = argparse.ArgumentParser(prog="tool")
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("install", help="install")
    p.add_argument("--sys-prefix", action="store_true", help=f"into {sys.prefix}/share (or {Path.home()}/.local)")
    section = _sections(gen.render(parser))["install"]
    assert "into $PREFIX/share (or ~/.local)" in section
    assert sys.prefix not in section


def test_long_usage_lines_wrap_under_the_command():
    parser = argparse.ArgumentParser(prog="tool")
    for i in range(12):
        parser.add_argument(f"--option-{i}", help="x")
    lines = gen.usage("tool", parser).splitlines()
    assert len(lines) > 1
    assert all(len(line) <= gen.USAGE_WIDTH for line in lines)
    assert all(line.startswith("     [--option-") for line in lines[1:])
