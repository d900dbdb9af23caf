"""The man pages coffer(1) and coffer.conf(5).

- `man --warnings -l` renders each without a warning (groff's warnings go to stderr; man
  exits 0 all the same, so any output there is a finding), and would report a broken page.
- coffer(1) names every command of the dispatcher (src/main.c), every verb and every option of
  each command (the option tables of src/cli/*.c) in that command's synopsis; coffer.conf(5)
  has an entry for every key of the configuration table (src/config/config.c). A command,
  option or key added without its documentation fails here.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE1 = REPO / "man" / "coffer.1"
PAGE5 = REPO / "man" / "coffer.conf.5"

pytestmark = pytest.mark.skipif(shutil.which("man") is None,
                                reason="man (package man-db) is not installed")


def render(page, width=1000):
    """The page as plain text. A wide MANWIDTH keeps each synopsis on one line."""
    env = dict(os.environ, MANWIDTH=str(width), LC_ALL="C.UTF-8")
    env.pop("MANPAGER", None)
    env.pop("PAGER", None)
    p = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", str(page)],
                       capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


@pytest.mark.parametrize("page", [PAGE1, PAGE5], ids=lambda p: p.name)
@pytest.mark.parametrize("width", [80, 1000])
def test_page_renders_without_warnings(page, width):
    rc, out, err = render(page, width)
    assert rc == 0 and err == "", err
    assert len(out.splitlines()) > 50


def test_warning_check_catches_a_broken_page(tmp_path):
    broken = tmp_path / "broken.1"
    broken.write_text(PAGE1.read_text().replace(".SH DESCRIPTION", ".SH DESCRIPTION\n.BOGUS x"))
    rc, _, err = render(broken)
    assert "BOGUS" in err


def commands():
    """The dispatcher's commands and the functions that run them."""
    text = (REPO / "src" / "main.c").read_text()
    found = re.findall(r'\{"([a-z]+)",\s*(cmd_[a-z_]+),', text)
    assert len(found) >= 8, "the command table of src/main.c was not found"
    return found


def source_of(function):
    for path in sorted((REPO / "src" / "cli").glob("*.c")):
        if re.search(rf"^int {function}\(", path.read_text(), flags=re.M):
            return path.read_text()
    raise AssertionError(f"{function} is defined nowhere in src/cli")


def options_and_verbs(source):
    options = set(re.findall(
        r'\{"([a-z][a-z0-9-]*)",\s*(?:&|NULL\s*,\s*&|required_argument|no_argument)', source))
    verbs = set(re.findall(r'\{"([a-z]+)",\s*[a-z_]+,\s*(?:true|false)', source))
    verbs |= set(re.findall(r'cli_options\([^,]+,[^,]+,\s*"([a-z]+)"', source))
    return options, verbs


def synopsis_lines(text, command):
    start = text.index("SYNOPSIS")
    end = text.index("DESCRIPTION")
    return [line.strip() for line in text[start:end].splitlines()
            if line.strip().startswith(f"coffer {command}")]


def test_coffer_1_has_every_command_verb_and_option():
    _, text, _ = render(PAGE1)
    checked = 0
    for name, function in commands():
        lines = synopsis_lines(text, name)
        assert lines, f"coffer {name}: not in the SYNOPSIS"
        assert f"coffer {name}" in text[text.index("COMMANDS"):], f"coffer {name}: no section"
        options, verbs = options_and_verbs(source_of(function))
        for verb in verbs:
            assert any(re.search(rf"\b{verb}\b", line) for line in lines), \
                f"coffer {name} {verb}: not in the SYNOPSIS"
        for option in options:
            assert any(f"--{option}" in line for line in lines), \
                f"coffer {name} --{option}: not in the SYNOPSIS"
            assert re.search(rf"^\s+--{option}\b", text, flags=re.M), \
                f"--{option}: not described"
            checked += 1
    assert checked > 40
    assert synopsis_lines(text, "help")
    assert "COFFER_DATA" in text


def config_keys():
    text = (REPO / "src" / "config" / "config.c").read_text()
    keys = re.findall(r'\{"([a-z0-9_]+)",\s*(?:config_)?set_[a-z0-9_]+\}', text)
    assert len(keys) > 30, "the configuration table of config.c was not found"
    return keys


def test_coffer_conf_5_has_an_entry_for_every_key():
    _, text, _ = render(PAGE5)
    # An entry is the key at the indent of a tagged paragraph's tag (alone on its line when it
    # is long, followed by its text when it is short).
    entries = set(re.findall(r"^ {7}([a-z0-9_]+)(?=$|\s)", text, flags=re.M))
    missing = sorted(set(config_keys()) - entries)
    assert not missing, f"coffer.conf(5) has no entry for {missing}"
