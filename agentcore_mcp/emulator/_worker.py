"""The process behind one session in ``isolation="process"`` mode: one MCP server, like one microVM.

``python -m agentcore_mcp.emulator._worker APP [--log-level LEVEL]`` loads ``APP`` (see
:func:`~agentcore_mcp._loader.load_app`), serves it with uvicorn on a free loopback port, and once
it is listening prints ``AGENTCORE_MCP_WORKER_READY <port>`` on stdout; the emulator waits for that line
(bounded by the runtime's start timeout) instead of polling.
"""

from __future__ import annotations

import argparse
import socket
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agentcore_mcp.emulator._worker")
    parser.add_argument("app")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    import uvicorn

    from agentcore_mcp._loader import load_or_report
    from agentcore_mcp.emulator._microvms import READY

    app = load_or_report(args.app, "worker")
    if app is None:
        return 2

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and self.servers:
                port = self.servers[0].sockets[0].getsockname()[1]
                print(f"{READY} {port}", flush=True)

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level=args.log_level, lifespan="auto", server_header=False
    )
    _Server(config).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
