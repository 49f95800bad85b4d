"""Regenerate the README's column tables from the code (the one place they are documented).

Run ``python docs/readme_tables.py`` after changing :data:`plcapacity.batch.scenarios.COLUMNS` or
:data:`plcapacity.batch.scenarios.RESULT_COLUMNS`; ``tests/batch/test_run.py`` checks that every column
appears in the README.
"""

from pathlib import Path

from plcapacity.batch.scenarios import COLUMNS, RESULT_COLUMNS

README = Path(__file__).resolve().parent.parent / "README.md"


def _replace_table(lines, header, rows):
    start = lines.index(header)
    end = start + 2
    while end < len(lines) and lines[end].startswith("| `"):
        end += 1
    lines[start:end] = [header, "|" + "---|" * (header.count("|") - 1), *rows]


def main():
    lines = README.read_text(encoding="utf-8").split("\n")
    _replace_table(lines, "| column | unit | default | allowed | meaning |",
                   [f"| `{c.name}` | {c.unit} | {c.default} | {c.allowed} | {c.meaning} |"
                    for c in COLUMNS.values()])
    _replace_table(lines, "| column | unit | meaning |",
                   [f"| `{c.name}` | {c.unit} | {c.meaning} |" for c in RESULT_COLUMNS.values()])
    README.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
