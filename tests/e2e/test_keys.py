"""`coffer keys rotate` as an operator runs it: the master keyring grows by a version and keeps
the old ones, a sealed keyring stays sealed, a running server blocks master rotation (its key
service holds the old keyring), and every usage mistake gets exit 2 or a one-line message."""
import uuid

from conftest import assert_user_error, finish_server, run_coffer, start_server
from test_master_key import init_sealed

ENTRY = 4 + 32  # key version + key


def keyring(path):
    data = path.read_bytes()
    assert data[:10] == b"COFFERMK\x02\x00", "an unsealed keyring"
    count = data[10]
    assert len(data) == 11 + count * ENTRY
    entries = data[11:]
    return [(int.from_bytes(entries[i * ENTRY:i * ENTRY + 4], "big"),
             entries[i * ENTRY + 4:(i + 1) * ENTRY]) for i in range(count)]


def test_master_rotation_adds_a_version_and_keeps_the_old(cloned_deployment):
    dep = cloned_deployment
    before = keyring(dep.master_key)
    assert [v for v, _ in before] == [1]
    proc = run_coffer("keys", "rotate", "--data", dep.data_dir, "--master")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "master key: version 2"
    after = keyring(dep.master_key)
    assert [v for v, _ in after] == [1, 2]
    assert after[0] == before[0], "the old version must be kept unchanged"
    assert after[1][1] != after[0][1]
    assert oct(dep.master_key.stat().st_mode & 0o777) == "0o600"
    proc = run_coffer("keys", "rotate", "--data", dep.data_dir, "--master", "--rewrap")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "master key: version 3",
        "re-wrapped 0 organisation key versions under master key version 3"]
    # The server starts on the rotated keyring.
    srv = start_server(dep)
    try:
        assert srv.get("/healthz").status_code == 200
    finally:
        finish_server(srv)


def test_master_rotation_refused_while_serving(server):
    dep = server.deployment
    before = dep.master_key.read_bytes()
    proc = run_coffer("keys", "rotate", "--data", dep.data_dir, "--master")
    assert_user_error(proc)
    assert "coffer serve is running" in proc.stderr
    assert dep.master_key.read_bytes() == before
    assert server.get("/healthz").status_code == 200


def test_one_server_per_data_directory(server):
    proc = run_coffer("serve", "--data", server.deployment.data_dir, "--listen", "127.0.0.1:1")
    assert_user_error(proc)
    assert "already being served" in proc.stderr
    assert server.get("/healthz").status_code == 200


def test_sealed_keyring_rotation_needs_the_passphrase(tmp_path):
    dep, pfile = init_sealed(tmp_path)
    before = dep.master_key.read_bytes()
    proc = run_coffer("keys", "rotate", "--data", dep.data_dir, "--master")
    assert_user_error(proc)
    assert "sealed" in proc.stderr
    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"not the passphrase\n")
    proc = run_coffer("keys", "rotate", "--data", dep.data_dir, "--master",
                      "--passphrase-file", wrong)
    assert_user_error(proc)
    assert "wrong passphrase" in proc.stderr
    assert dep.master_key.read_bytes() == before
    proc = run_coffer("keys", "rotate", "--data", dep.data_dir, "--master",
                      "--passphrase-file", pfile)
    assert proc.returncode == 0, proc.stderr
    raw = dep.master_key.read_bytes()
    assert raw[:10] == b"COFFERMK\x02\x01", "still sealed"
    assert len(raw) == len(before) + ENTRY
    assert raw[14:34] != before[14:34], "re-sealed with a fresh salt"
    srv = start_server(dep, extra_args=("--passphrase-file", pfile))
    try:
        assert srv.get("/healthz").status_code == 200
    finally:
        finish_server(srv)


def test_unknown_organisation(cloned_deployment):
    proc = run_coffer("keys", "rotate", "--data", cloned_deployment.data_dir,
                      "--org", str(uuid.uuid4()))
    assert_user_error(proc)
    assert "no organisation" in proc.stderr


def test_usage_mistakes(cloned_deployment, tmp_path):
    d = cloned_deployment.data_dir
    before = cloned_deployment.master_key.read_bytes()
    for args in (("keys",), ("keys", "spin"), ("keys", "rotate", "--data", d),
                 ("keys", "rotate", "--data", d, "--master", "--org", str(uuid.uuid4())),
                 ("keys", "rotate", "--data", d, "--org", "../../etc"),
                 ("keys", "rotate", "--data", d, "--org", str(uuid.uuid4()).upper()),
                 ("keys", "rotate", "--data", d, "--master", "extra"),
                 ("keys", "rotate", "--data", d, "--master", "--frobnicate")):
        proc = run_coffer(*args)
        assert_user_error(proc, code=2)
        assert "usage: coffer keys rotate" in proc.stderr
    assert cloned_deployment.master_key.read_bytes() == before
    proc = run_coffer("keys", "rotate", "--data", tmp_path / "nothing-here", "--master")
    assert_user_error(proc)
    assert "holds no coffer deployment" in proc.stderr


def test_org_rotation_while_serving_keeps_content_readable(server):
    """An organisation's key rotated under a running server: new content goes under the new
    version, a list's page mixes both (its keys come from keyd a batch at a time), everything
    still reads, and --rewrap moves the old data keys over without re-encrypting content."""
    import hashlib
    import os

    from coffer_client import (ADMIN_PASSWORD, accept_invite, create_record, download,
                               get_record, list_all, upload_file)
    dep = server.deployment
    a = accept_invite(server, dep.invite_url, "admin@example.test", ADMIN_PASSWORD).login(server)
    org = a.post("/api/v1/admin/orgs", {"name": "Rotating"}).json()["id"]
    # The organisation's first org_admin, whom the sysadmin invites, does the work.
    inv = a.post("/api/v1/admin/invites", {"email": "m@example.test", "role": "org_admin",
                                           "org_id": org, "clearance": "restricted"}).json()
    c = accept_invite(server, inv["url"], "m@example.test", "a member's long password").login(server)
    before = [create_record(c, org, f"before {i}", f"old body {i}", "internal") for i in range(70)]
    data = os.urandom(70_000)
    up = upload_file(c, org, "old.bin", "confidential", data)
    assert up.status_code == 201, up.text

    proc = run_coffer("keys", "rotate", "--data", dep.data_dir, "--org", org)
    assert proc.returncode == 0, proc.stderr
    after = [create_record(c, org, f"after {i}", f"new body {i}", "public") for i in range(5)]

    def everything_reads():
        listed = {r["id"]: r["title"] for r in list_all(c, org, "records", limit=100)}
        assert listed == {r["id"]: r["title"] for r in before + after}
        for r in (before[0], before[-1], after[0]):
            assert get_record(c, org, r["id"])["body"] == r["body"]
        resp, digest, n = download(c, org, up.json()["id"])
        assert resp.status_code == 200 and n == len(data)
        assert digest == hashlib.sha256(data).hexdigest()

    everything_reads()
    proc = run_coffer("keys", "rotate", "--data", dep.data_dir, "--org", org, "--rewrap")
    assert proc.returncode == 0, proc.stderr
    everything_reads()
