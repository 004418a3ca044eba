"""The servers the benchmark loads: the SDK peer and the bare-ASGI limit (ours is ``examples.demo_server``)."""
