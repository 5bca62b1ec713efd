#!/usr/bin/env python3
"""How core banking's nightly extract lands in Trellis: a CSV of customers sent to the
bulk upsert route in batches of 1,000, matched on the customer number. Only Python's
standard library; run it from the nightly job after the extract is written.

    TRELLIS_URL=http://127.0.0.1:8080 TRELLIS_TOKEN=trt_… \
        python3 core_banking_nightly.py customers.sample.csv customers.mapping.json

The token is an API token (write access to the app) of a user with the app's
`integration` role: it creates and updates customers, accounts, holdings and
transactions, and nothing else. Sent twice, the same extract changes nothing the second
time (each record's outcome is `unchanged`), so a retried night is harmless. Refused
records are written to `<file>.errors.csv` with their row and reasons; the exit status
is 1 if there were any.

For a file on the server's own machine, `trellis import` does the same with a progress
bar and resumes a stopped import where it stopped:

    trellis import customers.csv --app bank_crm --form customer --as core.banking \
        --mapping customers.mapping.json --db sqlite://trellis.db
"""

import csv
import json
import os
import sys
import urllib.error
import urllib.request

BATCH = 1000


def upsert(url, token, app, form, key, records):
    """One bulk upsert; not atomic: the records that fit are kept, the others reported."""
    body = json.dumps({"key": key, "records": records, "atomic": False}).encode("utf-8")
    request = urllib.request.Request(
        f"{url}/api/v1/apps/{app}/forms/{form}/records/bulk",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as e:
        # A problem+json: the whole batch was refused (a bad key, no access).
        problem = json.load(e)
        sys.exit(f"the batch was refused: {problem.get('detail')} {problem.get('errors', '')}")


def record(row, columns):
    """A CSV row as the form's record: each column to its field, `relation.key` as
    {"key": value} (the related record named by its key), empty cells left out so a
    value the extract lacks is not erased. Values stay text: the server converts them
    exactly (money never passes through a float)."""
    out = {}
    for header, to in columns.items():
        value = (row.get(header) or "").strip()
        if not value:
            continue
        if "." in to:
            field, key = to.split(".", 1)
            out[field] = {key: value}
        else:
            out[to] = value
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: core_banking_nightly.py FILE.csv MAPPING.json")
    url = os.environ.get("TRELLIS_URL", "http://127.0.0.1:8080").rstrip("/")
    token = os.environ["TRELLIS_TOKEN"]
    path, mapping_path = sys.argv[1], sys.argv[2]
    with open(mapping_path, encoding="utf-8") as f:
        mapping = json.load(f)
    app, form, key, columns = mapping["app"], mapping["form"], mapping["key"], mapping["columns"]
    totals = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}
    errors_path = path + ".errors.csv"
    with open(path, encoding="utf-8-sig", newline="") as f, open(errors_path, "w", encoding="utf-8", newline="") as e:
        rows = csv.DictReader(f)
        errors = csv.writer(e)
        errors.writerow(["row", "errors"])
        batch, numbers = [], []
        for number, row in enumerate(rows, start=2):
            batch.append(record(row, columns))
            numbers.append(number)
            if len(batch) == BATCH:
                send(url, token, (app, form, key), batch, numbers, totals, errors)
                batch, numbers = [], []
        if batch:
            send(url, token, (app, form, key), batch, numbers, totals, errors)
    print(", ".join(f"{k} {v}" for k, v in totals.items()))
    if totals["refused"]:
        print(f"the refused rows and why: {errors_path}")
        sys.exit(1)


def send(url, token, target, batch, numbers, totals, errors):
    app, form, key = target
    answer = upsert(url, token, app, form, key, batch)
    for outcome in totals:
        totals[outcome] += answer[outcome]
    for result in answer["results"]:
        if result["outcome"] == "refused":
            why = "; ".join(f"{e['path']}: {e['message']}" for e in result["errors"])
            errors.writerow([numbers[result["index"]], why])


if __name__ == "__main__":
    main()
