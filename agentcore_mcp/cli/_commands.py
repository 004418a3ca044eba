"""The command modules, in the order ``agentcore-mcp --help`` lists them.

Each entry names a module of this package that defines ``register(commands)``: it adds its commands with
:func:`agentcore_mcp.cli._base.add_command`, which attaches each one's handler. Adding a command is adding a
module and its name here; nothing else in the package changes.
"""

from __future__ import annotations

COMMANDS = (
    "_init",
    "_serve",
    "_emulator",
    "_tools",
    "_call",
    "_session",
    "_proxy",
    "_deploy",
)
