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


def kafka_port(nodes: int = 1) -> int:
    """The first broker port of `nodes` consecutive ones whose controller ports (10 000 above,
    as deploy/kafka.sh has them) are free too, all below Linux's ephemeral range (32768+),
    where a client socket could take a controller's port between our check and its bind."""
    for _ in range(200):
        port = free_port_block(nodes, low=20000, high=22700)
        if all(is_free(p + 10000) for p in range(port, port + nodes)):
            return port
    raise RuntimeError("no free broker and controller ports on loopback")


def is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
