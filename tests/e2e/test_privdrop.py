"""No root at run time: `coffer serve` started as root becomes coffer.conf's `user` in both
processes (the web process and keyd, its child) once the port is bound and the keys loaded,
with no capability left and no way back; it refuses to stay root; started as that user it
simply runs as it. `coffer init` run as root hands the deployment to --user (default coffer).

Each test that needs a user of its own makes one (a system user with a unique name) and
removes it afterwards, also on failure. Root only: skipped otherwise."""

import os
import pwd
import secrets
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import (AS_ROOT, COFFER_BIN, SERVICE_USER, assert_user_error, finish_server,
                      init_deployment, run_coffer, set_conf, sqlite_only, start_server)
from coffer_client import create_record, download, get_record, upload_file
from content_world import ContentWorld

pytestmark = pytest.mark.skipif(not AS_ROOT, reason="dropping privileges needs root")

ZERO_CAPS = "0000000000000000"


@pytest.fixture
def user():
    """A throwaway system user: (name, uid, gid)."""
    name = f"cfpd{secrets.token_hex(4)}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    name], check=True, capture_output=True)
    try:
        pw = pwd.getpwnam(name)
        yield name, pw.pw_uid, pw.pw_gid
    finally:
        subprocess.run(["userdel", name], capture_output=True)


def status_of(pid, tid=None):
    """/proc/PID/status (or one thread's) as {field: value}."""
    path = f"/proc/{pid}/status" if tid is None else f"/proc/{pid}/task/{tid}/status"
    out = {}
    for line in Path(path).read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def children_of(pid):
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids += [int(k) for k in (task / "children").read_text().split()]
    return kids


def assert_dropped(pid, uid, gid, what):
    """Every thread of PID runs as UID/GID with its primary group alone and no capability."""
    tids = [t.name for t in Path(f"/proc/{pid}/task").iterdir()]
    assert tids, what
    for tid in tids:
        st = status_of(pid, tid)
        assert st["Uid"].split() == [str(uid)] * 4, (what, tid, st["Uid"])
        assert st["Gid"].split() == [str(gid)] * 4, (what, tid, st["Gid"])
        assert st["Groups"].split() == [str(gid)], (what, tid, st["Groups"])
        for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
            assert st[cap] == ZERO_CAPS, (what, tid, cap, st[cap])
        assert st["NoNewPrivs"] == "1", (what, tid)


def keyd_of(srv):
    kids = children_of(srv.proc.pid)
    assert len(kids) == 1, f"expected keyd as the only child of serve, got {kids}"
    assert status_of(kids[0])["Name"] == "coffer-keyd"
    return kids[0]


def owned_tree(path):
    """{relative path: (uid, gid, mode)} for PATH and everything in it."""
    out = {".": os.lstat(path)}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(root, name)
            out[os.path.relpath(p, path)] = os.lstat(p)
    return out


def test_init_as_root_hands_the_deployment_to_the_user(tmp_path, user):
    name, uid, gid = user
    dep = init_deployment(tmp_path / "data", user=name)
    assert f"user = {name}" in dep.conf.read_text().splitlines()
    tree = owned_tree(dep.data_dir)
    for rel, st in tree.items():
        assert (st.st_uid, st.st_gid) == (uid, gid), rel
        if stat.S_ISDIR(st.st_mode):
            assert stat.S_IMODE(st.st_mode) == 0o700, rel
    for secret in ("master.key", "tls/key.pem", "coffer.conf"):
        assert stat.S_IMODE(tree[secret].st_mode) == 0o600, secret


def test_init_as_root_defaults_to_coffer(tmp_path):
    dep = init_deployment(tmp_path / "data")
    assert f"user = {SERVICE_USER}" in dep.conf.read_text().splitlines()
    assert dep.data_dir.stat().st_uid == pwd.getpwnam(SERVICE_USER).pw_uid


def test_init_refuses_an_unknown_user(tmp_path):
    proc = run_coffer("init", "--data", tmp_path / "data", "--admin-email", "a@example.test",
                      "--unsealed", "--user", "no-such-user-here")
    assert_user_error(proc)
    assert "no such user" in proc.stderr
    assert not (tmp_path / "data").exists()


def test_init_as_a_user_keeps_the_deployment(tmp_path, user):
    """Not root: init writes no `user`, and cannot hand the deployment to someone else."""
    name, uid, gid = user
    os.chown(tmp_path, uid, gid)
    base = ("init", "--admin-email", "a@example.test", "--listen", "127.0.0.1:1", "--unsealed")
    run = lambda *args: subprocess.run([*as_user(uid, gid), str(COFFER_BIN), *args],
                                       capture_output=True, text=True, timeout=60,
                                       stdin=subprocess.DEVNULL)
    proc = run(*base, "--data", str(tmp_path / "other"), "--user", SERVICE_USER)
    assert_user_error(proc)
    assert "only root can hand a deployment to another user" in proc.stderr
    assert not (tmp_path / "other").exists()
    proc = run(*base, "--data", str(tmp_path / "own"))
    assert proc.returncode == 0, proc.stderr
    assert not [l for l in (tmp_path / "own" / "coffer.conf").read_text().splitlines()
                if l.startswith("user")]
    assert (tmp_path / "own").stat().st_uid == uid


def test_both_processes_drop_and_the_service_works(tmp_path, user):
    name, uid, gid = user
    world = ContentWorld(tmp_path, user=name)
    try:
        web = world.srv.proc.pid
        keyd = keyd_of(world.srv)
        assert_dropped(web, uid, gid, "web process")
        assert_dropped(keyd, uid, gid, "keyd")
        # Writes under DATA after the drop: an organisation's database, a record, a blob.
        org = world.new_org("Privdrop Org")
        founder = world.founders[org].client
        rec = create_record(founder, org, "after the drop", "written as the service user",
                            "internal")
        assert get_record(founder, org, rec["id"])["body"] == "written as the service user"
        data = secrets.token_bytes(300_000)
        r = upload_file(founder, org, "f.bin", "internal", data)
        assert r.status_code == 201, r.text
        resp, _, size = download(founder, org, r.json()["id"])
        assert resp.status_code == 200 and size == len(data)
        for rel, st in owned_tree(world.data_dir).items():
            assert st.st_uid == uid, f"{rel} belongs to uid {st.st_uid}"
        # Still nobody with a capability, after all that work.
        assert_dropped(web, uid, gid, "web process")
        assert_dropped(keyd, uid, gid, "keyd")
    finally:
        world.close()


def as_user(uid, gid):
    """setpriv's options to run a command as UID/GID alone (it execs the command in place)."""
    return ("setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--")


def test_started_as_the_user_it_runs_as_the_user(tmp_path, user):
    name, uid, gid = user
    dep = init_deployment(tmp_path / "data", user=name)
    srv = start_server(dep, prefix=as_user(uid, gid))
    try:
        assert status_of(srv.proc.pid)["Name"] == "coffer"
        for pid, what in ((srv.proc.pid, "web process"), (keyd_of(srv), "keyd")):
            st = status_of(pid)
            assert st["Uid"].split() == [str(uid)] * 4, what
            for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
                assert st[cap] == ZERO_CAPS, (what, cap)
            assert st["NoNewPrivs"] == "1", what
    finally:
        finish_server(srv)


def test_a_user_cannot_serve_as_someone_else(tmp_path, user):
    name, uid, gid = user
    dep = init_deployment(tmp_path / "data", user=name)
    set_conf(dep.conf, "user", SERVICE_USER)
    proc = subprocess.run([*as_user(uid, gid), str(COFFER_BIN), "serve", "--data",
                           str(dep.data_dir)],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert_user_error(proc)
    assert f"user = {SERVICE_USER}" in proc.stderr and "cannot become another user" in proc.stderr


def test_root_without_a_user_is_refused(tmp_path, user):
    name, _, _ = user
    dep = init_deployment(tmp_path / "data", user=name)
    lines = [l for l in dep.conf.read_text().splitlines() if not l.startswith("user")]
    dep.conf.write_text("\n".join(lines) + "\n")
    proc = run_coffer("serve", "--data", dep.data_dir)
    assert_user_error(proc)
    assert "will not run as root" in proc.stderr and "user = NAME" in proc.stderr


def test_an_unknown_user_is_refused(tmp_path, user):
    name, _, _ = user
    dep = init_deployment(tmp_path / "data", user=name)
    set_conf(dep.conf, "user", "no-such-user-here")
    proc = run_coffer("serve", "--data", dep.data_dir)
    assert_user_error(proc)
    assert "no-such-user-here" in proc.stderr and "no such user" in proc.stderr


def test_root_as_the_user_is_refused(tmp_path, user):
    name, _, _ = user
    dep = init_deployment(tmp_path / "data", user=name)
    set_conf(dep.conf, "user", "root")
    proc = run_coffer("serve", "--data", dep.data_dir)
    assert_user_error(proc)
    assert "does not keep root" in proc.stderr


def test_data_owned_by_someone_else_is_refused(tmp_path, user):
    name, _, _ = user
    dep = init_deployment(tmp_path / "data", user=name)
    os.chown(dep.data_dir, 0, 0)
    proc = run_coffer("serve", "--data", dep.data_dir)
    assert_user_error(proc)
    assert f"chown -R {name}:" in proc.stderr


def test_data_behind_closed_parents_is_refused_after_the_drop(tmp_path, user):
    name, _, _ = user
    dep = init_deployment(tmp_path / "deep" / "data", user=name)
    os.chmod(tmp_path / "deep", 0o700)  # root's, and closed to the user
    proc = run_coffer("serve", "--data", dep.data_dir)
    assert_user_error(proc)
    assert f"{name} cannot read and write {dep.data_dir}" in proc.stderr


@sqlite_only  # about system.db, a file of the SQLite store
def test_data_the_user_cannot_write_is_refused_after_the_drop(tmp_path, user):
    name, _, _ = user
    dep = init_deployment(tmp_path / "data", user=name)
    os.chown(dep.data_dir / "system.db", 0, 0)
    proc = run_coffer("serve", "--data", dep.data_dir)
    assert_user_error(proc)
    assert f"{name} cannot read and write {dep.data_dir}" in proc.stderr
