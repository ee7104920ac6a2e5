"""The CLI against a local endpoint: `csvlake demo` (what `make demo` runs), `csvlake invoke` (one event
file) and `csvlake report s3://…`."""

from __future__ import annotations

import json
import os
import socket

import pytest

from csvlake.local import cli, runner
from support import ROOT, check_report, keys_in, report_for


def test_demo_processes_every_sample_and_prints_its_report(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", os.environ.get("AWS_ENDPOINT_URL", ""))  # restored afterwards
    monkeypatch.setenv("EVENT_BUS_NAME", "")  # the demo sets it for its own bus; restored afterwards

    assert cli.main(["demo", "--out", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert "event     File Partial: raw/clientes_com_erros.csv → reports/clientes_com_erros.json" in out
    assert "event     File Rejected: raw/planilha.csv → reports/planilha.json" in out
    assert "processed raw/vendas 2024.csv  read 40, written 40, rejected 0" in out
    assert "partial   raw/clientes_com_erros.csv  read 7, written 5, rejected 2" in out
    assert "rejected  raw/planilha.csv" in out and "ZIP archive" in out
    assert "processed raw/pedidos.csv.gz  read 25, written 25, rejected 0" in out
    # The dataset `clientes` has a contract among the samples: its rows are checked against it.
    assert "uploaded contracts/clientes.yaml → s3://csvlake-local/contracts/clientes.yaml" in out
    assert "partial   raw/clientes/cadastro_2024-06.csv  read 6, written 4, rejected 2" in out
    assert "contract contracts/clientes.yaml: name.min_length 1, email.unique 1, email.pattern 1" in out
    reports = sorted((tmp_path / "reports").rglob("*.json"))
    assert [p.relative_to(tmp_path / "reports").as_posix() for p in reports] == [
        "clientes/cadastro_2024-06.json",
        "clientes_com_erros.json",
        "pedidos.json",
        "planilha.json",
        "vendas 2024.json",
    ]
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


def test_report_reads_an_s3_object_through_boto3s_own_endpoint_resolution(s3, bucket, endpoint, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # what `report` relies on: no --endpoint option
    s3.upload_file(str(ROOT / "samples" / "pedidos.csv.gz"), bucket, "raw/pedidos.csv.gz")
    assert cli.main(["invoke", "--event", str(ROOT / "events" / "s3-put-gz.json"), "--endpoint", endpoint]) == 0
    capsys.readouterr()

    assert cli.main(["report", f"s3://{bucket}/reports/pedidos.json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "processed raw/pedidos.csv.gz  read 25, written 25, rejected 0"
    assert lines[1].startswith(f"  source: s3://{bucket}/raw/pedidos.csv.gz, 387 bytes, read at ")
    assert "  dialect: utf-8, delimiter 'tab', decimal '.', header yes, LF" in lines
    assert f"  processed: s3://{bucket}/processed/pedidos.csv" in lines
    assert any(line.startswith("  column ") and line.endswith("mean") for line in lines)

    # The key of a raw CSV file stands for its report.
    assert cli.main(["report", f"s3://{bucket}/raw/pedidos.csv.gz"]) == 0
    assert capsys.readouterr().out == out


def test_report_of_a_rejected_s3_file_exits_1(s3, bucket, endpoint, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    s3.upload_file(str(ROOT / "samples" / "planilha.csv"), bucket, "raw/planilha.csv")
    event = str(ROOT / "events" / "eventbridge-object-created.json")
    assert cli.main(["invoke", "--event", event, "--endpoint", endpoint]) == 0
    capsys.readouterr()

    assert cli.main(["report", f"s3://{bucket}/reports/planilha.json"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("rejected  raw/planilha.csv  read 0, written 0, rejected 0  (not a text file")
    assert f"  quarantine: s3://{bucket}/quarantine/planilha.csv" in out.splitlines()


def test_report_of_a_missing_s3_object_is_a_one_line_error(s3, bucket, endpoint, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    for url, message in [
        (f"s3://{bucket}/reports/nothing.json", f"s3://{bucket}/reports/nothing.json: no such object"),
        (f"s3://{bucket}/raw/nothing.csv", f"s3://{bucket}/reports/nothing.json: no such object"),
        ("s3://no-such-bucket-here/reports/x.json", "no such bucket 'no-such-bucket-here'"),
    ]:
        assert cli.main(["report", url]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("csvlake: error: ") and message in err
        assert err.count("\n") == 1 and "Traceback" not in err

    s3.put_object(Bucket=bucket, Key="reports/not-a-report.json", Body=b'{"hello": "world"}')
    assert cli.main(["report", f"s3://{bucket}/reports/not-a-report.json"]) == 2
    assert "not a csvlake report" in capsys.readouterr().err


def test_serve_on_a_port_in_use_exits_2_with_one_line(capsys):
    # GIVEN a program listening on a loopback port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        # WHEN serve is asked for it THEN it says so and exits 2 at once, instead of waiting forever
        assert cli.main(["serve", "--port", str(port)]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"csvlake: error: port {port} on 127.0.0.1 is in use by another program (another `csvlake serve`?): "
        "stop that program, or choose another port with --port\n"
    )


def test_a_port_taken_between_the_check_and_the_bind_is_an_error_too(monkeypatch):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(runner, "_check_port", lambda port: None)  # the race: the check saw it free

        with pytest.raises(runner.PortUnavailable, match=f"port {port} on 127.0.0.1 is in use"):
            runner.start_endpoint(port)


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_serve_refuses_what_is_not_a_port(capsys, port):
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--port", port])
    assert exited.value.code == 2
    assert "--port" in capsys.readouterr().err
