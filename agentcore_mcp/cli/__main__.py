"""``python -m agentcore_mcp.cli``: the same as the ``agentcore-mcp`` script."""

import sys

from agentcore_mcp.cli import main

sys.exit(main())
