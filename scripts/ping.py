"""Exit 0 when the service at the URL answers, 1 otherwise. Used by scripts/test.sh."""

import sys


def main(kind: str, url: str) -> int:
    try:
        if kind == "postgres":
            import psycopg

            with psycopg.connect(url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
        elif kind == "redis":
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        else:
            raise SystemExit(f"unknown service {kind}")
    except Exception:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
