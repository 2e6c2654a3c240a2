"""Reads ShelfStream's BI views through the SQL endpoint with clickhouse-connect (Superset's
ClickHouse client), with its defaults: its start-up queries, HTTP compression as it negotiates
it, Native results parsed by the driver. Prints one JSON document on stdout:
- server: what the driver learned at connect (version, timezone, user, database);
- metadata: what Superset's SQLAlchemy dialect asks (databases, tables, columns);
- views: each view's rows re-rendered as TabSeparated text, so the test can compare them with
  the embedded client's own TabSeparated output;
- pandas / arrow: row counts and a column's sum from query_df and query_arrow.
Usage: clickhouse_connect_read.py URL DATABASE VIEW...
"""
import datetime
import decimal
import json
import sys
import uuid
from urllib.parse import urlparse

import clickhouse_connect


def render(value, type_name):
    """A value as ClickHouse's TabSeparated prints it."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, decimal.Decimal):
        # ClickHouse prints decimals without trailing zeros (output_format_decimal_trailing_zeros=0).
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        if "DateTime64(" in type_name:
            scale = int(type_name.split("DateTime64(")[1].split(")")[0].split(",")[0])
            text += "." + value.strftime("%f")[:scale] if scale > 0 else ""
        return text
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(render(v, type_name) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{render(k, '')}:{render(v, '')}" for k, v in value.items()) + "}"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def main():
    url, database, views = sys.argv[1], sys.argv[2], sys.argv[3:]
    parsed = urlparse(url)
    client = clickhouse_connect.get_client(host=parsed.hostname, port=parsed.port, username="default", password="", database=database)
    out = {
        "server": {
            "version": client.server_version,
            "timezone": str(client.server_tz),
            "user": client.command("SELECT currentUser()"),
            "database": client.command("SELECT currentDatabase()"),
        },
        "metadata": {
            "databases": [r[0] for r in client.query("SELECT name FROM system.databases ORDER BY name").result_rows],
            "tables": [r[0] for r in client.query("SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name", parameters={"db": database}).result_rows],
            "columns": client.query("SELECT count() FROM system.columns WHERE database = {db:String}", parameters={"db": database}).result_rows[0][0],
            "describe": [list(r[:2]) for r in client.query(f"DESCRIBE TABLE {views[0]}").result_rows],
        },
        "views": {},
    }
    for view in views:
        result = client.query(f"SELECT * FROM {view} ORDER BY ALL")
        types = [t.name for t in result.column_types]
        lines = ["\t".join(render(v, types[i]) for i, v in enumerate(row)) for row in result.result_rows]
        out["views"][view] = {"columns": list(result.column_names), "types": types, "tsv": "".join(line + "\n" for line in lines)}
    frame = client.query_df("SELECT * FROM bi_sales ORDER BY ALL")
    out["pandas"] = {"rows": int(len(frame)), "units_sold": float(frame["units_sold"].sum()) if "units_sold" in frame else None}
    table = client.query_arrow("SELECT * FROM bi_sales ORDER BY ALL")
    out["arrow"] = {"rows": table.num_rows, "columns": table.column_names}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
