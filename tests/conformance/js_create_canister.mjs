// Creates a canister through the JS agent (provisional_create_canister_with_cycles) with the
// given controllers. Usage: node js_create_canister.mjs <url> <controller>...; prints JSON.
import { HttpAgent } from "@icp-sdk/core/agent";
import { Ed25519KeyIdentity } from "@icp-sdk/core/identity";
import { IcManagementCanister } from "@icp-sdk/canisters/ic-management";

const [url, ...controllers] = process.argv.slice(2);
const agent = await HttpAgent.create({ host: url, identity: Ed25519KeyIdentity.generate(),
                                       shouldFetchRootKey: true });
const mgmt = IcManagementCanister.create({ agent });
const canisterId = await mgmt.provisionalCreateCanisterWithCycles({
  amount: 3_000_000_000_000n, settings: { controllers } });
console.log(JSON.stringify({ canister_id: canisterId.toText() }));
