"""A server that exits while it is being imported (a missing setting, an `exit(3)` in module code)."""

import sys

sys.exit(3)
