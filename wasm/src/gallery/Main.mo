/// Gallery template: one user's photos. A photo is uploaded in chunks of at most 1.9 MiB per call
/// (begin_upload, upload_chunk..., finish_upload), so photos larger than one message are
/// assembled across calls; it is read back chunk by chunk. The declared size is reserved
/// against the storage quota when the upload begins.
import Map "mo:core/Map";
import Set "mo:core/Set";
import List "mo:core/List";
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

persistent actor class Gallery(init : {
  owner : Principal;
  max_total_bytes : ?Nat;
  max_photo_bytes : ?Nat;
  max_photos : ?Nat;
  max_pending_uploads : ?Nat;
  max_readers : ?Nat;
}) {
  public type NewPhoto = Types.NewPhoto;
  public type PhotoInfo = Types.PhotoInfo;

  transient let VERSION = "0.1.1";
  /// 1.9 MiB: a chunk plus its Candid envelope stays under the IC's 2 MiB message limit.
  transient let MAX_CHUNK_BYTES = 1_992_294;
  transient let MAX_TITLE_BYTES = 256;
  transient let MAX_MIME_BYTES = 100;
  transient let LIMITS : [Limits.Spec] = [
    { name = "max_total_bytes"; default = 268_435_456; min = 1_048_576; max = 8_589_934_592 },
    { name = "max_photo_bytes"; default = 33_554_432; min = 1; max = 1_073_741_824 },
    { name = "max_photos"; default = 10_000; min = 1; max = 1_000_000 },
    { name = "max_pending_uploads"; default = 4; min = 1; max = 100 },
    { name = "max_readers"; default = 20; min = 0; max = 1_000 },
  ];

  Validate.owner(init.owner);
  let owner = init.owner;
  if (owner != init.owner) Runtime.trap("invalid init argument: owner cannot change on upgrade (installed owner is " # owner.toText() # ")");

  let limits = Limits.empty();
  Limits.configure(limits, LIMITS, [
    ("max_total_bytes", init.max_total_bytes),
    ("max_photo_bytes", init.max_photo_bytes),
    ("max_photos", init.max_photos),
    ("max_pending_uploads", init.max_pending_uploads),
    ("max_readers", init.max_readers),
  ]);

  let readers = Set.empty<Principal>();
  let photos = Map.empty<Nat, Types.Photo>();
  var nextPhotoId = 0;
  // Declared sizes of all photos, finished or not: what the quota is measured against.
  var bytesReserved = 0;
  let changes = Report.changes();
  Report.bump(changes); // install and every upgrade (limits may change)
  // Photos not yet finished (complete = false), kept in step with `photos` by begin_upload,
  // finish_upload and delete_photo so that no call has to scan every photo. The initialiser
  // counts them from `photos`: it sets the count when an upgrade from a version without this
  // field installs it (and, were it run again on a later upgrade, would recount the same number).
  var pendingUploadCount : Nat = do {
    var n = 0;
    for (p in photos.values()) if (not p.complete) n += 1;
    n;
  };

  func limit(name : Text) : Nat = Limits.get(limits, name);

  func infoOf(p : Types.Photo) : PhotoInfo {
    { id = p.id; title = p.title; mime_type = p.mime_type; size = p.size; created_at = p.created_at; chunk_count = p.chunks.size(); complete = p.complete };
  };

  func pendingUploads() : Nat = pendingUploadCount;

  /// An unfinished upload was finished or deleted. Never below zero (a trap here would lose the call).
  func uploadEnded() {
    if (pendingUploadCount > 0) pendingUploadCount -= 1;
  };

  func completeCount() : Nat = photos.size() - Nat.min(pendingUploads(), photos.size());

  // ---- uploads ----

  public shared ({ caller }) func begin_upload(photo : NewPhoto) : async Result.Result<Nat, Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "upload photos");
    Report.bump(changes);
    switch (Validate.nonEmptyText("title", photo.title, MAX_TITLE_BYTES)) { case (?e) return #err(e); case null {} };
    switch (Validate.text("mime_type", photo.mime_type, MAX_MIME_BYTES)) { case (?e) return #err(e); case null {} };
    if (not photo.mime_type.startsWith(#text "image/")) return #err("mime_type must be an image type (image/...), got " # photo.mime_type);
    if (photo.size == 0) return #err("size must be at least 1 byte");
    if (photo.size > limit("max_photo_bytes")) return #err("photo is " # Nat.toText(photo.size) # " bytes; the limit is " # Nat.toText(limit("max_photo_bytes")) # " (max_photo_bytes)");
    if (photos.size() >= limit("max_photos")) return #err("photo limit reached (max_photos = " # Nat.toText(limit("max_photos")) # ")");
    if (pendingUploads() >= limit("max_pending_uploads")) return #err("too many unfinished uploads (max_pending_uploads = " # Nat.toText(limit("max_pending_uploads")) # "); finish or delete one");
    if (bytesReserved + photo.size > limit("max_total_bytes")) {
      return #err("storage quota exceeded: " # Nat.toText(bytesReserved) # " of " # Nat.toText(limit("max_total_bytes")) # " bytes used, this photo needs " # Nat.toText(photo.size));
    };
    let id = nextPhotoId;
    nextPhotoId += 1;
    photos.add(id, { id; title = photo.title; mime_type = photo.mime_type; size = photo.size; created_at = Time.now(); chunks = List.empty<Blob>(); var received = 0; var complete = false });
    bytesReserved += photo.size;
    pendingUploadCount += 1;
    #ok(id);
  };

  /// Appends chunk `index` (0, 1, 2, ...). Sending an already stored chunk again with the same
  /// bytes succeeds, so a client may retry a call whose reply it lost. Returns bytes received.
  public shared ({ caller }) func upload_chunk(id : Nat, index : Nat, data : Blob) : async Result.Result<Nat, Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "upload photos");
    Report.bump(changes);
    let ?p = photos.get(id) else return #err("no photo " # Nat.toText(id));
    if (index < p.chunks.size()) {
      return if (p.chunks.at(index) == data) #ok(p.received) else #err("chunk " # Nat.toText(index) # " was already uploaded with different bytes");
    };
    if (p.complete) return #err("photo " # Nat.toText(id) # " is already complete");
    if (index != p.chunks.size()) return #err("expected chunk " # Nat.toText(p.chunks.size()) # ", got " # Nat.toText(index));
    if (data.size() == 0) return #err("chunk must not be empty");
    if (data.size() > MAX_CHUNK_BYTES) return #err("chunk is " # Nat.toText(data.size()) # " bytes; the limit is " # Nat.toText(MAX_CHUNK_BYTES) # " (1.9 MiB)");
    if (p.received + data.size() > p.size) return #err("chunk exceeds the declared size: " # Nat.toText(p.received + data.size()) # " > " # Nat.toText(p.size));
    p.chunks.add(data);
    p.received += data.size();
    #ok(p.received);
  };

  public shared ({ caller }) func finish_upload(id : Nat) : async Result.Result<PhotoInfo, Text> {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "upload photos");
    Report.bump(changes);
    let ?p = photos.get(id) else return #err("no photo " # Nat.toText(id));
    if (p.received != p.size) return #err("incomplete upload: received " # Nat.toText(p.received) # " of " # Nat.toText(p.size) # " bytes");
    if (not p.complete) {
      p.complete := true;
      uploadEnded();
    };
    #ok(infoOf(p));
  };

  /// Deletes a photo or an unfinished upload and frees its quota.
  public shared ({ caller }) func delete_photo(id : Nat) : async Bool {
    if (not Access.isOwner(owner, caller)) throw Access.denied(caller, "delete photos");
    Report.bump(changes);
    switch (photos.take(id)) {
      case (?p) {
        bytesReserved -= Nat.min(p.size, bytesReserved);
        if (not p.complete) uploadEnded();
        true;
      };
      case null false;
    };
  };

  // ---- reads ----

  /// Finished photos, oldest first.
  public shared query ({ caller }) func list_photos(offset : Nat, limit : Nat) : async Page.Page<PhotoInfo> {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    let done = photos.values().filter(func(p : Types.Photo) : Bool = p.complete).map(infoOf);
    Page.of(done, completeCount(), offset, limit);
  };

  /// A photo's metadata, finished or not.
  public shared query ({ caller }) func get_photo(id : Nat) : async ?PhotoInfo {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    switch (photos.get(id)) { case (?p) ?infoOf(p); case null null };
  };

  public shared query ({ caller }) func get_chunk(id : Nat, index : Nat) : async Result.Result<Blob, Text> {
    if (not Access.canRead(owner, readers, caller)) throw Access.denied(caller, "read this canister");
    let ?p = photos.get(id) else return #err("no photo " # Nat.toText(id));
    if (not p.complete) return #err("photo " # Nat.toText(id) # " is still uploading");
    switch (p.chunks.get(index)) {
      case (?chunk) #ok(chunk);
      case null #err("photo " # Nat.toText(id) # " has " # Nat.toText(p.chunks.size()) # " chunks; no chunk " # Nat.toText(index));
    };
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
    let pending = pendingUploads();
    Report.info(owner, "gallery", VERSION, [("photos", completeCount()), ("pending_uploads", pending), ("readers", readers.size())], bytesReserved,
      [{ used = photos.size(); limit = limit("max_photos"); unit = "photos" },
       { used = bytesReserved; limit = limit("max_total_bytes"); unit = "bytes" }], changes);
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
