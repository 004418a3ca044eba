"""A small Dockerfile parser and the checks hadolint would make on our images (no Docker engine needed).

hadolint is not on the package registries this project uses, so the rules that matter for these images
are written out here, each with hadolint's number where it has one. ``--platform`` on ``FROM`` is
required here, not discouraged (hadolint's DL3029): AgentCore runs linux/arm64 only, and pinning it keeps
an x86 image from being built by accident.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    value: str  # the arguments, continuation lines joined
    line: int


@dataclass
class Stage:
    base: str
    name: str | None
    platform: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


@dataclass
class Dockerfile:
    directives: dict[str, str]
    args: dict[str, str]  # ARGs before the first FROM, with their defaults
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def expand(self, text: str) -> str:
        """``${NAME}`` / ``$NAME`` replaced by the global ARG defaults."""
        return re.sub(r"\$\{?(\w+)\}?", lambda m: self.args.get(m.group(1), m.group(0)), text)

    def env(self, stage: Stage) -> dict[str, str]:
        """The stage's ENV values (``KEY=VALUE`` pairs)."""
        values: dict[str, str] = {}
        for instruction in stage.all("ENV"):
            for pair in shlex.split(instruction.value):
                key, _, value = pair.partition("=")
                values[key] = value
        return values

    def cmd(self) -> list[str]:
        """The final stage's CMD (exec form)."""
        commands = self.final.all("CMD")
        assert commands, "no CMD"
        value = json.loads(commands[-1].value)
        assert isinstance(value, list)
        return [str(v) for v in value]


def parse(text: str) -> Dockerfile:
    directives: dict[str, str] = {}
    args: dict[str, str] = {}
    stages: list[Stage] = []
    logical: list[tuple[int, str]] = []
    buffer = ""
    start = 0
    header = True
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        directive = re.fullmatch(r"#\s*(\w+)=(\S+)", line)
        if header and directive:
            directives[directive.group(1).lower()] = directive.group(2)
            continue
        if line.lstrip().startswith("#") or (not line and not buffer):
            header = header and line.lstrip().startswith("#")
            continue
        header = False
        if not buffer:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        logical.append((start, " ".join(buffer.split())))
        buffer = ""
    assert not buffer, "the file ends inside a continued line"
    for number, line in logical:
        keyword, _, value = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            tokens = value.split()
            platform = None
            if tokens[0].startswith("--platform="):
                platform = tokens.pop(0).split("=", 1)[1]
            name = tokens[2] if len(tokens) >= 3 and tokens[1].upper() == "AS" else None
            stages.append(Stage(tokens[0], name, platform))
        elif not stages:
            assert keyword == "ARG", f"line {number}: only ARG may come before FROM"
            key, _, default = value.partition("=")
            args[key] = default
        else:
            stages[-1].instructions.append(Instruction(keyword, value, number))
    return Dockerfile(directives, args, stages)


def load(path: Path) -> Dockerfile:
    return parse(path.read_text())


def problems(dockerfile: Dockerfile) -> list[str]:
    """Everything wrong with ``dockerfile`` by the rules below; empty when it passes."""
    found: list[str] = []
    names = {stage.name for stage in dockerfile.stages if stage.name}
    for stage in dockerfile.stages:
        base = dockerfile.expand(stage.base)
        if stage.platform != "linux/arm64":
            found.append(f"FROM {stage.base}: --platform=linux/arm64 is required (AgentCore runs arm64 only)")
        if base not in names:
            image, _, tag = base.partition(":")
            if not tag:
                found.append(f"DL3006 FROM {base}: tag the image explicitly")
            elif tag == "latest":
                found.append(f"DL3007 FROM {base}: do not use the latest tag")
            if not (image == "python" and tag.endswith("-slim")):
                found.append(f"FROM {base}: expected a python:*-slim base image")
        workdir = None
        for instruction in stage.instructions:
            keyword, value = instruction.keyword, instruction.value
            where = f"line {instruction.line}"
            if keyword == "ADD":
                found.append(f"DL3020 {where}: use COPY instead of ADD for files")
            if keyword == "WORKDIR":
                if not value.startswith("/"):
                    found.append(f"DL3000 {where}: use an absolute WORKDIR")
                workdir = value
            if keyword == "COPY" and workdir is None:
                destination = value.split()[-1]
                if not destination.startswith("/"):
                    found.append(f"DL3045 {where}: COPY to a relative path without a WORKDIR")
            if keyword in ("CMD", "ENTRYPOINT"):
                try:
                    json.loads(value)
                except json.JSONDecodeError:
                    found.append(f"DL3025 {where}: use the JSON (exec) form for {keyword}")
            if keyword == "RUN":
                found.extend(_run_problems(value, where))
            if keyword == "USER" and value.split(":")[0] in ("root", "0"):
                found.append(f"DL3002 {where}: do not switch to root")
    final = dockerfile.final
    users = final.all("USER")
    if not users or users[-1].value.split(":")[0] in ("root", "0"):
        found.append("DL3002: the final stage must run as a non-root USER")
    if [e.value for e in final.all("EXPOSE")] != ["8000"]:
        found.append("the final stage must EXPOSE 8000 (AgentCore's MCP port), and only that")
    if len(final.all("CMD")) != 1:
        found.append("DL4003: exactly one CMD in the final stage")
    return found


def _run_problems(command: str, where: str) -> list[str]:
    found = []
    if "|" in command.replace("||", "") and "pipefail" not in command:
        found.append(f"DL4006 {where}: set -o pipefail before a pipe")
    if re.search(r"\bpip3? install\b", command):
        if "--no-cache-dir" not in command:
            found.append(f"DL3042 {where}: pip install --no-cache-dir")
        if "--no-index" not in command or "--find-links" not in command:
            found.append(
                f"{where}: the runtime installs only the wheels built in the image (--no-index --find-links)"
            )
    if "apt-get install" in command and "--no-install-recommends" not in command:
        found.append(f"DL3015 {where}: apt-get install --no-install-recommends")
    if re.search(r"\bsudo\b", command):
        found.append(f"DL3004 {where}: do not use sudo")
    if re.search(r"\b(curl|wget)\b", command):
        found.append(f"{where}: nothing is downloaded at build time beyond the package index")
    return found
