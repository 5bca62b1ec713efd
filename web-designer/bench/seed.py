"""Copies the first customer of a bank CRM demo database until there are N, for the UI
benchmark: every copy is the same relationship manager's, so the list runs through her
row rule. Straight SQL on purpose: the benchmark measures reading, and 100,000 writes
through the pipeline would be a benchmark of their own (`cargo bench -p server --bench api`)."""
import sqlite3
import sys

db, count = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
table = next(r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%bank_crm%customer'"))
columns = [r[1] for r in c.execute(f"PRAGMA table_info({table})") if r[1] != "id"]
have = c.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
made = {"f_customer_no": "'B' || printf('%07d', n.i)", "f_name": "'客户' || n.i", "f_id_number": "'1100000000' || printf('%08d', n.i)"}
select = ", ".join(made.get(col, f"c.{col}") for col in columns)
c.execute(
    f"""WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
    INSERT INTO {table} ({", ".join(columns)}) SELECT {select} FROM n, (SELECT * FROM {table} ORDER BY id LIMIT 1) c""",
    (count - have,),
)
c.commit()
print(f"{table}: {c.execute(f'SELECT count(*) FROM {table}').fetchone()[0]} customers")
