"""Reading a practice's panel export: files, headers, cell values, codes and payers -> `Panel`.

Bounded reading of the file (`sources`), column roles from headers (`headers`) or content
(`column_roles`), cell parsing (`values`), ICD-10-CM codes (`codes`), payer classes (`payers`),
saved mappings (`mapping_file`), and `panel.read_panel`, which accounts for every input row.
"""
