"""Run the factory's playbooks against a localnet the way an operator would, and read the results.

``Factory`` owns one work directory: an ``ansible_collections`` tree that links to the checkout,
an operator identity, a registry file and the inventories written for a test. Playbooks run as
subprocesses (``ansible-playbook`` from this venv); the per-host stats come from the PLAY RECAP and the
failures from the ``fatal:`` lines; the localnet is a real ``localnet.testing.LocalnetProcess``.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import yaml

# One test, both paths: parametrises ``batch`` (True: ic_fleet, the default path of the playbooks;
# False: the per-host roles, ``-e icp_batch=false``). docs/testing.md lists what runs on both.
BOTH_PATHS = pytest.mark.parametrize("batch", [True, False], ids=["batch", "per_host"])
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOKS = os.path.join(ROOT, "playbooks")
BIN = os.path.dirname(sys.executable)
TEMPLATE_GROUPS = ("user", "ai_assistant", "gallery", "memory")
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$")
FATAL_LINE = re.compile(r"^fatal: \[([^\]]+)\]: FAILED! => (.*)$")


class PlaybookRun:
    """The outcome of one ansible-playbook run: return code, per-host stats, output."""

    def __init__(self, proc):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.stats = {}
        self.failures = []
        recap = False
        for line in self.stdout.splitlines():
            if line.startswith("PLAY RECAP"):
                recap = True
            elif recap and RECAP_LINE.match(line):
                host, counts = RECAP_LINE.match(line).groups()
                self.stats[host] = {k: int(v) for k, v in (c.split("=") for c in counts.split())}
            fatal = FATAL_LINE.match(line)
            if fatal:
                try:
                    message = json.loads(fatal.group(2)).get("msg", "")
                except ValueError:
                    message = fatal.group(2)
                self.failures.append((fatal.group(1), message))

    def total(self, key):
        """Sum of one stat (``changed``, ``failed``, ``ok`` ...) over all hosts."""
        return sum(host.get(key, 0) for host in self.stats.values())

    def failed_hosts(self):
        """Names of the hosts that failed or were unreachable."""
        return sorted(h for h, s in self.stats.items() if s.get("failed") or s.get("unreachable"))

    def messages(self):
        """Every failure message as ``host: message``."""
        return [f"{host}: {message}" for host, message in self.failures]

    def explain(self):
        """A short text for a failed assertion."""
        return f"rc={self.rc} failures={self.messages()[:5]} stderr={self.stderr[-1500:]} stdout={self.stdout[-1500:]}"


class Factory:
    """A work directory with identity, registry and collection path, bound to one localnet."""

    def __init__(self, net, workdir, identity_seed=b"\x07" * 32):
        self.net = net
        self.workdir = str(workdir)
        self.collections = os.path.join(self.workdir, "collections")
        link_dir = os.path.join(self.collections, "ansible_collections", "icp")
        os.makedirs(link_dir, exist_ok=True)
        link = os.path.join(link_dir, "canister_factory")
        if not os.path.islink(link):
            os.symlink(ROOT, link)
        self.identity = os.path.join(self.workdir, "operator.pem")
        self.principal = write_identity(self.identity, identity_seed)
        self.registry = os.path.join(self.workdir, "registry.yml")

    def env(self):
        """The environment of an operator pointed at this localnet."""
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": self.collections,
            "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_NOCOWS": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ICP_NETWORK": self.net.url,
            "ICP_ROOT_KEY": self.net.root_key_hex,
            "ICP_IDENTITY": self.identity,
            "ICP_REGISTRY": self.registry,
            "PATH": BIN + os.pathsep + env.get("PATH", ""),
        })
        env.pop("ICP_IDENTITY_PEM", None)
        return env

    def command(self, playbook, inventory=None, extra_vars=None, forks=None):
        """The ansible-playbook command line for ``playbooks/<playbook>``."""
        cmd = [os.path.join(BIN, "ansible-playbook"), os.path.join(PLAYBOOKS, playbook)]
        if inventory:
            cmd += ["-i", inventory]
        if forks:
            cmd += ["-f", str(forks)]
        if extra_vars:
            path = os.path.join(self.workdir, f"vars-{len(os.listdir(self.workdir))}.json")
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(extra_vars, handle)
            cmd += ["-e", f"@{path}"]
        return cmd

    def play(self, playbook, inventory=None, extra_vars=None, forks=None, timeout=1800):
        """Run a playbook to the end; return a PlaybookRun."""
        proc = subprocess.run(self.command(playbook, inventory, extra_vars, forks), cwd=self.workdir,
                              env=self.env(), capture_output=True, text=True, timeout=timeout, check=False)
        return PlaybookRun(proc)

    def provision(self, inventory, batch, *options, **extra):
        """provision.yml on one path (``batch``: ic_fleet; else the per-host roles) with four
        forks; ``options`` are further ansible-playbook arguments, ``extra`` extra vars."""
        command = self.command("provision.yml", inventory, dict(extra, icp_batch=batch), forks=4) + list(options)
        return PlaybookRun(subprocess.run(command, cwd=self.workdir, env=self.env(), capture_output=True,
                                          text=True, timeout=900, check=False))

    def start(self, playbook, inventory=None, extra_vars=None, forks=None):
        """Start a playbook in a session of its own (so that it can be killed with its workers)."""
        return subprocess.Popen(self.command(playbook, inventory, extra_vars, forks), cwd=self.workdir,
                                env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    @staticmethod
    def kill(proc):
        """SIGKILL the playbook, its forks and the modules they run (forks that left its
        group with setsid included)."""
        workers = Factory.descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()

    @staticmethod
    def descendants(pid):
        """Every process below ``pid`` now. Ansible 2.19's workers call setsid, so after the
        playbook is killed they are in no group of its own: take them down before the kill."""
        children = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
        found, todo = [], [pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    @staticmethod
    def wait_group_gone(proc, timeout, pids=()):
        """Wait until no process of the playbook's group is left, nor any of ``pids`` (its
        workers, which left the group: see ``descendants``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = [pid for pid in pids if _alive(pid)]
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                if not alive:
                    return
            time.sleep(0.2)
        raise TimeoutError("processes of the killed playbook are still running")

    def task_command(self, module, args, label="task", check=False, diff=False):
        """The command of a one-task playbook on localhost that runs ``module`` (short name, such as
        ``ic_fleet``) with ``args`` and keeps the registered result for ``task_result``, even when the
        module fails; returns (command, result file). ``args`` may hold Jinja (``lookup('env', ...)``)."""
        result_file = os.path.join(self.workdir, f"{label}-result.json")
        if os.path.exists(result_file):
            os.unlink(result_file)
        play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
                 "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                 "tasks": [{"name": f"Run {module}", f"icp.canister_factory.{module}": args,
                            "check_mode": check, "register": "outcome", "ignore_errors": True},
                           {"name": "Keep the result for the test", "check_mode": False, "changed_when": False,
                            "ansible.builtin.copy": {"content": "{{ outcome | to_json }}", "dest": result_file,
                                                     "mode": "0644"}}]}]
        playbook = os.path.join(self.workdir, f"{label}.yml")
        with open(playbook, "w", encoding="utf-8") as handle:
            yaml.safe_dump(play, handle, sort_keys=False)
        return self.command(playbook, "localhost,") + (["--diff"] if diff else []), result_file

    def task(self, module, args, label="task", check=False, diff=False, timeout=600):
        """Run ``module`` with ``args`` in a one-task playbook (see ``task_command``); the playbook must
        end well (the task's own failure is in the result). Returns (PlaybookRun, module result)."""
        command, result_file = self.task_command(module, args, label, check, diff)
        run = PlaybookRun(subprocess.run(command, cwd=self.workdir, env=self.env(), capture_output=True,
                                         text=True, timeout=timeout, check=False))
        assert run.rc == 0, run.explain()
        return run, task_result(result_file)

    def inventory(self, name, canisters):
        """Write a desired-state inventory: ``canisters`` maps host -> (template, host vars)."""
        groups = {}
        for host, (template, hostvars) in canisters.items():
            groups.setdefault(f"{template}_canisters", {"hosts": {}})["hosts"][host] = hostvars
        doc = {"all": {"vars": {"ansible_connection": "local",
                                "ansible_python_interpreter": sys.executable},
                       "children": {"canisters": {"children": groups}}}}
        path = os.path.join(self.workdir, name)
        with open(path, "w", encoding="utf-8") as handle:
            yaml.safe_dump(doc, handle)
        return path

    def entries(self):
        """The registry entries (host name -> variables), the journal's included; empty before the first write."""
        from _registry import Registry

        return Registry(self.registry).read().entries

    def canister_status(self, canister_id):
        """``canister_status`` of a canister this operator controls, asked directly (not through
        the collection), for what localnet's admin list does not show (settings)."""
        from _ic.agent import Agent
        from _ic.identity import load_identity_file
        from _ic.management import Management

        agent = Agent(self.net.url, identity=load_identity_file(self.identity), root_key_der=self.net.root_key_der)
        try:
            return Management(agent).canister_status(canister_id)
        finally:
            agent.close()

    def update_calls(self):
        """Update calls localnet has answered so far."""
        return self.net.metrics()["update_calls"]

    def canisters(self):
        """The canisters on localnet that this operator controls (``GET /_/canisters``), so
        that system canisters (cycles ledger, CMC) do not count."""
        return [c for c in self.net.canisters() if self.principal in c.get("controllers", [])]


def kill_tree(pid):
    """SIGKILL ``pid`` and every process below it (Ansible 2.19's workers call setsid, so a
    process group does not reach them)."""
    for victim in [pid] + Factory.descendants(pid):
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass


def own_factory(net, workdir):
    """A Factory whose identity is derived from ``workdir``, so that its canisters (``canisters``)
    and its cycles-ledger account are its test's alone on a localnet that tests share."""
    import hashlib

    return Factory(net, workdir, identity_seed=hashlib.sha256(str(workdir).encode()).digest())


def task_result(result_file):
    """The registered result a ``Factory.task_command`` playbook kept."""
    with open(result_file, encoding="utf-8") as handle:
        return json.load(handle)


def write_identity(path, seed):
    """Write an Ed25519 PKCS#8 PEM from a 32-byte seed; return its principal text."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from _ic.identity import load_identity_file

    key = Ed25519PrivateKey.from_private_bytes(seed)
    with open(path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return load_identity_file(path).sender.to_text()


def principal_for(label):
    """A valid self-authenticating principal text derived from ``label`` (a made-up user)."""
    import hashlib

    from _ic.principal import Principal

    der = bytes.fromhex("302a300506032b6570032100") + hashlib.sha256(label.encode()).digest()
    return Principal.self_authenticating(der).to_text()


def users(count, template="user", prefix="u"):
    """``count`` canisters of one template for made-up users, as ``Factory.inventory`` takes them."""
    return {f"{prefix}{i:03d}": (template, {"owner": principal_for(f"{prefix}{i}")}) for i in range(count)}


def _alive(pid):
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
