// Drives localnet with DFINITY's JS agent (@icp-sdk/core + @icp-sdk/canisters), unchanged:
// root key fetched from /api/v2/status, query signature verification left on.
// Usage: node js_agent_scenario.mjs <url> <wasm-hex>; prints one JSON object of results.
import { HttpAgent, CanisterStatus } from "@icp-sdk/core/agent";
import { Ed25519KeyIdentity } from "@icp-sdk/core/identity";
import { IcManagementCanister } from "@icp-sdk/canisters/ic-management";

const [url, wasmHex] = process.argv.slice(2);
const wasm = Uint8Array.from(Buffer.from(wasmHex, "hex"));
const out = {};

async function management(identity) {
  const agent = await HttpAgent.create({ host: url, identity, shouldFetchRootKey: true });
  return { agent, mgmt: IcManagementCanister.create({ agent }) };
}

function errorOf(err) {
  const text = String(err && (err.message || err));
  const code = text.match(/IC0\d{3}/);
  return { code: code ? code[0] : null, text: text.slice(0, 400) };
}

const owner = Ed25519KeyIdentity.generate();
const stranger = Ed25519KeyIdentity.generate();
const { agent, mgmt } = await management(owner);
const { mgmt: strangerMgmt } = await management(stranger);

const canisterId = await mgmt.provisionalCreateCanisterWithCycles({ amount: 5_000_000_000_000n });
out.canister_id = canisterId.toText();
out.owner = owner.getPrincipal().toText();

await mgmt.installCode({ mode: { install: null }, canisterId, wasmModule: wasm, arg: new Uint8Array() });
const certified = await mgmt.canisterStatus({ canisterId, certified: true });
const queried = await mgmt.canisterStatus({ canisterId, certified: false });
out.status_certified = Object.keys(certified.status)[0];
out.status_query_cycles = queried.cycles.toString();
out.module_hash = Buffer.from(certified.module_hash[0]).toString("hex");

await mgmt.updateSettings({ canisterId, settings: {
  freezingThreshold: 1234n, controllers: [owner.getPrincipal().toText(), stranger.getPrincipal().toText()] } });
const after = await mgmt.canisterStatus({ canisterId });
out.freezing_threshold = after.settings.freezing_threshold.toString();
out.controllers = after.settings.controllers.map((p) => p.toText()).sort();

const paths = await CanisterStatus.request({ canisterId, agent, paths: ["module_hash", "controllers"] });
out.read_state_module_hash = paths.get("module_hash");
out.read_state_controllers = (paths.get("controllers") || []).map((p) => p.toText()).sort();

// Give control back to the owner alone, then the stranger must be refused.
await mgmt.updateSettings({ canisterId, settings: { controllers: [owner.getPrincipal().toText()] } });
try {
  await strangerMgmt.canisterStatus({ canisterId });
  out.stranger_status = "allowed";
} catch (err) {
  out.stranger_status = errorOf(err);
}
try {
  await strangerMgmt.stopCanister(canisterId);
  out.stranger_stop = "allowed";
} catch (err) {
  out.stranger_stop = errorOf(err);
}

await mgmt.stopCanister(canisterId);
out.status_after_stop = Object.keys((await mgmt.canisterStatus({ canisterId })).status)[0];
await mgmt.deleteCanister(canisterId);
try {
  await mgmt.canisterStatus({ canisterId });
  out.status_after_delete = "still there";
} catch (err) {
  out.status_after_delete = errorOf(err);
}
console.log(JSON.stringify(out));
