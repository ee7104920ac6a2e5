"""template.yaml says what operations need: alarms that reach someone, caps and lifecycle by default,
and a role that grants what the code calls, no more (the pipeline is run and each S3 call checked)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import boto3
import pytest

from csvlake.config import Config
from csvlake.layout import OutputKeys
from csvlake.pipeline import process
from csvlake.ports import ObjectRef
from csvlake.s3 import S3Store

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("resolve_template", ROOT / "scripts" / "resolve_template.py")
resolve_template = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(resolve_template)

TEMPLATE = resolve_template.load(ROOT / "template.yaml")
DEFAULTS = resolve_template.resolve(TEMPLATE)
BUCKET = "lake-bucket"
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}


def resources(template: dict, kind: str) -> dict[str, dict]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def parameter_default(name: str):
    return TEMPLATE["Parameters"][name]["Default"]


def text(node) -> str:
    """A resolved string, `!Sub` included, with the pseudo parameters of a test account."""
    if isinstance(node, dict) and set(node) == {"Fn::Sub"}:
        node = node["Fn::Sub"]
    assert isinstance(node, str), f"not resolved to a string: {node!r}"
    return re.sub(r"\$\{([A-Za-z:]+)\}", lambda m: PSEUDO.get(m.group(1), m.group(0)), node)


def role_statements(template: dict) -> list[dict]:
    (role,) = resources(template, "AWS::IAM::Role").values()
    return [s for policy in role["Properties"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


# --- failures reach a person ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "target"),
    [
        ({}, {"Ref": "AlarmTopic"}),
        ({"AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops"}, "arn:aws:sns:us-east-1:123456789012:ops"),
    ],
)
def test_every_alarm_notifies_the_topic_when_it_fires_and_when_it_clears(overrides, target):
    template = resolve_template.resolve(TEMPLATE, overrides)
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 5
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [target], name
        assert alarm["Properties"]["OKActions"] == [target], name
    assert ("AlarmTopic" in template["Resources"]) == (not overrides)


def test_alarms_watch_errors_throttles_duration_near_the_timeout_and_failed_events():
    alarms = resources(TEMPLATE, "AWS::CloudWatch::Alarm").values()
    metrics = {a["Properties"].get("MetricName") for a in alarms}
    assert {"Errors", "Throttles", "ApproximateNumberOfMessagesVisible", "DestinationDeliveryFailures"} <= metrics
    (duration,) = [a["Properties"] for a in alarms if "Metrics" in a["Properties"]]
    stats = [m["MetricStat"] for m in duration["Metrics"] if "MetricStat" in m]
    assert [(s["Metric"]["MetricName"], s["Stat"]) for s in stats] == [("Duration", "Maximum")]
    (expression,) = [m["Expression"] for m in duration["Metrics"] if "Expression" in m]
    # Duration (ms) as a percentage of the Timeout parameter (s), above 80.
    assert expression == {"Fn::Sub": "100 * duration / (${Timeout} * 1000)"}
    assert (duration["Threshold"], duration["ComparisonOperator"]) == (80, "GreaterThanThreshold")


def test_an_alarm_email_subscribes_to_the_alarm_topic_only_when_given():
    assert "AlarmEmailSubscription" not in DEFAULTS["Resources"]
    subscription = resolve_template.resolve(TEMPLATE, {"AlarmEmail": "ops@example.com"})["Resources"][
        "AlarmEmailSubscription"
    ]["Properties"]
    assert subscription == {"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": {"Ref": "AlarmTopic"}}


# --- operational defaults ------------------------------------------------------------------------


def test_reserved_concurrency_caps_the_function_at_10_by_default_and_minus_one_lifts_the_cap():
    assert parameter_default("ReservedConcurrency") == 10
    function = DEFAULTS["Resources"]["IngestFunction"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == 10
    uncapped = resolve_template.resolve(TEMPLATE, {"ReservedConcurrency": "-1"})
    assert "ReservedConcurrentExecutions" not in uncapped["Resources"]["IngestFunction"]["Properties"]


def test_ephemeral_storage_is_a_parameter_that_defaults_to_the_maximum():
    assert DEFAULTS["Resources"]["IngestFunction"]["Properties"]["EphemeralStorage"] == {"Size": 10240}
    spec = TEMPLATE["Parameters"]["EphemeralStorageSize"]
    assert (spec["MinValue"], spec["MaxValue"]) == (512, 10240)


def test_lifecycle_expires_noncurrent_versions_quarantine_and_reports_and_aborts_uploads():
    rules = {r["Id"]: r for r in DEFAULTS["Resources"]["DataBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]}
    assert all(r["Status"] == "Enabled" for r in rules.values())
    assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    noncurrent = rules["ExpireNoncurrentVersions"]
    assert "Prefix" not in noncurrent and "Filter" not in noncurrent  # every prefix
    assert noncurrent["NoncurrentVersionExpiration"] == {"NoncurrentDays": parameter_default("NoncurrentVersionDays")}
    assert noncurrent["ExpiredObjectDeleteMarker"] is True
    retention = parameter_default("QuarantineAndReportsRetentionDays")
    expiring = {r["Prefix"]: r["ExpirationInDays"] for r in rules.values() if "ExpirationInDays" in r}
    assert expiring == {"quarantine/": retention, "reports/": retention}
    # Raw files and processed copies never expire: only their earlier versions do.


def test_bucket_policy_refuses_plain_http_and_tls_below_1_2():
    (policy,) = resources(TEMPLATE, "AWS::S3::BucketPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    denies = {s["Sid"]: s for s in statements if s["Effect"] == "Deny"}
    assert denies["DenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    tls = denies["DenyOutdatedTls"]
    assert tls["Condition"] == {"NumericLessThan": {"s3:TlsVersion": 1.2}}
    assert (tls["Principal"], tls["Action"]) == ("*", "s3:*")
    assert len(tls["Resource"]) == 2  # the bucket and its objects


def test_only_the_data_bucket_of_this_account_may_invoke_the_function():
    (permission,) = resources(DEFAULTS, "AWS::Lambda::Permission").values()
    properties = permission["Properties"]
    assert properties["Principal"] == "s3.amazonaws.com"
    assert properties["SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert text(properties["SourceArn"]) == "arn:aws:s3:::csvlake-123456789012-us-east-1"
    named = resolve_template.resolve(TEMPLATE, {"BucketName": BUCKET})
    assert text(named["Resources"]["IngestFunctionInvokePermission"]["Properties"]["SourceArn"]) == (
        f"arn:aws:s3:::{BUCKET}"
    )
    # The notification is the bucket's own, after the permission exists; no SAM S3 event adds another.
    bucket = DEFAULTS["Resources"]["DataBucket"]
    assert bucket["DependsOn"] == "IngestFunctionInvokePermission"
    (notification,) = bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "raw/"}]
    assert "Events" not in DEFAULTS["Resources"]["IngestFunction"]["Properties"]


def test_the_role_writes_logs_only_to_the_function_log_group():
    function = DEFAULTS["Resources"]["IngestFunction"]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": ["IngestFunctionRole", "Arn"]}
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "IngestLogGroup"}}
    logs = [s for s in role_statements(DEFAULTS) if any(a.startswith("logs:") for a in as_list(s["Action"]))]
    assert logs == [
        {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["IngestLogGroup", "Arn"]},
        }
    ]
    (role,) = resources(DEFAULTS, "AWS::IAM::Role").values()
    managed = [text(arn) for arn in role["Properties"]["ManagedPolicyArns"]]
    assert managed == ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"]  # no AWSLambdaBasicExecutionRole


def test_nothing_in_reports_and_no_whole_file_in_quarantine_can_be_deleted():
    template = resolve_template.resolve(TEMPLATE, {"BucketName": BUCKET})
    deletable = sorted(
        text(resource)
        for s in role_statements(template)
        if any(a.startswith("s3:Delete") for a in as_list(s["Action"]))
        for resource in as_list(s["Resource"])
    )
    assert deletable == [f"arn:aws:s3:::{BUCKET}/processed/*", f"arn:aws:s3:::{BUCKET}/quarantine/*.rejected.csv"]
    assert all(a == "s3:DeleteObject" for s in role_statements(template) for a in as_list(s["Action"]) if "Delete" in a)


@pytest.mark.parametrize(
    "raw_key",
    [
        "raw/a.csv",
        "raw/sales/x.rejected.csv",  # rejected whole: quarantine/sales/x.rejected.csv.original
        "raw/X.REJECTED.CSV",
        "raw/a.rejected.csv.gz",
        "raw/" + "d/" * 300 + "y.rejected.csv",  # shortened with a digest: still no .rejected.csv ending
    ],
)
def test_no_whole_file_quarantine_key_matches_the_deletable_rejected_rows(raw_key):
    keys = OutputKeys.for_key(raw_key, Config())
    assert keys.rejected_rows.endswith(".rejected.csv")
    assert not _matches("quarantine/*.rejected.csv", keys.quarantine)


# --- the resolved template ------------------------------------------------------------------------


def test_the_resolved_defaults_keep_no_condition_and_no_condition_only_checkov_skip():
    def walk(node):
        if isinstance(node, dict):
            assert "Fn::If" not in node and node != {"Ref": "AWS::NoValue"}, node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(DEFAULTS)
    assert not {"Parameters", "Conditions", "Rules"} & set(DEFAULTS)
    assert all("Condition" not in r for r in DEFAULTS["Resources"].values())
    skips = {
        skip["id"]
        for r in DEFAULTS["Resources"].values()
        for skip in r.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    assert "CKV_AWS_21" not in skips  # versioning: on by default, so checkov sees it on
    assert DEFAULTS["Resources"]["DataBucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_resolve_refuses_an_unknown_parameter():
    with pytest.raises(resolve_template.TemplateError, match="no such parameter: Nope"):
        resolve_template.resolve(TEMPLATE, {"Nope": "1"})


# --- the role grants what the code calls, and nothing it does not --------------------------------

# Grants no call exercises here, and why they are kept.
UNCALLED = {
    "s3:AbortMultipartUpload": "only when a multipart upload fails",
    "s3:ListBucket": "no call: it makes S3 answer 404, not 403, for a missing contract or schema state",
}


def _matches(pattern: str, value: str) -> bool:
    """IAM's wildcards: `*` any characters, `?` one; case-sensitive."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def _object(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _copy_source(source) -> tuple[str, str, str | None]:
    if isinstance(source, dict):
        return source["Bucket"], source["Key"], source.get("VersionId")
    path, _, query = source.partition("?versionId=")
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, key, query or None


def _needs(operation: str, params: dict) -> list[tuple[str, str]]:
    """The IAM actions (and resources) one S3 API call needs (S3 user guide, actions and permissions)."""
    bucket, key = params.get("Bucket"), params.get("Key")
    versioned = "VersionId" in params
    if operation in ("GetObject", "HeadObject"):
        return [("s3:GetObjectVersion" if versioned else "s3:GetObject", _object(bucket, key))]
    if operation in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        needs = [("s3:PutObject", _object(bucket, key))]
        if "IfMatch" in params:  # a compare-and-swap write also needs to read the object
            needs.append(("s3:GetObject", _object(bucket, key)))
        return needs
    if operation in ("CopyObject", "UploadPartCopy"):
        source_bucket, source_key, version = _copy_source(params["CopySource"])
        read = "s3:GetObjectVersion" if version else "s3:GetObject"
        needs = [("s3:PutObject", _object(bucket, key)), (read, _object(source_bucket, source_key))]
        if "IfMatch" in params:  # a conditional copy over an object reads it too
            needs.append(("s3:GetObject", _object(bucket, key)))
        return needs
    if operation == "AbortMultipartUpload":
        return [("s3:AbortMultipartUpload", _object(bucket, key))]
    if operation == "DeleteObject":
        needs = [("s3:DeleteObjectVersion" if versioned else "s3:DeleteObject", _object(bucket, key))]
        if "IfMatch" in params:  # a conditional delete on an ETag also needs to read the object
            needs.append(("s3:GetObject", _object(bucket, key)))
        return needs
    if operation in ("ListObjects", "ListObjectsV2", "ListObjectVersions"):
        return [("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
    raise AssertionError(f"{operation}: say here which IAM actions it needs, and grant them in template.yaml")


@pytest.fixture
def s3(monkeypatch):
    moto = pytest.importorskip("moto")
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with moto.mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def test_every_s3_call_of_the_pipeline_is_granted_and_every_s3_grant_is_called(s3):
    config = Config(
        **{
            field: parameter_default(parameter)
            for field, parameter in {
                "raw_prefix": "RawPrefix",
                "processed_prefix": "ProcessedPrefix",
                "reports_prefix": "ReportsPrefix",
                "quarantine_prefix": "QuarantinePrefix",
                "contracts_prefix": "ContractsPrefix",
                "output_format": "OutputFormat",
            }.items()
        }
    )
    calls: list[tuple[str, dict]] = []
    s3.meta.events.register("provide-client-params.s3", lambda params, model, **_: calls.append((model.name, params)))
    store = S3Store(s3)
    s3.put_object(Bucket=BUCKET, Key="contracts/sales.yaml", Body=b"min_rows: 1\n")

    def upload(key: str, body: bytes, *, versioned: bool = True) -> dict:
        calls.clear()
        put = s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        ref = ObjectRef(BUCKET, key, len(body), put["ETag"].strip('"'), put["VersionId"] if versioned else None)
        calls.clear()  # the test's own upload is not the function's
        report = process(store, ref, config).as_dict()
        made.extend(calls)
        return report

    made: list[tuple[str, dict]] = []
    # A dataset with a contract: processed, then partial, then processed again (the old rejected rows
    # deleted), then rejected whole (the processed copy deleted, the file copied to the quarantine).
    assert upload("raw/sales/a.csv", b"id,name\n1,a\n2,b\n")["status"] == "processed"
    assert upload("raw/sales/a.csv", b"id,name\n1,a\n2,b,c,d\n3,c\n")["status"] == "partial"
    assert upload("raw/sales/a.csv", b"id,name\n1,a\n", versioned=False)["status"] == "processed"
    assert upload("raw/sales/a.csv", b"PK\x03\x04" + bytes(64))["status"] == "rejected"
    # Up to 5 GB the quarantine copy is one conditional CopyObject, multipart threshold or not.
    assert upload("raw/big.csv", b"PK\x03\x04" + bytes(17 * 1024**2))["status"] == "rejected"
    # No dataset: no contract and no schema state; a dataset without a contract.
    assert upload("raw/plain.csv", b"x\n1\n")["status"] == "processed"
    assert upload("raw/other/b.csv", b"x\n1\n")["status"] == "processed"

    template = resolve_template.resolve(TEMPLATE, {"BucketName": BUCKET})
    grants = [
        (action, text(resource))
        for statement in role_statements(template)
        if statement["Effect"] == "Allow"
        for action in as_list(statement["Action"])
        if action.startswith("s3:")
        for resource in as_list(statement["Resource"])
    ]
    needed = {need for operation, params in made for need in _needs(operation, params)}
    refused = sorted(n for n in needed if not any(a == n[0] and _matches(r, n[1]) for a, r in grants))
    assert not refused, f"the code calls S3 with permissions the role lacks: {refused}"
    uncalled = sorted(g for g in grants if not any(g[0] == a and _matches(g[1], r) for a, r in needed))
    assert {action for action, _ in uncalled} == set(UNCALLED), f"grants no call needs: {uncalled}"
    operations = {operation for operation, _ in made}
    assert {"HeadObject", "GetObject", "PutObject", "DeleteObject", "CopyObject"} <= operations
    # Every output is written on a condition (ADR 0019): created only if absent, replaced only if unchanged.
    writes = [(op, p) for op, p in made if op in ("PutObject", "CopyObject") and not p["Key"].startswith("contracts/")]
    assert writes and all("IfNoneMatch" in p or "IfMatch" in p for _, p in writes)
    assert all("IfMatch" in p for op, p in made if op == "DeleteObject")
