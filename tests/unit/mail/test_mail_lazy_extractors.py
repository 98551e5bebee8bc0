"""Extractors load on first use: importing the import service loads no document library (~65 MB
less in the ingesting process); the first attachment of a format loads its extractor; the parse
workers' fork server preloads the common ones so workers share them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kustos.mail.attachments import REGISTRY, extract_text
from kustos.mail.extractors import Context, Extracted, ExtractionError, LazyExtractor, default_registry
from kustos.mail.limits import DEFAULT_LIMITS, Limits
from tests.unit.mail.mail_samples import make_docx, make_pdf, make_xlsx

LIBRARIES = ("openpyxl", "pptx", "docx", "pypdf", "fontTools", "odf")
EXTRACTOR_MODULES = ("office", "pdf", "odf", "outlook", "smime", "ole", "tnef", "rtf", "zip", "text", "message")
REPO = Path(__file__).resolve().parents[3]


def _no_parse(data: bytes, ctx: Context) -> Extracted:
    raise AssertionError("message parsing not expected here")


def _run(script: str, tmp_path: Path) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kustos.django_settings", "KUSTOS_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted({n for n in names for m in modules if m == n or m.startswith(n + ".")})


def test_importing_the_import_service_loads_no_document_library(tmp_path: Path) -> None:
    out = _run("""
        import json, sys
        import django
        django.setup()
        import kustos.archive.services.imports
        from kustos.mail.attachments import REGISTRY
        print(json.dumps({"modules": sorted(sys.modules),
                          "registered": len(REGISTRY.extractors())}))
    """, tmp_path)
    assert "kustos.mail.attachments" in out["modules"]  # the registry itself is there
    assert out["registered"] == 15
    assert _loaded(out["modules"], LIBRARIES) == []
    assert _loaded(out["modules"], ("extract_msg",)) == []  # the .msg file reader loads it at its first file
    assert _loaded(out["modules"], tuple(f"kustos.mail.extractors.{m}" for m in EXTRACTOR_MODULES)) == []


def test_a_lazily_loaded_extractor_extracts_and_loads_only_its_library(tmp_path: Path) -> None:
    path = tmp_path / "contract.docx"
    path.write_bytes(make_docx("Kündigung des Vertrags", "Tabellenzelle"))
    out = _run(f"""
        import json, sys
        from pathlib import Path
        from kustos.mail.attachments import REGISTRY, extract_text
        from kustos.mail.limits import DEFAULT_LIMITS
        before = "docx" in sys.modules
        data = Path({str(path)!r}).read_bytes()
        found = REGISTRY.find("application/octet-stream", "v.docx", data)
        result = extract_text(data, "application/octet-stream", "v.docx", DEFAULT_LIMITS, 0, None)
        print(json.dumps({{"before": before, "found": found.name, "text": result.text, "error": result.error,
                          "modules": sorted(sys.modules)}}))
    """, tmp_path)
    assert out["before"] is False
    assert out["found"] == "docx"
    assert out["error"] == ""
    assert "Kündigung des Vertrags" in out["text"] and "Tabellenzelle\tsecond cell" in out["text"]
    assert _loaded(out["modules"], LIBRARIES) == ["docx", "openpyxl", "pptx"]  # one module: office.py


def test_every_registered_extractor_loads_under_its_registered_name() -> None:
    registry = default_registry()
    lazy = registry.extractors()
    assert len(lazy) == 15 and all(isinstance(e, LazyExtractor) and not e.loaded for e in lazy)
    registry.preload()
    for extractor in lazy:
        assert isinstance(extractor, LazyExtractor) and extractor.loaded
        real = extractor.load()
        assert not isinstance(real, LazyExtractor)
        assert real.name == extractor.name
        assert extractor.load() is real  # instantiated once


def test_lookup_does_not_load_and_extraction_does() -> None:
    registry = default_registry()
    pdf = registry.find("application/octet-stream", "noext", b"%PDF-1.7")
    assert isinstance(pdf, LazyExtractor) and pdf.name == "pdf" and not pdf.loaded
    assert registry.find("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "b.xlsx").name == "xlsx"
    assert not any(isinstance(e, LazyExtractor) and e.loaded for e in registry.extractors())
    # Through the process-wide registry the module caches are shared, the registry entries are not.
    result = extract_text(make_pdf(["Invoice 4711"]), "application/pdf", "i.pdf", DEFAULT_LIMITS, 0, _no_parse)
    assert result.error == "" and "Invoice 4711" in result.text
    assert REGISTRY.find("application/pdf", "i.pdf").loaded  # type: ignore[union-attr]
    xlsx = extract_text(make_xlsx("Quarterly budget", 4711), "application/octet-stream", "b.xlsx",
                        DEFAULT_LIMITS, 0, _no_parse)
    assert xlsx.error == "" and "Quarterly budget" in xlsx.text and "4711" in xlsx.text


def test_an_extractor_that_cannot_be_imported_is_a_per_attachment_error(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = LazyExtractor("broken", "kustos_no_such_module", "Nope", None)
    monkeypatch.setitem(REGISTRY.by_type, "application/x-kustos-test-broken", broken)
    result = extract_text(b"data", "application/x-kustos-test-broken", "a.bin", DEFAULT_LIMITS, 0, _no_parse)
    assert result.error.startswith("extractor broken unavailable: ModuleNotFoundError(")
    assert "kustos_no_such_module" in result.error
    with pytest.raises(ExtractionError, match="extractor broken unavailable"):
        broken.load()  # tried again, still a clear error


def test_a_budget_expiring_during_the_import_times_out_but_leaves_the_module_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "kustos_test_slow_extractor.py").write_text(textwrap.dedent("""
        import time
        time.sleep(1.0)
        from kustos.mail.extractors import Extracted

        class Slow:
            name = "slow"
            def extract(self, data, ctx):
                return Extracted(text=data.decode())
        IMPORTED_WHOLE = True
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "kustos_test_slow_extractor", raising=False)
    slow = LazyExtractor("slow", "kustos_test_slow_extractor", "Slow", None)
    monkeypatch.setitem(REGISTRY.by_type, "application/x-kustos-test-slow", slow)
    first = extract_text(b"one", "application/x-kustos-test-slow", "a.bin", Limits(attachment_seconds=0.2), 0, _no_parse)
    assert first.error == "extraction timed out after 0.2s"
    second = extract_text(b"two", "application/x-kustos-test-slow", "a.bin", DEFAULT_LIMITS, 0, _no_parse)
    assert second.error == "" and second.text == "two"
    assert sys.modules["kustos_test_slow_extractor"].IMPORTED_WHOLE is True


def test_the_parse_worker_fork_server_preloads_all_but_outlook_msg(tmp_path: Path) -> None:
    out = _run("""
        import json, sys
        import kustos.archive.pipeline.parse_preload as preload
        from kustos.mail.attachments import REGISTRY
        state = {e.name: e.loaded for e in REGISTRY.extractors()}
        print(json.dumps({"state": state, "preloaded": list(preload.PRELOADED), "modules": sorted(sys.modules)}))
    """, tmp_path)
    assert set(out["preloaded"]) <= set(out["state"])  # no misspelt name
    assert sorted(name for name, loaded in out["state"].items() if not loaded) == ["msg"]
    assert _loaded(out["modules"], LIBRARIES) == sorted(LIBRARIES)

