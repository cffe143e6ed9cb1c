"""The release module's jobs: ``export.bundle`` makes a large export's bundle."""

from __future__ import annotations
