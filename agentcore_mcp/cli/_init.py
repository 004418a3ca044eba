"""``agentcore-mcp init NAME``: a new MCP server project."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from agentcore_mcp.cli._base import Command, Failed, add_command

__all__ = ["register"]

DESCRIPTION = """\
Create a new MCP server project in ./NAME (or --directory): a package with the server module (two example
tools and the app), tests, a pyproject.toml, a README with the steps (test it, run it locally, deploy it
and call it), and a linux/arm64 Dockerfile (python slim, non-root, port 8000, bytecode compiled at build
time, uvloop and httptools) for the container-image route. The project deploys without Docker by default:
`agentcore-mcp deploy NAME --role ARN` in it builds a code zip and uploads it to S3.

NAME is the project's name (letters, digits, '-' and '_'); the Python package and the runtime name are NAME
with '-' turned into '_'.

--source says where the project gets agentcore-mcp: `index` (the package index), a wheel file or a source
checkout on this machine (the wheel is put in the project's wheels/ folder, which the install command and
the Dockerfile read), or a VCS URL such as git+https://host/repo.git@v0.1.0 (a direct reference in
pyproject.toml). `--source installed` takes the source this agentcore-mcp was installed from (a checkout, a
wheel or a VCS URL). Without --source, init picks the one that installs here: the package index when this
agentcore-mcp came from one, else where it came from (the checkout it runs from, or its wheel or VCS URL),
and says which.
"""

EXAMPLES = """\
agentcore-mcp init weather-tools
agentcore-mcp init my_tools --source ./agentcore-mcp   # a checkout of this library
agentcore-mcp init my_tools --source installed        # where this agentcore-mcp came from
agentcore-mcp init my_tools --source index            # agentcore-mcp from the package index
agentcore-mcp init my_tools --source git+https://github.com/agentcore-mcp/agentcore-mcp.git
"""

COMMAND = Command(
    "init", "scaffold a new MCP server project (server, tests, README, Dockerfile)", DESCRIPTION, EXAMPLES
)


def register(commands: Any) -> None:
    init = add_command(commands, COMMAND, run)
    init.add_argument("project", metavar="NAME", help="the project name, e.g. weather-tools")
    init.add_argument("--directory", "-d", metavar="DIR", help="where to create it (default ./NAME)")
    init.add_argument(
        "--source",
        metavar="SOURCE",
        help="where agentcore-mcp comes from: `index`, a wheel, a source directory, a VCS URL, or "
        "`installed` (default: the index if this agentcore-mcp came from one, else where it came from)",
    )
    init.add_argument("--force", action="store_true", help="write into an existing non-empty directory")


def run(args: argparse.Namespace) -> int:
    from agentcore_mcp._scaffold import ScaffoldError, create_project

    directory = Path(args.directory) if args.directory else Path(args.project)
    try:
        project = create_project(args.project, directory, force=args.force, source=args.source)
    except ScaffoldError as exc:
        raise Failed(str(exc)) from None
    print(f"created {project.name} in {directory}/ (package {project.package})")
    for path in project.files:
        print(f"  {path.relative_to(directory)}")
    print(project.source)
    print(
        "\nnext:\n"
        f"  cd {directory}\n"
        f'  python -m venv .venv && .venv/bin/pip install {project.install_options}-e ".[dev]"\n'
        "  .venv/bin/pytest\n"
        f"  .venv/bin/agentcore-mcp serve {project.package}.server:app\n"
        f"  .venv/bin/agentcore-mcp deploy {project.runtime} --role ROLE_ARN   # no Docker: a code zip\n"
        "  (see README.md for the deploy and call steps, and the container-image route)"
    )
    return 0
