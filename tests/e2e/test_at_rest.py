"""No plaintext at rest: a random marker planted in record titles and bodies,
a file's name and a file's content must appear nowhere under the data directory — not in the
databases, their write-ahead logs, the blobs, nor in any file's name — in its raw bytes, as
UTF-16, hex or base64. Checked while the server runs (the WAL not yet checkpointed) and again
after it stops. On PostgreSQL the cluster's files (the deployment's databases and the
write-ahead log) are scanned too."""

import secrets

from conftest import ON_PG, session_pg, system_database
from coffer_client import (check_file, create_record, download, get_record, org_path,
                           post_raw_json, upload_file)
from content_world import ContentWorld, all_files, blob_names, encoded_forms, find_marker


def planted_content(marker):
    """~300 KB with MARKER at the start, the end, across the first 64 KiB segment boundary and
    many times in between."""
    m = marker.encode()
    filler = secrets.token_bytes(65536 - 10 - len(m))
    out = bytearray(m + filler + m)          # the second copy straddles offset 65536
    while len(out) < 300000:
        out += secrets.token_bytes(997) + m
    out += m
    assert out.startswith(m) and out.endswith(m) and out.count(m) > 100
    return bytes(out)


def test_scanner_finds_a_planted_marker(tmp_path):
    """The scan itself works: every encoding it looks for is found in a file holding it."""
    marker = "MARKER-" + secrets.token_hex(8)
    for i, (form, needle) in enumerate(encoded_forms(marker).items()):
        (tmp_path / f"f{i}").write_bytes(secrets.token_bytes(37) + needle + secrets.token_bytes(5))
        assert find_marker(tmp_path, marker), form
        (tmp_path / f"f{i}").unlink()
    import base64
    for pad in range(3):
        (tmp_path / "b").write_bytes(base64.b64encode(secrets.token_bytes(pad) + marker.encode()
                                                      + b"tail"))
        assert find_marker(tmp_path, marker), pad
    (tmp_path / f"x{marker}y").write_bytes(b"")
    assert find_marker(tmp_path, marker)


def find_marker_in_postgresql(world, org, marker):
    """On PostgreSQL, the deployment's data is in the cluster's files: the system database's
    and the organisation's directories and the write-ahead log, scanned after a CHECKPOINT has
    written every page out."""
    pg = session_pg()
    pg.psql_admin("CHECKPOINT;\n")
    names = (system_database(world.dep), "coffer_org_" + org.replace("-", ""))
    hits = []
    for name in names:
        oid = pg.psql_admin(f"SELECT oid FROM pg_database WHERE datname = '{name}';\n").strip()
        assert oid.isdigit(), (name, oid)
        hits += find_marker(pg.data / "base" / oid, marker)
    return hits + find_marker(pg.data / "pg_wal", marker)


def test_no_plaintext_under_the_data_directory(tmp_path):
    world = ContentWorld(tmp_path)
    try:
        org = world.new_org("At Rest Org")
        person = world.new_person("at-rest@example.test", org, "member", "restricted")
        c = person.client
        marker = "MARKER-" + secrets.token_hex(8)

        # Records: the marker in titles and bodies, in several versions, and in one deleted.
        rec = create_record(c, org, f"{marker} title", f"{marker}\nbody {marker} end {marker}",
                            "confidential")
        r = post_raw_json(c, "PUT", org_path(org, "records", rec["id"]),
                          {"title": f"v2 {marker}", "body": f"{marker} v2 " * 1000,
                           "level": "restricted", "version": 1})
        assert r.status_code == 200, r.text
        create_record(c, org, marker, marker, "public")
        gone = create_record(c, org, f"deleted {marker}", f"deleted {marker}", "internal")
        assert c.request("DELETE", org_path(org, "records", gone["id"])).status_code == 204
        get_record(c, org, rec["id"])

        # Files: the marker in names and all through the content.
        content = planted_content(marker)
        metas = []
        for name, data, ctype in ((f"{marker}.txt", content, "text/plain"),
                                  (marker, marker.encode(), None),
                                  (f"repeat-{marker}", marker.encode() * 5000,
                                   "application/octet-stream")):
            r = upload_file(c, org, name, "confidential", data, ctype)
            assert r.status_code == 201, r.text
            metas.append(check_file(r.json()))
            resp, _, n = download(c, org, metas[-1]["id"])
            assert resp.status_code == 200 and n == len(data)
        r = upload_file(c, org, f"streamed-{marker}.bin", "internal",
                        (content[i:i + 30000] for i in range(0, len(content), 30000)))
        assert r.status_code == 201, r.text

        files = all_files(world.data_dir)
        if not ON_PG:
            assert any(f.endswith("/org.db") for f in files), files
        assert len(blob_names(world.data_dir, org)) == 4
        hits = find_marker(world.data_dir, marker)
        assert not hits, f"plaintext at rest while serving: {hits}"
        if ON_PG:
            hits = find_marker_in_postgresql(world, org, marker)
            assert not hits, f"plaintext at rest in PostgreSQL's files: {hits}"

        world.close()
        hits = find_marker(world.data_dir, marker)
        assert not hits, f"plaintext at rest after shutdown: {hits}"
        # Names travel in the query string, which the log leaves out.
        assert marker not in world.srv.log_text(), "the marker is in the server's log"
    finally:
        if world.srv.proc.poll() is None:
            world.srv.kill()
