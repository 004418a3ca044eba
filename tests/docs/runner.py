"""The documentation's code blocks, run: Sybil parses the pages; Python blocks run, shell blocks run for real.

Every fenced block of a page is one example, evaluated in page order:

- ``python``: executed (Sybil's Python evaluator) in one namespace per page, as pasted: top-level ``await``
  is a syntax error here, as it is in a script.
- ``sh`` / ``bash``: run with ``bash -euo pipefail`` in the page's working directory (a fresh temporary
  directory with ``examples/`` linked in), with the real ``agentcore-mcp`` on ``PATH``. Variables and the
  current directory carry over from one shell block to the next (``set -a``), as in one terminal.
- ``console``: the lines that start with ``$ `` are run like a ``sh`` block; the other lines are output.
- ``text``, ``toml``, ``json`` and other languages are not code to run.

A comment directly before a block changes how it runs:

- ``<!-- docs: background until="TEXT" -->``: the block is a server; it is started in the background and
  the page goes on once its output shows TEXT (within 60 s). It is stopped (SIGINT) when the page ends.
- ``<!-- docs: needs aws -->`` / ``<!-- docs: needs docker -->``: the block needs a real AWS account or a
  container engine. It is parsed (``bash -n``), and each ``agentcore-mcp`` command in it is checked
  against the real parser: the command exists, ``--help`` works, and every ``--option`` it uses is one of
  the command's options.
- ``<!-- docs: alternatives -->``: a block listing alternative long-running commands (several servers on
  one port, one per line, of which a reader runs one): checked as ``needs aws`` blocks are, not run.
- ``<!-- docs: needs checkout -->``: developer commands run in this repository's checkout (``make test``,
  which the docs run is itself part of; ``make bench``, ``.venv/bin/pytest tests/reliability``, ``python -m
  benchmarks.soak``: minutes each, and run by their own targets). Each command is checked, not run: a
  ``make`` target must exist (``make -n``), a ``.venv/bin/`` program must be installed, a ``-m`` module
  and the paths given to pytest must exist in the checkout.
- ``<!-- docs: needs mcp1 -->``: a Python block for mcp 1.x: run as a script of its own with
  ``.venv-mcp1/bin/python`` (the mcp 1.x environment of ``make test-mcp1``).
- ``<!-- docs: needs openai-agents -->``: a Python block for the OpenAI Agents SDK, whose pins conflict with
  this environment's: run as a script of its own with ``.venv-fw-openai/bin/python`` (``make test-frameworks``).
- ``<!-- docs: alone -->``: a Python block that must work pasted on its own: run as a script of its own, with
  nothing from the page's earlier blocks and without the page's AWS variables (no endpoint, no credentials):
  what it needs, it shows.
- ``<!-- docs: needs langchain -->`` / ``<!-- docs: needs llama-index -->``: a Python block for LangChain's or
  LlamaIndex's MCP adapters (both need mcp < 2): run the same way with ``.venv-fw-langchain/bin/python``.
- ``<!-- docs: needs google-adk -->``: the same for Google ADK, with ``.venv-fw-adk/bin/python``.
- ``<!-- docs: needs crewai -->``: the same for CrewAI, with ``.venv-fw-crewai/bin/python``.
- ``<!-- docs: ctrl-c -->`` (on its own): the reader stops the servers started so far (SIGINT), as the
  page tells them to.

The runner adds nothing a reader would not have: no AWS variables, no endpoint, no credentials, no
running AgentCore. A page that calls a runtime shows how to run it offline first, as a reader would: a
background block starting ``agentcore-mcp emulator`` (the demo tools under the page's ARN) and a block
exporting ``AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`` and the emulator's ``testing`` credentials. ``HOME`` is
the page's working directory, so nothing from the machine's ``~/.aws`` is read either.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sybil import Document, Example, Region, Sybil
from sybil.parsers.markdown import CodeBlockParser

REPO = Path(__file__).resolve().parents[2]
DIRECTIVE = re.compile(r"^<!-- docs: (?P<arguments>[^\n]*?) -->[ \t]*$", re.MULTILINE)
MODES = (
    "needs aws",
    "needs docker",
    "needs checkout",
    "needs mcp1",
    "needs openai-agents",
    "needs langchain",
    "needs llama-index",
    "needs google-adk",
    "needs crewai",
    "alternatives",
    "alone",
)
#: Modes whose Python blocks run as scripts of their own in another environment: its directory, the make
#: target that creates it, and what the failure message calls the block.
ENVIRONMENTS = {
    "needs mcp1": (".venv-mcp1", "make test-mcp1", "the mcp 1.x block"),
    "needs openai-agents": (".venv-fw-openai", "make test-frameworks", "the openai-agents block"),
    "needs langchain": (".venv-fw-langchain", "make test-frameworks", "the LangChain block"),
    "needs llama-index": (".venv-fw-langchain", "make test-frameworks", "the LlamaIndex block"),
    "needs google-adk": (".venv-fw-adk", "make test-frameworks", "the google-adk block"),
    "needs crewai": (".venv-fw-crewai", "make test-frameworks", "the CrewAI block"),
}
BACKGROUND = re.compile(r'background until="(?P<until>[^"]+)"')
START_TIMEOUT = 60.0
PORT_RETRIES = 30  # a fixed port held by another test: tried again every 2 s for a minute
BLOCK_TIMEOUT = 600.0  # the quickstart installs a project with its dev extras: minutes


@dataclass
class PageState:
    """What one page's blocks share: the shell's variables and directory, servers started, counts."""

    env: dict[str, str]
    cwd: Path
    bin: Path
    mode: str | None = None  # the directive for the next block
    servers: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)
    root: Path = REPO  # the checkout whose examples/ and Makefile the page uses
    #: None: Python blocks run in this process; else this interpreter runs them (the page's blocks so far
    #: and this one, as one script), with the page's environment, e.g. against a non-editable install.
    python: str | None = None
    python_sources: list[str] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)  # "python:12", "sh:40", ...
    parsed: list[str] = field(default_factory=list)  # needs-aws/docker blocks, checked but not run


def _directives(document: Document) -> Iterator[Region]:
    for match in DIRECTIVE.finditer(document.text):
        yield Region(match.start(), match.end(), match.group("arguments").strip(), _set_mode)


def _set_mode(example: Example) -> None:
    state: PageState = example.namespace["__docs__"]
    argument = str(example.parsed)
    if argument == "ctrl-c":
        stop_servers(state)
        state.servers.clear()
        return
    if not (argument in MODES or BACKGROUND.fullmatch(argument)):
        raise ValueError(f"unknown docs directive {argument!r} at line {example.line}")
    state.mode = argument


def _where(example: Example) -> str:
    path = Path(example.path)
    return f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}:{example.line}"


# As in this process's namespace: `if __name__ == "__main__":` bodies (app.run()) do not run.
_AS_A_MODULE = "import sys; exec(compile(sys.argv[1], '<docs>', 'exec'), {'__name__': 'docs_page'})"


def _run_python(example: Example) -> None:
    state: PageState = example.namespace["__docs__"]
    mode, state.mode = state.mode, None
    if mode in ENVIRONMENTS:
        _run_elsewhere(example, state, *ENVIRONMENTS[mode])
        return
    if mode == "alone":
        _run_alone(example, state)
        return
    if mode is not None:
        raise ValueError(f"{_where(example)}: `{mode}` applies to shell blocks only")
    if state.python is not None:
        state.python_sources.append(str(example.parsed))
        done = subprocess.run(
            [state.python, "-c", _AS_A_MODULE, "\n\n".join(state.python_sources)],
            cwd=state.cwd,
            env=state.env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"{_where(example)}: the python block failed:\n{done.stderr}")
        state.executed.append(f"python:{example.line}")
        return
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.clear()
    os.environ.update(state.env)
    os.chdir(state.cwd)
    try:
        PYTHON(example)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
    state.executed.append(f"python:{example.line}")


def _run_elsewhere(example: Example, state: PageState, venv: str, target: str, what: str) -> None:
    python = state.root / venv / "bin" / "python"
    if not python.is_file():
        raise AssertionError(f"{_where(example)}: needs {python} ({target} creates it)")
    done = subprocess.run(
        [str(python), "-c", _AS_A_MODULE, str(example.parsed)],
        cwd=state.cwd,
        env={**state.env, "PYTHONPATH": str(state.root)},
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"{_where(example)}: {what} failed:\n{done.stderr}")
    state.executed.append(f"python:{example.line}")


def _run_alone(example: Example, state: PageState) -> None:
    env = {key: value for key, value in state.env.items() if not key.startswith("AWS_")}
    done = subprocess.run(
        [state.python or sys.executable, "-c", _AS_A_MODULE, str(example.parsed)],
        cwd=state.cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"{_where(example)}: the block, run on its own, failed:\n{done.stderr}")
    state.executed.append(f"python:{example.line}")


def _shell_source(example: Example, language: str) -> str:
    source = str(example.parsed)
    if language != "console":
        return source
    commands: list[str] = []
    continuing = False
    for line in source.splitlines():
        if line.startswith("$ ") or continuing:
            text = line[2:] if line.startswith("$ ") and not continuing else line
            commands.append(text)
            continuing = text.rstrip().endswith("\\")
    return "\n".join(commands) + "\n"


def _shell(example: Example, language: str) -> None:
    state: PageState = example.namespace["__docs__"]
    mode, state.mode = state.mode, None
    source = _shell_source(example, language)
    where = _where(example)
    if mode == "needs checkout":
        check_checkout_commands(source, where, state.root)
        state.parsed.append(f"{language}:{example.line}")
        return
    if mode in ("needs aws", "needs docker", "alternatives"):
        check_without_running(source, state, where)
        state.parsed.append(f"{language}:{example.line}")
        return
    if mode is not None:
        until = BACKGROUND.fullmatch(mode)
        assert until is not None
        _start_server(source, state, until.group("until"), where)
        state.executed.append(f"{language}:{example.line}")
        return
    with tempfile.TemporaryDirectory() as scratch:
        after = Path(scratch)
        script = (
            f"set -a\ncd {shlex.quote(str(state.cwd))}\n{source}\n"
            f"env -0 > {shlex.quote(str(after / 'env'))}\npwd > {shlex.quote(str(after / 'cwd'))}\n"
        )
        done = _run_block(script, state.env, where)
        if done.returncode != 0:
            raise AssertionError(
                f"{where}: the {language} block exited with status {done.returncode}\n--- block ---\n{source}"
                f"--- stdout ---\n{done.stdout}--- stderr ---\n{done.stderr}"
            )
        state.env = dict(
            item.split("=", 1) for item in (after / "env").read_text().split("\0") if "=" in item
        )
        state.cwd = Path((after / "cwd").read_text().strip())
    state.executed.append(f"{language}:{example.line}")


def _run_block(script: str, env: dict[str, str], where: str) -> subprocess.CompletedProcess[str]:
    """Run a shell block in a process group of its own; past BLOCK_TIMEOUT the whole group is killed (a
    server started by a block not marked ``background`` never outlives the page)."""
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", script],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=BLOCK_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"{where}: the block did not finish within {BLOCK_TIMEOUT:g} s (a server? mark it "
            f'<!-- docs: background until="..." -->)\n--- stdout ---\n{stdout}--- stderr ---\n{stderr}'
        ) from None
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # anything the block left running in the background
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _start_server(source: str, state: PageState, until: str, where: str) -> None:
    # The docs use the fixed ports a reader would (8000, 9000); on a shared machine another test may hold
    # one for a moment, so a server that finds its port taken is started again, a few times.
    for attempt in range(PORT_RETRIES):
        if _try_server(source, state, until, where, last=attempt == PORT_RETRIES - 1):
            return
        time.sleep(2.0)


def _try_server(source: str, state: PageState, until: str, where: str, *, last: bool) -> bool:
    log = state.cwd / f".docs-server-{len(state.servers)}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", f"cd {shlex.quote(str(state.cwd))}\n{source}"],
            env=state.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while until not in log.read_text(errors="replace"):
        if process.poll() is not None:
            if not last and "already in use" in log.read_text(errors="replace"):
                return False
            raise AssertionError(
                f"{where}: the background block exited ({process.returncode}) before printing {until!r}:\n"
                + log.read_text(errors="replace")
            )
        if time.monotonic() > deadline:
            state.servers.append((process, log))
            raise AssertionError(f"{where}: no {until!r} within {START_TIMEOUT:g} s:\n{log.read_text()}")
        time.sleep(0.05)
    state.servers.append((process, log))
    return True


def _group_members(group: int) -> list[int]:
    """The live (not zombie) processes of a process group, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            members.append(int(stat.parent.name))
    return members


def stop_servers(state: PageState) -> None:
    """Stop the page's background blocks as Ctrl-C would: SIGINT to each block's whole process group, then
    SIGKILL to whatever is left after 20 s (and the page fails: a server must stop on Ctrl-C)."""
    stuck: list[str] = []
    for process, _ in state.servers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + 20
    for process, log in state.servers:
        while _group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = _group_members(process.pid)
        if left:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            stuck.append(f"{left} still running 20 s after Ctrl-C:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
    if stuck:
        raise AssertionError("a background block did not stop on Ctrl-C: " + "\n".join(stuck))


def _commands(source: str) -> Iterator[list[str]]:
    """Each ``agentcore-mcp`` command line of a shell script, as words (placeholders kept as words)."""
    joined = re.sub(r"\\\n", " ", source)
    for line in joined.splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for index, word in enumerate(words):
            if Path(word).name == "agentcore-mcp":
                rest = words[index + 1 :]
                for stop, token in enumerate(rest):
                    if token in ("|", "&&", "||", ";", ")"):
                        rest = rest[:stop]
                        break
                yield rest


def check_without_running(source: str, state: PageState, where: str) -> None:
    """A block that needs AWS or a container engine: valid shell, and its agentcore-mcp commands exist."""
    syntax = subprocess.run(["bash", "-n", "-c", source], capture_output=True, text=True, check=False)
    if syntax.returncode != 0:
        raise AssertionError(f"{where}: not valid shell: {syntax.stderr}")
    from agentcore_mcp.cli import parser

    root = parser()
    for words in _commands(source):
        command = _subcommand(root, words)
        if command is None:
            raise AssertionError(f"{where}: no such command: agentcore-mcp {' '.join(words[:2])}")
        names, sub = command
        known = {option for action in sub._actions for option in action.option_strings}
        for word in words[len(names) :]:
            option = word.split("=", 1)[0]
            if option.startswith("-") and option not in known:
                raise AssertionError(f"{where}: agentcore-mcp {' '.join(names)} has no option {option}")
        helped = subprocess.run(
            [str(state.bin / "agentcore-mcp"), *names, "--help"],
            env=state.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if helped.returncode != 0:
            raise AssertionError(f"{where}: agentcore-mcp {' '.join(names)} --help failed: {helped.stderr}")


def check_checkout_commands(source: str, where: str, root: Path) -> None:
    """Developer commands of the checkout at ``root``: each one's target, program, module and paths exist."""
    syntax = subprocess.run(["bash", "-n", "-c", source], capture_output=True, text=True, check=False)
    if syntax.returncode != 0:
        raise AssertionError(f"{where}: not valid shell: {syntax.stderr}")
    checked = 0
    commands: list[list[str]] = []
    for line in re.sub(r"\\\n", " ", source).splitlines():
        current: list[str] = []
        for word in shlex.split(line, comments=True):
            if word in ("&&", "||", ";", "|"):
                commands.append(current)
                current = []
            else:
                current.append(word)
        commands.append(current)
    for words in commands:
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            words = words[1:]  # VAR=value before the command
        if not words:
            continue
        checked += 1
        program = words[0]
        if program == "make":
            for target in words[1:]:
                done = subprocess.run(
                    ["make", "-n", "-C", str(root), target],
                    capture_output=True,
                    text=True,
                    timeout=60,
                    check=False,
                )
                if done.returncode != 0:
                    raise AssertionError(f"{where}: make {target}: {done.stderr.strip()}")
            continue
        # .venv/bin/ is the dev environment `make` creates: in a fresh clone, this interpreter's neighbours
        installed = (root / program).is_file() or (Path(sys.executable).parent / Path(program).name).is_file()
        if program.startswith(".venv/bin/") and not installed:
            raise AssertionError(f"{where}: {program} is not installed by make")
        if "-m" in words:
            name = words[words.index("-m") + 1]
            module = name.replace(".", "/")
            tails = (".py", "/__init__.py", "/__main__.py")
            in_checkout = any((root / f"{module}{tail}").exists() for tail in tails)
            if not in_checkout and importlib.util.find_spec(name.split(".")[0]) is None:
                raise AssertionError(f"{where}: no module {name} in the checkout or the standard library")
        if Path(program).name == "pytest":
            for argument in words[1:]:
                if not argument.startswith("-") and not (root / argument.split("::")[0]).exists():
                    raise AssertionError(f"{where}: pytest {argument}: no such path in the checkout")
    if not checked:
        raise AssertionError(f"{where}: `needs checkout` on a block without commands")


def _subcommand(root: Any, words: list[str]) -> tuple[list[str], Any] | None:
    node, names = root, []
    for word in words:
        actions = [a for a in node._actions if a.__class__.__name__ == "_SubParsersAction"]
        if not actions:
            break
        if word not in actions[0].choices:
            return None
        node = actions[0].choices[word]
        names.append(word)
    return (names, node) if names else None


def _python_evaluator() -> Any:
    from sybil.evaluators.python import PythonEvaluator

    return PythonEvaluator()


PYTHON = _python_evaluator()

SYBIL = Sybil(
    parsers=[
        _directives,
        CodeBlockParser("python", evaluator=_run_python),
        CodeBlockParser("sh", evaluator=lambda example: _shell(example, "sh")),
        CodeBlockParser("bash", evaluator=lambda example: _shell(example, "bash")),
        CodeBlockParser("console", evaluator=lambda example: _shell(example, "console")),
    ],
)

RUN_LANGUAGES = ("python", "sh", "bash", "console")


def pages() -> list[Path]:
    """README.md and every page under docs/."""
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


#: Variables of this process a page does not get: a reader's machine has none of the test run's.
NOT_PASSED = ("AWS_", "AGENTCORE_MCP_", "PYTEST_", "COV_", "BOTO_")


@contextmanager
def page_environment(
    bin_dir: Path | None = None, *, root: Path = REPO, pythonpath: str | None = None
) -> Iterator[PageState]:
    """A working directory (also ``HOME``) with ``examples/`` linked in, and the page's environment:
    this process's, without AWS or agentcore-mcp variables.

    By default the commands and Python blocks are this environment's. ``bin_dir`` (with ``pythonpath``)
    puts another installation's ``agentcore-mcp`` first on PATH and runs Python blocks with it, from the
    checkout at ``root``.
    """
    here = Path(sys.executable).parent
    bin_dir = bin_dir or here
    with tempfile.TemporaryDirectory(prefix="docs-") as directory:
        cwd = Path(directory)
        (cwd / "examples").symlink_to(root / "examples")
        env = {key: value for key, value in os.environ.items() if not key.startswith(NOT_PASSED)}
        env.update(
            PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            HOME=str(cwd),
            PYTHONPATH=pythonpath if pythonpath is not None else str(REPO),
            PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip"),
        )
        python = None if bin_dir == here else str(Path(sys.executable))
        state = PageState(env=env, cwd=cwd, bin=bin_dir, root=root, python=python)
        try:
            yield state
        finally:
            stop_servers(state)


def run_page(path: Path, state: PageState) -> PageState:
    """Evaluate every block of the page at ``path`` in order; the first failure raises."""
    document = SYBIL.parse(path)
    document.namespace["__docs__"] = state
    for example in document:
        example.evaluate()
    if state.mode is not None:
        raise ValueError(f"{path.name}: `{state.mode}` is followed by no block")
    return state


def fenced_blocks(path: Path) -> list[str]:
    """The language of every fenced block on the page (for the count of what was left unrun)."""
    return re.findall(r"^[ \t]*```([A-Za-z0-9_+-]*)", path.read_text(), re.MULTILINE)[::2]
