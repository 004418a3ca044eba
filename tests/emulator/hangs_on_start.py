"""An app whose import never finishes: the emulator must give up after the start timeout (424)."""

import threading

threading.Event().wait()  # blocks the import forever; the emulator terminates the process

app = None
