"""`csvlake contract draft`: a dataset contract drafted from a sample file (local or s3://)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...config import Config, ConfigError
from ...errors import ObjectGone, StoreError, Superseded
from ...layout import contract_key
from ...ports import ObjectRef, ObjectStore
from ...s3 import S3Error, S3Store
from .. import show
from ..console import FAILED, LOCAL_BUCKET, CliError, command_parser, library_logs, s3_failure, s3_location
from ..draft import SampleRejected, draft
from ..fs import LocalStore
from ..progress import Progress

CONTRACT_HELP = "draft a dataset contract from a sample file"
CONTRACT_DESCRIPTION = "Dataset contracts (contracts/<dataset>.yaml): `csvlake contract draft SOURCE` drafts one."
HELP = "draft a contract from a sample file (local path or s3://BUCKET/KEY)"
DESCRIPTION = """\
Run the pipeline on a sample file and print, as YAML, a contract that states what it found:
the dialect, and for each column in file order its type, that it is required, whether it
may be empty, the observed minimum and maximum (numbers, dates), every value of a text
column with at most 10, and whether an integer column's values are all different.
Ingesting the sample under the draft accepts every row that is not malformed. Edit it,
then store it as contracts/<dataset>.yaml (<dataset>: the first folder under raw/).
S3 is read with boto3's usual configuration: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL…"""
EPILOG = """\
exit status:
  0  the draft was printed (or written to FILE)
  1  the sample was rejected as a whole, so there is nothing to describe; or S3 or reading failed
  2  usage error: a bad option, no such file, object or bucket, a bad s3:// URL, FILE not writable

examples:
  csvlake contract draft 'vendas 2024.csv' -o vendas.yaml
  csvlake contract draft s3://my-bucket/raw/vendas/2024-06.csv"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    contract = command_parser(subparsers, "contract", help=CONTRACT_HELP, description=CONTRACT_DESCRIPTION)
    contract_commands = contract.add_subparsers(dest="contract_command", required=True, metavar="SUBCOMMAND")
    p = command_parser(contract_commands, "draft", help=HELP, description=DESCRIPTION, epilog=EPILOG)
    p.add_argument("source", metavar="SOURCE", help="a CSV file (.csv or .csv.gz), or s3://BUCKET/KEY")
    p.add_argument("-o", "--output", metavar="FILE", help="write the draft to FILE instead of printing it")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    source: str = args.source
    store, ref, save_as = _draft_source(source)
    where = show.s3_url(ref.bucket, ref.key) if source.startswith("s3://") else source
    try:
        with library_logs():
            drafted = draft(store, ref, source, save_as=save_as)
    except SampleRejected as exc:
        raise CliError(f"{source}: rejected, so there is nothing to describe: {exc}", FAILED) from None
    except Superseded:
        raise CliError(f"{where}: the object changed while it was read; run again", FAILED) from None
    except ObjectGone:
        raise CliError(
            f"{where}: no such object" if source.startswith("s3://") else f"{source}: no such file"
        ) from None
    except S3Error as exc:
        raise s3_failure(exc, source, ref.bucket, where) from None
    except StoreError as exc:
        raise CliError(str(exc), FAILED) from None
    for note in drafted.notes:
        print(f"csvlake: note: {source}: {note}", file=sys.stderr)
    if args.output is None:
        print(drafted.text, end="")
        return 0
    try:
        Path(args.output).write_text(drafted.text, encoding="utf-8")
    except IsADirectoryError:
        raise CliError(f"-o {args.output}: is a folder") from None
    except OSError as exc:
        raise CliError(f"-o {args.output}: cannot write there: {exc.strerror or exc}") from None
    print(f"draft contract written to {args.output}")
    return 0


def _draft_source(source: str) -> tuple[ObjectStore, ObjectRef, str | None]:
    """The store and object to read a sample from, and where its dataset's contract belongs if
    the sample's key says (s3://BUCKET/raw/<dataset>/… → s3://BUCKET/contracts/<dataset>.yaml)."""
    if source.startswith("s3://"):
        bucket, key = s3_location(source, "the key of a CSV file")
        try:
            contract = contract_key(key, Config.from_env())
        except ConfigError as exc:
            raise CliError(str(exc)) from None
        return S3Store(), ObjectRef(bucket, key), show.s3_url(bucket, contract) if contract else None
    path = Path(source)
    if path.is_dir():
        raise CliError(f"{source}: is a folder, not a CSV file")
    if not path.is_file():
        raise CliError(f"{source}: no such file" if not path.exists() else f"{source}: not a file")
    # Only read from: the pipeline's outputs go to the draft's temporary folder.
    return LocalStore(path.parent, {path.name: path}, Progress(enabled=False)), ObjectRef(LOCAL_BUCKET, path.name), None
