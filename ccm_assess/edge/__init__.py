"""Where users meet the kit: the command line (`cli`, its argument `parser`), `run` (inputs ->
every output file), `batch`, `check`'s text report, the synthetic sample practice
(`sample_panel` draws it, `sample` writes its files, `sample_audit` its running program) and
the run folder's lifecycle (`lifecycle`).
"""
