"""App specs for the emulator fault tests: each file is one way a runtime's server can misbehave."""
