"""The admin surface under ``/_/`` (JSON): metrics, faults, time, canisters, subnets,
minting."""
import json
import threading
from urllib.parse import parse_qs, urlsplit

from _ic.errors import InputError

from .api import json_response
from .errors import HttpError


_json = json_response


def _payload(body):
    try:
        value = json.loads(body or b"{}")
    except ValueError as err:
        raise HttpError(400, f"Invalid JSON: {err}") from None
    if not isinstance(value, dict):
        raise HttpError(400, "Expected a JSON object.")
    return value


def handle(server, method, path, raw_path, body):
    """Serve ``/_/<name>``; returns a Response."""
    node = server.node
    name = path[len("/_/"):].strip("/")
    if name == "metrics" and method == "GET":
        return _json(node.metrics.snapshot([str(s.subnet_id) for s in node.topology.subnets]))
    if name == "canisters" and method == "GET":
        return _json(node.canister_list())
    if name == "subnets" and method == "GET":
        return _json(node.topology.summary())
    if name == "faults":
        return _faults(node, method, body)
    if name == "time":
        if method == "GET":
            return _json({"now_ns": node.clock.canister_time_ns()})
        if method == "POST":
            seconds = _payload(body).get("advance_seconds")
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
                raise HttpError(400, "advance_seconds: must be a non-negative number")
            return _json({"now_ns": node.advance_time(seconds)})
    if name == "mint" and method == "POST":
        return _mint(node, _payload(body))
    if name == "balance" and method == "GET":
        query = parse_qs(urlsplit(raw_path).query)
        owner = (query.get("owner") or [""])[0]
        try:
            return _json({"balance": node.balance(owner, _subaccount(query.get("subaccount")))})
        except (InputError, ValueError) as err:
            raise HttpError(400, str(err)) from None
    if name == "shutdown" and method == "POST":
        threading.Thread(target=server.shutdown, daemon=True).start()
        return _json({"stopping": True})
    raise HttpError(404, f"Not found: {path}")


def _subaccount(values):
    if not values or values[0] in (None, ""):
        return None
    try:
        return bytes.fromhex(values[0])
    except ValueError:
        raise HttpError(400, "subaccount: must be hex") from None


def _faults(node, method, body):
    if method == "GET":
        return _json(node.faults.rules())
    if method == "DELETE":
        node.faults.clear()
        return _json({"cleared": True})
    if method == "POST":
        payload = _payload(body)
        if payload.get("clear"):
            node.faults.clear()
            return _json({"cleared": True})
        try:
            return _json({"added": node.faults.add(payload)})
        except ValueError as err:
            raise HttpError(400, str(err)) from None
    raise HttpError(405, "Method not allowed.")


def _mint(node, payload):
    amount = payload.get("amount")
    try:
        subaccount = payload.get("subaccount")
        sub = bytes.fromhex(subaccount) if subaccount else None
        balance = node.mint(payload.get("to"), amount, sub)
    except (InputError, ValueError) as err:
        raise HttpError(400, str(err)) from None
    return _json({"balance": balance})
