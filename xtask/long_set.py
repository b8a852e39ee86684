"""A set of long series, for `cargo xtask bench --accuracy DIR`: five real daily, trading-day and
half-hourly series of 1,561 to 17,520 rows that the accuracy bench (`../shared/data/bench`) does
not hold, from a checkout of Rdatasets (https://github.com/vincentarelbundock/Rdatasets), to
check what a recipe does where a series has thousands of training windows. Not shipped: Yoho
does not redistribute them.

- fpp3 `otexts_views` (daily page views) and `melb_walkers` (daily pedestrian counts): their
  ISO dates as they are, season 7, 14 days ahead;
- AER `DJIA8012` (the Dow Jones index's trading days, 1980 to 2012): its dates as they are,
  season 1 (a random walk has none), 14 days ahead;
- forecast `taylor` (England and Wales, from Monday 5 June 2000) and fpp2 `elecdemand`
  (Victoria, from 1 January 2014), half-hourly electricity demand: the files hold no time, so
  each row is dated 30 minutes after the one before from those first half-hours; season 48,
  48 half-hours ahead.

Each is written as a `Date,value` CSV with a manifest (`name,file,freq,season,horizon,n,
source`) as the bench's.

Usage: python3 long_set.py RDATASETS_CHECKOUT OUT_DIR
"""

import datetime
import os
import sys

from rdatasets_set import read_rows, write_set

HALF_HOUR = datetime.timedelta(minutes=30)

# name, package, Rdatasets file, its date column (None: dated from `start`), value column,
# start, freq, season, horizon
SERIES = [
    ("otexts_views", "fpp3", "otexts_views", "Date", "Pageviews", None, "daily", 7, 14),
    ("melb_walkers", "fpp3", "melb_walkers", "Date", "Count", None, "daily", 7, 14),
    ("djia", "AER", "DJIA8012", "rownames", "dat", None, "trading_days", 1, 14),
    ("taylor", "forecast", "taylor", None, "x", datetime.datetime(2000, 6, 5),
     "half_hourly", 48, 48),
    ("elecdemand", "fpp2", "elecdemand", None, "Demand", datetime.datetime(2014, 1, 1),
     "half_hourly", 48, 48),
]


def convert(checkout, entry):
    """One series' file name, CSV text and manifest row (nothing written yet)."""
    name, package, file_stem, date_column, value_column, start, freq, season, horizon = entry
    path = os.path.join(checkout, "csv", package, f"{file_stem}.csv")
    rows = read_rows(path, (date_column, value_column))
    file = f"{name}.csv"
    lines = ["Date,value"]
    for line, row in enumerate(rows, start=2):
        value = row[value_column]
        if value in ("", "NA"):
            sys.exit(f"{path}, line {line}: a missing value")
        if date_column is None:
            date = (start + HALF_HOUR * (line - 2)).strftime("%Y-%m-%d %H:%M:%S")
        else:
            date = row[date_column]
        lines.append(f"{date},{value}")
    source = f"rdatasets {package}::{file_stem}"
    return file, lines, f"{name},{file},{freq},{season},{horizon},{len(rows)},{source}"


def main():
    write_set(__doc__, lambda _checkout: SERIES, convert)


if __name__ == "__main__":
    main()
