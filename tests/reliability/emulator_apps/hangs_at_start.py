"""A server whose import never finishes (a start-up that waits on something that never comes)."""

import time

while True:  # not an Event wait: a busy-ish sleep loop, as a start-up stuck polling would be
    time.sleep(0.5)
