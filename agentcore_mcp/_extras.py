"""The optional parts' third-party packages: checked once when a part is imported, imported by name later.

Each part beyond the server (``agentcore_mcp.client``, ``agentcore_mcp.emulator``) calls :func:`require`
at import with the top-level packages its extra installs, so a user who lacks one gets one
:class:`~agentcore_mcp.errors.MissingExtraError` naming the extra instead of a ``ModuleNotFoundError`` from
deep inside a call. The check is ``importlib.util.find_spec`` per package (no import; about 20 µs each).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Mapping
from typing import Any

from agentcore_mcp.errors import MissingExtraError

__all__ = ["lazy_attributes", "require", "untyped_module"]


def require(part: str, extra: str, *packages: str) -> None:
    """Raise :class:`MissingExtraError` unless every top-level package in ``packages`` is importable."""
    missing = [name for name in packages if not _importable(name)]
    if missing:
        raise MissingExtraError(
            f"{part} needs {', '.join(missing)}, which the {extra!r} extra installs: "
            f'pip install "agentcore-mcp[{extra}]"'
        )


def untyped_module(name: str) -> Any:
    """Import a module that ships no type information (boto3, botocore) by name, typed as ``Any``."""
    return importlib.import_module(name)


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a finder that refuses the name, or a half-imported module
        return False


def lazy_attributes(namespace: dict[str, Any], table: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``table[name]`` (a module path) on first use of ``name``.

    The value is bound into ``namespace`` (the module's ``globals()``), so later lookups are plain ones.
    """

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
