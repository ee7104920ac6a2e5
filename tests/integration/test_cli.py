"""The two local commands: `csvlake demo` (what `make demo` runs) and `csvlake invoke` (one event file)."""

from __future__ import annotations

import json
import os

from csvlake.local import cli
from support import ROOT, check_report, keys_in, report_for


def test_demo_processes_every_sample_and_prints_its_report(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", os.environ.get("AWS_ENDPOINT_URL", ""))  # restored afterwards

    assert cli.main(["demo", "--out", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert "processed raw/vendas 2024.csv  read 40, written 40, rejected 0" in out
    assert "partial   raw/clientes_com_erros.csv  read 7, written 5, rejected 2" in out
    assert "rejected  raw/planilha.csv" in out and "ZIP archive" in out
    assert "processed raw/pedidos.csv.gz  read 25, written 25, rejected 0" in out
    reports = sorted((tmp_path / "reports").iterdir())
    assert [p.name for p in reports] == ["clientes_com_erros.json", "pedidos.json", "planilha.json", "vendas 2024.json"]
    for path in reports:
        check_report(json.loads(path.read_text()))
    assert (tmp_path / "quarantine" / "planilha.csv").read_bytes() == (ROOT / "samples" / "planilha.csv").read_bytes()


def test_invoke_runs_an_event_file_against_an_endpoint(s3, bucket, endpoint, capsys):
    s3.upload_file(str(ROOT / "samples" / "pedidos.csv.gz"), bucket, "raw/pedidos.csv.gz")

    assert cli.main(["invoke", "--event", str(ROOT / "events" / "s3-put-gz.json"), "--endpoint", endpoint]) == 0

    out = capsys.readouterr().out
    result = json.loads(out[: out.index("\n}") + 2])
    assert result["results"][0]["status"] == "processed"
    assert "processed raw/pedidos.csv.gz  read 25" in out
    assert report_for(s3, bucket, "raw/pedidos.csv.gz")["rows"]["written"] == 25
    assert "processed/pedidos.csv" in keys_in(s3, bucket)
