"""The tests' S3 store: OpenStack Swift with s3api, from scripts/swift_s3.py (where it is
described), so that tests write `from swift_server import SwiftServer`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from swift_s3 import SwiftServer  # noqa: E402

__all__ = ["SwiftServer"]
