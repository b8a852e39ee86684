"""statsforecast's methods on the accuracy bench's series, for `cargo xtask bench --accuracy DIR
--vs-statsforecast`.

For every series of DIR/manifest.csv (name,file,freq,season,horizon; each file a CSV whose
second column holds the values, oldest first) it fits Naive, SeasonalNaive, AutoETS, AutoARIMA
and AutoTheta (season_length = season) on all but the last `horizon` values and forecasts
`horizon` steps, as the M4 competition does. AutoARIMA is skipped for seasons longer than 24
(on the weekly series, season 52, it does not finish in 5 minutes). Each model is first fitted
once on a small series so that numba's compilation is not timed.

Writes OUT_CSV: name,method,step,forecast,seconds (seconds: that series' fit and forecast).
Scoring is the Rust side's, the same for every method.
Usage: python3 bench_statsforecast.py DIR OUT_CSV
"""

import csv
import math
import os
import sys
import time

import numpy as np
from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive

ARIMA_MAX_SEASON = 24


def models(season):
    made = [
        ("Naive", Naive()),
        ("SeasonalNaive", SeasonalNaive(season_length=season)),
        ("AutoETS", AutoETS(season_length=season)),
        ("AutoTheta", AutoTheta(season_length=season)),
    ]
    if season <= ARIMA_MAX_SEASON:
        made.append(("AutoARIMA", AutoARIMA(season_length=season)))
    return made


def read_values(path):
    with open(path, newline="") as file:
        rows = list(csv.reader(file))
    return np.array([float(row[1]) for row in rows[1:]], dtype=float)


def warm_up():
    series = 100.0 + np.sin(np.arange(48) * math.pi / 6.0) + np.arange(48) * 0.1
    for _, model in models(12):
        model.forecast(y=series, h=6)


def main():
    directory, out_path = sys.argv[1], sys.argv[2]
    with open(os.path.join(directory, "manifest.csv"), newline="") as file:
        manifest = list(csv.DictReader(file))
    warm_up()
    with open(out_path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "method", "step", "forecast", "seconds"])
        for entry in manifest:
            season, horizon = int(entry["season"]), int(entry["horizon"])
            values = read_values(os.path.join(directory, entry["file"]))
            history = values[:-horizon]
            for method, model in models(season):
                start = time.perf_counter()
                forecast = model.forecast(y=history, h=horizon)["mean"]
                seconds = time.perf_counter() - start
                for step, value in enumerate(forecast, start=1):
                    writer.writerow([entry["name"], method, step, repr(float(value)), seconds])
            if season > ARIMA_MAX_SEASON:
                print(
                    f"{entry['name']}: AutoARIMA skipped (season {season} > {ARIMA_MAX_SEASON})",
                    file=sys.stderr,
                )
            out.flush()


if __name__ == "__main__":
    main()
