"""Which images are taken, told by their first bytes (magic numbers), never by the name or the
Content-Type a client declares: a browser would otherwise be the one deciding what a file is."""

from __future__ import annotations

# Bytes a file must start with, and what it then is.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def image_type(data: bytes) -> str | None:
    """`image/jpeg`, `image/png` or `image/webp`, or None for anything else."""
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            return kind
    # WebP is a RIFF container: "RIFF", four bytes of length, then "WEBP".
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


ACCEPTED = ("image/jpeg", "image/png", "image/webp")
