"""axe-core, the accessibility checker, run inside the browser tests.

axe-core comes from the npm registry as its published tarball, pinned by version and by the
registry's ``dist.integrity`` (sha512): downloaded with urllib on first use, verified, and
``package/axe.min.js`` with its licence (MPL-2.0) unpacked into ``.cache/axe-core-<version>/`` at
the repository's root (gitignored), which later runs reuse. No node is needed. When it cannot be
had, the browser tests that need it fail with a message saying why (never a skip: an unchecked
page must not pass for a checked one).

``run_axe(page)`` injects the script and runs ``axe.run``; the page must belong to a context made
with ``bypass_csp=True`` (``axe_context``), since the app's Content-Security-Policy allows no
inline script. Only these contexts bypass it: every other browser test keeps the app's CSP.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from pathlib import Path
from typing import Any

VERSION = "4.14.1"
INTEGRITY = "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
CACHE = Path(__file__).parents[2] / ".cache" / f"axe-core-{VERSION}"
WANTED = ("package/axe.min.js", "package/LICENSE")
SERIOUS = ("serious", "critical")
IMPACTS = ("minor", "moderate", "serious", "critical")


class AxeUnavailable(AssertionError):
    """axe-core could not be fetched or did not match its pinned integrity."""


def verify(data: bytes, integrity: str = INTEGRITY) -> None:
    algorithm, _, expected = integrity.partition("-")
    assert algorithm == "sha512"
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise AxeUnavailable(
            f"axe-core {VERSION}'s tarball does not match its pinned integrity "
            f"(expected sha512-{expected}, got sha512-{actual}); not using it"
        )


def unpack(data: bytes, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for name in WANTED:
            member = archive.extractfile(name)
            if member is None:
                raise AxeUnavailable(f"axe-core {VERSION}'s tarball has no {name}")
            target = folder / Path(name).name
            partial = target.with_suffix(target.suffix + ".part")
            partial.write_bytes(member.read())
            partial.replace(target)  # whole or not at all, so a broken run leaves no half file


def axe_source(folder: Path = CACHE, url: str = TARBALL, integrity: str = INTEGRITY, timeout: float = 60) -> str:
    """The text of axe.min.js: from the cache, else fetched, verified and cached first."""
    script = folder / "axe.min.js"
    if not (script.exists() and (folder / "LICENSE").exists()):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - a fixed https URL
                data = response.read()
        except OSError as error:
            raise AxeUnavailable(
                f"axe-core {VERSION} could not be downloaded from {url} ({error}); the accessibility "
                f"tests need it once (it is then kept in {folder})"
            ) from error
        verify(data, integrity)
        unpack(data, folder)
    return script.read_text(encoding="utf-8")


def axe_context(browser: Any, base_url: str, width: int, height: int, **options: Any) -> Any:
    """A browser context for axe: the CSP is bypassed here (axe is added to each page as a script)
    and only here. Its pages have axe from the start; ``start_axe`` adds it to a page that lacks it."""
    mobile = width < 768
    context = browser.new_context(
        viewport={"width": width, "height": height},
        base_url=base_url,
        bypass_csp=True,
        is_mobile=mobile,
        has_touch=mobile,
        reduced_motion="reduce",
        **options,
    )
    context.add_init_script(script=axe_source())  # in every page it opens: sent to the browser once
    return context


def start_axe(page: Any) -> None:
    """Inject axe if the page lacks it and start ``axe.run`` without waiting for it: pages of two
    contexts (two widths) are then checked at the same time, each in its own renderer."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    page.evaluate("() => { window.__axeRun = axe.run(document, {resultTypes: ['violations']}); }")


def axe_results(page: Any, impacts: tuple[str, ...] = SERIOUS) -> list[dict[str, Any]]:
    """The violations of the run ``start_axe`` began, those of ``impacts``."""
    found = page.evaluate("async () => (await window.__axeRun).violations")
    return [violation for violation in found if (violation.get("impact") or "minor") in impacts]


def run_axe(page: Any, impacts: tuple[str, ...] = SERIOUS) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now, those of ``impacts`` (serious and critical unless
    told): each as axe reports it (``id``, ``impact``, ``help``, ``nodes`` with ``target`` and
    ``html``); ``describe`` makes them readable for an assertion message."""
    start_axe(page)
    return axe_results(page, impacts)


def counts(violations: list[dict[str, Any]]) -> dict[str, int]:
    """Violating elements per impact (a rule failing on three links counts three)."""
    tally = dict.fromkeys(IMPACTS, 0)
    for violation in violations:
        tally[violation.get("impact") or "minor"] += len(violation.get("nodes", [])) or 1
    return tally


def describe(violations: list[dict[str, Any]], limit: int = 3) -> str:
    """Readable lines for an assertion message: rule, impact, help, and where (selector and snippet)."""
    lines = []
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation.get('impact')}): {violation.get('help')}")
        nodes = violation.get("nodes", [])
        for node in nodes[:limit]:
            target = " ".join(str(t) for t in node.get("target", []))
            snippet = " ".join(str(node.get("html", "")).split())[:160]
            lines.append(f"    at {target}: {snippet}")
            summary = " ".join(str(node.get("failureSummary", "")).split())[:240]
            if summary:
                lines.append(f"      {summary}")
        if len(nodes) > limit:
            lines.append(f"    ... and {len(nodes) - limit} more")
    return "\n".join(lines)
