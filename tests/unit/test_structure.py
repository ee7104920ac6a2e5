"""Real exports: a preamble above the header, totals and notes below the data, group rows above the
names, headers one name off, a second table. The processed copy holds exactly the data rows, and
the report accounts for every line of the file."""

from __future__ import annotations

import csv
import io

import pytest

from csvlake.config import Config
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
