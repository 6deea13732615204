/// AI assistant template: the data an assistant front end keeps for one user — conversations
/// (append, page through, delete), assistant settings (system prompt, model name) and a store of
/// notes recallable by tag. It runs no inference.
import Map "mo:core/Map";
import Set "mo:core/Set";
import List "mo:core/List";
import Array "mo:core/Array";
import Nat "mo:core/Nat";
import Text "mo:core/Text";
import Iter "mo:core/Iter";
import Principal "mo:core/Principal";
import Result "mo:core/Result";
import Runtime "mo:core/Runtime";
import Time "mo:core/Time";
import Access "../common/Access";
import Limits "../common/Limits";
import Report "../common/Report";
import Page "../common/Page";
import Validate "../common/Validate";
import Types "Types";

persistent actor class AiAssistant(init : {
  owner : Principal;
  max_conversations : ?Nat;
  max_messages_per_conversation : ?Nat;
  max_message_bytes : ?Nat;
  max_notes : ?Nat;
  max_note_bytes : ?Nat;
  max_tags_per_note : ?Nat;
  max_prompt_bytes : ?Nat;
  max_total_bytes : ?Nat;
  max_readers : ?Nat;
}) {
  public type Role = Types.Role;
  public type Message = Types.Message;
  public type ConversationSummary = Types.ConversationSummary;
  public type Settings = Types.Settings;
  public type SettingsUpdate = Types.SettingsUpdate;
  public type Note = Types.Note;

  transient let VERSION = "0.1.1";
  transient let MAX_TITLE_BYTES = 256;
  transient let MAX_TAG_BYTES = 64;
  transient let MAX_MODEL_BYTES = 128;
  transient let LIMITS : [Limits.Spec] = [
    { name = "max_conversations"; default = 100; min = 1; max = 100_000 },
    { name = "max_messages_per_conversation"; default = 1_000; min = 1; max = 1_000_000 },
    { name = "max_message_bytes"; default = 32_768; min = 1; max = 1_048_576 },
    { name = "max_notes"; default = 1_000; min = 0; max = 1_000_000 },
    { name = "max_note_bytes"; default = 4_096; min = 1; max = 1_048_576 },
    { name = "max_tags_per_note"; default = 10; min = 0; max = 100 },
    { name = "max_prompt_bytes"; default = 16_384; min = 0; max = 1_048_576 },
    { name = "max_total_bytes"; default = 67_108_864; min = 1_024; max = 4_294_967_296 },
    { name = "max_readers"; default = 20; min = 0; max = 1_000 },
  ];

  Validate.owner(init.owner);
  let owner = init.owner;
  if (owner != init.owner) Runtime.trap("invalid init argument: owner cannot change on upgrade (installed owner is " # owner.toText() # ")");

  let limits = Limits.empty();
  Limits.configure(limits, LIMITS, [
    ("max_conversations", init.max_conversations),
    ("max_messages_per_conversation", init.max_messages_per_conversation),
    ("max_message_bytes", init.max_message_bytes),
    ("max_notes", init.max_notes),
    ("max_note_bytes", init.max_note_bytes),
    ("max_tags_per_note", init.max_tags_per_note),
    ("max_prompt_bytes", init.max_prompt_bytes),
    ("max_total_bytes", init.max_total_bytes),
    ("max_readers", init.max_readers),
  ]);

  let readers = Set.empty<Principal>();
  let conversations = Map.empty<Nat, Types.Conversation>();
  var nextConversationId = 0;
  let notes = Map.empty<Nat, Note>();
  var nextNoteId = 0;
  var settings : Settings = { system_prompt = ""; model = "" };
  // Bytes of text held, counted against max_total_bytes; kept up to date by every write.
  var bytesUsed = 0;
  let changes = Report.changes();
  Report.bump(changes); // install and every upgrade (limits may change)

  func limit(name : Text) : Nat = Limits.get(limits, name);

  func reserve(bytes : Nat) : ?Text {
    if (bytesUsed + bytes > limit("max_total_bytes")) {
      return ?("storage quota exceeded: " # Nat.toText(bytesUsed) # " of " # Nat.toText(limit("max_total_bytes")) # " bytes used, this write needs " # Nat.toText(bytes));
    };
    null;
  };

  func release(bytes : Nat) { bytesUsed := if (bytes > bytesUsed) 0 else bytesUsed - bytes };

  func conversationBytes(c : Types.Conversation) : Nat {
    var total = Validate.bytes(c.title);
    for (m in c.messages.values()) total += Validate.bytes(m.content);
    total;
  };

  func noteBytes(n : Note) : Nat {
    var total = Validate.bytes(n.content);
    for (t in n.tags.values()) total += Validate.bytes(t);
    total;
  };

  func summary(id : Nat, c : Types.Conversation) : ConversationSummary {
    { id; title = c.title; created_at = c.created_at; updated_at = c.updated_at; message_count = c.messages.size() };
  };

  // ---- conversations ----

  public shared ({ caller }) func create_conversation(title : Text) : async Result.Result<Nat, Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "create conversations");
    Report.bump(changes);
    switch (Validate.text("title", title, MAX_TITLE_BYTES)) { case (?e) return #err(e); case null {} };
    if (conversations.size() >= limit("max_conversations")) {
      return #err("conversation limit reached (max_conversations = " # Nat.toText(limit("max_conversations")) # ")");
    };
    switch (reserve(Validate.bytes(title))) { case (?e) return #err(e); case null {} };
    let id = nextConversationId;
    nextConversationId += 1;
    let now = Time.now();
    conversations.add(id, { var title = title; created_at = now; var updated_at = now; messages = List.empty<Message>() });
    bytesUsed += Validate.bytes(title);
    #ok(id);
  };

  public shared ({ caller }) func append_message(conversation : Nat, role : Role, content : Text) : async Result.Result<Nat, Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "append messages");
    Report.bump(changes);
    let ?c = conversations.get(conversation) else return #err("no conversation " # Nat.toText(conversation));
    switch (Validate.nonEmptyText("content", content, limit("max_message_bytes"))) { case (?e) return #err(e); case null {} };
    if (c.messages.size() >= limit("max_messages_per_conversation")) {
      return #err("message limit reached for this conversation (max_messages_per_conversation = " # Nat.toText(limit("max_messages_per_conversation")) # ")");
    };
    let size = Validate.bytes(content);
    switch (reserve(size)) { case (?e) return #err(e); case null {} };
    let now = Time.now();
    c.messages.add({ role; content; created_at = now });
    c.updated_at := now;
    bytesUsed += size;
    #ok(c.messages.size() - 1);
  };

  public shared ({ caller }) func delete_conversation(conversation : Nat) : async Bool {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "delete conversations");
    Report.bump(changes);
    switch (conversations.take(conversation)) {
      case (?c) { release(conversationBytes(c)); true };
      case null false;
    };
  };

  public shared query ({ caller }) func list_conversations(offset : Nat, limit : Nat) : async Page.Page<ConversationSummary> {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    Page.of(conversations.entries().map(func((id, c) : (Nat, Types.Conversation)) : ConversationSummary = summary(id, c)), conversations.size(), offset, limit);
  };

  /// Messages oldest first; page with offset/limit (at most 100 per call).
  public shared query ({ caller }) func get_messages(conversation : Nat, offset : Nat, limit : Nat) : async Result.Result<Page.Page<Message>, Text> {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    let ?c = conversations.get(conversation) else return #err("no conversation " # Nat.toText(conversation));
    #ok(Page.of(c.messages.values(), c.messages.size(), offset, limit));
  };

  // ---- settings ----

  public shared ({ caller }) func set_settings(update : SettingsUpdate) : async Result.Result<(), Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "change settings");
    Report.bump(changes);
    let prompt = switch (update.system_prompt) { case (?p) p; case null settings.system_prompt };
    let model = switch (update.model) { case (?m) m; case null settings.model };
    switch (Validate.text("system_prompt", prompt, limit("max_prompt_bytes"))) { case (?e) return #err(e); case null {} };
    switch (Validate.text("model", model, MAX_MODEL_BYTES)) { case (?e) return #err(e); case null {} };
    settings := { system_prompt = prompt; model };
    #ok;
  };

  public shared query ({ caller }) func get_settings() : async Settings {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    settings;
  };

  // ---- notes ----

  public shared ({ caller }) func add_note(content : Text, tags : [Text]) : async Result.Result<Nat, Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "add notes");
    Report.bump(changes);
    switch (Validate.nonEmptyText("content", content, limit("max_note_bytes"))) { case (?e) return #err(e); case null {} };
    if (tags.size() > limit("max_tags_per_note")) return #err("too many tags: " # Nat.toText(tags.size()) # " (max_tags_per_note = " # Nat.toText(limit("max_tags_per_note")) # ")");
    for (tag in tags.values()) {
      switch (Validate.nonEmptyText("tag", tag, MAX_TAG_BYTES)) { case (?e) return #err(e); case null {} };
    };
    if (notes.size() >= limit("max_notes")) return #err("note limit reached (max_notes = " # Nat.toText(limit("max_notes")) # ")");
    let id = nextNoteId;
    let note = { id; content; tags; created_at = Time.now() };
    switch (reserve(noteBytes(note))) { case (?e) return #err(e); case null {} };
    nextNoteId += 1;
    notes.add(id, note);
    bytesUsed += noteBytes(note);
    #ok(id);
  };

  public shared ({ caller }) func delete_note(id : Nat) : async Bool {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "delete notes");
    Report.bump(changes);
    switch (notes.take(id)) {
      case (?n) { release(noteBytes(n)); true };
      case null false;
    };
  };

  public shared query ({ caller }) func list_notes(offset : Nat, limit : Nat) : async Page.Page<Note> {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    Page.of(notes.values(), notes.size(), offset, limit);
  };

  /// Notes carrying `tag` (exact match), oldest first.
  public shared query ({ caller }) func recall(tag : Text, offset : Nat, limit : Nat) : async Page.Page<Note> {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    let tagged = notes.values().filter(func(n : Note) : Bool = n.tags.find(func(t : Text) : Bool = t == tag) != null).toArray();
    Page.of(tagged.values(), tagged.size(), offset, limit);
  };

  // ---- sharing ----

  public shared ({ caller }) func grant(reader : Principal) : async Result.Result<(), Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "grant access");
    Report.bump(changes);
    switch (Access.checkGrantee(owner, readers, reader, limit("max_readers"))) { case (?e) return #err(e); case null {} };
    readers.add(reader);
    #ok;
  };

  public shared ({ caller }) func revoke(reader : Principal) : async Bool {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "revoke access");
    Report.bump(changes);
    readers.delete(reader);
  };

  public shared query ({ caller }) func list_readers() : async [Principal] {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "list readers");
    readers.toArray();
  };

  // ---- monitoring and maintenance ----

  public query func version() : async Text { VERSION };

  public shared query ({ caller }) func whoami() : async Principal { caller };

  func info() : Report.Info {
    var messages = 0;
    for (c in conversations.values()) messages += c.messages.size();
    Report.info(owner, "ai_assistant", VERSION, [("conversations", conversations.size()), ("messages", messages), ("notes", notes.size()), ("readers", readers.size())], bytesUsed,
      [{ used = conversations.size(); limit = limit("max_conversations"); unit = "conversations" },
       { used = notes.size(); limit = limit("max_notes"); unit = "notes" },
       { used = bytesUsed; limit = limit("max_total_bytes"); unit = "bytes" }], changes);
  };

  public shared query ({ caller }) func get_info() : async Report.Info {
    if (not Access.canRead(owner, readers, caller) and not Access.isOperator(caller)) throw Access.denied(caller, "read canister info");
    info();
  };

  public shared query ({ caller }) func admin_stats() : async Report.Stats {
    if (not Access.isOperator(caller)) throw Access.denied(caller, "call admin methods (controllers only)");
    { info = info(); limits = Limits.entries(limits); readers = readers.size() };
  };

  public shared ({ caller }) func admin_set_limit(name : Text, value : Nat) : async Result.Result<(), Text> {
    if (not Access.isOperator(caller)) throw Access.denied(caller, "call admin methods (controllers only)");
    Report.bump(changes);
    switch (Limits.set(limits, LIMITS, name, value)) { case (?e) #err(e); case null #ok };
  };
};
