// An application signs users up through the factory canister with DFINITY's JS agent
// (@icp-sdk/core, query signatures verified): each user creates its own user canister, gets the
// same one again, uses it, and cannot reach anyone else's.
// Usage: node js_factory.mjs <url> <factory id>; prints one JSON object.
import { Actor, HttpAgent, AnonymousIdentity } from "@icp-sdk/core/agent";
import { Ed25519KeyIdentity } from "@icp-sdk/core/identity";
import { Principal } from "@icp-sdk/core/principal";

const [url, factoryId] = process.argv.slice(2);
const out = {};

const factoryIdl = ({ IDL }) => {
  const FactoryError = IDL.Variant({
    NotAuthorized: IDL.Null, UnknownTemplate: IDL.Text, QuotaExceeded: IDL.Null,
    RateLimited: IDL.Null,
    InsufficientCycles: IDL.Record({ needed: IDL.Nat, available: IDL.Nat }),
    CreateFailed: IDL.Text, InstallFailed: IDL.Text, UpgradeFailed: IDL.Text,
    NotFound: IDL.Null, InvalidArgument: IDL.Text, Busy: IDL.Null,
  });
  const Created = IDL.Variant({ Ok: IDL.Principal, Err: FactoryError });
  const Done = IDL.Variant({ Ok: IDL.Null, Err: FactoryError });
  const CanisterStatus = IDL.Variant({
    Creating: IDL.Null, Active: IDL.Null, Upgrading: IDL.Null, Stopped: IDL.Null, Deleted: IDL.Null });
  const CanisterInfo = IDL.Record({
    canister_id: IDL.Principal, created_by: IDL.Principal, created_at: IDL.Nat64,
    canister_type: IDL.Text, status: CanisterStatus, cycles_balance: IDL.Nat,
    owner: IDL.Principal, version: IDL.Opt(IDL.Text), module_hash: IDL.Opt(IDL.Vec(IDL.Nat8)),
    last_error: IDL.Opt(IDL.Text),
  });
  return IDL.Service({
    create_user_canister: IDL.Func([IDL.Principal], [Created], []),
    create_feature_canister: IDL.Func([IDL.Text, IDL.Principal, IDL.Vec(IDL.Nat8)], [Created], []),
    get_canister_info: IDL.Func([IDL.Principal], [IDL.Opt(CanisterInfo)], ["query"]),
    list_user_canisters: IDL.Func([IDL.Principal], [IDL.Vec(CanisterInfo)], ["query"]),
    delete_canister: IDL.Func([IDL.Principal], [Done], []),
  });
};
const userIdl = ({ IDL }) => IDL.Service({
  set_preference: IDL.Func([IDL.Text, IDL.Text], [IDL.Variant({ ok: IDL.Null, err: IDL.Text })], []),
  get_preference: IDL.Func([IDL.Text], [IDL.Opt(IDL.Text)], ["query"]),
  whoami: IDL.Func([], [IDL.Principal], ["query"]),
});

function errorOf(err) {
  const text = String(err && (err.message || err));
  const code = text.match(/IC0\d{3}/);
  return { code: code ? code[0] : null, text: text.slice(0, 400) };
}
const show = (v) => JSON.parse(JSON.stringify(v, (_, x) =>
  typeof x === "bigint" ? x.toString() : (x && x.__principal__) ? x.__principal__ : x));

async function factoryFor(identity) {
  const agent = await HttpAgent.create({ host: url, identity, shouldFetchRootKey: true, verifyQuerySignatures: true });
  return { agent, factory: Actor.createActor(factoryIdl, { agent, canisterId: factoryId }) };
}

const alice = Ed25519KeyIdentity.generate();
const bob = Ed25519KeyIdentity.generate();
const { agent, factory } = await factoryFor(alice);
const { factory: asBob } = await factoryFor(bob);
const { factory: asAnonymous } = await factoryFor(new AnonymousIdentity());
out.alice = alice.getPrincipal().toText();

const first = await factory.create_user_canister(alice.getPrincipal());
const second = await factory.create_user_canister(alice.getPrincipal());
out.first = show(first);
out.second = show(second);
const child = first.Ok;
out.info = show(await factory.get_canister_info(child));
out.list = show(await factory.list_user_canisters(alice.getPrincipal()));

const user = Actor.createActor(userIdl, { agent, canisterId: child });
out.set = show(await user.set_preference("theme", "dark"));
out.get = show(await user.get_preference("theme"));
out.child_whoami = (await user.whoami()).toText();

out.bob_info = show(await asBob.get_canister_info(child));
try { out.bob_list = show(await asBob.list_user_canisters(alice.getPrincipal())); } catch (err) { out.bob_list = errorOf(err); }
out.bob_for_alice = show(await asBob.create_user_canister(alice.getPrincipal()));
out.bob_delete = show(await asBob.delete_canister(child));
out.anonymous = show(await asAnonymous.create_user_canister(Principal.anonymous()));
const bobUser = Actor.createActor(userIdl, { agent: (await factoryFor(bob)).agent, canisterId: child });
try { out.bob_read = show(await bobUser.get_preference("theme")); } catch (err) { out.bob_read = errorOf(err); }

// Three sign-up requests at once for one new user: one canister.
const carol = Ed25519KeyIdentity.generate();
const { factory: asCarol } = await factoryFor(carol);
const racing = await Promise.all([0, 1, 2].map(() => asCarol.create_user_canister(carol.getPrincipal())));
out.racing = show(racing);
out.carol_list = show(await asCarol.list_user_canisters(carol.getPrincipal()));

out.delete = show(await factory.delete_canister(child));
out.after_delete = show(await factory.get_canister_info(child));
console.log(JSON.stringify(out));
