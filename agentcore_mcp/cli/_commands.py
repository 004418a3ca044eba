"""The command modules, in the order ``agentcore-mcp --help`` lists them.

Each entry names a module of this package that declares its commands as
:class:`agentcore_mcp.cli._base.Command` constants and defines ``register(commands)``: it adds each one
with :func:`agentcore_mcp.cli._base.add_command`, which attaches its handler. Adding a command is adding a
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
    "_gateway",
)
