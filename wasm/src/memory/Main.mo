/// Memory template: a family's shared memories. The owner invites members as viewers or
/// contributors; contributors add memories (text, date, optional photo in a gallery canister);
/// every member reads and comments; the owner removes members, memories and comments.
import Map "mo:core/Map";
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
import Date "Date";

persistent actor class FamilyMemories(init : {
  owner : Principal;
  max_readers : ?Nat;
  max_memories : ?Nat;
  max_content_bytes : ?Nat;
  max_comments_per_memory : ?Nat;
  max_comment_bytes : ?Nat;
  max_total_bytes : ?Nat;
}) {
  public type Role = Types.Role;
  public type CallerRole = Types.CallerRole;
  public type Member = Types.Member;
  public type PhotoRef = Types.PhotoRef;
  public type NewMemory = Types.NewMemory;
  public type Comment = Types.Comment;
  public type MemoryView = Types.MemoryView;

  transient let VERSION = "0.1.1";
  transient let LIMITS : [Limits.Spec] = [
    { name = "max_readers"; default = 50; min = 0; max = 1_000 },
    { name = "max_memories"; default = 10_000; min = 1; max = 1_000_000 },
    { name = "max_content_bytes"; default = 16_384; min = 1; max = 1_048_576 },
    { name = "max_comments_per_memory"; default = 200; min = 0; max = 100_000 },
    { name = "max_comment_bytes"; default = 2_048; min = 1; max = 65_536 },
    { name = "max_total_bytes"; default = 67_108_864; min = 1_024; max = 4_294_967_296 },
  ];

  Validate.owner(init.owner);
  let owner = init.owner;
  if (owner != init.owner) Runtime.trap("invalid init argument: owner cannot change on upgrade (installed owner is " # owner.toText() # ")");

  let limits = Limits.empty();
  Limits.configure(limits, LIMITS, [
    ("max_readers", init.max_readers),
    ("max_memories", init.max_memories),
    ("max_content_bytes", init.max_content_bytes),
    ("max_comments_per_memory", init.max_comments_per_memory),
    ("max_comment_bytes", init.max_comment_bytes),
    ("max_total_bytes", init.max_total_bytes),
  ]);

  let members = Map.empty<Principal, Member>();
  let memories = Map.empty<Nat, Types.Memory>();
  var nextMemoryId = 0;
  // Bytes of text held, counted against max_total_bytes.
  var bytesUsed = 0;
  let changes = Report.changes();
  Report.bump(changes); // install and every upgrade (limits may change)

  func limit(name : Text) : Nat = Limits.get(limits, name);

  func roleOf(caller : Principal) : CallerRole {
    if (caller == owner) return #owner;
    switch (members.get(caller)) {
      case (?{ role = #contributor }) #contributor;
      case (?{ role = #viewer }) #viewer;
      case null #none;
    };
  };

  func canRead(caller : Principal) : Bool = roleOf(caller) != #none;
  func canContribute(caller : Principal) : Bool = roleOf(caller) == #owner or roleOf(caller) == #contributor;

  func reserve(bytes : Nat) : ?Text {
    if (bytesUsed + bytes > limit("max_total_bytes")) {
      return ?("storage quota exceeded: " # Nat.toText(bytesUsed) # " of " # Nat.toText(limit("max_total_bytes")) # " bytes used, this write needs " # Nat.toText(bytes));
    };
    null;
  };

  func release(bytes : Nat) { bytesUsed -= Nat.min(bytes, bytesUsed) };

  func memoryBytes(m : Types.Memory) : Nat {
    var total = Validate.bytes(m.content) + Validate.bytes(m.date);
    for (c in m.comments.values()) total += Validate.bytes(c.content);
    total;
  };

  func view(m : Types.Memory) : MemoryView {
    { id = m.id; author = m.author; content = m.content; date = m.date; photo = m.photo; created_at = m.created_at; comment_count = m.comments.size() };
  };

  // ---- members (owner only) ----

  func addMember(who : Principal, role : Role) : Result.Result<(), Text> {
    if (who.isAnonymous()) return #err("cannot invite the anonymous principal");
    if (who == owner) return #err("the owner is always a member");
    switch (members.get(who)) {
      case (?m) members.add(who, { m with role });
      case null {
        if (members.size() >= limit("max_readers")) return #err("member limit reached (max_readers = " # Nat.toText(limit("max_readers")) # ")");
        members.add(who, { member = who; role; added_at = Time.now() });
      };
    };
    #ok;
  };

  /// Adds a member, or changes the role of an existing one.
  public shared ({ caller }) func invite_member(who : Principal, role : Role) : async Result.Result<(), Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "invite members");
    Report.bump(changes);
    addMember(who, role);
  };

  public shared ({ caller }) func remove_member(who : Principal) : async Bool {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "remove members");
    Report.bump(changes);
    members.delete(who);
  };

  /// Same as invite_member(reader, #viewer): every template has grant/revoke.
  public shared ({ caller }) func grant(reader : Principal) : async Result.Result<(), Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "grant access");
    Report.bump(changes);
    if (members.containsKey(reader)) return #ok;
    addMember(reader, #viewer);
  };

  public shared ({ caller }) func revoke(reader : Principal) : async Bool {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "revoke access");
    Report.bump(changes);
    members.delete(reader);
  };

  public shared query ({ caller }) func list_members() : async [Member] {
    if (not canRead(caller)) throw Access.denied(caller, "read this canister");
    members.values().toArray();
  };

  public shared query ({ caller }) func my_role() : async CallerRole { roleOf(caller) };

  // ---- memories ----

  public shared ({ caller }) func add_memory(memory : NewMemory) : async Result.Result<Nat, Text> {
    if (not canContribute(caller)) throw Access.denied(caller, "add memories (owner and contributors only)");
    Report.bump(changes);
    switch (Validate.nonEmptyText("content", memory.content, limit("max_content_bytes"))) { case (?e) return #err(e); case null {} };
    if (not Date.isValid(memory.date)) return #err("date must be YYYY-MM-DD, got \"" # memory.date # "\"");
    if (memories.size() >= limit("max_memories")) return #err("memory limit reached (max_memories = " # Nat.toText(limit("max_memories")) # ")");
    let size = Validate.bytes(memory.content) + Validate.bytes(memory.date);
    switch (reserve(size)) { case (?e) return #err(e); case null {} };
    let id = nextMemoryId;
    nextMemoryId += 1;
    memories.add(id, { id; author = caller; content = memory.content; date = memory.date; photo = memory.photo; created_at = Time.now(); comments = Map.empty<Nat, Comment>(); var nextCommentId = 0 });
    bytesUsed += size;
    #ok(id);
  };

  /// The owner deletes any memory; a contributor deletes the memories they added.
  public shared ({ caller }) func delete_memory(id : Nat) : async Result.Result<(), Text> {
    if (not canContribute(caller)) throw Access.denied(caller, "delete memories");
    Report.bump(changes);
    let ?m = memories.get(id) else return #err("no memory " # Nat.toText(id));
    if (caller != owner and caller != m.author) return #err("only the owner or the author can delete memory " # Nat.toText(id));
    memories.remove(id);
    release(memoryBytes(m));
    #ok;
  };

  /// Memories, oldest first.
  public shared query ({ caller }) func list_memories(offset : Nat, limit : Nat) : async Page.Page<MemoryView> {
    if (not canRead(caller)) throw Access.denied(caller, "read this canister");
    Page.of(memories.values().map(view), memories.size(), offset, limit);
  };

  public shared query ({ caller }) func get_memory(id : Nat) : async ?MemoryView {
    if (not canRead(caller)) throw Access.denied(caller, "read this canister");
    switch (memories.get(id)) { case (?m) ?view(m); case null null };
  };

  // ---- comments ----

  public shared ({ caller }) func add_comment(memory : Nat, content : Text) : async Result.Result<Nat, Text> {
    if (not canRead(caller)) throw Access.denied(caller, "comment");
    Report.bump(changes);
    let ?m = memories.get(memory) else return #err("no memory " # Nat.toText(memory));
    switch (Validate.nonEmptyText("content", content, limit("max_comment_bytes"))) { case (?e) return #err(e); case null {} };
    if (m.comments.size() >= limit("max_comments_per_memory")) return #err("comment limit reached for this memory (max_comments_per_memory = " # Nat.toText(limit("max_comments_per_memory")) # ")");
    let size = Validate.bytes(content);
    switch (reserve(size)) { case (?e) return #err(e); case null {} };
    let id = m.nextCommentId;
    m.nextCommentId += 1;
    m.comments.add(id, { id; author = caller; content; created_at = Time.now() });
    bytesUsed += size;
    #ok(id);
  };

  /// The owner deletes any comment; a member deletes their own.
  public shared ({ caller }) func delete_comment(memory : Nat, comment : Nat) : async Result.Result<(), Text> {
    if (not canRead(caller)) throw Access.denied(caller, "delete comments");
    Report.bump(changes);
    let ?m = memories.get(memory) else return #err("no memory " # Nat.toText(memory));
    let ?c = m.comments.get(comment) else return #err("no comment " # Nat.toText(comment) # " on memory " # Nat.toText(memory));
    if (caller != owner and caller != c.author) return #err("only the owner or the author can delete this comment");
    m.comments.remove(comment);
    release(Validate.bytes(c.content));
    #ok;
  };

  /// Comments on a memory, oldest first.
  public shared query ({ caller }) func list_comments(memory : Nat, offset : Nat, limit : Nat) : async Result.Result<Page.Page<Comment>, Text> {
    if (not canRead(caller)) throw Access.denied(caller, "read this canister");
    let ?m = memories.get(memory) else return #err("no memory " # Nat.toText(memory));
    #ok(Page.of(m.comments.values(), m.comments.size(), offset, limit));
  };

  // ---- monitoring and maintenance ----

  public query func version() : async Text { VERSION };

  public shared query ({ caller }) func whoami() : async Principal { caller };

  func info() : Report.Info {
    var comments = 0;
    for (m in memories.values()) comments += m.comments.size();
    Report.info(owner, "memory", VERSION, [("members", members.size()), ("memories", memories.size()), ("comments", comments)], bytesUsed,
      [{ used = memories.size(); limit = limit("max_memories"); unit = "memories" },
       { used = bytesUsed; limit = limit("max_total_bytes"); unit = "bytes" }], changes);
  };

  public shared query ({ caller }) func get_info() : async Report.Info {
    if (not canRead(caller) and not Access.isOperator(caller)) throw Access.denied(caller, "read canister info");
    info();
  };

  public shared query ({ caller }) func admin_stats() : async Report.Stats {
    if (not Access.isOperator(caller)) throw Access.denied(caller, "call admin methods (controllers only)");
    { info = info(); limits = Limits.entries(limits); readers = members.size() };
  };

  public shared ({ caller }) func admin_set_limit(name : Text, value : Nat) : async Result.Result<(), Text> {
    if (not Access.isOperator(caller)) throw Access.denied(caller, "call admin methods (controllers only)");
    Report.bump(changes);
    switch (Limits.set(limits, LIMITS, name, value)) { case (?e) #err(e); case null #ok };
  };
};
