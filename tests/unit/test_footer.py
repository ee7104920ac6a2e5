"""Footers through the whole pipeline: the totals, notes and padded lines after the last data row
are left out of the processed copy and the statistics and listed with their text as the file has
it, found by how they break the columns of the data above them, not by a list of words only; a
last row that types like the rows above stays data, whatever word it starts with."""

from __future__ import annotations

import csv
import io

import pytest

from csvlake.config import Config
from support import LocalLake

HEADER = "Código;Cliente;Data;Valor;Qtd"
# Eight sales: Valor sums to 13.770,05 (mean 1.721,26 rounded, 1.721,25 cut), Qtd to 16.
SALES = [
    "1001;Ana Souza;01/07/2024;1.234,50;3",
    "1002;Bruno Lima;02/07/2024;2.100,00;1",
    "1003;Carla Dias;03/07/2024;987,45;2",
    "1004;Daniel Reis;04/07/2024;3.050,10;4",
    "1005;Eva Matos;05/07/2024;1.500,00;1",
    "1006;Fábio Nunes;06/07/2024;2.450,00;2",
    "1007;Gil Rocha;07/07/2024;1.448,00;2",
    "1008;Hugo Paz;08/07/2024;1.000,00;1",
]
DATES = [f"2024-07-0{day}" for day in range(1, 9)]


@pytest.fixture(params=[64, 5 * 1024 * 1024], ids=["tiny-blocks", "default-blocks"])
def lake(tmp_path, request):
    return LocalLake(tmp_path, Config(block_size=request.param))


def ingest(lake: LocalLake, lines: list[str], encoding: str = "cp1252") -> dict:
    return lake.ingest("vendas.csv", data=("\r\n".join(lines) + "\r\n").encode(encoding))


def processed(lake: LocalLake, report: dict) -> list[list[str]]:
    return list(csv.reader(io.StringIO(lake.read(report["outputs"]["processed"]).decode())))


def skipped(report: dict) -> list[tuple[int, str, str]]:
    """The skipped lines, the report's line accounting checked: every line is the header's, the
    data's or skipped."""
    lines = report["lines"]
    assert lines["total"] == lines["header"] + lines["data"] + lines["skipped"]
    assert lines["skipped"] == sum(lines["skipped_by_reason"].values()) == len(report["skipped_lines"])
    return [(s["line"], s["reason"], s["text"]) for s in report["skipped_lines"]]


def assert_the_eight_sales(lake: LocalLake, report: dict) -> None:
    """The copy and the statistics hold the eight sales, and nothing of what follows them."""
    assert report["rows"] == {"read": 8, "written": 8, "rejected": 0}
    columns = {c["name"]: c for c in report["columns"]}
    assert [c["type"] for c in report["columns"]] == ["integer", "string", "date", "number", "integer"]
    assert columns["valor"]["count"] == 8 and columns["valor"]["max"] == 3050.1
    assert columns["valor"]["mean"] == pytest.approx(13770.05 / 8)
    assert columns["qtd"]["max"] == 4 and columns["qtd"]["mean"] == 2
    rows = processed(lake, report)
    assert [row[2] for row in rows[1:]] == DATES
    assert rows[-1] == ["1008", "Hugo Paz", "2024-07-08", "1000", "1"]


@pytest.mark.parametrize("note", ["Emitido por: fulano;;;;", "Responsável: fulano de tal;;;;"])
def test_a_padded_note_after_the_totals_is_a_footer_whatever_its_first_word(lake, note):
    # Its text in the column of codes and its blanks where every row has a value say it, word or not.
    report = ingest(lake, [HEADER, *SALES, "TOTAL;;;13.770,05;16", note])

    assert_the_eight_sales(lake, report)
    assert skipped(report) == [(10, "footer", "TOTAL;;;13.770,05;16"), (11, "footer", note)]
    assert report["lines"]["skipped_by_reason"] == {"footer": 2}


def test_the_sum_and_the_mean_below_the_data_are_both_footer(lake):
    report = ingest(lake, [HEADER, *SALES, "Soma;;;13.770,05;16", "Média;;;1.721,25;2"])

    assert_the_eight_sales(lake, report)
    assert [s[1:] for s in skipped(report)] == [("footer", "Soma;;;13.770,05;16"), ("footer", "Média;;;1.721,25;2")]


def test_totals_without_a_label_are_a_footer_by_their_blanks_and_sums(lake):
    report = ingest(lake, [HEADER, *SALES, ";;;13.770,05;16"])

    assert_the_eight_sales(lake, report)
    assert skipped(report) == [(10, "footer", ";;;13.770,05;16")]


def test_a_line_of_only_delimiters_before_the_totals_is_an_empty_row_as_above_the_header(lake):
    report = ingest(lake, [";;;;", HEADER, *SALES, ";;;;", "TOTAL;;;13.770,05;16", "", "Fonte: ERP;;;;"])

    assert_the_eight_sales(lake, report)
    assert skipped(report) == [
        (1, "empty row", ";;;;"),
        (11, "empty row", ";;;;"),
        (12, "footer", "TOTAL;;;13.770,05;16"),
        (13, "blank", ""),
        (14, "footer", "Fonte: ERP;;;;"),
    ]


def test_a_footer_line_is_listed_as_the_file_has_it_quotes_and_all(lake):
    note = '"Fonte: IBGE, 2024 ""revisado"""'
    report = ingest(lake, [HEADER, *SALES, "TOTAL;;;13.770,05;16", note, '"Obs.: valores em R$;', 'sem impostos"'])

    assert_the_eight_sales(lake, report)
    # A quoted note over two lines: both are the footer's, each with its own text.
    assert skipped(report) == [
        (10, "footer", "TOTAL;;;13.770,05;16"),
        (11, "footer", note),
        (12, "footer", '"Obs.: valores em R$;'),
        (13, "footer", 'sem impostos"'),
    ]


def test_a_long_footer_line_is_truncated_as_other_skipped_lines_are(lake):
    note = "Nota: " + "valores sujeitos a revisão; " * 10

    report = ingest(lake, [HEADER, *SALES, note])

    assert_the_eight_sales(lake, report)
    [(line, reason, text)] = skipped(report)
    assert (line, reason) == (10, "footer")
    assert text == note[:100] + "…"


NAMES = "Cliente;Data;Valor;Qtd"
NAMED_SALES = [row.split(";", 1)[1] for row in SALES]


@pytest.mark.parametrize(
    "last",
    ["Total Express Ltda;09/07/2024;500,00;1", "Soma;09/07/2024;500,00;1", "Fonte Nova Ltda;;500,00;1"],
    ids=["a-name-that-starts-with-total", "a-name-that-is-a-totals-word", "a-name-of-a-note-word-a-blank-date"],
)
def test_a_last_row_that_types_like_the_rows_above_stays_data_whatever_its_first_word(lake, last):
    report = ingest(lake, [NAMES, *NAMED_SALES, last])

    assert report["rows"] == {"read": 9, "written": 9, "rejected": 0}
    assert processed(lake, report)[-1][0] == last.split(";")[0]
    assert skipped(report) == []


def test_a_totals_word_in_a_column_of_names_with_the_sums_is_a_footer(lake):
    # Every cell types like the rows above: the label and the sums it repeats tell it apart.
    report = ingest(lake, [NAMES, *NAMED_SALES, "Soma;09/07/2024;13.770,05;16"])

    assert report["rows"] == {"read": 8, "written": 8, "rejected": 0}
    assert report["columns"][2]["max"] == 3050.1
    assert skipped(report) == [(10, "footer", "Soma;09/07/2024;13.770,05;16")]


def test_a_last_row_with_a_stray_text_in_a_column_of_codes_stays_data(lake):
    # One odd cell in an otherwise whole row is a stray value (the type evidence names it).
    report = ingest(lake, [HEADER, *SALES, "Total Express Ltda;Zé;09/07/2024;500,00;1"])

    assert report["rows"] == {"read": 9, "written": 9, "rejected": 0}
    assert report["columns"][0]["type"] == "string"
    assert "Total Express Ltda" in str(report["columns"][0]["type_evidence"])
    assert skipped(report) == []


def test_a_last_row_with_blanks_in_it_stays_data(lake):
    report = ingest(lake, [HEADER, *SALES, "1009;;;500,00;1"])

    assert report["rows"] == {"read": 9, "written": 9, "rejected": 0}
    assert processed(lake, report)[-1] == ["1009", "", "", "500", "1"]


def test_a_last_row_with_a_blank_and_a_number_near_the_column_s_mean_stays_data(lake):
    # Qtd's mean is 2,125: a 3 is neither it rounded nor cut, whatever the blank name.
    rows = [f"{1001 + i};Cliente {i};0{1 + i}/07/2024;10,00;{qtd}" for i, qtd in enumerate([1, 2, 4, 1, 2, 4, 1, 2])]

    report = ingest(lake, [HEADER, *rows, "1009;;09/07/2024;10,00;3"])

    assert report["rows"] == {"read": 9, "written": 9, "rejected": 0}
    assert skipped(report) == []


def test_a_footer_at_the_end_of_a_file_of_many_blocks_and_more_than_the_tail_kept(tmp_path):
    # 1.3 MiB in 16 KiB blocks: the footer's chunks are held back, the others go on; its texts
    # come from the table's last bytes, and the sums are not known (a file this large is not held whole).
    sales = [f"{n};Cliente {n};{1 + n % 28:02}/07/2024;{n % 997},{n % 100:02};{n % 5 + 1}" for n in range(40_000)]
    note = '"Fonte: ERP; exportado; ""v2"""'
    lines = [HEADER, *sales, ";;;;", "Total;;;123.456,78;120000", note]
    lake = LocalLake(tmp_path, Config(block_size=16 * 1024))

    report = ingest(lake, lines, "utf-8")

    assert report["rows"] == {"read": 40_000, "written": 40_000, "rejected": 0}
    assert [c["type"] for c in report["columns"]] == ["integer", "string", "date", "number", "integer"]
    assert report["columns"][4]["max"] == 5
    assert processed(lake, report)[-1] == ["39999", "Cliente 39999", f"2024-07-{1 + 39_999 % 28:02}", "119.99", "5"]
    assert skipped(report) == [
        (40_002, "empty row", ";;;;"),
        (40_003, "footer", "Total;;;123.456,78;120000"),
        (40_004, "footer", note),
    ]


def test_a_short_note_in_a_one_column_file_is_a_footer_but_a_blank_value_is_not(lake):
    report = lake.ingest("a.csv", data=b"qtd\n1\n2\n3\n \nTotal: 6\n")

    assert report["rows"] == {"read": 4, "written": 4, "rejected": 0}
    assert skipped(report) == [(6, "footer", "Total: 6")]


def test_blank_values_after_a_footer_in_a_one_column_file_are_the_footer_s(lake):
    report = lake.ingest("a.csv", data=b"qtd\n1\n2\n3\nTotal: 6\n  \n")

    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert skipped(report) == [(5, "footer", "Total: 6"), (6, "blank", "  ")]


def test_a_statistics_canada_legend_and_numbered_footnotes_are_all_footer(lake):
    # GIVEN a quoted table, then a blank line, a symbol legend, footnotes numbered "1", "2"
    rows = [f'"{2000 + i}","Canada","{1000 + i * 7}","{i * 0.5:.1f}","A"' for i in range(12)]
    notes = [
        "",
        '"Symbol legend:"',
        '"..","not available for a specific reference period"',
        '"x","suppressed to meet the confidentiality requirements of the Statistics Act"',
        "",
        '"Footnotes:"',
        '"1","Estimates for the current year are preliminary."',
        '"2","Revised, see table 17-10-0009."',
        '"How to cite: Statistics Canada. Table 17-10-0005-01"',
    ]
    report = ingest(lake, ['"REF_DATE","GEO","VALUE","RATE","STATUS"', *rows, *notes], encoding="utf-8")

    # THEN the twelve rows are the data, every line below them is left out with its text
    assert report["rows"] == {"read": 12, "written": 12, "rejected": 0}
    assert [r[0] for r in processed(lake, report)[1:]] == [str(2000 + i) for i in range(12)]
    assert [(line, reason) for line, reason, _ in skipped(report)] == [
        (14 + k, "blank" if not text else "footer") for k, text in enumerate(notes)
    ]
    assert skipped(report)[-3][2] == notes[-3]


@pytest.mark.parametrize("notes", [[], ["Fonte: ERP;;;"], ["Fonte: ERP"]], ids=["alone", "padded-note", "short-note"])
def test_a_totals_line_below_two_rows_is_a_footer_by_its_exact_sums(lake, notes):
    # Too few rows for their columns' kinds to tell: the label and the sums of both columns do.
    lines = [
        "Data;Cliente;Valor;Itens",
        "01/06/2024;Ana;1.000,00;2",
        "02/06/2024;Bia;12.770,05;14",
        "TOTAL;;13.770,05;16",
        *notes,
    ]

    report = ingest(lake, lines)

    assert report["rows"] == {"read": 2, "written": 2, "rejected": 0}
    assert [c["type"] for c in report["columns"]] == ["date", "string", "number", "integer"]
    assert report["columns"][2]["max"] == 12770.05 and report["columns"][3]["mean"] == 8
    assert skipped(report) == [(4, "footer", "TOTAL;;13.770,05;16"), *((5, "footer", n) for n in notes)]


def test_a_totals_line_below_two_rows_in_a_column_of_names_is_a_footer(lake):
    report = lake.ingest("a.csv", data=b"Region,Sales,Units\nNorth,100.5,3\nSouth,200,4\nTotal,300.5,7\n")

    assert report["rows"] == {"read": 2, "written": 2, "rejected": 0}
    assert processed(lake, report)[-1] == ["South", "200", "4"]
    assert skipped(report) == [(4, "footer", "Total,300.5,7")]


@pytest.mark.parametrize(
    "data",
    [b"a,b\nx,1\nTotal,1\n", b"a,b,c\nx,1,2\ny,3,4\nTotal,4,5\n", b"a,b\nSink,1\nSink,2\nSource,3\n"],
    ids=["one-row-above", "one-number-not-a-sum", "a-notes-word-with-a-value"],
)
def test_a_label_below_two_rows_or_fewer_without_all_the_sums_stays_data(lake, data):
    # A sum of one row is the row; below two rows, each number must be its column's sum, and a note is alone.
    report = lake.ingest("a.csv", data=data)

    assert report["rows"]["written"] == len(data.splitlines()) - 1
    assert processed(lake, report)[-1][0] == data.splitlines()[-1].split(b",")[0].decode()
    assert skipped(report) == []


def test_a_grand_total_below_subtotals_is_a_footer_with_the_last_subtotal(lake):
    # The grand total sums the rows, not the subtotals among them; the last subtotal, the rows since the one before.
    lines = [
        "Região;Loja;Valor",
        "Norte;A;100,00",
        "Norte;B;50,00",
        "Subtotal Norte;;150,00",
        "Sul;C;30,00",
        "Sul;D;20,00",
        "Subtotal Sul;;50,00",
        "Total geral;;200,00",
    ]

    report = ingest(lake, lines)

    assert report["rows"] == {"read": 5, "written": 5, "rejected": 0}
    assert [row[0] for row in processed(lake, report)[1:]] == ["Norte", "Norte", "Subtotal Norte", "Sul", "Sul"]
    assert skipped(report) == [(7, "footer", "Subtotal Sul;;50,00"), (8, "footer", "Total geral;;200,00")]


FOOD_PRICES = ["Products,Jan,Feb", "All-items,158.3,159.8", "Food,186.9,187.6", "Shelter,181.4,181.9"]


@pytest.mark.parametrize("heading", ["Footnotes:", "Notes,,", "Fonte:"])
def test_short_records_below_a_notes_heading_after_a_blank_line_are_footer(lake, heading):
    # `1,Source: …` has two fields of three, as a row with a value missing would: the heading says it is a note.
    notes = ["", heading, "1,Source: Statistics Canada", "2,Figures for February are preliminary"]

    report = lake.ingest("cpi.csv", data=("\n".join([*FOOD_PRICES, *notes]) + "\n").encode())

    assert report["status"] == "processed"
    assert report["rows"] == {"read": 3, "written": 3, "rejected": 0}
    assert skipped(report) == [(5, "blank", ""), *((6 + k, "footer", text) for k, text in enumerate(notes[1:]))]


def test_short_records_below_a_heading_without_a_blank_line_above_stay_rejected(lake):
    # Without the blank line the heading may be a row's first cell: the short records are bad rows.
    report = lake.ingest("cpi.csv", data=("\n".join([*FOOD_PRICES, "Footnotes:", "1,Source: x"]) + "\n").encode())

    assert report["rows"] == {"read": 5, "written": 3, "rejected": 2}
    assert skipped(report) == []
