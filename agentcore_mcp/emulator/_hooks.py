"""Runtime V2's build hook in local runs: the warm-up POST, once per created or updated version.

AgentCore calls ``hooksConfiguration.build.warmup`` (an HTTP ``POST`` to the container) once per create or
update of a V2 runtime, before any session exists; the runtime stays ``CREATING``/``UPDATING`` meanwhile,
and a hook that fails (an error status, no answer within 120 s; no retry) makes it ``CREATE_FAILED`` or
``UPDATE_FAILED`` with the hook's error as the reason ("Configure lifecycle hooks for AgentCore Runtime").
moto records neither ``platformVersion`` nor ``hooksConfiguration``: :func:`record_v2_settings` keeps them
on moto's runtime record (the fake of the remote service), and :func:`run_warmup` plays the platform's part
for one version: it starts the version's server as a session would (its code zip, or its app spec), POSTs
the hook's path, and stops it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

__all__ = ["HOOK_TIME_LIMIT", "current_request", "hook_of", "run_warmup"]

logger = logging.getLogger("agentcore_mcp.emulator")

HOOK_TIME_LIMIT = 120.0

#: The parameters of the control-plane request moto is handling in this thread (create or update).
current_request = threading.local()


def hook_of(settings: dict[str, Any]) -> str | None:
    """The warm-up hook's path when the settings name one on platform version V2, else None."""
    if settings.get("platformVersion") != "V2":
        return None
    hooks = settings.get("hooksConfiguration") or {}
    action = ((hooks.get("build") or {}).get("warmup") or {}).get("action") or {}
    path = (action.get("httpPost") or {}).get("path")
    return str(path) if path else None


def run_warmup(runtime: Any, path: str, client_timeout: float = HOOK_TIME_LIMIT) -> str | None:
    """POST the warm-up hook of ``runtime``'s server, started for the purpose; None, or why it failed."""
    return asyncio.run(_warm(runtime, path, client_timeout))


async def _warm(runtime: Any, path: str, limit: float) -> str | None:
    import httpx

    from agentcore_mcp.emulator._code import CodeUnavailable
    from agentcore_mcp.emulator._microvms import CodeProcess, WorkerProcess
    from agentcore_mcp.emulator._processes import StartFailed

    process: Any = None
    try:
        if runtime.code is not None:
            process = CodeProcess(runtime, "warm-up")
        elif runtime.isolation != "shared":
            process = WorkerProcess(runtime, "warm-up")
        if process is not None:
            port = await process.start()
            url = f"http://127.0.0.1:{port}{path}"
        elif isinstance(runtime.target, str) and runtime.target.startswith(("http://", "https://")):
            base = runtime.target.rsplit(runtime.mcp_path, 1)[0] if runtime.mcp_path else runtime.target
            url = f"{base.rstrip('/')}{path}"
        else:
            return None  # an in-process app: there is no container to call
        async with httpx.AsyncClient(timeout=limit) as client:
            answer = await client.post(url)
        if answer.status_code // 100 != 2:
            detail = answer.text.strip()[:500]
            return f"The warm-up hook POST {path} answered HTTP {answer.status_code}" + (
                f": {detail}" if detail else ""
            )
        logger.info("warm-up hook POST %s of %s answered %d", path, runtime.name, answer.status_code)
        return None
    except (StartFailed, CodeUnavailable) as exc:
        return f"The runtime did not start for its warm-up hook: {exc}"
    except httpx.TimeoutException:
        return f"The warm-up hook POST {path} did not answer within {limit:g} seconds"
    except httpx.HTTPError as exc:
        return f"The warm-up hook POST {path} failed: {exc}"
    finally:
        if process is not None:
            await process.terminate()
