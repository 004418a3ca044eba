"""A stand-in for the user's browser (used as ``$BROWSER``): open the URL, follow the redirects, and so
deliver the authorization code to the proxy's loopback redirect, as a person clicking through would."""

import sys

import httpx

response = httpx.get(sys.argv[1], follow_redirects=True, timeout=30)
sys.exit(0 if response.status_code == 200 else 1)
