"""Reads a feed from standard input as a feed reader would and prints, as JSON, what it made of
it, so the Rust tests can assert what a resident's reader shows.

Atom is read by feedparser, the reference Python feed reader. JSON Feed is read by feedparser-rs
(the same API), because feedparser's released versions do not read JSON Feed.

Usage: read_feed.py < FEED
Needs: pip install feedparser feedparser-rs
Exits 3, saying what to install, when a reader is missing.
"""

import json
import sys
import time


def pick(obj, key):
    """A field of a parsed object, whether the reader gives dicts or attributes."""
    if obj is None:
        return None
    try:
        return obj[key]
    except (KeyError, TypeError, IndexError, AttributeError):
        return getattr(obj, key, None)


def utc(struct):
    """A parsed time (a UTC time.struct_time) as RFC 3339 in UTC, or None."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", struct) if struct else None


def links(obj):
    return [
        {"rel": pick(l, "rel"), "type": pick(l, "type"), "href": pick(l, "href")}
        for l in (pick(obj, "links") or [])
    ]


def main():
    document = sys.stdin.buffer.read()
    is_json = document.lstrip()[:1] == b"{"
    try:
        if is_json:
            import feedparser_rs as reader
        else:
            import feedparser as reader
    except ImportError as error:
        print(f"{error}: pip install feedparser feedparser-rs", file=sys.stderr)
        sys.exit(3)

    if is_json:
        # JSON Feed titles are plain text, but feedparser-rs reads them as HTML and escapes them
        # ("Sawston &amp; Linton"); its sanitiser is for feeds one does not trust, not needed here.
        parsed = reader.parse(document, sanitize_html=False)
    else:
        parsed = reader.parse(document)
    feed = pick(parsed, "feed")
    out = {
        "reader": reader.__name__,
        "version": pick(parsed, "version"),
        "bozo": bool(pick(parsed, "bozo")),
        "bozo_exception": str(pick(parsed, "bozo_exception") or ""),
        "feed": {
            "title": pick(feed, "title"),
            "id": pick(feed, "id"),
            "link": pick(feed, "link"),
            "links": links(feed),
            "updated_utc": utc(pick(feed, "updated_parsed")),
            "language": pick(feed, "language"),
            "author": pick(feed, "author"),
        },
        "entries": [],
    }
    for entry in pick(parsed, "entries") or []:
        tags = pick(entry, "tags") or []
        out["entries"].append(
            {
                "id": pick(entry, "id"),
                "title": pick(entry, "title"),
                "link": pick(entry, "link"),
                "links": links(entry),
                "published_utc": utc(pick(entry, "published_parsed")),
                "updated_utc": utc(pick(entry, "updated_parsed")),
                "author": pick(entry, "author"),
                "tags": [pick(t, "term") for t in tags],
                "tag_labels": [pick(t, "label") for t in tags],
                "summary": pick(entry, "summary"),
                "content": [
                    {"type": pick(c, "type"), "value": pick(c, "value")}
                    for c in (pick(entry, "content") or [])
                ],
            }
        )
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
