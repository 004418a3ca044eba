"""The Agent Skills format as the Skills extension (SEP-2640) carries it, shared by the server and the client.

A skill is a directory whose ``SKILL.md`` begins with YAML frontmatter (``name`` and ``description`` at
least); ``skills/list`` publishes that frontmatter as a JSON object and every file's ``sha256:{hex}`` digest
and byte size. Both sides need the same reading of the frontmatter (the server publishes it, the client
compares a fetched ``SKILL.md`` against it), so it lives here, below both.

The frontmatter is read the way YAML 1.2's core schema reads it (the schema of the JavaScript ``yaml``
package the official tooling uses): ``2026-01-01`` stays a string, and only ``true``/``false`` are booleans
(YAML 1.1's ``yes``/``no``/``on``/``off`` stay strings). PyYAML (the ``skills`` extra) is imported on first
use only.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from agentcore_mcp._extras import require

__all__ = [
    "MAX_FILES",
    "MAX_TOTAL_BYTES",
    "SKILL_FILE",
    "digest",
    "frontmatter_of",
    "is_skill_name",
]

SKILL_FILE = "SKILL.md"
# The per-skill limits every conforming host accepts (SEP-2640, "Limits").
MAX_FILES = 512
MAX_TOTAL_BYTES = 16 * 1024 * 1024

# Agent Skills naming rules: 1-64 characters, lowercase alphanumerics and hyphens, no leading, trailing or
# consecutive hyphens.
_NAME = re.compile(r"(?!.*--)[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")
# A leading ``---`` line, the YAML, a closing ``---`` line (a byte-order mark before it is tolerated).
_FRONTMATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
_BOOL_12 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")

_loader: Any = None


def digest(data: bytes) -> str:
    """The SEP-2640 digest of ``data``: ``sha256:`` and 64 lowercase hex digits."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def is_skill_name(name: str) -> bool:
    """Whether ``name`` satisfies the Agent Skills naming rules."""
    return _NAME.fullmatch(name) is not None


def frontmatter_of(text: str) -> dict[str, Any]:
    """The YAML frontmatter of a ``SKILL.md`` as a JSON-compatible object.

    Raises:
        ValueError: no leading ``---`` block, YAML that does not parse or is not a mapping, a value JSON
            cannot carry, or a missing or empty ``name`` or ``description``.
        MissingExtraError: PyYAML is not installed (the ``skills`` extra).
    """
    match = _FRONTMATTER.match(text)
    if match is None:
        raise ValueError(f"{SKILL_FILE} does not begin with a '---' delimited YAML frontmatter block")
    loader = _yaml_loader()
    try:
        value = _yaml().load(match.group(1), Loader=loader)
    except _yaml().YAMLError as exc:
        raise ValueError(f"the frontmatter of {SKILL_FILE} is not valid YAML: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"the frontmatter of {SKILL_FILE} is not a mapping")
    _check_json(value, "frontmatter")
    for field in ("name", "description"):
        if not isinstance(value.get(field), str) or not value[field]:
            raise ValueError(f"the frontmatter of {SKILL_FILE} has no non-empty {field!r}")
    return value


def _check_json(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where} has a key that is not a string: {key!r}")
            _check_json(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
    elif value is not None and not isinstance(value, (str, int, float, bool)):
        raise ValueError(f"{where} is a {type(value).__name__}, which JSON cannot carry")


def _yaml() -> Any:
    require("the Skills extension", "skills", "yaml")
    import yaml  # type: ignore[import-untyped,unused-ignore]

    return yaml


def _yaml_loader() -> Any:
    global _loader
    if _loader is None:
        yaml = _yaml()
        bool_tag, timestamp_tag = "tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp"

        class Loader(yaml.SafeLoader):  # type: ignore[misc,name-defined,unused-ignore]
            """PyYAML's safe loader with YAML 1.2 core booleans and no timestamps."""

        Loader.yaml_implicit_resolvers = {
            first: [(tag, rx) for tag, rx in resolvers if tag not in (bool_tag, timestamp_tag)]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        Loader.add_implicit_resolver(bool_tag, _BOOL_12, list("tTfF"))
        _loader = Loader
    return _loader
