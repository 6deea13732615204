/// The memory template's public data types (they appear in its Candid interface).
import Map "mo:core/Map";

module {
  /// Viewers read and comment; contributors also add memories.
  public type Role = { #viewer; #contributor };
  public type CallerRole = { #owner; #contributor; #viewer; #none };

  public type Member = { member : Principal; role : Role; added_at : Int };

  /// A photo kept in a gallery canister: which canister, and the photo id there.
  public type PhotoRef = { gallery : Principal; photo_id : Nat };

  public type NewMemory = { content : Text; date : Text; photo : ?PhotoRef };

  public type Comment = { id : Nat; author : Principal; content : Text; created_at : Int };

  public type Memory = {
    id : Nat;
    author : Principal;
    content : Text;
    date : Text;
    photo : ?PhotoRef;
    created_at : Int;
    comments : Map.Map<Nat, Comment>;
    var nextCommentId : Nat;
  };

  public type MemoryView = {
    id : Nat;
    author : Principal;
    content : Text;
    date : Text;
    photo : ?PhotoRef;
    created_at : Int;
    comment_count : Nat;
  };
};
