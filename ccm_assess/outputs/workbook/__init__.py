"""workbook.xlsx: the writer and shared cell helpers (`book`) and its sheets (`money_sheets`,
`panel_sheets`, `handover_sheets`). No PHI: counts go through the run's suppression plan.
"""
