"""AI assistant template on localnet: conversations, settings, notes recalled by tag, limits."""
import pytest

from template_canister import TemplateCanister, err, ok


@pytest.fixture(scope="module")
def assistant(callers):
    return TemplateCanister(callers, "ai_assistant", max_conversations=2, max_messages_per_conversation=120,
                            max_message_bytes=1000, max_notes=3, max_tags_per_note=2, max_total_bytes=200_000)


def test_conversations_append_page_and_delete(assistant, callers):
    owner = callers.owner
    first = ok(assistant.call(owner, "create_conversation", "trip planning"))
    assert ok(assistant.call(owner, "append_message", first, {"system": None}, "be brief")) == 0
    assert ok(assistant.call(owner, "append_message", first, {"user": None}, "where to?")) == 1
    for i in range(108):
        ok(assistant.call(owner, "append_message", first, {"assistant": None}, f"answer {i}"))
    page = ok(assistant.call(owner, "get_messages", first, 0, 500))
    assert page["total"] == 110 and len(page["items"]) == 100 and page["next_offset"] == 100
    assert page["items"][0]["role"] == {"system": None} and page["items"][1]["content"] == "where to?"
    rest = ok(assistant.call(owner, "get_messages", first, page["next_offset"], 100))
    assert [m["content"] for m in rest["items"]][-1] == "answer 107" and rest["next_offset"] is None
    assert ok(assistant.call(owner, "get_messages", first, 500, 10))["items"] == []

    second = ok(assistant.call(owner, "create_conversation", "recipes"))
    listed = assistant.call(owner, "list_conversations", 0, 10)
    assert [(c["id"], c["title"], c["message_count"]) for c in listed["items"]] == \
        [(first, "trip planning", 110), (second, "recipes", 0)]
    assert "max_conversations = 2" in err(assistant.call(owner, "create_conversation", "third"))
    assert assistant.call(owner, "delete_conversation", second) is True
    assert "no conversation" in err(assistant.call(owner, "append_message", second, {"user": None}, "hi"))
    assert "no conversation" in err(assistant.call(owner, "get_messages", 99, 0, 10))


def test_message_limits(assistant, callers):
    owner = callers.owner
    conversation = assistant.call(owner, "list_conversations", 0, 1)["items"][0]["id"]
    assert "limit is 1000" in err(assistant.call(owner, "append_message", conversation, {"user": None}, "x" * 1001))
    assert "must not be empty" in err(assistant.call(owner, "append_message", conversation, {"user": None}, ""))
    for _ in range(10):
        ok(assistant.call(owner, "append_message", conversation, {"user": None}, "more"))
    assert "max_messages_per_conversation = 120" in \
        err(assistant.call(owner, "append_message", conversation, {"user": None}, "one too many"))


def test_total_quota(callers):
    owner = callers.owner
    small = TemplateCanister(callers, "ai_assistant", max_total_bytes=2048, max_message_bytes=1000)
    conversation = ok(small.call(owner, "create_conversation", "q"))
    ok(small.call(owner, "append_message", conversation, {"user": None}, "x" * 1000))
    ok(small.call(owner, "append_message", conversation, {"user": None}, "x" * 1000))
    assert "storage quota exceeded" in err(small.call(owner, "append_message", conversation, {"user": None}, "x" * 100))
    small.call(owner, "delete_conversation", conversation)
    assert small.call(owner, "get_info")["bytes_used"] == 0


def test_settings(assistant, callers):
    owner = callers.owner
    assert assistant.call(owner, "get_settings") == {"system_prompt": "", "model": ""}
    ok(assistant.call(owner, "set_settings", {"system_prompt": "You are helpful.", "model": "llama-3"}))
    ok(assistant.call(owner, "set_settings", {"system_prompt": None, "model": "qwen"}))
    assert assistant.call(owner, "get_settings") == {"system_prompt": "You are helpful.", "model": "qwen"}
    assert "limit is 128" in err(assistant.call(owner, "set_settings", {"system_prompt": None, "model": "m" * 129}))


def test_notes_recalled_by_tag(assistant, callers):
    owner = callers.owner
    milk = ok(assistant.call(owner, "add_note", "buy milk", ["shopping", "today"]))
    ok(assistant.call(owner, "add_note", "call mum", ["today"]))
    ok(assistant.call(owner, "add_note", "likes tea", []))
    assert "max_notes = 3" in err(assistant.call(owner, "add_note", "x", []))
    assert "too many tags" in err(assistant.call(owner, "add_note", "x", ["a", "b", "c"]))
    today = assistant.call(owner, "recall", "today", 0, 10)
    assert [n["content"] for n in today["items"]] == ["buy milk", "call mum"] and today["total"] == 2
    assert assistant.call(owner, "recall", "nothing", 0, 10)["total"] == 0
    assert assistant.call(owner, "list_notes", 1, 1)["items"][0]["content"] == "call mum"
    assert assistant.call(owner, "delete_note", milk) is True
    assert [n["content"] for n in assistant.call(owner, "recall", "today", 0, 10)["items"]] == ["call mum"]


def test_access(assistant, callers):
    owner, reader, stranger, anonymous = callers.owner, callers.reader, callers.stranger, callers.anonymous
    for who in (reader, stranger, anonymous, callers.operator):
        assistant.rejects(who, "create_conversation", "x")
        assistant.rejects(who, "add_note", "x", [])
        assistant.rejects(who, "set_settings", {"system_prompt": "x", "model": None})
    for who in (stranger, anonymous, callers.operator):
        assistant.rejects(who, "list_conversations", 0, 10)
        assistant.rejects(who, "recall", "today", 0, 10)
        assistant.rejects(who, "get_settings")
    ok(assistant.call(owner, "grant", reader.sender))
    assert assistant.call(reader, "get_settings")["model"] == "qwen"
    assert assistant.call(reader, "list_conversations", 0, 10)["total"] == 1
    assistant.rejects(reader, "delete_note", 0)
    counts = dict(assistant.call(callers.operator, "admin_stats")["info"]["counts"])
    assert counts["conversations"] == 1 and counts["notes"] == 2


def test_upgrade_keeps_conversations_settings_and_notes(assistant, callers):
    owner = callers.owner
    conversation = assistant.call(owner, "list_conversations", 0, 1)["items"][0]["id"]
    before = (ok(assistant.call(owner, "get_messages", conversation, 100, 100)), assistant.call(owner, "get_settings"),
              assistant.call(owner, "list_notes", 0, 10), assistant.call(owner, "get_info")["bytes_used"])
    assistant.upgrade("ai_assistant")
    after = (ok(assistant.call(owner, "get_messages", conversation, 100, 100)), assistant.call(owner, "get_settings"),
             assistant.call(owner, "list_notes", 0, 10), assistant.call(owner, "get_info")["bytes_used"])
    assert after == before
    assert assistant.call(callers.reader, "get_settings")["model"] == "qwen"  # the grant survived too
