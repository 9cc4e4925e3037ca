"""What a run publishes, built from an `Assessment` and never computing domain figures: colours
(`palette`), chart style (`charts`), report figures (`figures`), HTML (`html`), workbooks
(`workbook`), the PHI worklist (`worklist`), notebook export to HTML/PDF (`export`), JupyterLab
display (`lab`), the scenario explorer (`explorer`), the starter kit (`starter_kit`) and what
`ccm-assess rates` prints (`rates`).
"""
