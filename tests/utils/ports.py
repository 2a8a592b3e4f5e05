from __future__ import annotations

import random
import socket


def free_port_block(size: int = 4, low: int = 20000, high: int = 40000) -> int:
    """A base port with `size` free consecutive ports after it, on loopback."""
    for _ in range(200):
        base = random.randint(low, high)
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


def kafka_port() -> int:
    """A broker port whose controller port (10 000 above, as deploy/kafka.sh has it) is free
    too, both below Linux's ephemeral range (32768+), where a client socket could take the
    controller's port between our check and the broker's bind."""
    for _ in range(200):
        port = free_port_block(1, low=20000, high=22700)
        if is_free(port + 10000):
            return port
    raise RuntimeError("no free broker and controller ports on loopback")


def is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
