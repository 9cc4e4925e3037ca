"""What `ccm-assess rates` prints: a rate table as plain text or as JSON."""

from __future__ import annotations

import json

from ccm_assess.finance.fees import RateTable, rate_table


def rates_dict(table: RateTable) -> dict[str, object]:
    """The JSON object of `ccm-assess rates --json`."""
    place = table.locality
    return {
        "year": table.year,
        "locality": {
            "state": place.state,
            "number": place.number,
            "name": place.name,
            "gpci": {"pw": place.pw_gpci, "pe": place.pe_gpci, "mp": place.mp_gpci},
            "gpci_year": place.gpci_year,
        },
        "conversion_factor": table.conversion_factor,
        "rates": {
            code: {"non_facility": nf, "facility": f}
            for code, nf, f in zip(
                table.rates["code"],
                table.rates["non_facility"].astype(float).tolist(),
                table.rates["facility"].astype(float).tolist(),
                strict=True,
            )
        },
    }


def format_rates(table: RateTable) -> str:
    """A plain-text table of the rates with year, locality, CF and GPCI notes."""
    place = table.locality
    where = place.label
    if place.state is not None:
        where += (
            f" (MAC {place.mac}); GPCI work {place.pw_gpci:.3f}, PE {place.pe_gpci:.3f}, "
            f"MP {place.mp_gpci:.3f}"
        )
    rates = table.rates
    rows = (
        rates["family"].str.ljust(15)
        + rates["code"].str.ljust(7)
        + rates["non_facility"].map("{:>13,.2f}".format)
        + rates["facility"].map("{:>10,.2f}".format)
        + "  "
        + rates["label"]
    )
    return "\n".join(
        [
            f"Medicare Physician Fee Schedule, CY{table.year} (RVUs: {table.rvu_release})",
            f"Locality: {where}",
            table.gpci_note,
            f"Conversion factor: ${table.conversion_factor:.4f} per RVU, {table.cf_note}.",
            "USD per unit: Medicare allowed amount (Medicare pays 80%, the patient 20% after the "
            "Part B deductible), before the 2% sequestration.",
            "",
            f"{'Family':<15}{'Code':<7}{'Non-facility':>13}{'Facility':>10}  Service",
            *rows,
        ]
    )


def rates_report(*, year: int = 2026, locality: str | None = None, as_json: bool = False) -> str:
    """The output of `ccm-assess rates`: text, or JSON (`rates_dict`); locality None = national."""
    table = rate_table(year, locality)
    return json.dumps(rates_dict(table), indent=2) if as_json else format_rates(table)
