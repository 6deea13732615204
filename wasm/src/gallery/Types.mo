/// The gallery template's public data types (they appear in its Candid interface).
import List "mo:core/List";

module {
  public type NewPhoto = { title : Text; mime_type : Text; size : Nat };

  public type PhotoInfo = {
    id : Nat;
    title : Text;
    mime_type : Text;
    size : Nat;
    created_at : Int;
    chunk_count : Nat;
    complete : Bool;
  };

  public type Photo = {
    id : Nat;
    title : Text;
    mime_type : Text;
    size : Nat;
    created_at : Int;
    chunks : List.List<Blob>;
    var received : Nat;
    var complete : Bool;
  };
};
