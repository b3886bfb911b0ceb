#!/usr/bin/env python3
"""Sign-in timing for an existing and an unknown account (docs/SECURITY.md).

Measurement, not a test: N sign-ins with a wrong password each, alternating between an
existing account and one that does not exist, against a running `spreiding serve`; prints
the median and the 10th/90th percentile of the wall time per request. Each sign-in uses a
fresh session and a different client address is not possible here, so N stays below the
lockout threshold per account (5): the existing account is one of many made for this run.

    python3 tools/bench/login_timing.py http://127.0.0.1:8080 --accounts timing01,timing02,... --rounds 4
"""
import argparse
import http.client
import json
import statistics
import time
import urllib.parse


def session(conn):
    conn.request("GET", "/api/session")
    r = conn.getresponse()
    body = json.loads(r.read())
    cookie = [v for k, v in r.getheaders() if k.lower() == "set-cookie"][0].split(";")[0]
    return cookie, body["csrf_token"]


def attempt(host, port, username):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    cookie, csrf = session(conn)
    body = urllib.parse.urlencode({"username": username, "password": "a-wrong-password-here", "csrf": csrf})
    t = time.perf_counter()
    conn.request("POST", "/login", body, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    r = conn.getresponse()
    r.read()
    dt = time.perf_counter() - t
    conn.close()
    assert r.status == 401, r.status
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--accounts", required=True, help="existing accounts, comma-separated")
    ap.add_argument("--rounds", type=int, default=4, help="attempts per existing account (below the lockout of 5)")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.url)
    existing, unknown = [], []
    for _ in range(a.rounds):
        for name in a.accounts.split(","):
            existing.append(attempt(u.hostname, u.port, name))
            unknown.append(attempt(u.hostname, u.port, "nobody-" + name))
    for label, xs in (("existing account", existing), ("unknown account", unknown)):
        q = statistics.quantiles(xs, n=10)
        print(f"{label:17}: n={len(xs)} median {statistics.median(xs) * 1000:.1f} ms, "
              f"p10 {q[0] * 1000:.1f} ms, p90 {q[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
