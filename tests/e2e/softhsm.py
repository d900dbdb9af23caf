"""A SoftHSM2 token of the test's own, in a temporary directory: the PKCS#11 key store the
end-to-end tests keep a master key in. SoftHSM2 finds its configuration through SOFTHSM2_CONF,
which the caller sets in the environment coffer runs in (monkeypatch.setenv)."""

import shutil
import subprocess
from pathlib import Path

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"


class Token:
    def __init__(self, base, label="coffer-test", pin="314159", so_pin="271828"):
        # Not a skip: `make test` installs softhsm2 and opensc (scripts/install-deps.sh test).
        for tool in ("softhsm2-util", "pkcs11-tool"):
            assert shutil.which(tool), f"{tool} is missing: run scripts/install-deps.sh test"
        assert Path(SOFTHSM_MODULE).is_file(), f"{SOFTHSM_MODULE} is missing (package softhsm2)"
        self.dir = Path(base) / "softhsm"
        (self.dir / "tokens").mkdir(parents=True)
        self.dir.chmod(0o700)
        self.conf = self.dir / "softhsm2.conf"
        self.conf.write_text(f"directories.tokendir = {self.dir / 'tokens'}\n"
                             "objectstore.backend = file\nlog.level = ERROR\n")
        self.env = {"SOFTHSM2_CONF": str(self.conf)}
        self.label, self.pin = label, pin
        self.module = SOFTHSM_MODULE
        self.pin_file = self.dir / "pin"
        self.pin_file.write_text(pin + "\n")
        self.pin_file.chmod(0o600)
        self.run("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin,
                 "--so-pin", so_pin)

    def run(self, *args):
        import os
        env = dict(os.environ)
        env.update(self.env)
        proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
        assert proc.returncode == 0, f"{args[0]} failed: {proc.stdout}{proc.stderr}"
        return proc.stdout

    def init_args(self):
        """coffer init's options for this token."""
        return ("--pkcs11-module", self.module, "--pkcs11-token", self.label,
                "--pkcs11-pin-file", str(self.pin_file))

    def secret_keys(self):
        """The secret key objects the token holds, as pkcs11-tool lists them: a list of
        {"label", "id", "access"}."""
        out = self.run("pkcs11-tool", "--module", self.module, "--token-label", self.label,
                       "--login", "--pin", self.pin, "--list-objects", "--type", "secrkey")
        keys, cur = [], None
        for line in out.splitlines():
            if line.startswith("Secret Key Object"):
                cur = {"type": line}
                keys.append(cur)
            elif cur is not None and ":" in line:
                k, v = line.split(":", 1)
                cur[k.strip().lower()] = v.strip()
        return keys
