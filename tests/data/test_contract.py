"""The contract is internally consistent: types known, keys exist, references resolve."""

from __future__ import annotations

from data import contract


def test_every_column_has_a_known_type_and_a_meaning():
    for table in contract.TABLES.values():
        for col in table.columns:
            assert col.dtype in contract.TYPES, (table.name, col.name)
            assert col.meaning.strip(), (table.name, col.name)


def test_keys_and_references_resolve():
    for table in contract.TABLES.values():
        assert set(table.primary_key) <= set(table.column_names), table.name
        for col in table.columns:
            if col.references:
                ref_table, ref_col = col.references.split(".")
                assert ref_col in contract.TABLES[ref_table].primary_key, (table.name, col.name)


def test_source_tables_only_reference_earlier_tables():
    seen: set[str] = set()
    for table in contract.SOURCE_TABLES:
        for col in table.columns:
            if col.references:
                assert col.references.split(".")[0] in seen, (table.name, col.name)
        seen.add(table.name)
