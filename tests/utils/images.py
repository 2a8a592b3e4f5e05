"""Small real images for tests, made here (no image library needed)."""

from __future__ import annotations

import os
import struct
import zlib


def png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (183, 28, 28)) -> bytes:
    """A valid PNG of one colour: browsers draw it, the service takes it by its bytes."""
    return _png(width, height, b"".join(b"\x00" + bytes(rgb) * width for _ in range(height)))


def noisy_png(width: int, height: int) -> bytes:
    """A valid PNG of random pixels, which no compression shrinks: about 3 bytes a pixel, as
    large as a phone's photo can be."""
    rows = b"".join(b"\x00" + os.urandom(3 * width) for _ in range(height))
    return _png(width, height, rows, level=0)


def _png(width: int, height: int, rows: bytes, level: int = 6) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows, level)) + chunk(b"IEND", b""))
