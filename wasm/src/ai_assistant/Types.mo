/// The ai_assistant template's public data types (they appear in its Candid interface).
import List "mo:core/List";

module {
  /// `system_` is `system` in Candid (Motoko drops a trailing underscore from keywords).
  public type Role = { #user; #assistant; #system_ };

  public type Message = { role : Role; content : Text; created_at : Int };

  public type Conversation = {
    var title : Text;
    created_at : Int;
    var updated_at : Int;
    messages : List.List<Message>;
  };

  public type ConversationSummary = {
    id : Nat;
    title : Text;
    created_at : Int;
    updated_at : Int;
    message_count : Nat;
  };

  public type Settings = { system_prompt : Text; model : Text };
  public type SettingsUpdate = { system_prompt : ?Text; model : ?Text };

  public type Note = { id : Nat; content : Text; tags : [Text]; created_at : Int };
};
