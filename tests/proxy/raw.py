"""The proxy process on raw pipes: write any bytes to its stdin, read its stdout line by line."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import threading
from typing import Any

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": "init",
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


def call(request_id: Any, name: str, arguments: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments, **params},
    }


class RawProxy:
    """``subprocess.Popen`` of the proxy; every stdout line must be JSON (checked as it is read)."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: list[bytes] = []
        threading.Thread(target=self._pump, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _pump_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode(errors="replace")

    def send(self, message: dict[str, Any] | bytes) -> None:
        assert self.process.stdin is not None
        data = message if isinstance(message, bytes) else json.dumps(message).encode() + b"\n"
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def receive(self, timeout: float = 30) -> dict[str, Any]:
        line = self._lines.get(timeout=timeout)
        if line is None:
            raise EOFError(f"the proxy closed stdout; stderr:\n{self.stderr}")
        assert line.endswith(b"\n")
        message: dict[str, Any] = json.loads(line)  # anything but JSON on stdout fails here
        return message

    def answer(self, request_id: Any, timeout: float = 30) -> dict[str, Any]:
        """The response to ``request_id`` (notifications before it are skipped)."""
        while True:
            message = self.receive(timeout)
            if message.get("id") == request_id and "method" not in message:
                return message

    def handshake(self) -> None:
        self.send(INITIALIZE)
        assert "result" in self.answer("init")
        self.send(INITIALIZED)

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def signal(self, signum: int = signal.SIGTERM) -> None:
        self.process.send_signal(signum)

    def wait(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout)
        return code

    def rest(self) -> list[dict[str, Any]]:
        """Every line still to come until stdout closes (the process has exited or is exiting)."""
        out = []
        while (line := self._lines.get(timeout=30)) is not None:
            out.append(json.loads(line))
        return out

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
