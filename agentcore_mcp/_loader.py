"""Loading an ASGI app from a spec: ``path/to/file.py[:attr]`` or ``package.module[:attr]``."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from agentcore_mcp.errors import AppLoadError

__all__ = ["AppLoadError", "load_app", "load_or_report"]


def load_app(spec: str) -> Any:
    """Import the app a spec names and return an ASGI callable.

    A module name is looked up in the working directory first, as uvicorn does (an installed console
    script's ``sys.path`` does not hold it). Without ``:attr``, the module's ``app`` is used, else its only ``AgentCoreMCP`` instance. An official
    MCP SDK server (anything with ``streamable_http_app()``) is turned into its ASGI app.

    Raises:
        AppLoadError: the module cannot be imported or holds no usable app.
    """
    target, _, attr = spec.partition(":")
    if ":" in spec and len(target) == 1 and spec[1:3] in (":\\", ":/"):  # a Windows drive letter
        target, _, attr = spec[2:].partition(":")
        target = spec[:2] + target
    path = Path(target)
    if target.endswith(".py") or path.is_file():
        if not path.is_file():
            raise AppLoadError(f"no such file: {target}")
        module = _import_file(path)
    else:
        _working_directory_on_path()
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise AppLoadError(f"cannot import {target!r}: {exc}") from exc
    if attr:
        if not hasattr(module, attr):
            raise AppLoadError(f"{target} has no attribute {attr!r}")
        obj = getattr(module, attr)
    elif hasattr(module, "app"):
        obj = module.app
    else:
        from agentcore_mcp import AgentCoreMCP

        found = [v for v in vars(module).values() if isinstance(v, AgentCoreMCP)]
        if len(found) != 1:
            raise AppLoadError(
                f"{target} has no 'app'; name the object to serve as {target}:NAME"
                + (f" (it holds {len(found)} AgentCoreMCP instances)" if found else "")
            )
        obj = found[0]
    if hasattr(obj, "streamable_http_app") and callable(obj.streamable_http_app):
        obj = obj.streamable_http_app()
    if not callable(obj):
        raise AppLoadError(f"{spec} is not an ASGI app (got {type(obj).__name__})")
    return obj


def load_or_report(spec: str, process: str) -> Any | None:
    """:func:`load_app` for a process's entry point: None after printing why on stderr.

    The line is ``agentcore-mcp PROCESS: <why>``; the caller then exits with status 2.
    """
    try:
        return load_app(spec)
    except AppLoadError as exc:
        print(f"agentcore-mcp {process}: {exc}", file=sys.stderr, flush=True)
        return None


def _working_directory_on_path() -> None:
    """Put the working directory first on ``sys.path`` (uvicorn's ``--app-dir`` default), once."""
    here = os.getcwd()
    if here not in sys.path and "" not in sys.path:
        sys.path.insert(0, here)


def _import_file(path: Path) -> Any:
    path = path.resolve()
    directory = str(path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)  # sibling imports work as they do under `python file.py`
    name = f"_agentcore_mcp_app_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise AppLoadError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise AppLoadError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    return module
