"""ClickHouse's Python client (clickhouse-connect) against a ClickHouse HTTP front.

Run by test/integration/clickhouse-front-python.test.ts, which asserts on the JSON printed:
a query, an insert (the client's own: the statement in the body, Native rows after it), a raw
RowBinary insert, the rows read back, and what the default client (LZ4 request bodies) is told.
Usage: clickhouse_connect_probe.py <host> <port> <table>
"""
import json
import struct
import sys

import clickhouse_connect



def row_binary(ident: int, *strings: bytes) -> bytes:
    """One RowBinary row: a UInt32, then each String as its length (under 128) and its bytes."""
    out = struct.pack("<I", ident)
    for value in strings:
        out += bytes([len(value)]) + value
    return out


host, port, table = sys.argv[1], int(sys.argv[2]), sys.argv[3]
plain = clickhouse_connect.get_client(host=host, port=port, compress=False)
gzipped = clickhouse_connect.get_client(host=host, port=port, compress="gzip")
report = {"version": plain.server_version}

report["query"] = [list(row) for row in gzipped.query("SELECT number, toString(number * 2) FROM numbers(3)").result_rows]

plain.command(f"CREATE TABLE {table} (id UInt32, name String, raw String) ENGINE = MergeTree ORDER BY id")
try:
    gzipped.insert(
        table,
        [[1, "héllo ☃", b"\x00\n\xff"], [2, "trailing ", b"\r\n\x00"]],
        column_names=["id", "name", "raw"],
    )

    plain.raw_insert(
        table,
        ["id", "name", "raw"],
        row_binary(10, "zehn".encode(), b"\n\x00") + row_binary(11, b"", b" \t\x00"),
        fmt="RowBinary",
    )
    result = plain.query(f"SELECT id, name, hex(raw) FROM {table} ORDER BY id")
    report["rows"] = [list(row) for row in result.result_rows]

    try:
        clickhouse_connect.get_client(host=host, port=port).insert(table, [[99, "lz4", b""]], column_names=["id", "name", "raw"])
        report["default_client_insert"] = "accepted"
    except Exception as error:  # the test asserts on the text the client surfaces
        report["default_client_insert"] = str(error)
finally:
    plain.command(f"DROP TABLE IF EXISTS {table}")

print(json.dumps(report))
