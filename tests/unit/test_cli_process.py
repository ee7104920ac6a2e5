"""`csvlake process` and `csvlake report` on real files, run in-process: layout, output, exit codes, errors."""

from __future__ import annotations

import functools
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from csvlake.local import cli
from csvlake.local.commands import process
from csvlake.local.progress import Progress
from support import DATA, check_report

FUNCTION = Path(__file__).parents[2] / "functions" / "ingest"
BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def files_under(root: Path) -> set[str]:
    """Every file under root, except the HTML reports (`reports/<base>.html`), which have tests of their own."""
    names = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    return {n for n in names if not (n.startswith("reports/") and n.endswith(".html"))}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_cp1252_file_is_processed_into_the_s3_layout_under_out(tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, stderr = run(capsys, "process", str(DATA / "ptbr_cp1252.csv"), "--out", str(out))

    assert code == 0
    # Only the outputs: the source is read where it lies, not copied to raw/.
    assert files_under(out) == {"processed/ptbr_cp1252.csv", "reports/ptbr_cp1252.json"}
    report = check_report(json.loads((out / "reports/ptbr_cp1252.json").read_text()))
    assert report["source"]["bucket"] == "local" and report["source"]["key"] == "raw/ptbr_cp1252.csv"
    assert report["outputs"]["processed"] == "processed/ptbr_cp1252.csv"
    assert (out / "processed/ptbr_cp1252.csv").read_text().splitlines()[
        1
    ] == '1,"Pão de açúcar",1234.56,2024-12-25,"00501",true'
    lines = stdout.splitlines()
    assert lines[0] == f"processed {DATA / 'ptbr_cp1252.csv'}  read 3, written 3, rejected 0"
    assert "  dialect: cp1252, delimiter ';', decimal ',', header yes, CRLF" in lines
    assert f"  processed: {out / 'processed/ptbr_cp1252.csv'}" in lines
    assert any(line.split()[:3] == ["preco_unitario", "Preço", "Unitário"] for line in lines)
    assert stderr == ""  # not a terminal: no progress bar


def test_default_out_is_csvlake_output_in_the_current_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "process", str(DATA / "types.csv"))[0] == 0
    assert files_under(tmp_path / "csvlake-output") == {"processed/types.csv", "reports/types.json"}


def test_partial_exits_0_and_1_with_strict(tmp_path, capsys):
    args = ["process", str(DATA / "bad_rows.csv"), "--out", str(tmp_path)]
    code, stdout, _ = run(capsys, *args)

    assert code == 0
    assert stdout.startswith(f"partial   {DATA / 'bad_rows.csv'}  read 5, written 3, rejected 2\n")
    assert "expected 3 fields, found 2" in stdout
    assert files_under(tmp_path) == {
        "processed/bad_rows.csv",
        "quarantine/bad_rows.rejected.csv",
        "reports/bad_rows.json",
    }
    assert run(capsys, *args, "--strict")[0] == 1


def test_a_rejected_file_exits_1_and_its_bytes_go_to_quarantine(tmp_path, capsys):
    code, stdout, _ = run(capsys, "process", str(DATA / "xlsx_renamed.csv"), "--out", str(tmp_path))

    assert code == 1
    assert "rejected" in stdout.splitlines()[0] and "ZIP archive" in stdout
    assert files_under(tmp_path) == {"quarantine/xlsx_renamed.csv", "reports/xlsx_renamed.json"}
    assert (tmp_path / "quarantine/xlsx_renamed.csv").read_bytes() == (DATA / "xlsx_renamed.csv").read_bytes()


def test_a_folder_is_searched_for_csv_files_and_keeps_its_subfolders(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    (inbox / "2024").mkdir(parents=True)
    shutil.copy(DATA / "ptbr_cp1252.csv", inbox / "2024" / "Vendas Junho.CSV")
    shutil.copy(DATA / "gzipped.csv.gz", inbox / "pedidos.csv.gz")
    shutil.copy(DATA / "bad_rows.csv", inbox / "bad_rows.csv")
    (inbox / "notes.txt").write_text("not a CSV")
    out = tmp_path / "out"

    code, stdout, _ = run(capsys, "process", str(inbox), "--out", str(out))

    assert code == 0
    assert files_under(out) == {
        "processed/2024/Vendas Junho.csv",
        "reports/2024/Vendas Junho.json",
        "reports/2024/_last_schema",  # a subfolder is a dataset, whose schema drift is tracked
        "processed/bad_rows.csv",
        "quarantine/bad_rows.rejected.csv",
        "reports/bad_rows.json",
        "processed/pedidos.csv",
        "reports/pedidos.json",
    }
    assert (
        json.loads((out / "reports/2024/Vendas Junho.json").read_text())["source"]["key"] == "raw/2024/Vendas Junho.CSV"
    )
    assert stdout.rstrip().endswith(f"3 files: 2 processed, 1 partial; outputs in {out}/")

    # An out folder inside the input folder is not read back as input on the next run.
    nested = inbox / "csvlake-output"
    assert run(capsys, "process", str(inbox), "--out", str(nested))[0] == 0
    assert run(capsys, "process", str(inbox), "--out", str(nested))[0] == 0
    assert "processed/bad_rows.csv" in files_under(nested)
    assert not any(name.startswith("processed/csvlake-output") for name in files_under(nested))


def test_parquet_format(tmp_path, capsys):
    assert run(capsys, "process", str(DATA / "ptbr_cp1252.csv"), "--format", "parquet", "--out", str(tmp_path))[0] == 0
    table = pq.read_table(tmp_path / "processed/ptbr_cp1252.parquet")
    assert table.column_names == ["codigo", "descricao", "preco_unitario", "data", "cep", "ativo"]
    assert table.column("cep").to_pylist() == ["00501", "01310", None]


def test_user_mistakes_are_one_line_errors_with_exit_2(tmp_path, capsys):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    cases = {
        ("process", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")): "missing.csv: no such file or folder",
        ("process", str(DATA / "types.csv"), "--out", str(a_file)): "exists and is not a folder",
        ("process", str(DATA / "types.csv"), "--out", str(a_file / "sub")): "cannot write there",
        ("process", str(tmp_path / "o2")): "no such file or folder",
        ("report", str(tmp_path / "missing.json")): "missing.json: no such file",
        ("report", str(DATA / "types.csv")): "not a csvlake report: not JSON",
        ("report", str(a_file.with_name("list.json"))): "not a csvlake report: a JSON list",
        ("report", str(a_file.with_name("other.json"))): "not a csvlake report: no 'source', 'status'",
        ("report", "s3://bucket-only"): "expected s3://BUCKET/KEY",
        ("report", "s3://"): "expected s3://BUCKET/KEY",
        ("invoke", "--event", str(tmp_path / "missing.json")): "no such file",
    }
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "other.json").write_text('{"rows": {}, "columns": [], "outputs": {}}')
    empty = tmp_path / "empty"
    empty.mkdir()
    cases[("process", str(empty))] = "no .csv or .csv.gz files in this folder"

    for argv, message in cases.items():
        code, stdout, stderr = run(capsys, *argv)
        assert code == 2, argv
        assert stdout == "", argv
        assert stderr.startswith("csvlake: error: ") and message in stderr, (argv, stderr)
        assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert not (tmp_path / "o").exists()  # nothing is created when an input is missing


def test_two_inputs_that_would_write_the_same_outputs_are_refused(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    shutil.copy(DATA / "types.csv", tmp_path / "a" / "types.csv")
    code, _, stderr = run(capsys, "process", str(DATA / "types.csv"), str(tmp_path / "a"), "--out", str(tmp_path / "o"))
    assert code == 2 and "would both write reports/types.json" in stderr

    # The same file twice is processed once.
    code, stdout, _ = run(capsys, "process", str(DATA / "types.csv"), str(DATA / "types.csv"), "--out", str(tmp_path))
    assert code == 0 and stdout.count("types.csv  read") == 1


def test_a_file_that_s3_would_skip_is_processed_with_a_note(tmp_path, capsys):
    source = tmp_path / "export.txt"
    source.write_bytes((DATA / "types.csv").read_bytes())
    code, _, stderr = run(capsys, "process", str(source), "--out", str(tmp_path / "o"))
    assert code == 0
    assert (
        stderr.strip()
        == f"csvlake: note: {source}: in S3, csvlake would skip this file (key does not end in .csv or .csv.gz)"
    )
    assert files_under(tmp_path / "o") == {"processed/export.txt.csv", "reports/export.txt.json"}


@pytest.mark.parametrize("command", ["process", "report", "demo", "serve", "invoke"])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: csvlake {command}")


@pytest.mark.parametrize(
    "argv", [[], ["process"], ["process", "x.csv", "--format", "xls"], ["report", "--errors", "-1", "x"]]
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    assert "usage: csvlake" in capsys.readouterr().err


def test_report_shows_a_produced_report_with_local_paths_and_exit_codes(tmp_path, capsys):
    run(capsys, "process", str(DATA / "bad_rows.csv"), str(DATA / "binary.csv"), "--out", str(tmp_path))

    code, stdout, stderr = run(capsys, "report", str(tmp_path / "reports/bad_rows.json"))
    assert code == 0 and stderr == ""
    lines = stdout.splitlines()
    assert lines[0] == "partial   raw/bad_rows.csv  read 5, written 3, rejected 2"
    assert lines[1].startswith("  source: raw/bad_rows.csv, a local file given to `csvlake process`, 78 bytes")
    assert f"  rejected rows: {tmp_path / 'quarantine/bad_rows.rejected.csv'}" in lines
    assert "  column  source  type     nulls  distinct  min   max  mean" in lines
    assert "  4             structure  expected 3 fields, found 2" in lines
    assert "  7             structure  expected 3 fields, found 4" in lines

    assert run(capsys, "report", "--strict", str(tmp_path / "reports/bad_rows.json"))[0] == 1
    code, stdout, _ = run(capsys, "report", "--errors", "1", str(tmp_path / "reports/bad_rows.json"))
    assert "found 4" not in stdout and "  … and 1 more errors" in stdout
    code, stdout, _ = run(capsys, "report", str(tmp_path / "reports/binary.json"))
    assert code == 1 and stdout.startswith("rejected  raw/binary.csv")

    # A report copied elsewhere names its outputs by URL.
    copy = tmp_path / "elsewhere.json"
    shutil.copy(tmp_path / "reports/bad_rows.json", copy)
    assert "  processed: s3://local/processed/bad_rows.csv" in run(capsys, "report", str(copy))[1].splitlines()


def test_progress_bar_on_a_terminal_shows_both_passes_and_erases_itself(tmp_path, capsys, monkeypatch):
    bar = io.StringIO()
    monkeypatch.setattr(process, "Progress", functools.partial(Progress, stream=bar, enabled=True, delay=0, interval=0))

    assert run(capsys, "process", str(DATA / "ptbr_cp1252.csv"), "--out", str(tmp_path))[0] == 0

    drawn = bar.getvalue().split("\r")
    assert any("pass 1/2: types" in line and "100%" in line for line in drawn)
    assert any("pass 2/2: writing" in line and "100%" in line for line in drawn)
    assert bar.getvalue().endswith("\r") and drawn[-2].strip() == ""  # erased before the summary


def test_progress_is_silent_when_not_a_terminal_or_fast():
    stream = io.StringIO()
    progress = Progress(stream=stream, clock=lambda: 9.0)  # StringIO is not a TTY
    progress.start("x.csv")
    progress.track(io.BytesIO(b"a" * 100), 100).read(50)
    assert not progress.enabled and stream.getvalue() == ""

    clock = iter([0.0, 0.1, 0.2, 0.3, 5.0]).__next__
    quick = Progress(stream=stream, enabled=True, delay=0.5, interval=0.1, clock=clock)
    quick.start("x.csv")  # t=0
    counted = quick.track(io.BytesIO(b"a" * 100), 100)
    counted.read(10)  # t=0.1: before the delay
    counted.read(10)  # t=0.2
    assert stream.getvalue() == ""
    counted.read(30)  # t=0.3
    quick.writer_opened()
    counted.read(50)  # t=5.0: drawn
    assert "x.csv  pass 2/2: writing  [########################] 100%  100 B / 100 B" in stream.getvalue()
    quick.finish()
    assert stream.getvalue().endswith("\r")


def test_an_output_that_cannot_be_written_stops_with_exit_1_and_no_report(tmp_path, capsys):
    (tmp_path / "processed").write_text("a file where the folder should be")
    code, stdout, stderr = run(capsys, "process", str(DATA / "types.csv"), "--out", str(tmp_path))

    assert code == 1 and stdout == ""
    assert stderr == f"csvlake: error: cannot write {tmp_path / 'processed/types.csv'}: File exists\n"
    assert files_under(tmp_path) == {"processed"}  # the file is not blamed: no report, no quarantine


def test_a_folder_laid_out_like_the_bucket_checks_each_dataset_against_its_contract(tmp_path, capsys):
    inbox = tmp_path / "inbox"
    (inbox / "orders").mkdir(parents=True)
    (inbox / "contracts").mkdir()
    (inbox / "contracts" / "orders.yaml").write_text("fields:\n  - name: qty\n    type: integer\n    minimum: 1\n")
    (inbox / "orders" / "june.csv").write_text("qty\n1\n0\n")
    (inbox / "loose.csv").write_text("qty\n0\n")
    out = tmp_path / "out"

    code, stdout, _ = run(capsys, "process", str(inbox), "--out", str(out))

    assert code == 0
    assert f"partial   {inbox}/orders/june.csv  read 2, written 1, rejected 1" in stdout
    assert "contract contracts/orders.yaml: qty.minimum 1" in stdout
    assert json.loads((out / "reports/loose.json").read_text())["validation"] is None


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_function_runs_with_only_the_packages_lambda_gives_it(tmp_path, fmt):
    """In Lambda the function has the runtime's boto3 and the dependencies layer, which has no pandas
    (docs/adr/0012); this venv has more, and pyarrow, botocore and urllib3 import some of it when it is
    there. benchmarks/layer_imports.py refuses whatever Lambda would not have: the handler module and
    the pipeline must do without it."""
    script = (
        f"import sys; sys.path.insert(0, {str(BENCHMARKS)!r}); import layer_imports; layer_imports.install()\n"
        "import app\nfrom csvlake.local import cli\nsys.exit(cli.main(sys.argv[1:]))"
    )
    out = tmp_path / "out"
    argv = ["process", str(DATA / "ptbr_cp1252.csv"), "--format", fmt, "--out", str(out)]
    env = {"PATH": "", "PYTHONPATH": str(FUNCTION), "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, env=env, timeout=120)

    assert done.returncode == 0, done.stderr
    report = check_report(json.loads((out / "reports/ptbr_cp1252.json").read_text()))
    assert report["status"] == "processed" and report["outputs"]["processed"] == f"processed/ptbr_cp1252.{fmt}"
