from __future__ import annotations

import random
import socket


def free_port_block(size: int = 4) -> int:
    """A base port with `size` free consecutive ports after it, on loopback."""
    for _ in range(200):
        base = random.randint(20000, 40000)
        try:
            socks = []
            for port in range(base, base + size):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port block on loopback")
