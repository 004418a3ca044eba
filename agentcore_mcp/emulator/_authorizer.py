"""Moved: the SigV4 verifier is in ``_sigv4.py``, the local issuer and JWT verification in ``_issuer.py``.

Re-exports kept only until tests/client/test_auth.py and tests/reliability/test_emulator_auth.py import
from ``_sigv4`` (requested of their owners); delete this module then.
"""

from agentcore_mcp.emulator._sigv4 import Credentials, SignatureRejected, SigV4Verifier

__all__ = ["Credentials", "SigV4Verifier", "SignatureRejected"]
