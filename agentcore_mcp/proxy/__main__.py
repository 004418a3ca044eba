"""``python -m agentcore_mcp.proxy TARGET [options]``: the same as ``agentcore-mcp proxy``."""

import sys

from agentcore_mcp.proxy._config import main

sys.exit(main())
