"""The cycles ledger's Candid interface, the part this client uses.

Type definitions copied unchanged from the cycles ledger's public interface definition; the
service lists only the methods ``CyclesLedger`` calls.
source: dfinity/cycles-ledger cycles-ledger/cycles-ledger.did @ 2703d3630ef91ad23b4b10e7e4781c2825af4df0
"""

CYCLES_LEDGER_DID = r"""type Account = record { owner : principal; subaccount : opt vec nat8 };
type BlockIndex = nat;
type DepositArgs = record {
  to : Account;
  memo : opt vec nat8;
};
type DepositResult = record { balance : nat; block_index : BlockIndex };
type RejectionCode = variant {
  NoError;
  CanisterError;
  SysTransient;
  DestinationInvalid;
  Unknown;
  SysFatal;
  CanisterReject;
};
type WithdrawArgs = record {
  amount : nat;
  from_subaccount : opt vec nat8;
  to : principal;
  created_at_time : opt nat64;
};
type WithdrawError = variant {
  GenericError : record { message : text; error_code : nat };
  TemporarilyUnavailable;
  FailedToWithdraw : record {
    fee_block : opt nat;
    rejection_code : RejectionCode;
    rejection_reason : text;
  };
  Duplicate : record { duplicate_of : nat };
  BadFee : record { expected_fee : nat };
  InvalidReceiver : record { receiver : principal };
  CreatedInFuture : record { ledger_time : nat64 };
  TooOld;
  InsufficientFunds : record { balance : nat };
};
type TransferArgs = record {
  from_subaccount : opt vec nat8;
  to : Account;
  amount : nat;
  fee : opt nat;
  memo : opt vec nat8;
  created_at_time : opt nat64;
};
type TransferError = variant {
  BadFee : record { expected_fee : nat };
  BadBurn : record { min_burn_amount : nat };
  InsufficientFunds : record { balance : nat };
  TooOld;
  CreatedInFuture : record { ledger_time : nat64 };
  Duplicate : record { duplicate_of : nat };
  TemporarilyUnavailable;
  GenericError : record { message : text; error_code : nat };
};
type CreateCanisterArgs = record {
  from_subaccount : opt vec nat8;
  created_at_time : opt nat64;
  amount : nat;
  creation_args : opt CmcCreateCanisterArgs;
};
type CmcCreateCanisterArgs = record {
  // Optional canister settings that, if set, are applied to the newly created canister.
  // If not specified, the caller is the controller of the canister and the other settings are set to default values.
  settings : opt CanisterSettings;

  // Optional instructions to select on which subnet the new canister will be created on.
  subnet_selection : opt SubnetSelection;
};
type EnvironmentVariable = record {
  name : text;
  value : text;
};
type LogVisibility = variant {
  controllers;
  public;
  allowed_viewers : vec principal;
};
type CanisterSettings = record {
  controllers : opt vec principal;
  compute_allocation : opt nat;
  memory_allocation : opt nat;
  freezing_threshold : opt nat;
  reserved_cycles_limit : opt nat;
  wasm_memory_limit : opt nat;
  wasm_memory_threshold : opt nat;
  log_visibility : opt LogVisibility;
  environment_variables : opt vec EnvironmentVariable;
};
type SubnetSelection = variant {
  /// Choose a specific subnet
  Subnet : record {
    subnet : principal;
  };
  // Choose a random subnet that satisfies the specified properties.
  Filter : SubnetFilter;
};
type SubnetFilter = record {
  subnet_type : opt text;
};
type CreateCanisterSuccess = record {
  block_id : BlockIndex;
  canister_id : principal;
};
type CreateCanisterError = variant {
  InsufficientFunds : record { balance : nat };
  TooOld;
  CreatedInFuture : record { ledger_time : nat64 };
  TemporarilyUnavailable;
  Duplicate : record {
    duplicate_of : nat;
    // If the original transaction created a canister then this field will contain the canister id.
    canister_id : opt principal;
  };
  FailedToCreate : record {
    fee_block : opt BlockIndex;
    refund_block : opt BlockIndex;
    error : text;
  };
  GenericError : record { message : text; error_code : nat };
};

service : {
  deposit : (DepositArgs) -> (DepositResult);
  icrc1_balance_of : (Account) -> (nat) query;
  icrc1_fee : () -> (nat) query;
  icrc1_transfer : (TransferArgs) -> (variant { Ok : BlockIndex; Err : TransferError });
  withdraw : (WithdrawArgs) -> (variant { Ok : BlockIndex; Err : WithdrawError });
  create_canister : (CreateCanisterArgs) -> (variant { Ok : CreateCanisterSuccess; Err : CreateCanisterError });
};
"""
