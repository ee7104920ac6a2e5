"""`csvlake contract draft s3://…` against a local endpoint: the draft, stored where it says, accepts its sample."""

from __future__ import annotations

from csvlake import contract
from csvlake.config import Config
from csvlake.local import cli
from csvlake.pipeline import process
from csvlake.ports import ObjectRef
from csvlake.s3 import S3Store
from support import DATA, check_report


def test_draft_from_an_s3_object_names_its_contract_key_and_accepts_the_object(
    s3, bucket, endpoint, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)  # as `report`, boto3's own endpoint resolution
    key = "raw/vendas/junho.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=(DATA / "ptbr_cp1252.csv").read_bytes())
    target = tmp_path / "vendas.yaml"

    assert cli.main(["contract", "draft", f"s3://{bucket}/{key}", "-o", str(target)]) == 0

    assert capsys.readouterr().out == f"draft contract written to {target}\n"
    text = target.read_text(encoding="utf-8")
    assert text.startswith(f"# Draft contract from s3://{bucket}/{key} on ")
    assert f"# s3://{bucket}/contracts/vendas.yaml.\n" in text
    assert contract.parse(text.encode("utf-8"), "contracts/vendas.yaml", "etag").fields[0].name == "Código"
    # The pipeline's outputs went to a temporary folder, not to the bucket.
    assert {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]} == {key}

    s3.put_object(Bucket=bucket, Key="contracts/vendas.yaml", Body=text.encode("utf-8"))
    report = check_report(process(S3Store(), ObjectRef(bucket, key), Config()).as_dict())
    assert report["status"] == "processed" and report["rows"]["rejected"] == 0
    assert report["validation"]["contract"]["key"] == "contracts/vendas.yaml"
    assert all(rule["failures"] == 0 for rule in report["validation"]["rules"])


def test_draft_of_a_missing_s3_object_or_bucket_is_a_one_line_error(s3, bucket, endpoint, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    for url, message in [
        (f"s3://{bucket}/raw/nothing.csv", f"s3://{bucket}/raw/nothing.csv: no such object"),
        ("s3://no-such-bucket-here/raw/x.csv", "no such bucket 'no-such-bucket-here'"),
    ]:
        assert cli.main(["contract", "draft", url]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("csvlake: error: ") and message in err, err
        assert err.count("\n") == 1 and "Traceback" not in err
