"""Concurrent clients: certificates shared by a batch must verify for each request alone."""
import threading

from _ic.identity import Ed25519Identity
from localnet.client import MiniClient

WORKERS = 6
ROUNDS = 15


def test_parallel_certified_calls_and_read_states(net, client):
    identities = [Ed25519Identity.generate() for _ in range(WORKERS)]
    owned = [client.create_canister(settings={"controllers": [i.sender]}) for i in identities]
    errors = []
    counts = []

    def worker(index):
        c = MiniClient(net.url, identities[index], net.root_key_der)
        mine = owned[index]
        others = [cid for cid in owned if cid != mine]
        try:
            for _ in range(ROUNDS):
                status = c.mgmt("canister_status", {"canister_id": mine})
                assert status["settings"]["controllers"] == [c.identity.sender]
                cert = c.read_state(mine, [[b"canister", mine.raw, b"controllers"],
                                           [b"request_status", b"\x00" * 32]])
                assert cert.lookup([b"canister", mine.raw, b"controllers"]) is not None
                # what concurrent requests put in the shared tree stays pruned away
                for other in others:
                    hidden = cert.lookup_result([b"canister", other.raw, b"controllers"])
                    assert hidden.status in ("unknown", "absent")
            counts.append(ROUNDS)
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(repr(err))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counts == [ROUNDS] * WORKERS
