"""``agentcore-mcp init``: a new MCP server project, ready to test, containerise and deploy.

The templates live in ``templates/`` beside this module (package data, shipped in the wheel). Each
``*.tmpl`` file is copied to the path :data:`FILES` gives it, with ``{{project}}`` (the project name),
``{{package}}`` (the Python package), ``{{runtime}}`` (the AgentCore runtime name) and
``{{version}}`` (this library's version) filled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from agentcore_mcp.errors import ScaffoldError

__all__ = ["FILES", "Project", "ScaffoldError", "create_project", "names_for"]

# template -> destination ("{package}" is replaced by the package name)
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "Dockerfile.tmpl": "Dockerfile",
    "dockerignore.tmpl": ".dockerignore",
    "gitignore.tmpl": ".gitignore",
    "package_init.py.tmpl": "{package}/__init__.py",
    "server.py.tmpl": "{package}/server.py",
    "test_server.py.tmpl": "tests/test_server.py",
}

_PROJECT = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,47}")
_PLACEHOLDER = re.compile(r"\{\{(project|package|runtime|version)\}\}")


@dataclass(frozen=True)
class Project:
    """What :func:`create_project` made: the names it used and the files it wrote."""

    name: str
    package: str
    runtime: str
    directory: Path
    files: tuple[Path, ...]


def names_for(project: str) -> tuple[str, str]:
    """The Python package and AgentCore runtime names for a project name (``my-tools`` -> ``my_tools``).

    Raises:
        ValueError: the name is not a letter followed by up to 47 letters, digits, ``-`` or ``_``.
    """
    if _PROJECT.fullmatch(project) is None:
        raise ValueError(
            f"a project name is a letter followed by up to 47 letters, digits, '-' or '_', got {project!r}"
        )
    package = project.replace("-", "_").lower()
    return package, package


def create_project(project: str, directory: Path, *, force: bool = False) -> Project:
    """Write a new server project for ``project`` into ``directory`` (created if missing).

    Raises:
        ValueError: an unusable project name.
        ScaffoldError: ``directory`` exists and is not empty (pass ``force=True`` to write into it;
            existing files with the same names are then replaced).
    """
    from agentcore_mcp import __version__

    package, runtime = names_for(project)
    if directory.exists() and not directory.is_dir():
        raise ScaffoldError(f"{directory} exists and is not a directory")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise ScaffoldError(f"{directory} exists and is not empty (use --force to write into it)")
    values = {"project": project, "package": package, "runtime": runtime, "version": __version__}
    templates = resources.files(__name__).joinpath("templates")
    rendered: list[tuple[Path, str]] = []
    for template, destination in FILES.items():
        text = templates.joinpath(template).read_text(encoding="utf-8")
        text = _PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
        rendered.append((directory / destination.format(package=package), text))
    written = []
    for path, text in rendered:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return Project(project, package, runtime, directory, tuple(written))
