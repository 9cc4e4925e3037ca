"""What a program costs and returns: Medicare fees by locality (`fees`, `localities`, the CMS
file readers `cms_files`), the
assumption registry (`assumptions`), staffing (`staffing`), the monthly model per delivery model
(`model`), CCM vs PCM vs APCM (`programs`), sensitivity and Monte Carlo (`sensitivity`) and the
recommended model's margin and tipping points (`decision`). Method: docs/model.md.
"""
