"""Photos taken on a phone (issue 10): uploaded to the issues service, named by URL in an
issue's photos, progress and evidence, read back by anyone signed in."""

from __future__ import annotations

import httpx

from shared.db import create_pool
from tests.utils.city import BUILDING
from tests.utils.images import png
from tests.utils.tokens import bearer

RESIDENT = bearer("resident", "km.guandu.taihe.heping", sub="r-photo")
COMMUNITY = bearer("community_staff", "km.guandu.taihe.heping", sub="c-photo")
OTHER_RESIDENT = bearer("resident", "km.guandu.taihe.minhang", sub="r-elsewhere")


async def upload(api: httpx.AsyncClient, data: bytes, headers: dict = RESIDENT,
                 content_type: str = "image/png") -> httpx.Response:
    return await api.post("/v1/photos", content=data,
                          headers={**headers, "Content-Type": content_type})


async def stored_photos(database_url: str) -> int:
    pool = await create_pool(database_url)
    try:
        return await pool.fetchval("SELECT count(*) FROM issues_photos.photos")
    finally:
        await pool.close()


async def test_a_photo_comes_back_byte_for_byte_to_anyone_signed_in(issues_api) -> None:
    image = png(16, 9)
    r = await upload(issues_api, image)
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["url"] == f"/v1/photos/{photo['id']}" == r.headers["Location"]
    assert photo["content_type"] == "image/png" and photo["size"] == len(image)
    assert len(photo["id"]) == 32
    for reader in (RESIDENT, COMMUNITY, OTHER_RESIDENT):
        got = await issues_api.get(photo["url"], headers=reader)
        assert got.status_code == 200
        assert got.content == image
        assert got.headers["Content-Type"] == "image/png"
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert "immutable" in got.headers["Cache-Control"]
        assert "private" in got.headers["Cache-Control"]


async def test_the_bytes_say_what_it_is_not_the_declared_type(issues_api, settings) -> None:
    before = await stored_photos(settings.database_url)
    html = b"<html><script>alert(1)</script></html>"
    r = await upload(issues_api, html, content_type="image/png")
    assert r.status_code == 422
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.json()["field"] == "body"
    empty = await upload(issues_api, b"")
    assert empty.status_code == 422 and empty.json()["field"] == "body"
    # A JPEG declared as a PNG is kept, and served, as the JPEG it is.
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(64)
    r = await upload(issues_api, jpeg, content_type="image/png")
    assert r.status_code == 201 and r.json()["content_type"] == "image/jpeg"
    got = await issues_api.get(r.json()["url"], headers=RESIDENT)
    assert got.headers["Content-Type"] == "image/jpeg"
    assert await stored_photos(settings.database_url) == before + 1


async def test_over_five_megabytes_is_413_and_nothing_is_kept(issues_api, settings) -> None:
    before = await stored_photos(settings.database_url)
    big = png() + bytes(5 * 1024 * 1024)
    r = await upload(issues_api, big)
    assert r.status_code == 413
    assert r.headers["Content-Type"] == "application/problem+json"
    assert await stored_photos(settings.database_url) == before


async def test_strangers_neither_upload_nor_read(issues_api) -> None:
    r = await upload(issues_api, png(), headers={})
    assert r.status_code == 401
    photo = (await upload(issues_api, png())).json()
    assert (await issues_api.get(photo["url"])).status_code == 401
    missing = await issues_api.get("/v1/photos/" + "A" * 32, headers=RESIDENT)
    assert missing.status_code == 404
    malformed = await issues_api.get("/v1/photos/..%2Fetc", headers=RESIDENT)
    assert malformed.status_code in (404, 422)


async def test_issues_progress_and_evidence_name_uploaded_photos(issues_api) -> None:
    photo = (await upload(issues_api, png())).json()["url"]
    r = await issues_api.post("/v1/issues", headers=RESIDENT, json={
        "node": BUILDING, "title": "井盖破损", "category": "environment", "channel": "app",
        "photos": [photo, "https://example.org/a.jpg"]})
    assert r.status_code == 201, r.text
    issue = r.json()
    assert issue["photos"] == [photo, "https://example.org/a.jpg"]
    base = f"/v1/issues/{issue['id']}"
    done = (await upload(issues_api, png(rgb=(0, 128, 0)), headers=COMMUNITY)).json()["url"]
    assert (await issues_api.post(f"{base}/acknowledge", json={},
                                  headers=COMMUNITY)).status_code == 200
    progress = await issues_api.post(f"{base}/progress", headers=COMMUNITY,
                                     json={"note": "已围挡", "photos": [done]})
    assert progress.status_code == 200, progress.text
    resolved = await issues_api.post(f"{base}/resolve", headers=COMMUNITY,
                                     json={"resolution": "已更换", "evidence": [done]})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolution"]["evidence"] == [done]
    # Open311's list is public: it shows the reporter's link, never an uploaded photo's URL.
    public = await issues_api.get(f"/open311/v2/requests/{issue['id']}.json")
    assert public.status_code == 200, public.text
    assert public.json()[0]["media_url"] == "https://example.org/a.jpg"
    assert photo not in public.text


async def test_a_photo_url_naming_no_upload_is_refused_naming_the_field(issues_api) -> None:
    ghost = "/v1/photos/" + "B" * 32
    r = await issues_api.post("/v1/issues", headers=RESIDENT, json={
        "node": BUILDING, "title": "井盖破损", "category": "environment", "channel": "app",
        "photos": [ghost]})
    assert r.status_code == 422 and r.json()["field"] == "photos"
    bad = await issues_api.post("/v1/issues", headers=RESIDENT, json={
        "node": BUILDING, "title": "井盖破损", "category": "environment", "channel": "app",
        "photos": ["/etc/passwd"]})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].startswith("photos")
