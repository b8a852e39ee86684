"""A third accuracy set, for `cargo xtask bench --accuracy DIR`: 62 real quarterly and monthly
series of fpp3's panels (*Forecasting: Principles and Practice*, 3rd edition) that the accuracy
bench (`../shared/data/bench`) does not hold, from a checkout of Rdatasets
(https://github.com/vincentarelbundock/Rdatasets): the seasonal frequencies, where exponential
smoothing and ARIMA are hardest to beat. Not shipped: Yoho does not redistribute them.

- quarterly, 8 ahead: `aus_arrivals` (arrivals to Australia from 4 countries), `aus_tobacco`
  (tobacco spending, 8 states), `aus_accommodation` (takings, 8 states) and `aus_migration`
  (net overseas migration, 8 states; negative values);
- monthly, 18 ahead: `aus_births` (8 states), `aus_vehicle_sales` (3 types), `nsw_offences`
  (21 types of offence, small counts among them), `canadian_gas` and `ny_childcare`.

Each series is written as a `Date,value` CSV dated at the first day of its quarter (`1981 Q1`)
or month (`1975 Jan`), with a manifest (`name,file,freq,season,horizon,n,source`) as the
bench's.

Usage: python3 fpp3_set.py RDATASETS_CHECKOUT OUT_DIR
"""

import datetime
import os
import re
import sys

from rdatasets_set import read_rows, write_set

# file, series column (None: one series), date column, value column, freq
FILES = [
    ("aus_arrivals", "Origin", "Quarter", "Arrivals", "quarterly"),
    ("aus_tobacco", "State", "Quarter", "Expenditure", "quarterly"),
    ("aus_accommodation", "State", "Date", "Takings", "quarterly"),
    ("aus_migration", "State", "Quarter", "NOM", "quarterly"),
    ("aus_births", "State", "Month", "Births", "monthly"),
    ("aus_vehicle_sales", "Type", "Month", "Count", "monthly"),
    ("nsw_offences", "Type", "Month", "Count", "monthly"),
    ("canadian_gas", None, "Month", "Volume", "monthly"),
    ("ny_childcare", None, "Month", "Count", "monthly"),
]
SEASONS = {"quarterly": 4, "monthly": 12}
HORIZONS = {"quarterly": 8, "monthly": 18}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def date_of(cell, freq):
    """The first day of the quarter (`1981 Q1`) or month (`1975 Jan`) a cell names."""
    year, period = cell.split()
    if freq == "quarterly":
        return datetime.date(int(year), 3 * int(period.lstrip("Q")) - 2, 1)
    return datetime.date(int(year), MONTHS.index(period) + 1, 1)


def series_of(checkout):
    """Every series of the files: (name, package file stem, key or None, freq, rows)."""
    found = []
    for stem, key_column, date_column, value_column, freq in FILES:
        path = os.path.join(checkout, "csv", "fpp3", f"{stem}.csv")
        rows = read_rows(path, (key_column, date_column, value_column))
        keys = dict.fromkeys(row[key_column] for row in rows) if key_column else [None]
        for key in keys:
            own = [row for row in rows if key_column is None or row[key_column] == key]
            values = [(row[date_column], row[value_column]) for row in own]
            slug = re.sub(r"[^a-z0-9]+", "_", (key or "").lower()).strip("_")
            name = f"{stem}_{slug}" if slug else stem
            found.append((name, stem, key, freq, values, path))
    return found


def convert(_checkout, entry):
    """One series' file name, CSV text and manifest row (nothing written yet)."""
    name, stem, key, freq, values, path = entry
    file = f"{name}.csv"
    dates = set()
    lines = ["Date,value"]
    for date_cell, value in values:
        date = date_of(date_cell, freq)
        if value in ("", "NA") or date in dates:
            sys.exit(f"{path}: a missing value or a repeated {freq} period at {date_cell}")
        dates.add(date)
        lines.append(f"{date},{value}")
    source = f"rdatasets fpp3::{stem}" + (f" {key.replace(',', '')}" if key else "")
    row = f"{name},{file},{freq},{SEASONS[freq]},{HORIZONS[freq]},{len(values)},{source}"
    return file, lines, row


def main():
    write_set(__doc__, series_of, convert)


if __name__ == "__main__":
    main()
