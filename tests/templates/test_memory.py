"""Memory template on localnet: members with roles, memories with photo references, comments."""
import pytest

from template_canister import TemplateCanister, err, ok


@pytest.fixture(scope="module")
def family(callers):
    return TemplateCanister(callers, "memory", max_readers=2, max_comments_per_memory=2)


@pytest.fixture(scope="module")
def contributor(callers):
    from _ic.identity import Ed25519Identity
    return Ed25519Identity.generate()


def memory(content, date="1998-07-14", photo=None):
    return {"content": content, "date": date, "photo": photo}


def test_owner_invites_members_with_roles(family, callers, contributor):
    owner, reader = callers.owner, callers.reader
    ok(family.call(owner, "invite_member", contributor.sender, {"contributor": None}))
    ok(family.call(owner, "invite_member", reader.sender, {"viewer": None}))
    assert "max_readers = 2" in err(family.call(owner, "invite_member", callers.stranger.sender, {"viewer": None}))
    assert "anonymous" in err(family.call(owner, "invite_member", callers.anonymous.sender, {"viewer": None}))
    roles = {m["member"]: m["role"] for m in family.call(reader, "list_members")}
    assert roles == {contributor.sender: {"contributor": None}, reader.sender: {"viewer": None}}
    assert family.call(owner, "my_role") == {"owner": None}
    assert family.call(contributor, "my_role") == {"contributor": None}
    assert family.call(callers.stranger, "my_role") == {"none": None}
    family.rejects(contributor, "invite_member", callers.stranger.sender, {"viewer": None})


def test_contributors_add_memories_viewers_read_and_comment(family, callers, contributor):
    owner, viewer, stranger = callers.owner, callers.reader, callers.stranger
    gallery = callers.operator.sender  # any principal: the reference is not followed
    first = ok(family.call(contributor, "add_memory", memory("first steps", photo={"gallery": gallery, "photo_id": 7})))
    second = ok(family.call(owner, "add_memory", memory("the lake", date="2001-08-30")))
    assert "YYYY-MM-DD" in err(family.call(owner, "add_memory", memory("x", date="30/08/2001")))
    assert "YYYY-MM-DD" in err(family.call(owner, "add_memory", memory("x", date="2001-13-01")))
    assert "must not be empty" in err(family.call(owner, "add_memory", memory("")))
    family.rejects(viewer, "add_memory", memory("not allowed"))
    family.rejects(stranger, "list_memories", 0, 10)

    page = family.call(viewer, "list_memories", 0, 10)
    assert [m["content"] for m in page["items"]] == ["first steps", "the lake"] and page["total"] == 2
    shown = family.call(viewer, "get_memory", first)
    assert shown["author"] == contributor.sender and shown["photo"] == {"gallery": gallery, "photo_id": 7}

    ok(family.call(viewer, "add_comment", first, "so cute"))
    ok(family.call(contributor, "add_comment", first, "thanks"))
    assert "max_comments_per_memory = 2" in err(family.call(owner, "add_comment", first, "third"))
    comments = ok(family.call(owner, "list_comments", first, 0, 10))
    assert [(c["author"], c["content"]) for c in comments["items"]] == \
        [(viewer.sender, "so cute"), (contributor.sender, "thanks")]
    assert "only the owner or the author" in err(family.call(viewer, "delete_comment", first, 1))
    ok(family.call(viewer, "delete_comment", first, 0))
    family.rejects(stranger, "add_comment", first, "hello")

    assert "only the owner or the author" in err(family.call(contributor, "delete_memory", second))
    ok(family.call(contributor, "delete_memory", first))
    assert family.call(owner, "get_memory", first) is None


def test_upgrade_keeps_members_memories_and_comments(family, callers):
    owner = callers.owner
    before = (family.call(owner, "list_members"), family.call(owner, "list_memories", 0, 10))
    family.upgrade("memory")
    assert (family.call(owner, "list_members"), family.call(owner, "list_memories", 0, 10)) == before


def test_owner_removes_members_and_memories(family, callers, contributor):
    owner = callers.owner
    remaining = family.call(owner, "list_memories", 0, 10)["items"][0]["id"]
    assert family.call(owner, "remove_member", contributor.sender) is True
    family.rejects(contributor, "list_memories", 0, 10)
    assert family.call(owner, "revoke", callers.reader.sender) is True
    family.rejects(callers.reader, "get_memory", remaining)
    ok(family.call(owner, "delete_memory", remaining))
    info = family.call(callers.operator, "get_info")
    assert dict(info["counts"]) == {"members": 0, "memories": 0, "comments": 0} and info["bytes_used"] == 0
    family.rejects(callers.operator, "list_memories", 0, 10)


def test_grant_is_invite_as_viewer(family, callers):
    ok(family.call(callers.owner, "grant", callers.reader.sender))
    assert family.call(callers.reader, "my_role") == {"viewer": None}
    family.rejects(callers.reader, "add_memory", memory("no"))
