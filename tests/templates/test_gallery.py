"""Gallery template on localnet: chunked uploads (1.9 MiB per call), paging, quota, access."""
import pytest

from template_canister import TemplateCanister, err, ok

MIB = 1024 * 1024
CHUNK = 1_992_294  # 1.9 MiB, the largest chunk one call takes


@pytest.fixture(scope="module")
def gallery(callers):
    return TemplateCanister(callers, "gallery", max_total_bytes=8 * MIB, max_photo_bytes=5 * MIB, max_photos=4,
                            max_pending_uploads=2)


def upload(gallery, who, title, data, chunk=CHUNK):
    photo = ok(gallery.call(who, "begin_upload", {"title": title, "mime_type": "image/jpeg", "size": len(data)}))
    for index, start in enumerate(range(0, len(data), chunk)):
        ok(gallery.call(who, "upload_chunk", photo, index, data[start:start + chunk]))
    return photo, ok(gallery.call(who, "finish_upload", photo))


def read_back(gallery, who, photo, chunks):
    return b"".join(ok(gallery.call(who, "get_chunk", photo, i)) for i in range(chunks))


def test_large_photo_is_assembled_across_calls_and_read_back(gallery, callers):
    owner = callers.owner
    data = bytes(range(256)) * (4 * MIB // 256 + 7)  # a bit over 4 MiB: three chunks
    photo, info = upload(gallery, owner, "sunset", data)
    assert (info["size"], info["chunk_count"], info["complete"], info["mime_type"]) == (len(data), 3, True, "image/jpeg")
    assert info["created_at"] > 0
    assert read_back(gallery, owner, photo, 3) == data
    assert "no chunk 3" in err(gallery.call(owner, "get_chunk", photo, 3))


def test_chunk_rules(gallery, callers):
    owner = callers.owner
    photo = ok(gallery.call(owner, "begin_upload", {"title": "t", "mime_type": "image/png", "size": 10}))
    assert "expected chunk 0" in err(gallery.call(owner, "upload_chunk", photo, 1, b"abc"))
    assert ok(gallery.call(owner, "upload_chunk", photo, 0, b"abcd")) == 4
    assert ok(gallery.call(owner, "upload_chunk", photo, 0, b"abcd")) == 4  # a retried call
    assert "different bytes" in err(gallery.call(owner, "upload_chunk", photo, 0, b"zzzz"))
    assert "exceeds the declared size" in err(gallery.call(owner, "upload_chunk", photo, 1, b"x" * 7))
    assert "incomplete upload" in err(gallery.call(owner, "finish_upload", photo))
    assert "still uploading" in err(gallery.call(owner, "get_chunk", photo, 0))
    assert gallery.call(owner, "get_photo", photo)["complete"] is False
    assert gallery.call(owner, "delete_photo", photo) is True


def test_metadata_and_quota_checks(gallery, callers):
    owner = callers.owner

    def begin(**fields):
        photo = {"title": "x", "mime_type": "image/png", "size": 100}
        photo.update(fields)
        return gallery.call(owner, "begin_upload", photo)

    assert "image type" in err(begin(mime_type="text/html"))
    assert "must not be empty" in err(begin(title=""))
    assert "max_photo_bytes" in err(begin(size=5 * MIB + 1))
    assert "at least 1 byte" in err(begin(size=0))
    assert "storage quota exceeded" in err(begin(size=4 * MIB))  # 4 MiB + 7 KiB already used of 8
    pending = [ok(begin()), ok(begin())]
    assert "max_pending_uploads = 2" in err(begin())
    for photo in pending:
        gallery.call(owner, "delete_photo", photo)
    assert "limit is 1992294" in err(gallery.call(owner, "upload_chunk", ok(begin(size=CHUNK + 1)), 0, b"x" * (CHUNK + 1)))


def test_list_pages_only_finished_photos(gallery, callers):
    owner = callers.owner
    for title in ("a", "b"):
        upload(gallery, owner, title, title.encode() * 10)
    listed = gallery.call(owner, "list_photos", 0, 2)
    assert listed["total"] == 3 and [p["title"] for p in listed["items"]] == ["sunset", "a"]
    assert listed["next_offset"] == 2
    assert [p["title"] for p in gallery.call(owner, "list_photos", 2, 2)["items"]] == ["b"]
    counts = dict(gallery.call(owner, "get_info")["counts"])
    assert counts["photos"] == 3 and counts["pending_uploads"] == 1


def test_access(gallery, callers):
    owner, reader, stranger, anonymous = callers.owner, callers.reader, callers.stranger, callers.anonymous
    for who in (reader, stranger, anonymous, callers.operator):
        gallery.rejects(who, "begin_upload", {"title": "x", "mime_type": "image/png", "size": 1})
        gallery.rejects(who, "delete_photo", 0)
    for who in (stranger, anonymous, callers.operator):
        gallery.rejects(who, "list_photos", 0, 10)
        gallery.rejects(who, "get_chunk", 0, 0)
    ok(gallery.call(owner, "grant", reader.sender))
    assert gallery.call(reader, "list_photos", 0, 10)["total"] == 3
    assert len(ok(gallery.call(reader, "get_chunk", 0, 0))) == CHUNK
    assert gallery.call(callers.operator, "admin_stats")["info"]["bytes_used"] > 4 * MIB


def test_upgrade_keeps_photos(gallery, callers):
    before = gallery.call(callers.owner, "list_photos", 0, 10)
    gallery.upgrade("gallery")
    assert gallery.call(callers.owner, "list_photos", 0, 10) == before
    assert len(ok(gallery.call(callers.reader, "get_chunk", 0, 2))) > 0
