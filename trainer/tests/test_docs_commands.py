"""Every command the README and the manual (docs/) quote exists as quoted: `python -m trainer
<subcommand>` and its flags (read from the CLI's argparse parser), `scripts/<name>` with the
subcommands and flags it documents (`scripts/stack`'s usage line, `scripts/bench`'s parser), and
every repository path they name. A renamed flag, subcommand, script or file fails here."""

from __future__ import annotations

import argparse
import glob
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from trainer.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# What ends a command inside a code span or a line of a code block.
SHELL_BREAK = re.compile(r"&&|\|\||;|\s\|\s|\s>|\s#|\)|`|$")
TOP_FOLDERS = (
    "trainer/",
    "supabase/",
    "scripts/",
    "web/",
    "parity_tests/",
    "onnx_models/",
    "docs/",
)


def quoted(page: Path) -> list[str]:
    """The page's code: each code span, and each line of its fenced code blocks."""
    text = page.read_text()
    out: list[str] = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S):
        out.extend(block.splitlines())
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.M | re.S)
    # a code span may wrap onto the next line of a paragraph
    out.extend(span.replace("\n", " ") for span in re.findall(r"`([^`]+)`", prose))
    return out


def commands(prefix: str) -> list[tuple[str, list[str]]]:
    """(page, tokens after the prefix) of every quoted command starting with the prefix."""
    found = []
    pattern = re.compile(re.escape(prefix) + r"(?=\s|$)")
    for page in PAGES:
        for code in quoted(page):
            for match in pattern.finditer(code):
                rest = code[match.end() :]
                rest = rest[: SHELL_BREAK.search(rest).start()]
                found.append((page.name, rest.split()))
    return found


def flags_of(tokens: list[str]) -> list[str]:
    """The flags among a command's tokens: `[--force]`, `--source=db` and `--source` are --source
    and --force; values (`files\\|db`, `NAME`) are not flags."""
    return [
        re.match(r"\[?(--[a-z][a-z0-9-]*)", t).group(1)
        for t in tokens
        if t.lstrip("[").startswith("--")
    ]


def subparsers() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


TRAINER = commands("python -m trainer") + commands("python3 -m trainer")


def test_the_pages_quote_the_trainer_cli():
    assert len(TRAINER) >= 10, TRAINER  # the search itself works


@pytest.mark.parametrize(
    ("page", "tokens"), TRAINER, ids=[f"{p}:{' '.join(t)}" for p, t in TRAINER]
)
def test_each_trainer_command_and_flag_exists(page, tokens):
    parsers = subparsers()
    assert tokens, f"{page}: `python -m trainer` without a subcommand"
    # `train|evaluate|export --source db` names three subcommands that share the flags
    names = tokens[0].split("|")
    for name in names:
        assert name in parsers, f"{page}: no subcommand {name!r} (known: {sorted(parsers)})"
        known = set(parsers[name]._option_string_actions)
        for flag in flags_of(tokens[1:]):
            assert flag in known, f"{page}: `python -m trainer {name}` has no {flag}"


@cache
def script_options(name: str) -> tuple[set[str], set[str]]:
    """(subcommands, flags) a script documents, from its own usage text."""
    if name == "stack":
        usage = subprocess.run(
            [str(ROOT / "scripts" / "stack")], capture_output=True, text=True, check=False
        ).stderr
        words = re.search(r"usage: scripts/stack (\S+)", usage).group(1)
        return set(words.split("|")), set()
    if name == "bench":
        # the bench's own parser (--help exits before it looks for a stack)
        text = subprocess.run(
            [sys.executable, "-m", "benchmarks", "--help"],
            cwd=ROOT / "scripts",
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return set(), set(re.findall(r"(--[a-z][a-z0-9-]*)", text))
    return set(), set()


SCRIPTS = [
    (page, name, tokens)
    for name in ("stack", "bench", "demo", "setup", "test")
    for page, tokens in commands(f"scripts/{name}")
]


@pytest.mark.parametrize(
    ("page", "name", "tokens"), SCRIPTS, ids=[f"{p}:{n} {' '.join(t)}" for p, n, t in SCRIPTS]
)
def test_each_script_command_exists(page, name, tokens):
    assert (ROOT / "scripts" / name).is_file()
    subcommands, flags = script_options(name)
    if name == "test":
        return  # its arguments go to pytest
    if name == "stack":
        # `scripts/stack` alone names the script; the word after it (`up|down`) names subcommands
        for word in tokens[0].split("|") if tokens else []:
            assert word in subcommands, f"{page}: scripts/stack has no {word!r} ({subcommands})"
        return
    for flag in flags_of(tokens):
        assert flag in flags, f"{page}: scripts/{name} has no {flag} ({sorted(flags)})"
    if name in ("demo", "setup"):
        assert flags_of(tokens) == [], f"{page}: scripts/{name} takes no flags"


def named_paths() -> list[tuple[str, str]]:
    """Repository paths the pages name in code (`trainer/scratchoff/feeds/`), without templates."""
    out = []
    for page in PAGES:
        for code in quoted(page):
            for word in code.split():
                word = word.strip("`,;:()[]\"'")
                if word.startswith(TOP_FOLDERS) and "<" not in word and "..." not in word:
                    out.append((page.name, word))
    return sorted(set(out))


PATHS = named_paths()


@pytest.mark.parametrize(("page", "path"), PATHS, ids=[f"{p}:{w}" for p, w in PATHS])
def test_each_named_path_exists(page, path):
    exists = glob.glob(str(ROOT / path)) if "*" in path else (ROOT / path).exists()
    assert exists, f"{page} names {path}, which does not exist"
