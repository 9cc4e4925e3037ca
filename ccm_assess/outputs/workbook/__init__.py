"""workbook.xlsx: the writer (`book`), its sheets (`money_sheets`, `panel_sheets`,
`handover_sheets`) and the formats and cell helpers they share (`cells`). No PHI: counts go
through the run's suppression plan.
"""
