"""``llama_cpp.server`` that exits when its parent does, however the parent ended.

The parent holds the write end of this process's stdin and never writes. When the
parent exits, even by SIGKILL, the pipe closes, the read below returns, and the server
process ends with it: no orphan keeps 2 GB of memory and a port.
"""

from __future__ import annotations

import os
import sys
import threading


def _exit_when_parent_goes() -> None:
    try:
        while sys.stdin.buffer.read(1):
            pass
    finally:
        os._exit(0)


def main() -> None:
    threading.Thread(target=_exit_when_parent_goes, name="parent-watch", daemon=True).start()
    from llama_cpp.server.__main__ import main as serve

    serve()


if __name__ == "__main__":
    main()
