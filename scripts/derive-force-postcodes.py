#!/usr/bin/env python3
"""Derive data/cambridgeshire-postcodes.csv.gz, the force-area postcodes bundled into Beacon.

Run from anywhere (Python 3 standard library only):

    scripts/derive-force-postcodes.py [path/to/postcodes-gb.csv.gz]

The source defaults to ../shared/data/postcodes-gb.csv.gz relative to the repository root (the
ONS Postcode Directory extract with header postcode,district_code,easting,northing). The output
keeps that header and the source rows unchanged, and holds:

* every postcode in the CB or PE postcode areas (area letters exactly "CB" or "PE"), and
* every postcode whose district is one of Cambridgeshire Constabulary's six districts, wherever
  its postcode area (e.g. SG8 in South Cambridgeshire),

including rows with no district or coordinates: those are real non-geographic or withdrawn
postcodes, which Beacon reports as having no location. Rows are sorted by normalised postcode
and gzipped with a zero timestamp and no file name, so re-running on the same source gives
byte-identical output.
"""

import csv
import gzip
import io
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SOURCE = os.path.join(REPO_ROOT, "..", "shared", "data", "postcodes-gb.csv.gz")
OUTPUT = os.path.join(REPO_ROOT, "data", "cambridgeshire-postcodes.csv.gz")

EXPECTED_HEADER = ["postcode", "district_code", "easting", "northing"]
FORCE_AREAS = {"CB", "PE"}
# Keep in step with FORCE_DISTRICTS in src/geo/districts.rs.
FORCE_DISTRICTS = {
    "E07000008",  # Cambridge
    "E07000009",  # East Cambridgeshire
    "E07000010",  # Fenland
    "E07000011",  # Huntingdonshire
    "E07000012",  # South Cambridgeshire
    "E06000031",  # Peterborough
}


def normalise(postcode):
    """'PE291AA' or 'pe29 1aa' -> 'PE29 1AA' (outward, one space, 3-character inward)."""
    compact = "".join(postcode.split()).upper()
    return compact[:-3] + " " + compact[-3:]


def postcode_area(postcode):
    """The leading letters of the outward code: 'CB' for 'CB10 1AA', 'CBX' for 'CBX1 1AA'."""
    outward = normalise(postcode).split(" ")[0]
    letters = ""
    for ch in outward:
        if not ch.isalpha():
            break
        letters += ch
    return letters


def main(argv):
    if len(argv) > 2:
        sys.exit(__doc__)
    source = argv[1] if len(argv) == 2 else DEFAULT_SOURCE

    rows = []
    with gzip.open(source, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != EXPECTED_HEADER:
            sys.exit(f"{source}: unexpected header {header}, expected {EXPECTED_HEADER}")
        for row in reader:
            if len(row) != len(EXPECTED_HEADER):
                sys.exit(f"{source}: line {reader.line_num}: expected 4 fields, got {row}")
            if postcode_area(row[0]) in FORCE_AREAS or row[1] in FORCE_DISTRICTS:
                rows.append(row)

    rows.sort(key=lambda row: normalise(row[0]))

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)

    compressed = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of anything that changes between runs.
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, compresslevel=9, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))

    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    # Write beside the target and rename, so an interrupted run never leaves a truncated file.
    partial = OUTPUT + ".partial"
    with open(partial, "wb") as out:
        out.write(compressed.getvalue())
    os.replace(partial, OUTPUT)

    print(f"wrote {len(rows)} postcodes ({len(compressed.getvalue())} bytes) to {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv)
