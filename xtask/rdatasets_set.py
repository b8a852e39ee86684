"""A second accuracy set, for `cargo xtask bench --accuracy DIR`: 24 real series that the
accuracy bench (`../shared/data/bench`) does not hold, from a checkout of Rdatasets
(https://github.com/vincentarelbundock/Rdatasets), so that a recipe tried on the bench is
checked on series it was never chosen on. Not shipped: Yoho does not redistribute them.

The series are 10 yearly, 5 quarterly and 9 monthly series of R's `datasets` package and of
fpp2, forecast over the M4 competition's horizons (6 years, 8 quarters, 18 months). Each
Rdatasets file has a `time` column in fractional years and a `value` column; it is written as
a `Date,value` CSV dated at the first day of its year, quarter or month, with a manifest
(`name,file,freq,season,horizon,n,source`) as the bench's.

Usage: python3 rdatasets_set.py RDATASETS_CHECKOUT OUT_DIR
"""

import csv
import datetime
import math
import os
import sys

SERIES = [
    ("wmurders", "fpp2", "yearly"),
    ("ausair", "fpp2", "yearly"),
    ("livestock", "fpp2", "yearly"),
    ("guinearice", "fpp2", "yearly"),
    ("sunspotarea", "fpp2", "yearly"),
    ("austa", "fpp2", "yearly"),
    ("LakeHuron", "datasets", "yearly"),
    ("lynx", "datasets", "yearly"),
    ("airmiles", "datasets", "yearly"),
    ("nhtemp", "datasets", "yearly"),
    ("qauselec", "fpp2", "quarterly"),
    ("euretail", "fpp2", "quarterly"),
    ("austourists", "fpp2", "quarterly"),
    ("qgas", "fpp2", "quarterly"),
    ("JohnsonJohnson", "datasets", "quarterly"),
    ("USAccDeaths", "datasets", "monthly"),
    ("ldeaths", "datasets", "monthly"),
    ("mdeaths", "datasets", "monthly"),
    ("fdeaths", "datasets", "monthly"),
    ("nottem", "datasets", "monthly"),
    ("a10", "fpp2", "monthly"),
    ("elecequip", "fpp2", "monthly"),
    ("auscafe", "fpp2", "monthly"),
    ("sunspot.month", "datasets", "monthly"),
]
PERIODS = {"yearly": 1, "quarterly": 4, "monthly": 12}
HORIZONS = {"yearly": 6, "quarterly": 8, "monthly": 18}


def read_rows(path, columns):
    """The rows of an Rdatasets CSV file holding `columns` (a None among them is skipped), or
    an exit that names the file and what was expected."""
    try:
        with open(path, newline="") as source:
            rows = list(csv.DictReader(source))
    except OSError as error:
        sys.exit(f"cannot read {path} ({error.strerror}): expected a checkout of Rdatasets")
    needed = [column for column in columns if column is not None]
    if not rows or any(column not in rows[0] for column in needed):
        sys.exit(f"{path}: expected the columns {', '.join(needed)}")
    return rows


def date_of(time, freq):
    """The first day of the period that starts at `time` (fractional years)."""
    year = math.floor(time + 1e-6)
    period = round((time - year) * PERIODS[freq])
    return datetime.date(year, 1 + period * 12 // PERIODS[freq], 1)


def convert(checkout, name, package, freq):
    """One series' file name, CSV text and manifest row (nothing written yet)."""
    path = os.path.join(checkout, "csv", package, f"{name}.csv")
    rows = read_rows(path, ("time", "value"))
    file = name.replace(".", "_").lower() + ".csv"
    dates = set()
    lines = ["Date,value"]
    for line, row in enumerate(rows, start=2):
        date = date_of(float(row["time"]), freq)
        if row["value"] in ("", "NA") or date in dates:
            sys.exit(f"{path}, line {line}: a missing value or a repeated {freq} period")
        dates.add(date)
        lines.append(f"{date},{row['value']}")
    season, horizon = PERIODS[freq], HORIZONS[freq]
    stem = file[: -len(".csv")]
    row = f"{stem},{file},{freq},{season},{horizon},{len(rows)},rdatasets {package}::{name}"
    return file, lines, row


def write_set(usage, series_of, convert_one):
    """Reads RDATASETS_CHECKOUT OUT_DIR from the command line (else exits with `usage`),
    converts each entry of `series_of(checkout)` by `convert_one(checkout, entry)` (its file
    name, lines and manifest row) and, only once every series has converted, writes their files
    and the manifest into OUT_DIR: input it cannot read leaves no directory or file behind."""
    if len(sys.argv) != 3:
        sys.exit(usage)
    checkout, out_dir = sys.argv[1], sys.argv[2]
    converted = [convert_one(checkout, entry) for entry in series_of(checkout)]
    os.makedirs(out_dir, exist_ok=True)
    for file, lines, _ in converted:
        with open(os.path.join(out_dir, file), "w", newline="") as out:
            out.write("\n".join(lines) + "\n")
    manifest = ["name,file,freq,season,horizon,n,source"] + [row for _, _, row in converted]
    with open(os.path.join(out_dir, "manifest.csv"), "w") as out:
        out.write("\n".join(manifest) + "\n")
    print(f"{len(converted)} series written to {out_dir}")


def main():
    write_set(
        __doc__,
        lambda _checkout: SERIES,
        lambda checkout, entry: convert(checkout, *entry),
    )


if __name__ == "__main__":
    main()
