"""What a photo is, by its first bytes, whatever the client says it is."""

from __future__ import annotations

import pytest

from services.issues.photos.kinds import image_type
from tests.utils.images import png


@pytest.mark.parametrize(("data", "kind"), [
    (png(), "image/png"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20, "image/jpeg"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image/webp"),
    (b"GIF89a" + b"\x00" * 20, None),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", None),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # a RIFF that is a sound, not a WebP
    (b"\x89PNG", None),  # cut short
    (b"", None),
])
def test_only_jpeg_png_and_webp_are_photos(data: bytes, kind: str | None) -> None:
    assert image_type(data) == kind
