/// Templates: chunked upload, SHA-256 check, versions, the current version.
/// Everything here is synchronous: no await between reading and changing state.
import Map "mo:core/Map";
import List "mo:core/List";
import Nat "mo:core/Nat";
import Nat8 "mo:core/Nat8";
import Blob "mo:core/Blob";
import Text "mo:core/Text";
import VarArray "mo:core/VarArray";
import Iter "mo:core/Iter";
import Types "Types";
import Sha256 "Sha256";
import Policy "Policy";
import Log "Log";

module {
  public type Store = {
    templates : Map.Map<Text, Types.Template>;
    uploads : Map.Map<Text, Types.Upload>;
  };

  /// The IC takes at most 2 MiB per message; admins send chunks of at most this.
  public let maxChunk = 1_992_294; // 1.9 MiB
  public let maxModule = 104_857_600; // 100 MiB

  type Err = Types.FactoryError;

  public func empty() : Store = { templates = Map.empty(); uploads = Map.empty() };

  func key(template : Text, version : Text) : Text = template # "@" # version;

  func checkName(field : Text, value : Text) : ?Err {
    if (value.size() == 0 or value.size() > 64) return ?#InvalidArgument(field # ": must be 1 to 64 characters");
    for (c in value.chars()) {
      if (not "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+".contains(#char c)) {
        return ?#InvalidArgument(field # ": only letters, digits and . _ - + are allowed");
      };
    };
    null;
  };

  public func begin(s : Store, a : Types.UploadBegin) : Types.Done {
    switch (checkName("template", a.template)) { case (?e) return #Err(e); case null {} };
    switch (checkName("version", a.version)) { case (?e) return #Err(e); case null {} };
    if (a.wasm_sha256.size() != 32) return #Err(#InvalidArgument("wasm_sha256: must be the 32-byte SHA-256 of the module"));
    if (a.size == 0 or a.size > maxModule) return #Err(#InvalidArgument("size: must be between 1 and " # Nat.toText(maxModule) # " bytes"));
    switch (find(s, a.template, a.version)) {
      case (?v) {
        if (v.wasm_sha256 == a.wasm_sha256) return #Ok;
        return #Err(#InvalidArgument("version: " # a.template # " " # a.version # " is registered with another hash; use a new version name"));
      };
      case null {};
    };
    switch (s.uploads.get(key(a.template, a.version))) {
      case (?u) if (u.wasm_sha256 == a.wasm_sha256 and u.size == a.size) return #Ok; // resume
      case null {};
    };
    s.uploads.add(key(a.template, a.version), { template = a.template; version = a.version; wasm_sha256 = a.wasm_sha256; size = a.size; chunks = Map.empty<Nat, Blob>() });
    #Ok;
  };

  public func chunk(s : Store, c : Types.UploadChunk) : Types.Done {
    let ?u = s.uploads.get(key(c.template, c.version)) else return #Err(#NotFound);
    if (c.chunk.size() == 0 or c.chunk.size() > maxChunk) return #Err(#InvalidArgument("chunk: must be 1 byte to 1.9 MiB"));
    if (c.offset + c.chunk.size() > u.size) return #Err(#InvalidArgument("offset: chunk ends past the announced size " # Nat.toText(u.size)));
    u.chunks.add(c.offset, c.chunk);
    #Ok;
  };

  public func status(s : Store, template : Text, version : Text) : ?Types.UploadStatus {
    let ?u = s.uploads.get(key(template, version)) else return null;
    let missing = List.empty<(Nat, Nat)>();
    var at = 0;
    var received = 0;
    for ((offset, bytes) in u.chunks.entries()) {
      if (offset > at) missing.add((at, offset - at));
      let end = offset + bytes.size();
      if (end > at) { received += end - Nat.max(at, offset); at := end };
    };
    if (at < u.size) missing.add((at, u.size - at));
    ?{ template; version; wasm_sha256 = u.wasm_sha256; size = u.size; received; missing = missing.toArray() };
  };

  /// Assembles the chunks, checks size, hash and Wasm magic, and registers the version.
  public func commit(s : Store, c : Types.UploadCommit, caller : Principal) : { #Ok : Types.Version; #Err : Err } {
    let ?u = s.uploads.get(key(c.template, c.version)) else {
      switch (find(s, c.template, c.version)) {
        case (?v) { if (c.set_current) ignore setCurrent(s, c.template, c.version); return #Ok(v) };
        case null return #Err(#NotFound);
      };
    };
    let ?st = status(s, c.template, c.version) else return #Err(#NotFound);
    if (st.missing.size() > 0) return #Err(#InvalidArgument("upload: " # Nat.toText(u.size - st.received) # " bytes still missing; send them with template_upload_chunk"));
    let bytes = VarArray.repeat<Nat8>(0, u.size);
    for ((offset, data) in u.chunks.entries()) {
      var i = offset;
      for (b in data.values()) { bytes[i] := b; i += 1 };
    };
    let wasm = Blob.fromVarArray(bytes);
    let digest = Sha256.hash(wasm);
    if (digest != u.wasm_sha256) {
      s.uploads.remove(key(c.template, c.version));
      return #Err(#InvalidArgument("wasm_sha256: the uploaded bytes hash to " # hex(digest) # ", not " # hex(u.wasm_sha256) # "; upload again"));
    };
    if (not isWasm(bytes)) {
      s.uploads.remove(key(c.template, c.version));
      return #Err(#InvalidArgument("module: not a Wasm module (raw or gzipped); check the file"));
    };
    let v : Types.Version = { version = c.version; wasm; wasm_sha256 = digest; uploaded_at = Log.now(); uploaded_by = caller };
    let t = switch (s.templates.get(c.template)) {
      case (?t) t;
      case null {
        let t : Types.Template = { name = c.template; var current = null; versions = Map.empty(); var policy = Policy.defaultTemplate };
        s.templates.add(c.template, t);
        t;
      };
    };
    t.versions.add(c.version, v);
    if (c.set_current or t.current == null) t.current := ?c.version;
    s.uploads.remove(key(c.template, c.version));
    #Ok(v);
  };

  func isWasm(b : [var Nat8]) : Bool {
    b.size() >= 4 and ((b[0] == 0x00 and b[1] == 0x61 and b[2] == 0x73 and b[3] == 0x6d) or (b[0] == 0x1f and b[1] == 0x8b));
  };

  public func hex(b : Blob) : Text {
    let digits = "0123456789abcdef".chars().toArray();
    var out = "";
    for (x in b.values()) {
      out #= Text.fromChar(digits[Nat8.toNat(x / 16)]) # Text.fromChar(digits[Nat8.toNat(x % 16)]);
    };
    out;
  };

  public func find(s : Store, template : Text, version : Text) : ?Types.Version {
    switch (s.templates.get(template)) { case (?t) t.versions.get(version); case null null };
  };

  public func current(s : Store, template : Text) : ?Types.Version {
    let ?t = s.templates.get(template) else return null;
    let ?v = t.current else return null;
    t.versions.get(v);
  };

  /// The registered version of `template` whose module hashes to `digest`.
  public func byHash(s : Store, template : Text, digest : Blob) : ?Types.Version {
    let ?t = s.templates.get(template) else return null;
    for (v in t.versions.values()) if (v.wasm_sha256 == digest) return ?v;
    null;
  };

  public func setCurrent(s : Store, template : Text, version : Text) : Types.Done {
    let ?t = s.templates.get(template) else return #Err(#UnknownTemplate(template));
    if (not t.versions.containsKey(version)) return #Err(#InvalidArgument("version: " # template # " has no version " # version));
    t.current := ?version;
    #Ok;
  };

  public func policy(s : Store, template : Text) : Types.BandPolicy {
    switch (s.templates.get(template)) { case (?t) t.policy; case null Policy.defaultTemplate };
  };
};
