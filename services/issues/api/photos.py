"""/v1/photos: upload a photo taken on a phone, and read it back by its URL.

The body is the image itself (`Content-Type: image/jpeg`, `image/png` or `image/webp`), at
most 5 MB (413 beyond, from the service's body limit); what it is is told from its first bytes.
The answer's `url` is what the `photos` and `evidence` fields of issue commands accept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel

from services.issues.api.deps import Issues, Pool
from services.issues.photos import store
from services.issues.photos.kinds import ACCEPTED, image_type
from shared.errors import Invalid, NotFound
from shared.http import CurrentPrincipal

router = APIRouter(prefix="/v1/photos", tags=["photos"])
PhotoId = Annotated[str, Path(pattern=store.ID_PATTERN)]
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# A photo never changes under its id: browsers and phones may keep it for a year, privately
# (it is shown to signed-in people only, so no shared cache may keep it).
CACHE = "private, max-age=31536000, immutable"


class PhotoOut(BaseModel):
    id: str
    url: str
    content_type: str
    size: int


@router.post("", status_code=201, response_model=PhotoOut, name="upload_photo",
             openapi_extra={"requestBody": {"required": True, "description": "the image's "
                            "bytes: JPEG, PNG or WebP, at most 5 MB",
                            "content": {kind: _BINARY for kind in ACCEPTED}}})
async def upload_photo(request: Request, who: CurrentPrincipal, issues: Issues, pool: Pool,
                       response: Response) -> PhotoOut:
    """Keep a photo and answer its URL, to name in an issue's `photos` or `evidence`."""
    data = await request.body()
    if not data:
        raise Invalid("body: the photo's bytes are missing", field="body")
    kind = image_type(data)
    if kind is None:
        raise Invalid("body: a photo must be a JPEG, PNG or WebP image (told by its bytes, "
                      "not its name)", field="body")
    photo = await store.save(pool, data, kind, who.sub, issues.clock.now())
    response.headers["Location"] = store.url_of(photo["id"])
    return PhotoOut(id=photo["id"], url=store.url_of(photo["id"]), content_type=kind,
                    size=photo["size"])


@router.get("/{photo_id}", name="get_photo", response_class=Response,
            responses={200: {"description": "the image", "content": {
                kind: _BINARY for kind in ACCEPTED}}})
async def get_photo(photo_id: PhotoId, who: CurrentPrincipal, pool: Pool) -> Response:
    """A photo, to anyone signed in who has its URL (the URL is 192 random bits)."""
    photo = await store.load(pool, photo_id)
    if photo is None:
        raise NotFound(f"no photo '{photo_id}'", field="photo_id")
    return Response(photo["data"], media_type=photo["content_type"], headers={
        "Cache-Control": CACHE, "ETag": f'"{photo["sha256"]}"',
        "X-Content-Type-Options": "nosniff",
        # Opened on its own, an image gets no scripts, styles or frames of any kind.
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })
