"""The template process of ``isolation="snapshot"``: the app imported once, each session's server forked.

``python -m agentcore_mcp.emulator._template APP`` imports ``APP`` (and uvicorn) once, prints
``AGENTCORE_MCP_TEMPLATE_READY``, then reads one command per line on stdin:

* ``fork`` — bind a loopback socket, ``os.fork()``; the child serves the already imported app on that
  socket with uvicorn (it inherits every object the import made, as a session restored from an AgentCore
  Runtime V2 snapshot does); the template prints ``AGENTCORE_MCP_FORKED <pid> <port>``.
* end of input — terminate every child and exit.

When a child exits the template prints ``AGENTCORE_MCP_EXITED <pid> <code>``. The template is one thread
(children are reaped via SIGCHLD and a wakeup pipe, never from a second thread), so a fork copies no lock
another thread holds. Whatever runs in ``os.register_at_fork(after_in_child=...)`` hooks runs in each
child, which is where a snapshot-safe library renews import-time secrets.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import sys
from typing import Any

from agentcore_mcp.emulator._snapshots import EXITED, FORKED, READY


def _serve_child(app: Any, sock: socket.socket, wakeup: tuple[int, int]) -> None:
    """In the forked child: forget the template's plumbing, serve ``app`` on ``sock``, never return."""
    import uvicorn

    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for fd in wakeup:
        os.close(fd)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    code = 0
    try:
        config = uvicorn.Config(app, log_level="warning", lifespan="auto", server_header=False)
        uvicorn.Server(config).run(sockets=[sock])
    except BaseException:  # report, then leave without the template's atexit work
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _fork(app: Any, wakeup: tuple[int, int], children: set[int]) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections queue until the child's uvicorn accepts them
    port = sock.getsockname()[1]
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        _serve_child(app, sock, wakeup)
    sock.close()
    children.add(pid)
    print(f"{FORKED} {pid} {port}", flush=True)


def _reap(children: set[int]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        print(f"{EXITED} {pid} {os.waitstatus_to_exitcode(status)}", flush=True)


def _stop(children: set[int]) -> None:
    for pid in list(children):
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            children.discard(pid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agentcore_mcp.emulator._template")
    parser.add_argument("app")
    args = parser.parse_args(argv)

    import uvicorn  # noqa: F401 (imported once here, so each fork starts with it loaded)

    from agentcore_mcp._loader import load_or_report

    app = load_or_report(args.app, "template")
    if app is None:
        return 2
    import gc

    gc.collect()
    gc.freeze()  # the imported objects stay out of the children's collections: fewer copy-on-write pages
    wakeup = os.pipe()
    os.set_blocking(wakeup[1], False)
    signal.set_wakeup_fd(wakeup[1])
    signal.signal(signal.SIGCHLD, lambda *_: None)  # the byte on the wakeup pipe is the signal
    signal.signal(signal.SIGTERM, lambda *_: _stop(children))
    children: set[int] = set()
    print(READY, flush=True)
    pending = b""
    while True:
        ready, _, _ = select.select([0, wakeup[0]], [], [])
        if wakeup[0] in ready:
            os.read(wakeup[0], 4096)
            _reap(children)
        if 0 in ready:
            chunk = os.read(0, 4096)
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip() == b"fork":
                    _fork(app, wakeup, children)
    _stop(children)
    while children:
        pid, status = os.waitpid(-1, 0)
        children.discard(pid)
        print(f"{EXITED} {pid} {os.waitstatus_to_exitcode(status)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
