"""Where users meet the kit: the command line (`cli`), `run` (inputs -> every output file),
`batch`, `check`'s text report, the synthetic sample practice (`sample`, `sample_audit`) and the
run folder's lifecycle (`lifecycle`).
"""
