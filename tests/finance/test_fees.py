"""finance.fees: national and locality Medicare rates; finance.cms_files: the CMS file readers;
outputs.rates: what `rates` prints."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ccm_assess.edge.cli import main
from ccm_assess.errors import CcmAssessError, LocalityError
from ccm_assess.finance.cms_files import load_gpci, load_pprrvu
from ccm_assess.finance.fees import (
    FeeScheduleError,
    Locality,
    find_locality,
    national,
    payment_rates,
    rate_table,
)
from ccm_assess.outputs.rates import format_rates, rates_report
from ccm_assess.reference import MANIFEST, read_data_csv

# Every national amount of docs/billing.md, "National amounts" table:
# (code, year, CF period, setting, USD). 2026 columns "2026 NF", "2026 F" (CF $33.4009, period
# non-qp) and "2026 NF (QP CF)" ($33.5675, qp); 2025 "2025 NF" / "2025 F" ($32.3465); 2024
# "2024 NF" / "2024 F", each split "Jan 1-Mar 8 / Mar 9-Dec 31" ($32.7442 / $33.2875). G0511
# facility figures are the bracketed ("meaningless") ones of that table.
SPEC_NATIONAL = [
    ("99490", 2026, "non-qp", "non_facility", 66.13),
    ("99490", 2026, "non-qp", "facility", 43.76),
    ("99490", 2026, "qp", "non_facility", 66.46),
    ("99490", 2025, "full-year", "non_facility", 60.49),
    ("99490", 2025, "full-year", "facility", 47.87),
    ("99490", 2024, "jan1-mar8", "non_facility", 61.56),
    ("99490", 2024, "mar9-dec31", "non_facility", 62.58),
    ("99490", 2024, "jan1-mar8", "facility", 48.79),
    ("99490", 2024, "mar9-dec31", "facility", 49.60),
    ("99439", 2026, "non-qp", "non_facility", 50.44),
    ("99439", 2026, "non-qp", "facility", 30.73),
    ("99439", 2026, "qp", "non_facility", 50.69),
    ("99439", 2025, "full-year", "non_facility", 45.93),
    ("99439", 2025, "full-year", "facility", 32.99),
    ("99439", 2024, "jan1-mar8", "non_facility", 47.15),
    ("99439", 2024, "mar9-dec31", "non_facility", 47.93),
    ("99439", 2024, "jan1-mar8", "facility", 34.05),
    ("99439", 2024, "mar9-dec31", "facility", 34.62),
    ("99487", 2026, "non-qp", "non_facility", 144.29),
    ("99487", 2026, "non-qp", "facility", 79.16),
    ("99487", 2026, "qp", "non_facility", 145.01),
    ("99487", 2025, "full-year", "non_facility", 131.65),
    ("99487", 2025, "full-year", "facility", 87.01),
    ("99487", 2024, "jan1-mar8", "non_facility", 131.96),
    ("99487", 2024, "mar9-dec31", "non_facility", 134.15),
    ("99487", 2024, "jan1-mar8", "facility", 87.75),
    ("99487", 2024, "mar9-dec31", "facility", 89.21),
    ("99489", 2026, "non-qp", "non_facility", 78.16),
    ("99489", 2026, "non-qp", "facility", 43.76),
    ("99489", 2026, "qp", "non_facility", 78.55),
    ("99489", 2025, "full-year", "non_facility", 70.52),
    ("99489", 2025, "full-year", "facility", 47.23),
    ("99489", 2024, "jan1-mar8", "non_facility", 71.05),
    ("99489", 2024, "mar9-dec31", "non_facility", 72.23),
    ("99489", 2024, "jan1-mar8", "facility", 48.79),
    ("99489", 2024, "mar9-dec31", "facility", 49.60),
    ("99491", 2026, "non-qp", "non_facility", 89.18),
    ("99491", 2026, "non-qp", "facility", 65.47),
    ("99491", 2026, "qp", "non_facility", 89.63),
    ("99491", 2025, "full-year", "non_facility", 82.16),
    ("99491", 2025, "full-year", "facility", 72.46),
    ("99491", 2024, "jan1-mar8", "non_facility", 83.17),
    ("99491", 2024, "mar9-dec31", "non_facility", 84.55),
    ("99491", 2024, "jan1-mar8", "facility", 73.35),
    ("99491", 2024, "mar9-dec31", "facility", 74.56),
    ("99437", 2026, "non-qp", "non_facility", 63.13),
    ("99437", 2026, "non-qp", "facility", 43.76),
    ("99437", 2026, "qp", "non_facility", 63.44),
    ("99437", 2025, "full-year", "non_facility", 57.58),
    ("99437", 2025, "full-year", "facility", 47.87),
    ("99437", 2024, "jan1-mar8", "non_facility", 58.61),
    ("99437", 2024, "mar9-dec31", "non_facility", 59.58),
    ("99437", 2024, "jan1-mar8", "facility", 49.12),
    ("99437", 2024, "mar9-dec31", "facility", 49.93),
    ("G0506", 2026, "non-qp", "non_facility", 66.47),
    ("G0506", 2026, "non-qp", "facility", 38.41),
    ("G0506", 2026, "qp", "non_facility", 66.80),
    ("G0506", 2025, "full-year", "non_facility", 60.81),
    ("G0506", 2025, "full-year", "facility", 41.73),
    ("G0506", 2024, "jan1-mar8", "non_facility", 61.56),
    ("G0506", 2024, "mar9-dec31", "non_facility", 62.58),
    ("G0506", 2024, "jan1-mar8", "facility", 42.89),
    ("G0506", 2024, "mar9-dec31", "facility", 43.61),
    ("99424", 2026, "non-qp", "non_facility", 87.51),
    ("99424", 2026, "non-qp", "facility", 64.80),
    ("99424", 2026, "qp", "non_facility", 87.95),
    ("99424", 2025, "full-year", "non_facility", 80.87),
    ("99424", 2025, "full-year", "facility", 72.13),
    ("99424", 2024, "jan1-mar8", "non_facility", 81.21),
    ("99424", 2024, "mar9-dec31", "non_facility", 82.55),
    ("99424", 2024, "jan1-mar8", "facility", 72.36),
    ("99424", 2024, "mar9-dec31", "facility", 73.57),
    ("99425", 2026, "non-qp", "non_facility", 61.46),
    ("99425", 2026, "non-qp", "facility", 44.09),
    ("99425", 2026, "qp", "non_facility", 61.76),
    ("99425", 2025, "full-year", "non_facility", 58.87),
    ("99425", 2025, "full-year", "facility", 49.17),
    ("99425", 2024, "jan1-mar8", "non_facility", 58.94),
    ("99425", 2024, "mar9-dec31", "non_facility", 59.92),
    ("99425", 2024, "jan1-mar8", "facility", 49.77),
    ("99425", 2024, "mar9-dec31", "facility", 50.60),
    ("99426", 2026, "non-qp", "non_facility", 67.80),
    ("99426", 2026, "non-qp", "facility", 44.09),
    ("99426", 2026, "qp", "non_facility", 68.14),
    ("99426", 2025, "full-year", "non_facility", 61.78),
    ("99426", 2025, "full-year", "facility", 47.55),
    ("99426", 2024, "jan1-mar8", "non_facility", 60.90),
    ("99426", 2024, "mar9-dec31", "non_facility", 61.91),
    ("99426", 2024, "jan1-mar8", "facility", 48.13),
    ("99426", 2024, "mar9-dec31", "facility", 48.93),
    ("99427", 2026, "non-qp", "non_facility", 54.11),
    ("99427", 2026, "non-qp", "facility", 31.40),
    ("99427", 2026, "qp", "non_facility", 54.38),
    ("99427", 2025, "full-year", "non_facility", 50.46),
    ("99427", 2025, "full-year", "facility", 34.29),
    ("99427", 2024, "jan1-mar8", "non_facility", 46.50),
    ("99427", 2024, "mar9-dec31", "non_facility", 47.27),
    ("99427", 2024, "jan1-mar8", "facility", 33.73),
    ("99427", 2024, "mar9-dec31", "facility", 34.29),
    ("99484", 2026, "non-qp", "non_facility", 57.45),
    ("99484", 2026, "non-qp", "facility", 38.75),
    ("99484", 2026, "qp", "non_facility", 57.74),
    ("99484", 2025, "full-year", "non_facility", 53.05),
    ("99484", 2025, "full-year", "facility", 41.40),
    ("99484", 2024, "jan1-mar8", "non_facility", 54.03),
    ("99484", 2024, "mar9-dec31", "non_facility", 54.92),
    ("99484", 2024, "jan1-mar8", "facility", 42.89),
    ("99484", 2024, "mar9-dec31", "facility", 43.61),
    ("99453", 2026, "non-qp", "non_facility", 21.71),
    ("99453", 2026, "non-qp", "facility", 21.71),
    ("99453", 2026, "qp", "non_facility", 21.82),
    ("99453", 2025, "full-year", "non_facility", 19.73),
    ("99453", 2025, "full-year", "facility", 19.73),
    ("99453", 2024, "jan1-mar8", "non_facility", 19.65),
    ("99453", 2024, "mar9-dec31", "non_facility", 19.97),
    ("99453", 2024, "jan1-mar8", "facility", 19.65),
    ("99453", 2024, "mar9-dec31", "facility", 19.97),
    ("99454", 2026, "non-qp", "non_facility", 52.11),
    ("99454", 2026, "non-qp", "facility", 52.11),
    ("99454", 2026, "qp", "non_facility", 52.37),
    ("99454", 2025, "full-year", "non_facility", 43.02),
    ("99454", 2025, "full-year", "facility", 43.02),
    ("99454", 2024, "jan1-mar8", "non_facility", 46.50),
    ("99454", 2024, "mar9-dec31", "non_facility", 47.27),
    ("99454", 2024, "jan1-mar8", "facility", 46.50),
    ("99454", 2024, "mar9-dec31", "facility", 47.27),
    ("99445", 2026, "non-qp", "non_facility", 52.11),
    ("99445", 2026, "non-qp", "facility", 52.11),
    ("99445", 2026, "qp", "non_facility", 52.37),
    ("99457", 2026, "non-qp", "non_facility", 51.77),
    ("99457", 2026, "non-qp", "facility", 26.39),
    ("99457", 2026, "qp", "non_facility", 52.03),
    ("99457", 2025, "full-year", "non_facility", 47.87),
    ("99457", 2025, "full-year", "facility", 28.79),
    ("99457", 2024, "jan1-mar8", "non_facility", 48.13),
    ("99457", 2024, "mar9-dec31", "non_facility", 48.93),
    ("99457", 2024, "jan1-mar8", "facility", 29.14),
    ("99457", 2024, "mar9-dec31", "facility", 29.63),
    ("99458", 2026, "non-qp", "non_facility", 41.42),
    ("99458", 2026, "non-qp", "facility", 26.39),
    ("99458", 2026, "qp", "non_facility", 41.62),
    ("99458", 2025, "full-year", "non_facility", 38.49),
    ("99458", 2025, "full-year", "facility", 28.79),
    ("99458", 2024, "jan1-mar8", "non_facility", 38.64),
    ("99458", 2024, "mar9-dec31", "non_facility", 39.28),
    ("99458", 2024, "jan1-mar8", "facility", 29.14),
    ("99458", 2024, "mar9-dec31", "facility", 29.63),
    ("99470", 2026, "non-qp", "non_facility", 26.05),
    ("99470", 2026, "non-qp", "facility", 13.36),
    ("99470", 2026, "qp", "non_facility", 26.18),
    ("G0556", 2026, "non-qp", "non_facility", 16.37),
    ("G0556", 2026, "non-qp", "facility", 11.02),
    ("G0556", 2026, "qp", "non_facility", 16.45),
    ("G0556", 2025, "full-year", "non_facility", 15.20),
    ("G0556", 2025, "full-year", "facility", 11.97),
    ("G0557", 2026, "non-qp", "non_facility", 53.78),
    ("G0557", 2026, "non-qp", "facility", 33.73),
    ("G0557", 2026, "qp", "non_facility", 54.04),
    ("G0557", 2025, "full-year", "non_facility", 48.84),
    ("G0557", 2025, "full-year", "facility", 36.23),
    ("G0558", 2026, "non-qp", "non_facility", 117.24),
    ("G0558", 2026, "non-qp", "facility", 72.81),
    ("G0558", 2026, "qp", "non_facility", 117.82),
    ("G0558", 2025, "full-year", "non_facility", 107.07),
    ("G0558", 2025, "full-year", "facility", 79.90),
    ("G0568", 2026, "non-qp", "non_facility", 161.66),
    ("G0568", 2026, "non-qp", "facility", 81.83),
    ("G0568", 2026, "qp", "non_facility", 162.47),
    ("G0569", 2026, "non-qp", "non_facility", 145.96),
    ("G0569", 2026, "non-qp", "facility", 89.85),
    ("G0569", 2026, "qp", "non_facility", 146.69),
    ("G0570", 2026, "non-qp", "non_facility", 57.78),
    ("G0570", 2026, "non-qp", "facility", 38.75),
    ("G0570", 2026, "qp", "non_facility", 58.07),
    ("99495", 2026, "non-qp", "non_facility", 220.11),
    ("99495", 2026, "non-qp", "facility", 122.25),
    ("99495", 2026, "qp", "non_facility", 221.21),
    ("99495", 2025, "full-year", "non_facility", 201.20),
    ("99495", 2025, "full-year", "facility", 134.24),
    ("99495", 2024, "jan1-mar8", "non_facility", 203.34),
    ("99495", 2024, "mar9-dec31", "non_facility", 206.72),
    ("99495", 2024, "jan1-mar8", "facility", 136.22),
    ("99495", 2024, "mar9-dec31", "facility", 138.48),
    ("99496", 2026, "non-qp", "non_facility", 298.60),
    ("99496", 2026, "non-qp", "facility", 166.34),
    ("99496", 2026, "qp", "non_facility", 300.09),
    ("99496", 2025, "full-year", "non_facility", 272.68),
    ("99496", 2025, "full-year", "facility", 182.43),
    ("99496", 2024, "jan1-mar8", "non_facility", 275.05),
    ("99496", 2024, "mar9-dec31", "non_facility", 279.62),
    ("99496", 2024, "jan1-mar8", "facility", 185.00),
    ("99496", 2024, "mar9-dec31", "facility", 188.07),
    ("G0438", 2026, "non-qp", "non_facility", 174.35),
    ("G0438", 2026, "non-qp", "facility", 174.35),
    ("G0438", 2026, "qp", "non_facility", 175.22),
    ("G0438", 2025, "full-year", "non_facility", 160.44),
    ("G0438", 2025, "full-year", "facility", 160.44),
    ("G0438", 2024, "jan1-mar8", "non_facility", 162.74),
    ("G0438", 2024, "mar9-dec31", "non_facility", 165.44),
    ("G0438", 2024, "jan1-mar8", "facility", 162.74),
    ("G0438", 2024, "mar9-dec31", "facility", 165.44),
    ("G0439", 2026, "non-qp", "non_facility", 137.61),
    ("G0439", 2026, "non-qp", "facility", 137.61),
    ("G0439", 2026, "qp", "non_facility", 138.30),
    ("G0439", 2025, "full-year", "non_facility", 126.47),
    ("G0439", 2025, "full-year", "facility", 126.47),
    ("G0439", 2024, "jan1-mar8", "non_facility", 128.03),
    ("G0439", 2024, "mar9-dec31", "non_facility", 130.15),
    ("G0439", 2024, "jan1-mar8", "facility", 128.03),
    ("G0439", 2024, "mar9-dec31", "facility", 130.15),
    ("G0402", 2026, "non-qp", "non_facility", 174.69),
    ("G0402", 2026, "non-qp", "facility", 114.23),
    ("G0402", 2026, "qp", "non_facility", 175.56),
    ("G0402", 2025, "full-year", "non_facility", 160.76),
    ("G0402", 2025, "full-year", "facility", 125.83),
    ("G0402", 2024, "jan1-mar8", "non_facility", 163.07),
    ("G0402", 2024, "mar9-dec31", "non_facility", 165.77),
    ("G0402", 2024, "jan1-mar8", "facility", 127.70),
    ("G0402", 2024, "mar9-dec31", "facility", 129.82),
    ("99202", 2026, "non-qp", "non_facility", 75.15),
    ("99202", 2026, "non-qp", "facility", 41.08),
    ("99202", 2026, "qp", "non_facility", 75.53),
    ("99202", 2025, "full-year", "non_facility", 69.87),
    ("99202", 2025, "full-year", "facility", 45.29),
    ("99202", 2024, "jan1-mar8", "non_facility", 71.05),
    ("99202", 2024, "mar9-dec31", "non_facility", 72.23),
    ("99202", 2024, "jan1-mar8", "facility", 46.17),
    ("99202", 2024, "mar9-dec31", "facility", 46.94),
    ("99203", 2026, "non-qp", "non_facility", 117.57),
    ("99203", 2026, "non-qp", "facility", 71.48),
    ("99203", 2026, "qp", "non_facility", 118.16),
    ("99203", 2025, "full-year", "non_facility", 109.01),
    ("99203", 2025, "full-year", "facility", 79.25),
    ("99203", 2024, "jan1-mar8", "non_facility", 109.69),
    ("99203", 2024, "mar9-dec31", "non_facility", 111.51),
    ("99203", 2024, "jan1-mar8", "facility", 79.90),
    ("99203", 2024, "mar9-dec31", "facility", 81.22),
    ("99204", 2026, "non-qp", "non_facility", 177.36),
    ("99204", 2026, "non-qp", "facility", 116.90),
    ("99204", 2026, "qp", "non_facility", 178.24),
    ("99204", 2025, "full-year", "non_facility", 163.35),
    ("99204", 2025, "full-year", "facility", 129.06),
    ("99204", 2024, "jan1-mar8", "non_facility", 164.38),
    ("99204", 2024, "mar9-dec31", "non_facility", 167.10),
    ("99204", 2024, "jan1-mar8", "facility", 129.99),
    ("99204", 2024, "mar9-dec31", "facility", 132.15),
    ("99205", 2026, "non-qp", "non_facility", 236.81),
    ("99205", 2026, "non-qp", "facility", 160.32),
    ("99205", 2026, "qp", "non_facility", 237.99),
    ("99205", 2025, "full-year", "non_facility", 215.75),
    ("99205", 2025, "full-year", "facility", 175.64),
    ("99205", 2024, "jan1-mar8", "non_facility", 216.77),
    ("99205", 2024, "mar9-dec31", "non_facility", 220.36),
    ("99205", 2024, "jan1-mar8", "facility", 176.82),
    ("99205", 2024, "mar9-dec31", "facility", 179.75),
    ("99211", 2026, "non-qp", "non_facility", 24.38),
    ("99211", 2026, "non-qp", "facility", 7.68),
    ("99211", 2026, "qp", "non_facility", 24.50),
    ("99211", 2025, "full-year", "non_facility", 22.64),
    ("99211", 2025, "full-year", "facility", 8.41),
    ("99211", 2024, "jan1-mar8", "non_facility", 22.92),
    ("99211", 2024, "mar9-dec31", "non_facility", 23.30),
    ("99211", 2024, "jan1-mar8", "facility", 8.51),
    ("99211", 2024, "mar9-dec31", "facility", 8.65),
    ("99212", 2026, "non-qp", "non_facility", 59.45),
    ("99212", 2026, "non-qp", "facility", 31.06),
    ("99212", 2026, "qp", "non_facility", 59.75),
    ("99212", 2025, "full-year", "non_facility", 54.99),
    ("99212", 2025, "full-year", "facility", 33.96),
    ("99212", 2024, "jan1-mar8", "non_facility", 55.67),
    ("99212", 2024, "mar9-dec31", "non_facility", 56.59),
    ("99212", 2024, "jan1-mar8", "facility", 34.38),
    ("99212", 2024, "mar9-dec31", "facility", 34.95),
    ("99213", 2026, "non-qp", "non_facility", 95.19),
    ("99213", 2026, "non-qp", "facility", 57.45),
    ("99213", 2026, "qp", "non_facility", 95.67),
    ("99213", 2025, "full-year", "non_facility", 88.95),
    ("99213", 2025, "full-year", "facility", 63.72),
    ("99213", 2024, "jan1-mar8", "non_facility", 89.39),
    ("99213", 2024, "mar9-dec31", "non_facility", 90.87),
    ("99213", 2024, "jan1-mar8", "facility", 64.18),
    ("99213", 2024, "mar9-dec31", "facility", 65.24),
    ("99214", 2026, "non-qp", "non_facility", 135.61),
    ("99214", 2026, "non-qp", "facility", 84.50),
    ("99214", 2026, "qp", "non_facility", 136.28),
    ("99214", 2025, "full-year", "non_facility", 125.18),
    ("99214", 2025, "full-year", "facility", 93.80),
    ("99214", 2024, "jan1-mar8", "non_facility", 126.07),
    ("99214", 2024, "mar9-dec31", "non_facility", 128.16),
    ("99214", 2024, "jan1-mar8", "facility", 94.63),
    ("99214", 2024, "mar9-dec31", "facility", 96.20),
    ("99215", 2026, "non-qp", "non_facility", 192.39),
    ("99215", 2026, "non-qp", "facility", 125.59),
    ("99215", 2026, "qp", "non_facility", 193.35),
    ("99215", 2025, "full-year", "non_facility", 175.64),
    ("99215", 2025, "full-year", "facility", 138.77),
    ("99215", 2024, "jan1-mar8", "non_facility", 177.47),
    ("99215", 2024, "mar9-dec31", "non_facility", 180.42),
    ("99215", 2024, "jan1-mar8", "facility", 140.47),
    ("99215", 2024, "mar9-dec31", "facility", 142.80),
    ("G2211", 2026, "non-qp", "non_facility", 17.37),
    ("G2211", 2026, "non-qp", "facility", 14.36),
    ("G2211", 2026, "qp", "non_facility", 17.46),
    ("G2211", 2025, "full-year", "non_facility", 15.53),
    ("G2211", 2025, "full-year", "facility", 15.53),
    ("G2211", 2024, "jan1-mar8", "non_facility", 16.04),
    ("G2211", 2024, "mar9-dec31", "non_facility", 16.31),
    ("G2211", 2024, "jan1-mar8", "facility", 16.04),
    ("G2211", 2024, "mar9-dec31", "facility", 16.31),
    ("G0511", 2025, "full-year", "non_facility", 54.67),
    ("G0511", 2025, "full-year", "facility", 31.38),
    ("G0511", 2024, "jan1-mar8", "non_facility", 71.71),
    ("G0511", 2024, "mar9-dec31", "non_facility", 72.90),
    ("G0511", 2024, "jan1-mar8", "facility", 41.26),
    ("G0511", 2024, "mar9-dec31", "facility", 41.94),
]


@pytest.mark.parametrize(
    ("code", "year", "period", "setting", "usd"),
    SPEC_NATIONAL,
    ids=[f"{c}-{y}-{p}-{s}" for c, y, p, s, _ in SPEC_NATIONAL],
)
def test_national_amount_matches_spec_table_to_the_cent(code, year, period, setting, usd):
    # e.g. 2026 99490 NF: (1.00 + 0.91 + 0.07) x 33.4009 = 66.1338 -> 66.13 (spec 66.13)
    assert payment_rates(year, None, setting, cf_period=period)[code] == usd


def test_every_spec_year_and_period_is_covered_by_the_national_cases():
    periods = {(year, period) for _, year, period, _, _ in SPEC_NATIONAL}
    assert periods == {
        (2024, "jan1-mar8"),
        (2024, "mar9-dec31"),
        (2025, "full-year"),
        (2026, "non-qp"),
        (2026, "qp"),
    }
    assert len(SPEC_NATIONAL) == 315


# ------------------------------------------------------------------------------ localities


@pytest.mark.parametrize(
    ("text", "usd"),
    [
        # 1.00x1.000 + 0.81x0.869 + 0.06x0.575 = 1.73839; x 32.3465 = 56.2311 -> 56.23
        ("AL 0", 56.23),
        # 1.00x1.000 + 0.81x0.945 + 0.06x0.934 = 1.82149; x 32.3465 = 58.9190 -> 58.92
        ("TX 99", 58.92),
        # 1.00x1.065 + 0.81x1.166 + 0.06x1.656 = 2.10882; x 32.3465 = 68.2126 -> 68.21
        ("NY 1", 68.21),
    ],
)
def test_2025_99490_locality_spot_checks_of_the_spec(text, usd):
    assert payment_rates(2025, text)["99490"] == usd


def test_2026_manhattan_uses_2025_gpcis_for_both_settings():
    table = rate_table(2026, "NY 1")
    row = table.rates.set_index("code").loc["99490"]
    # NF: 1.00x1.065 + 0.91x1.166 + 0.07x1.656 = 2.24198; x 33.4009 = 74.8841 -> 74.88
    # F:  1.00x1.065 + 0.24x1.166 + 0.07x1.656 = 1.46076; x 33.4009 = 48.7907 -> 48.79
    assert (row["non_facility"], row["facility"]) == (74.88, 48.79)
    assert table.locality.gpci_year == 2025
    assert "no genuine CY2026 GPCI file" in table.gpci_note


@pytest.mark.parametrize("text", ["TX 99", "tx99", " tx  099 ", "TX-99", "rest of texas"])
def test_find_locality_reads_state_and_number_or_name(text):
    place = find_locality(text)
    assert (place.state, place.number, place.name, place.mac) == (
        "TX",
        99,
        "REST OF TEXAS",
        "04412",
    )
    assert (place.pw_gpci, place.pe_gpci, place.mp_gpci) == (1.0, 0.945, 0.934)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("NY 1", "NY 1 MANHATTAN"),
        ("ny 01", "NY 1 MANHATTAN"),
        ("Manhattan", "NY 1 MANHATTAN"),
        ("AL", "AL 0 ALABAMA"),  # a state with a single locality
        ("chicago", "IL 16 CHICAGO"),  # exact name wins over SUBURBAN CHICAGO
        ("CA fresno", "CA 56 FRESNO"),
        ("alaska", "AK 1 ALASKA"),  # footnote star of Addendum E removed
    ],
)
def test_find_locality_labels(text, label):
    assert find_locality(text).label == label


def test_unknown_state_is_a_locality_error():
    with pytest.raises(LocalityError, match='"ZZ 9": no state ZZ'):
        find_locality("ZZ 9")


def test_unknown_number_lists_the_localities_of_the_state():
    with pytest.raises(LocalityError, match="TX has no locality 5") as error:
        find_locality("TX 5")
    assert "TX 99 REST OF TEXAS" in str(error.value) and "TX 18 HOUSTON" in str(error.value)


def test_ambiguous_fragment_lists_every_match():
    with pytest.raises(LocalityError, match="matches 2 Medicare localities") as error:
        find_locality("CA san jose")
    assert "CA 65 SAN JOSE" in str(error.value) and "CA 9 SAN JOSE" in str(error.value)


def test_misspelt_name_suggests_the_close_match():
    with pytest.raises(LocalityError, match="Closest: NY 1 MANHATTAN"):
        find_locality("Manhatan")


def test_empty_locality_is_an_error():
    with pytest.raises(LocalityError, match="empty"):
        find_locality("  ")


def test_national_locality_has_unit_gpcis():
    place = national()
    assert (place.pw_gpci, place.pe_gpci, place.mp_gpci) == (1.0, 1.0, 1.0)
    assert place.name == place.label == "National (unadjusted)" and place.state is None


def test_bundled_gpci_table_has_109_unique_localities():
    table = read_data_csv("gpci_2025.csv", dtype={"mac": str})
    assert len(table) == 109
    assert not table.duplicated(["state", "locality_number"]).any()
    assert table["mac"].str.fullmatch(r"\d{5}").all()


# ---------------------------------------------------------------------- years, CFs, settings


def test_2024_defaults_to_the_later_conversion_factor():
    assert rate_table(2024).conversion_factor == 33.2875
    assert rate_table(2024).cf_period == "mar9-dec31"
    assert rate_table(2024, cf_period="jan1-mar8").conversion_factor == 32.7442
    assert rate_table(2026, cf_period="qp").conversion_factor == 33.5675


def test_unknown_cf_period_names_the_valid_ones():
    with pytest.raises(FeeScheduleError, match="jan1-mar8 .*mar9-dec31"):
        rate_table(2024, cf_period="march")


@pytest.mark.parametrize("year", [2023, 2027])
def test_unbundled_year_names_the_available_years(year):
    with pytest.raises(FeeScheduleError, match="2024, 2025, 2026"):
        rate_table(year)


@pytest.mark.parametrize(
    ("year", "present", "absent"),
    [
        (2024, "99490", {"99445", "99470", "G0556", "G0568"}),
        (2025, "G0556", {"99445", "99470", "G0568"}),
        (2026, "99445", {"G0511"}),
    ],
)
def test_codes_that_did_not_exist_are_absent(year, present, absent):
    codes = set(rate_table(year).rates["code"])
    assert present in codes and not codes & absent


def test_rate_table_columns_and_size():
    rates = rate_table(2026).rates
    assert list(rates.columns) == ["code", "family", "label", "non_facility", "facility"]
    assert len(rates) == 39  # 40 codes of the spec RVU table minus G0511 (2026 not looked up)


def test_payment_rates_is_a_plain_dict_and_takes_the_facility_setting():
    rates = payment_rates(2026, setting="facility")
    assert type(rates["99490"]) is float and rates["99490"] == 43.76
    with pytest.raises(FeeScheduleError, match="non_facility, facility"):
        payment_rates(2026, setting="office")


def test_a_locality_object_is_accepted():
    place = Locality("XX", 1, "TEST", None, 2.0, 1.0, 1.0, 2025, "test")
    # 2026 99490 NF: 1.00x2.0 + 0.91 + 0.07 = 2.98; x 33.4009 = 99.5347 -> 99.53
    assert payment_rates(2026, place)["99490"] == 99.53


# -------------------------------------------------------------------------- CMS file readers

# A synthetic PPRRVU in the CMS layout: title lines (one ragged, one padded), a column name
# split over two lines, modifier rows repeating a code. Placeholder descriptions only.
PPRRVU_COLUMNS = [
    ("", "HCPCS"),
    ("", "MOD"),
    ("", "DESCRIPTION"),
    ("STATUS", "CODE"),
    ("WORK", "RVU"),
    ("NON-FAC", "PE RVU"),
    ("FACILITY", "PE RVU"),
    ("MP", "RVU"),
    ("CONV", "FACTOR"),
]
PPRRVU_ROWS = [
    ["99490", "", "placeholder", "A", "1.00", "0.91", "0.24", "0.07", "33.4009"],
    ["99490", "26", "placeholder", "A", "9.00", "9.00", "9.00", "9.00", "33.4009"],
    ["99490", "TC", "placeholder", "A", "8.00", "8.00", "8.00", "8.00", "33.4009"],
    ["99491", "53", "placeholder", "A", "7.00", "7.00", "7.00", "7.00", "33.4009"],
    ["99491", "", "placeholder", "A", "1.50", "1.08", "0.37", "0.09", "33.4009"],
    ["0001F", "", "placeholder", "I", "0.00", "0.00", "0.00", "0.00", "33.4009"],
]


def _pprrvu_grid(extra_column: bool = False, rows: list[list[str]] | None = None) -> list[list]:
    """Rows of the synthetic file; `extra_column` inserts a PRIC IND column before WORK RVU,
    shifting every RVU column by one (as the 2026 file shifts its later columns)."""
    columns, body = list(PPRRVU_COLUMNS), [list(r) for r in rows or PPRRVU_ROWS]
    if extra_column:
        columns.insert(4, ("PRIC", "IND"))
        body = [[*r[:4], "9", *r[4:]] for r in body]
    titles = [["synthetic fee schedule layout for tests"], [], ["", "", "RELEASED 01/01/2099"]]
    grid = [*titles, [c[0] for c in columns], [c[1] for c in columns], *body]
    return [row + [""] * (len(columns) - len(row)) for row in grid]


def _write_csv(path: Path, grid: list[list]) -> Path:
    """Title lines written ragged (one cell), as some exports do; the rest comma-padded."""
    lines = [",".join(row).rstrip(",") if i < 2 else ",".join(row) for i, row in enumerate(grid)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("extra_column", [False, True])
def test_load_pprrvu_keeps_the_no_modifier_row_and_finds_columns_by_name(tmp_path, extra_column):
    path = _write_csv(tmp_path / "PPRRVU2099.csv", _pprrvu_grid(extra_column))
    rvus = load_pprrvu(path).set_index("code")
    assert list(rvus.index) == ["99490", "99491", "0001F"]
    assert rvus.loc["99490"].tolist() == [1.00, 0.91, 0.24, 0.07, 33.4009]
    assert rvus.loc["99491", "mp_rvu"] == 0.09


def test_load_pprrvu_reads_xlsx(tmp_path):
    path = tmp_path / "PPRRVU2099.xlsx"
    pd.DataFrame(_pprrvu_grid(extra_column=True)).to_excel(path, header=False, index=False)
    assert load_pprrvu(path).set_index("code").loc["99491", "work_rvu"] == 1.50


def test_load_pprrvu_names_a_missing_column(tmp_path):
    grid = [row[:7] for row in _pprrvu_grid()]  # cut MP RVU and CONV FACTOR
    with pytest.raises(FeeScheduleError, match="no column for mp_rvu"):
        load_pprrvu(_write_csv(tmp_path / "cut.csv", grid))


@pytest.mark.parametrize("name", ["PPRRVU.txt", "missing.csv"])
def test_load_pprrvu_rejects_other_files(tmp_path, name):
    if name.endswith(".txt"):
        (tmp_path / name).write_text("HCPCS fixed width\n")
    with pytest.raises(FeeScheduleError):
        load_pprrvu(tmp_path / name)


def test_rate_table_with_a_pprrvu_file_uses_its_rvus_and_conversion_factor(tmp_path):
    table = rate_table(2099, rvu_file=_write_csv(tmp_path / "P.csv", _pprrvu_grid(True)))
    # 99490 NF (1.00 + 0.91 + 0.07) x 33.4009 = 66.1338 -> 66.13; 99491 F (1.50 + 0.37 + 0.09)
    # x 33.4009 = 65.4658 -> 65.47. Only codes in the file appear.
    rates = table.rates.set_index("code")
    assert list(rates.index) == ["99490", "99491"]
    assert (rates.loc["99490", "non_facility"], rates.loc["99491", "facility"]) == (66.13, 65.47)
    assert (table.conversion_factor, table.rvu_release) == (33.4009, "P.csv")


def test_payment_rounds_half_cents_up(tmp_path):
    rows = [["99490", "", "placeholder", "A", "0.50", "0.50", "0.50", "0.50", "33.41"]]
    path = _write_csv(tmp_path / "half.csv", _pprrvu_grid(rows=rows))
    # (0.50 + 0.50 + 0.50) x 33.41 = 50.115 exactly; in floats 50.114999..., which round()
    # would give as 50.11. Half a cent rounds up: 50.12.
    assert payment_rates(2099, rvu_file=path)["99490"] == 50.12


def test_pprrvu_without_conversion_factor_needs_a_bundled_year(tmp_path):
    grid = [row[:8] for row in _pprrvu_grid()]  # no CONV FACTOR column
    path = _write_csv(tmp_path / "nocf.csv", grid)
    assert rate_table(2025, rvu_file=path).conversion_factor == 32.3465
    with pytest.raises(FeeScheduleError, match="2024, 2025, 2026"):
        rate_table(2099, rvu_file=path)


# A synthetic GPCI table in the Addendum E layout: title, blank row, year in the GPCI headers,
# a MAC that lost its leading zero, footnote stars and footnote rows; columns reordered.
GPCI_CSV = """\
SYNTHETIC GPCI TABLE FOR TESTS,,,,,,
,,,,,,
State,Locality Number,Locality Name,2026 PE GPCI,2026 PW GPCI (with 1.0 Floor),2026 MP GPCI,MAC
AK,01,ALASKA*,1.081,1.5,0.592,2102
TX,99,REST OF TEXAS,0.95,1,0.9,4412
TX,18,HOUSTON,1.01,1.02,1.4,4412
"MAC Assignments as of a date",,,,,,
*Work GPCI reflects a floor.,,,,,,
"""


def test_load_gpci_reads_the_addendum_layout_by_header_names(tmp_path):
    (tmp_path / "GPCI.csv").write_text(GPCI_CSV)
    table = load_gpci(tmp_path / "GPCI.csv")
    assert table["state"].tolist() == ["AK", "TX", "TX"]
    alaska = table.iloc[0]
    assert (alaska["mac"], alaska["locality_number"], alaska["locality_name"]) == (
        "02102",
        1,
        "ALASKA",
    )
    assert (alaska["pw_gpci"], alaska["pe_gpci"], alaska["mp_gpci"]) == (1.5, 1.081, 0.592)
    assert table["gpci_year"].tolist() == [2026] * 3 and table["source"].iloc[0] == "GPCI.csv"


def test_rate_table_with_a_gpci_file(tmp_path):
    (tmp_path / "GPCI.csv").write_text(GPCI_CSV)
    table = rate_table(2026, "TX 99", gpci_file=tmp_path / "GPCI.csv")
    # 1.00x1.0 + 0.91x0.95 + 0.07x0.9 = 1.9275; x 33.4009 = 64.3802 -> 64.38
    assert table.rates.set_index("code").loc["99490", "non_facility"] == 64.38
    assert table.gpci_note == "GPCIs: CY2026 (GPCI.csv)."


def test_duplicate_locality_in_a_gpci_file_is_an_error(tmp_path):
    (tmp_path / "dup.csv").write_text(GPCI_CSV.replace("TX,18,HOUSTON", "TX,99,HOUSTON"))
    with pytest.raises(FeeScheduleError, match="TX 99 is listed twice"):
        load_gpci(tmp_path / "dup.csv")


# --------------------------------------------------------------------------- `rates` output


def test_rates_json_has_exactly_the_documented_shape():
    data = json.loads(rates_report(year=2026, locality="NY 1", as_json=True))
    assert list(data) == ["year", "locality", "conversion_factor", "rates"]
    assert data["locality"] == {
        "state": "NY",
        "number": 1,
        "name": "MANHATTAN",
        "gpci": {"pw": 1.065, "pe": 1.166, "mp": 1.656},
        "gpci_year": 2025,
    }
    assert (data["year"], data["conversion_factor"]) == (2026, 33.4009)
    assert data["rates"]["99490"] == {"non_facility": 74.88, "facility": 48.79}


def test_rates_json_national():
    data = json.loads(rates_report(as_json=True))
    assert data["locality"]["name"] == "National (unadjusted)"
    assert data["locality"]["gpci_year"] is None
    assert data["rates"]["99490"] == {"non_facility": 66.13, "facility": 43.76}
    assert len(data["rates"]) == 39


def test_rates_text_names_year_cf_locality_and_gpci_source():
    text = rates_report(year=2026, locality="NY 1")
    assert "CY2026 (RVUs: RVU26C)" in text
    assert "NY 1 MANHATTAN (MAC 13202)" in text
    assert "$33.4009 per RVU" in text and "qp $33.5675" in text
    assert "CY2025 GPCIs are applied to CY2026 RVUs" in text
    line = next(row for row in text.splitlines() if row.startswith("CCM            99490"))
    assert line.split()[2:4] == ["74.88", "48.79"]


def test_rates_text_2024_states_the_default_period():
    text = format_rates(rate_table(2024))
    assert "$33.2875 per RVU, for dates of service 9 Mar-31 Dec 2024" in text
    assert "jan1-mar8 $32.7442" in text


def test_cli_rates_unknown_locality_exits_2(capsys):
    assert main(["rates", "--locality", "ZZ 9"]) == 2
    assert "no state ZZ" in capsys.readouterr().err


def test_cli_rates_json(capsys):
    assert main(["rates", "--json", "--year", "2025"]) == 0
    assert json.loads(capsys.readouterr().out)["rates"]["99490"]["non_facility"] == 60.49


# ------------------------------------------------------------------------------ bundled data


def test_bundled_files_are_consistent_and_in_the_manifest():
    codes = read_data_csv("fee_codes.csv", dtype={"code": str})
    rvus = read_data_csv("rvus.csv", dtype={"code": str})
    assert codes["code"].is_unique and len(codes) == 40
    assert set(rvus["code"]) == set(codes["code"])
    assert not rvus.duplicated(["year", "code"]).any()
    assert rvus[["release", "source"]].notna().all().all()
    assert dict(rvus.groupby("year")["release"].first()) == {
        2024: "PPRRVU24_OCT",
        2025: "PPRRVU2025_Oct",
        2026: "RVU26C",
    }
    files = {"rvus.csv", "conversion_factors.csv", "gpci_2025.csv", "fee_codes.csv"}
    assert files <= set(MANIFEST)


def test_fee_schedule_error_is_a_ccm_assess_error():
    assert issubclass(FeeScheduleError, CcmAssessError)
