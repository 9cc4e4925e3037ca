"""`ccm-assess audit`: the monthly program audit of time logged against claims billed
(docs/audit.md). Domain: `inputs`, `rules`, `summary`, `findings`; outputs: `workbooks`, `report`;
its edge: `run`.
"""
