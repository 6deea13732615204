/// The user template's public data types (they appear in its Candid interface).
module {
  public type Profile = { display_name : Text; bio : Text };
  public type ProfileView = { display_name : Text; bio : Text; updated_at : ?Int };
  public type Preference = { value : Text; updated_at : Int };
  public type PreferenceEntry = { key : Text; value : Text; updated_at : Int };
};
