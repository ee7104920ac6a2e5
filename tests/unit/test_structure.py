"""Real exports: a preamble above the header, totals and notes below the data, group rows above the
names, headers one name off, a second table. The processed copy holds exactly the data rows, and
the report accounts for every line of the file."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest

from csvlake.config import Config
from csvlake.dialect import detect
from csvlake.lines import Lines
from csvlake.structure import Record, Structure, detect_structure
from support import LocalLake


@pytest.fixture(params=[64, 5 * 1024 * 1024], ids=["tiny-blocks", "default-blocks"])
def lake(tmp_path, request):
    return LocalLake(tmp_path, Config(block_size=request.param))


def processed(lake: LocalLake, report: dict) -> list[list[str]]:
    return list(csv.reader(io.StringIO(lake.read(report["outputs"]["processed"]).decode())))


def accounted(report: dict) -> dict:
    """The report's line accounting, checked: every line is the header's, the data's or skipped."""
    lines = report["lines"]
    assert lines["total"] == lines["header"] + lines["data"] + lines["skipped"]
    assert lines["skipped"] == sum(lines["skipped_by_reason"].values())
    assert len(report["skipped_lines"]) == min(lines["skipped"], 100)
    return lines


def skipped(report: dict) -> list[tuple[int, str, str]]:
    return [(s["line"], s["reason"], s["text"]) for s in report["skipped_lines"]]


SALES = [
    "Data;Produto;Valor;Qtd",
    "01/07/2024;Arroz;1.234,50;3",
    "02/07/2024;Feijão;12,00;5",
    "03/07/2024;Óleo de soja;7,99;2",
]


def test_a_title_and_a_date_above_the_header_are_skipped_and_listed(lake):
    text = "\r\n".join(["Relatório de vendas", "Gerado em 01/07/2024", "", *SALES]) + "\r\n"

    report = lake.ingest("vendas.csv", data=text.encode("cp1252"))

    assert report["status"] == "processed"
    assert report["dialect"]["delimiter"] == ";" and report["dialect"]["decimal"] == ","
    assert [c["source_name"] for c in report["columns"]] == ["Data", "Produto", "Valor", "Qtd"]
    assert [c["type"] for c in report["columns"]] == ["date", "string", "number", "integer"]
    assert processed(lake, report)[1:] == [
        ["2024-07-01", "Arroz", "1234.5", "3"],
        ["2024-07-02", "Feijão", "12", "5"],
        ["2024-07-03", "Óleo de soja", "7.99", "2"],
    ]
    assert skipped(report) == [
        (1, "preamble", "Relatório de vendas"),
        (2, "preamble", "Gerado em 01/07/2024"),
        (3, "blank", ""),
    ]
    assert report["structure"]["header_lines"] == [4] and report["structure"]["data_line"] == 5
    assert accounted(report) == {
        "total": 7,
        "header": 1,
        "data": 3,
        "skipped": 3,
        "skipped_by_reason": {"blank": 1, "preamble": 2},
    }
    assert any("skipped_lines" in warning for warning in report["warnings"])


def test_a_preamble_without_a_blank_line_after_it_is_skipped_too(lake):
    text = "\n".join(["Relatório de vendas", "Período: julho", *SALES]) + "\n"

    report = lake.ingest("vendas.csv", data=text.encode())

    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert [s[1] for s in skipped(report)] == ["preamble", "preamble"]


def test_a_totals_line_and_notes_below_the_data_stay_out_of_the_copy_and_the_statistics(lake):
    text = "\n".join([*SALES, "TOTAL;;1.254,49;10", "", "Fonte: sistema ERP, julho de 2024"]) + "\n"

    report = lake.ingest("vendas.csv", data=text.encode())

    columns = {c["name"]: c for c in report["columns"]}
    assert columns["data"]["type"] == "date"
    assert columns["valor"]["max"] == 1234.5 and columns["qtd"]["max"] == 5
    assert len(processed(lake, report)) == 4
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert skipped(report) == [
        (5, "footer", "TOTAL;;1.254,49;10"),
        (6, "blank", ""),
        (7, "footer", "Fonte: sistema ERP, julho de 2024"),
    ]
    accounted(report)


def test_a_short_row_of_numbers_at_the_end_is_a_rejected_row_not_a_footer(lake):
    report = lake.ingest("a.csv", data=b"a,b,c\n1,2,3\n4,5,6\n7,8\n")

    assert report["rows"] == {"read": 3, "written": 2, "rejected": 1}
    assert report["skipped_lines"] == []


def test_a_group_row_above_the_names_is_joined_into_them(lake):
    text = "\n".join(
        [
            "Cliente;;Endereço;;Financeiro",
            "Nome;CPF;Cidade;UF;Saldo",
            "Ana;111;Rio de Janeiro;RJ;10,50",
            "Bruno;222;São Paulo;SP;3,25",
            "Carla;333;Curitiba;PR;1.000,00",
        ]
    )

    report = lake.ingest("clientes.csv", data=text.encode())

    assert [c["name"] for c in report["columns"]] == [
        "cliente_nome",
        "cliente_cpf",
        "endereco_cidade",
        "endereco_uf",
        "financeiro_saldo",
    ]
    assert report["columns"][4]["type"] == "number" and report["columns"][4]["max"] == 1000
    assert report["structure"]["header_rows"] == 2 and report["structure"]["header_lines"] == [1, 2]
    assert report["rows"]["written"] == 3
    assert accounted(report)["header"] == 2


def test_rows_of_only_delimiters_above_the_header_are_skipped(lake):
    report = lake.ingest("a.csv", data=b",,,\n,,,\nid,name,score,when\n1,Ana,2.5,2024-01-01\n2,Bo,3,2024-01-02\n")

    assert [c["source_name"] for c in report["columns"]] == ["id", "name", "score", "when"]
    assert report["rows"]["written"] == 2
    assert [s[1] for s in skipped(report)] == ["empty row", "empty row"]


def test_a_header_with_a_trailing_delimiter_keeps_its_names(lake):
    report = lake.ingest("a.csv", data=b"id;name;score;\n1;Ana;2,5\n2;Bo;3\n")

    assert [c["source_name"] for c in report["columns"]] == ["id", "name", "score"]
    assert report["rows"] == {"read": 2, "written": 2, "rejected": 0}


def test_rows_with_an_index_the_header_does_not_name_keep_every_value(lake):
    report = lake.ingest("a.csv", data=b"name,score\n0,Ana,2.5\n1,Bo,3.5\n2,Cy,4\n")

    assert [c["source_name"] for c in report["columns"]] == ["", "name", "score"]
    assert processed(lake, report)[1] == ["0", "Ana", "2.5"]
    assert report["rows"]["written"] == 3
    assert any("index" in warning for warning in report["warnings"])


def test_a_second_table_after_a_blank_line_is_left_out_and_listed(lake):
    text = "id,value\n1,10\n2,20\n3,30\n\ncode,name,kind\nA,Alpha,x\nB,Beta,y\n"

    report = lake.ingest("a.csv", data=text.encode())

    assert processed(lake, report) == [["id", "value"], ["1", "10"], ["2", "20"], ["3", "30"]]
    assert report["structure"]["second_table_line"] == 5
    texts = ["code,name,kind", "A,Alpha,x", "B,Beta,y"]
    assert skipped(report) == [(5, "blank", ""), *((n, "second table", t) for n, t in zip((6, 7, 8), texts))]
    assert accounted(report)["skipped_by_reason"] == {"blank": 1, "second table": 3}


def test_a_file_of_numbers_only_has_no_header(lake):
    report = lake.ingest("a.csv", data=b"1,2.5,2024-01-01\n2,3.5,2024-01-02\n3,4,2024-01-03\n")

    assert report["dialect"]["header"] is False
    assert [c["name"] for c in report["columns"]] == ["column_1", "column_2", "column_3"]
    assert report["rows"]["written"] == 3
    assert accounted(report) == {"total": 3, "header": 0, "data": 3, "skipped": 0, "skipped_by_reason": {}}


def test_blank_lines_between_data_rows_are_data_lines_not_rows(lake):
    report = lake.ingest("a.csv", data=b"a,b\n1,2\n\n3,4\n")

    assert report["rows"]["written"] == 2
    assert accounted(report)["total"] == 4


def with_contract(lake: LocalLake, contract: str, data: bytes) -> dict:
    lake.drop("contracts/vendas.yaml", contract.encode())
    return lake.ingest("a.csv", data=data, key="raw/vendas/a.csv")


def test_a_contract_states_the_lines_above_the_header_and_the_footer_when_detection_cannot_tell(lake):
    # A "title" of the table's width and a last row of numbers: detection keeps both as data.
    data = b"Vendas;2024;x\nid;qty;price\n1;2;3,5\n2;3;4,5\n99;99;99\n"

    report = with_contract(lake, "dialect:\n  skip_rows: 1\n  footer_rows: 1\n", data)

    assert [c["source_name"] for c in report["columns"]] == ["id", "qty", "price"]
    assert processed(lake, report)[1:] == [["1", "2", "3.5"], ["2", "3", "4.5"]]
    assert skipped(report) == [(1, "preamble", "Vendas;2024;x"), (5, "footer", "99;99;99")]
    accounted(report)


def test_a_contract_states_two_header_rows(lake):
    data = b"Loja;Loja;Total\nnome;cidade;valor\nA;Rio;1\nB;SP;2\n"

    report = with_contract(lake, "dialect:\n  header_rows: 2\n", data)

    assert [c["name"] for c in report["columns"]] == ["loja_nome", "loja_cidade", "total_valor"]
    assert report["rows"]["written"] == 2


def test_a_contract_states_the_quote_character(lake):
    data = b"id,name\n1,'Smith, J'\n2,'Doe, A'\n"

    report = with_contract(lake, "dialect:\n  quotechar: \"'\"\n  delimiter: ','\n", data)

    assert report["dialect"]["quotechar"] == "'"
    assert report["structure"]["header_rows"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "sep=;\nPeríodo: jan-jun\nNome;Valor\nAna;1,5\nBo;2,5\nCy;3\n",
        "Table 3. Population by age, 2020\nCity,Population\nRio,6211423\nSão Paulo,11451999\nRecife,1488920\n",
    ],
    ids=["excel-sep-line", "title-with-a-comma"],
)
def test_a_preamble_line_as_wide_as_a_two_column_table_is_not_its_header(lake, text):
    report = lake.ingest("a.csv", data=text.encode())

    assert report["dialect"]["header"] is True
    assert [c["type"] for c in report["columns"]] == ["string", "number" if ";" in text else "integer"]
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert report["structure"]["preamble_lines"] == text.count("\n") - 4


def test_a_single_column_of_text_with_spaces_is_not_split_at_the_spaces(lake):
    report = lake.ingest("a.csv", data=("nome\n" + "".join(f"Maria da Silva {i}\n" for i in range(30))).encode())

    assert [c["source_name"] for c in report["columns"]] == ["nome"]
    assert report["rows"]["written"] == 30


def test_a_contract_names_its_own_null_tokens(lake):
    data = b"id;valor\n1;1,5\n2;n/d\n3;-\n4;2,5\n"

    report = with_contract(lake, "dialect:\n  null_values: ['N/D', ' - ']\n", data)

    valor = report["columns"][1]
    assert valor["type"] == "number" and valor["nulls"] == 2 and valor["count"] == 2
    assert processed(lake, report)[1:] == [["1", "1.5"], ["2", ""], ["3", ""], ["4", "2.5"]]
    assert report["dialect"]["null_values"] == ["N/D", " - "]


# Layouts from real exports that an adversarial trial found misread (issue 17).

PT_ROWS = [
    ("1", "Ana", "05/01/2024", "1.234,56", "3"),
    ("2", "Bruno", "06/01/2024", "99,90", "1"),
    ("3", "Cecília", "08/01/2024", "10,00", "12"),
    ("4", "Davi", "10/01/2024", "5,75", "2"),
    ("5", "Érica", "15/01/2024", "2.000,10", "7"),
    ("6", "Fábio", "20/01/2024", "0,99", "1"),
    ("7", "Glória", "25/01/2024", "47,30", "4"),
    ("8", "Hélio", "31/01/2024", "120,00", "9"),
]


def pt_processed(row: tuple[str, ...]) -> list[str]:
    """A pt-BR row as the processed copy writes it: ISO dates, plain decimal numbers."""
    code, name, date, value, qty = row
    day, month, year = date.split("/")
    number = value.replace(".", "").replace(",", ".").rstrip("0").rstrip(".")
    return [code, name, f"{year}-{month}-{day}", number, qty]


@pytest.mark.parametrize(
    "preamble",
    [
        ["Empresa:;ACME Ltda;;;", "Período:;01/2024 a 06/2024;;;", ""],
        ["Empresa:;ACME Ltda;;;", "Período:;01/2024 a 06/2024;;;"],
        ["Empresa:;ACME Ltda", "Período:;01/2024 a 06/2024", ""],
    ],
    ids=["padded-then-blank", "padded-no-blank", "unpadded-then-blank"],
)
def test_a_key_value_preamble_padded_to_the_width_is_skipped_not_taken_as_the_header(lake, preamble):
    text = "\r\n".join([*preamble, "Código;Cliente;Data;Valor;Qtd", *(";".join(r) for r in PT_ROWS)]) + "\r\n"

    report = lake.ingest("vendas.csv", data=text.encode("cp1252"))

    assert report["status"] == "processed" and report["dialect"]["encoding"] == "cp1252"
    assert [c["source_name"] for c in report["columns"]] == ["Código", "Cliente", "Data", "Valor", "Qtd"]
    assert [c["type"] for c in report["columns"]] == ["integer", "string", "date", "number", "integer"]
    assert processed(lake, report)[1:] == [pt_processed(r) for r in PT_ROWS]
    assert skipped(report) == [(n, "blank" if not t else "preamble", t) for n, t in enumerate(preamble, 1)]
    header = len(preamble) + 1
    assert report["structure"]["header_lines"] == [header] and report["structure"]["data_line"] == header + 1
    assert accounted(report) == {
        "total": header + len(PT_ROWS),
        "header": 1,
        "data": len(PT_ROWS),
        "skipped": len(preamble),
        "skipped_by_reason": dict(Counter("blank" if not t else "preamble" for t in preamble)),
    }


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"codigo,nome\n1,Ze\n,\nA1,Ana\n2,Bia\n3,Caio\n4,Du\n", 3),
        (b"a,b\n,\nx,y\n8,z\nq,r\n", 2),
        (b"codigo,nome\n,\nA1,Ana\n2,Bia\n3,Caio\n", 2),
    ],
    ids=["inside-the-data", "after-the-header-then-text", "after-the-header-then-a-code"],
)
def test_a_row_of_only_delimiters_among_the_data_is_an_empty_row_not_a_second_table(lake, data, line):
    report = lake.ingest("a.csv", data=data)

    records = [r.split(",") for r in data.decode().splitlines()]
    rows = records[1 : line - 1] + records[line:]
    assert [c["source_name"] for c in report["columns"]] == records[0]
    assert processed(lake, report)[1:] == rows  # the empty one skipped, not a row of nulls
    assert report["rows"] == {"read": len(rows), "written": len(rows), "rejected": 0}
    assert report["structure"]["second_table_line"] is None and skipped(report) == [(line, "empty row", ",")]
    assert report["columns"][0]["nulls"] == 0
    assert accounted(report) == {
        "total": len(records),
        "header": 1,
        "data": len(rows),
        "skipped": 1,
        "skipped_by_reason": {"empty row": 1},
    }


def test_a_second_table_of_the_same_width_after_a_row_of_only_delimiters_needs_its_own_header(lake):
    data = b"id,a,b\nx,10,1\ny,20,2\nz,30,3\n,,\nname,p,q\nA,5,1\nB,6,2\n"

    report = lake.ingest("a.csv", data=data)

    assert processed(lake, report)[1:] == [["x", "10", "1"], ["y", "20", "2"], ["z", "30", "3"]]
    assert report["structure"]["second_table_line"] == 5
    assert accounted(report)["skipped_by_reason"] == {"empty row": 1, "second table": 3}


YEARS = [str(year) for year in range(1960, 2024)]
COUNTRIES = [("Aruba", "ABW"), ("Afghanistan", "AFG"), ("Angola", "AGO"), ("Albania", "ALB"), ("Brazil", "BRA")]


def wdi_values(k: int) -> list[str]:
    """A country's GDP by year, empty before its first year and for the last one, as the WDI has them."""
    return [
        "" if i < 3 * k or year == "2023" else f"{(k + 1) * 1.5e9 + i * 1234567.89:.2f}" for i, year in enumerate(YEARS)
    ]


def test_a_world_bank_export_with_years_as_names_has_its_header_and_typed_years(lake):
    # The World Development Indicators' CSV: two notes, blank lines, every field quoted, a trailing comma.
    quoted = lambda fields: ",".join(f'"{f}"' for f in fields) + ","  # noqa: E731
    lines = [
        quoted(["Data Source", "World Development Indicators"]),
        "",
        quoted(["Last Updated Date", "2024-06-28"]),
        "",
        quoted(["Country Name", "Country Code", "Indicator Name", "Indicator Code", *YEARS]),
        *(quoted([n, c, "GDP (current US$)", "NY.GDP.MKTP.CD", *wdi_values(k)]) for k, (n, c) in enumerate(COUNTRIES)),
    ]

    report = lake.ingest("API_NY.GDP.MKTP.CD.csv", data=("\n".join(lines) + "\n").encode("utf-8-sig"))

    assert report["structure"]["header_lines"] == [5] and report["structure"]["preamble_lines"] == 4
    names = ["Country Name", "Country Code", "Indicator Name", "Indicator Code", *YEARS]
    assert [c["source_name"] for c in report["columns"]][: len(names)] == names
    # The trailing comma's column, with no name and no value, is left out (plan: _with_name_or_value).
    assert len(report["columns"]) == len(names)
    types = {c["source_name"]: c["type"] for c in report["columns"]}
    assert {types[y] for y in YEARS[:-1]} == {"number"} and types["Country Name"] == "string"
    out = processed(lake, report)
    assert [row[:2] for row in out[1:]] == [list(c) for c in COUNTRIES]
    assert [[float(v) if v else None for v in row[4:]] for row in out[1:]] == [
        [float(v) if v else None for v in wdi_values(k)] for k in range(len(COUNTRIES))
    ]
    assert [s[:2] for s in skipped(report)] == [(1, "preamble"), (2, "blank"), (3, "preamble"), (4, "blank")]
    assert accounted(report)["data"] == len(COUNTRIES)


STATES = [
    ("0400000US01", "Alabama"),
    ("0400000US02", "Alaska"),
    ("0400000US04", "Arizona"),
    ("0400000US05", "Arkansas"),
]
STATES += [("0400000US06", "California"), ("0400000US08", "Colorado"), ("0400000US09", "Connecticut")]


@pytest.mark.parametrize("end", ["", ","], ids=["plain", "trailing-comma"])
def test_a_census_export_with_a_row_of_labels_below_the_names_keeps_the_names_and_typed_columns(lake, end):
    # data.census.gov's ACS tables: variable codes, then their labels, then the data.
    names = ["GEO_ID", "NAME", "B01001_001E", "B01001_001M", "B01001_002E", "B01001_002M"]
    labels = ["Geography", "Geographic Area Name", "Estimate!!Total:", "Margin of Error!!Total:"]
    labels += ["Estimate!!Total:!!Male:", "Margin of Error!!Total:!!Male:"]
    rows = [
        [geo, name, str(5024279 - 7919 * i), "*****", str(2448660 - 3911 * i), str(6096 + 17 * i)]
        for i, (geo, name) in enumerate(STATES)
    ]
    text = "".join(",".join(fields) + end + "\n" for fields in [names, labels, *rows])

    report = lake.ingest("ACSDT5Y2022.B01001-Data.csv", data=text.encode())

    assert report["structure"]["header_rows"] == 2 and report["structure"]["header_lines"] == [1, 2]
    assert [c["source_name"] for c in report["columns"]][:6] == names
    assert [c["type"] for c in report["columns"]][:6] == ["string", "string", "integer", "string", "integer", "integer"]
    assert [row[:6] for row in processed(lake, report)[1:]] == rows
    assert any("labels" in w and "'Geography'" in w for w in report["warnings"])
    assert accounted(report) == {"total": 9, "header": 2, "data": 7, "skipped": 0, "skipped_by_reason": {}}


def structure_of(data: bytes) -> Structure:
    return detect(data, complete=True)[1]


@pytest.mark.parametrize(
    ("data", "header_lines", "names"),
    [
        # Unnamed columns in a header right above the data: not a padded preamble line.
        (b"id;name;;\n1;Ana;x;y\n2;Bo;z;w\n3;Cy;q;r\n", (1,), ["id", "name", "", ""]),
        # A run of years names a header; the same names as data rows under it do not.
        (
            b"Country,2019,2020,2021\nBrazil,1.5,2.5,3.5\nChile,4.5,5.5,6.5\nPeru,1,2,3.25\n",
            (1,),
            ["Country", "2019", "2020", "2021"],
        ),
        (b"1990,1991,1992\n2000,2001,2002\n2010,2011,2012\n", (), ["column_1", "column_2", "column_3"]),
        # Three small integers in a row are data, not column numbers.
        (b"5,6,7,1.5\n3,9,2,0.5\n4,1,8,2.5\n", (), ["column_1", "column_2", "column_3", "column_4"]),
        # After a row of only delimiters, a row of a number and empty cells: no second table's header.
        (b"id,a,b,c\n1,2,3,4\n5,6,7,8\n,,,\n9,,,\n10,11,12,13\n14,15,16,17\n", (1,), ["id", "a", "b", "c"]),
        # A title with a comma and no number or date above a two-column table, a blank line between.
        (b"Spend report, Northgate Council\n\nName,Value\nA,1\nB,2\nC,3\n", (3,), ["Name", "Value"]),
        # The same right above the header: the space after its comma makes it prose, a title.
        (b"Spend report, Northgate Council\nName,Value\nA,1\nB,2\nC,3\n", (2,), ["Name", "Value"]),
        # Label lines ending in a colon in a table of two columns.
        (
            b"Empresa:;ACME Ltda\nPer\xc3\xadodo:;2024\n\nData;Valor\n01/02/2024;1,5\n02/02/2024;2\n",
            (4,),
            ["Data", "Valor"],
        ),
        # The header written twice (Pollock's multi-row header): two header lines, its names.
        (b"id,name,score\nid,name,score\n1,Ana,2.5\n2,Bo,3.5\n3,Cy,4\n", (1, 2), ["id", "name", "score"]),
        # A group row that repeats its names over their span joins them, as one with blanks does.
        (
            b"Loja;Loja;Total\nnome;cidade;valor\nA;Rio;1\nB;SP;2\nC;BH;3\n",
            (1, 2),
            ["Loja nome", "Loja cidade", "Total valor"],
        ),
        # Label,value lines above the names of a two-column series; one label line is a label row.
        (
            b"Title,Series A\nUnit,%\nyear,value\n" + b"".join(b"%d,%d.5\n" % (1990 + i, i) for i in range(12)),
            (3,),
            ["year", "value"],
        ),
        (
            b"year,value\nYear,Percent\n" + b"".join(b"%d,%d.5\n" % (1990 + i, i) for i in range(12)),
            (1, 2),
            ["year", "value"],
        ),
        # A title above a header that names two of three columns: the names, not label,value lines.
        (
            b"Report,,\nid,valor,\n" + b"".join(b"%d,%d.5,%d\n" % (i, i, 2 * i) for i in range(12)),
            (2,),
            ["id", "valor", ""],
        ),
    ],
    ids=[
        "unnamed-columns",
        "years",
        "years-as-data",
        "small-integers",
        "sparse-row-after-an-empty-row",
        "untyped-title-with-a-comma",
        "untyped-title-with-a-comma-right-above",
        "key-value-two-columns",
        "header-twice",
        "repeated-group",
        "label-lines-above-the-names",
        "a-label-row-below-the-names",
        "title-above-a-partly-named-header",
    ],
)
def test_detection_tells_header_rows_from_data_rows_that_look_alike(data, header_lines, names):
    structure = structure_of(data)

    assert structure.header_lines == header_lines
    first = header_lines[0] if header_lines else 1
    assert structure.data_line == first + len(header_lines) and len(structure.skipped) == first - 1
    assert structure.end_line is None
    assert structure.names == names


ONS_META = ["Title,Labour market statistics", "Source dataset,LMS", "PreUnit,", "Unit,%"]
ONS_META += ["Release date,13-11-2024", "Next release,10 December 2024", "Important notes,"]
ONS_YEARS = [(str(year), f"{4 + (year % 7) / 10:.1f}") for year in range(1971, 2005)]
ONS_QUARTERS = [(f"{year} Q{q}", f"{3.5 + q / 10:.1f}") for year in range(1971, 1981) for q in range(1, 5)]


@pytest.mark.parametrize("periods", [ONS_YEARS, ONS_YEARS + ONS_QUARTERS], ids=["years", "years-then-quarters"])
def test_an_ons_time_series_keeps_its_label_value_lines_out_and_its_values_numbers(lake, periods):
    # The ONS time-series CSV: label,value lines as wide as the data, then headerless data.
    text = "\n".join([*ONS_META, *(",".join(row) for row in periods)]) + "\n"

    report = lake.ingest("lms.csv", data=text.encode())

    assert report["status"] == "processed" and report["dialect"]["header"] is False
    assert [c["name"] for c in report["columns"]] == ["column_1", "column_2"]
    kind = "integer" if periods == ONS_YEARS else "string"
    assert [c["type"] for c in report["columns"]] == [kind, "number"]
    assert processed(lake, report)[1:] == [[period, value.rstrip("0").rstrip(".")] for period, value in periods]
    assert report["rows"] == {"read": len(periods), "written": len(periods), "rejected": 0}
    assert skipped(report) == [(n, "preamble", t) for n, t in enumerate(ONS_META, 1)]
    assert report["structure"]["header_lines"] == [] and report["structure"]["data_line"] == 8
    assert accounted(report) == {
        "total": 7 + len(periods),
        "header": 0,
        "data": len(periods),
        "skipped": 7,
        "skipped_by_reason": {"preamble": 7},
    }


def test_a_header_whose_quote_never_closes_is_read_with_the_quote_as_text(lake):
    # The quote would take every line below into the header's one name; each line alone is a row.
    data = b'"id,name,v\n' + b"".join(b"%d,name %d,%d.0\n" % (i, i, i) for i in range(2, 40))

    report = lake.ingest("a.csv", data=data)

    assert report["status"] == "processed" and report["rows"] == {"read": 38, "written": 38, "rejected": 0}
    assert [(c["source_name"], c["type"]) for c in report["columns"]] == [
        ('"id', "integer"),
        ("name", "string"),
        ("v", "number"),
    ]
    assert processed(lake, report)[1] == ["2", "name 2", "2"]
    assert accounted(report) == {"total": 39, "header": 1, "data": 38, "skipped": 0, "skipped_by_reason": {}}


@pytest.mark.parametrize("data", [b"id,name\n", b"id,name\n\n\n"], ids=["header-only", "header-and-blank-lines"])
def test_a_file_of_only_a_header_is_processed_with_no_rows(lake, data):
    report = lake.ingest("a.csv", data=data)

    assert report["status"] == "processed" and report["rows"]["read"] == 0
    assert processed(lake, report) == [["id", "name"]]


def test_lines_of_data_that_gave_no_row_are_a_reason_to_reject():
    assert Lines(header=1, total=5).unread(rows=0, header_rows=1) == "no row was read from the file's 4 line(s) of data"
    assert Lines(header=1, total=5).unread(rows=4, header_rows=1) is None
    assert Lines(header=1, total=1).unread(rows=0, header_rows=1) is None


@pytest.mark.parametrize(
    ("data", "names", "stray"),
    [
        # ONS: `[x]` and `[c]` for values withheld, under two year names.
        (
            b"Area code,Area name,2021,2022\nE06000001,Hartlepool,[x],93.1\nE06000002,Middlesbrough,140.5,141.2\n"
            b"E06000003,Redcar and Cleveland,137.2,[c]\nE06000004,Stockton-on-Tees,197.3,198.0\n",
            ["Area code", "Area name", "2021", "2022"],
            "'[x]' (line 2)",
        ),
        (b"name,score\nAna,absent\nBia,20\nCaio,7\nDuda,8\nEva,9\n", ["name", "score"], "'absent' (line 2)"),
        (
            b"item,amount,date\na,(1200.50),2024-01-01\nb,300.00,2024-01-02\nc,-4.00,2024-01-03\n",
            ["item", "amount", "date"],
            "'(1200.50)' (line 2)",
        ),
    ],
    ids=["ons-withheld", "a-word", "accounting-negative"],
)
def test_a_stray_value_in_the_first_data_row_leaves_the_header_the_header(lake, data, names, stray):
    report = lake.ingest("a.csv", data=data)

    rows = data.decode().splitlines()[1:]
    assert report["status"] == "processed"
    assert [c["source_name"] for c in report["columns"]] == names
    assert report["structure"]["header_lines"] == [1] and report["structure"]["preamble_lines"] == 0
    assert processed(lake, report)[1][:2] == rows[0].split(",")[:2]
    assert report["rows"] == {"read": len(rows), "written": len(rows), "rejected": 0}
    assert any(stray in w for w in report["warnings"])
    assert accounted(report)["data"] == len(rows)


def test_a_eurostat_export_with_two_years_as_names_has_its_header(lake):
    data = b"geo,2020,2021\nAT,8901.1,8932.7\nBE,11522.4,11554.8\nBG,6951.5,6838.9\n"

    report = lake.ingest("a.csv", data=data)

    assert [(c["source_name"], c["type"]) for c in report["columns"]] == [
        ("geo", "string"),
        ("2020", "number"),
        ("2021", "number"),
    ]
    assert processed(lake, report)[1:] == [
        ["AT", "8901.1", "8932.7"],
        ["BE", "11522.4", "11554.8"],
        ["BG", "6951.5", "6838.9"],
    ]
    assert accounted(report) == {"total": 4, "header": 1, "data": 3, "skipped": 0, "skipped_by_reason": {}}


def test_a_row_of_units_below_the_names_is_a_header_line_of_labels(lake):
    # Statistics Canada's CPI table: the index base under each month, no label over the products.
    data = b'"Products","January 2024","February 2024"\n"","2002=100","2002=100"\n"All-items","158.3","159.8"\n"Food","186.9","187.6"\n'

    report = lake.ingest("cpi.csv", data=data)

    assert [(c["name"], c["type"]) for c in report["columns"]] == [
        ("products", "string"),
        ("january_2024", "number"),
        ("february_2024", "number"),
    ]
    assert report["structure"]["header_lines"] == [1, 2] and report["structure"]["preamble_lines"] == 0
    assert processed(lake, report)[1:] == [["All-items", "158.3", "159.8"], ["Food", "186.9", "187.6"]]
    assert any("labels" in w and "'2002=100'" in w for w in report["warnings"])
    assert accounted(report) == {"total": 4, "header": 2, "data": 2, "skipped": 0, "skipped_by_reason": {}}


@pytest.mark.parametrize(
    "data",
    [
        b"id,a,b\nx,n/a,n/a\ny,1,2\nz,3,4\nw,5,6\n",
        b"id,a,b\nx,[x],[x]\ny,1,2\nz,3,4\nw,5,6\n",
        b"id,a,b\nAna,absent,x\n" + b"".join(b"P%d,%d,%d\n" % (i, 3 * i, i) for i in range(40)),
        b"id,a,b\n,n/a,unknown\ny,1,2\nz,3,4\nw,5,6\n",
    ],
    ids=["n/a-twice", "ons-withheld-twice", "two-stray-words", "no-id-and-two-stray-words"],
)
def test_a_first_data_row_of_stray_values_in_two_columns_is_data_not_labels(data):
    structure = structure_of(data)

    assert structure.header_lines == (1,) and structure.names == ["id", "a", "b"]


APS_META = ["Title: Annual population survey, UK", "Dataset: APS", "Geography: United Kingdom", "Period: 2023"]
APS_META += ["Units: thousands", "Released: 2024-03-01", "Status: Official statistics", "Contact: x@ons.gov.uk"]


def test_a_preamble_of_narrow_lines_longer_than_the_table_below_it_is_a_preamble(lake):
    # A title with a comma in it is still narrower than the table.
    rows = [[f"Area {i}", f"E0{i}", str(1200 + 7 * i), str(50 + i)] for i in range(5)]
    text = "\n".join([*APS_META, "", "Area,Code,Employed,Unemployed", *map(",".join, rows)]) + "\n"

    report = lake.ingest("aps.csv", data=text.encode())

    assert report["status"] == "processed"
    assert [(c["source_name"], c["type"]) for c in report["columns"]] == [
        ("Area", "string"),
        ("Code", "string"),
        ("Employed", "integer"),
        ("Unemployed", "integer"),
    ]
    assert processed(lake, report)[1:] == rows
    assert skipped(report) == [*((n, "preamble", t) for n, t in enumerate(APS_META, 1)), (9, "blank", "")]
    assert report["structure"]["header_lines"] == [10] and report["structure"]["second_table_line"] is None
    assert accounted(report) == {
        "total": 15,
        "header": 1,
        "data": 5,
        "skipped": 9,
        "skipped_by_reason": {"blank": 1, "preamble": 8},
    }


def test_a_one_column_table_of_numbers_before_a_wider_table_is_the_table(lake):
    data = b"total\n" + b"".join(b"%d\n" % (10 * i) for i in range(8)) + b"\nid,v\n1,2\n3,4\n5,6\n"

    structure = structure_of(data)

    assert structure.header_lines == (1,) and structure.names == ["total"] and structure.end_line == 10


def test_narrow_lines_above_and_below_a_shorter_table_with_no_blank_line_are_its_preamble():
    # The records as the dialect's parse gives them (the end-to-end case is test_dialect_real's
    # quoted Statistics Canada file); the notes below are footer.py's, found as the file streams.
    rows = [[f"Area {i}", f"E0{i}", str(1200 + 7 * i), str(50 + i)] for i in range(4)]
    notes = ["Source: Annual population survey", "Notes: figures are provisional"]
    lines = [f"{line}\n" for line in [*APS_META, "Area,Code,Employed,Unemployed", *map(",".join, rows), *notes]]
    records = [Record(n, n, fields) for n, fields in enumerate(csv.reader(lines), 1)]

    structure = detect_structure(records, lines)

    assert structure.names == ["Area", "Code", "Employed", "Unemployed"]
    assert structure.header_lines == (9,) and structure.data_line == 10 and structure.end_line is None
    assert [(s.line, s.reason, s.text) for s in structure.skipped] == [
        (n, "preamble", t) for n, t in enumerate(APS_META, 1)
    ]
