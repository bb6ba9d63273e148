"""Opening what every command needs to read an index: target, config, cache, client, finder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from symres.cache import Cache, default_cache_dir
from symres.index.client import IndexClient, make_http_client
from symres.index.config import IndexOptions, load_index_config
from symres.index.finder import Finder
from symres.index.formats import FormatControl
from symres.target import Target

if TYPE_CHECKING:
    from datetime import datetime

    import httpx


@contextmanager
def open_finder(
    target: Target,
    options: IndexOptions,
    http: httpx.Client | None = None,
    *,
    formats: FormatControl | None = None,
    exclude_newer: datetime | None = None,
) -> Iterator[Finder]:
    config = load_index_config(
        index_url=options.index_url,
        extra_index_urls=options.extra_index_urls,
        cert=options.cert,
        find_links=options.find_links,
        no_index=options.no_index,
        strategy=options.strategy,
    )
    cache = Cache(None if options.no_cache else (options.cache_dir or default_cache_dir()))
    client = IndexClient(
        config,
        http or (lambda: make_http_client(config)),
        cache,
        refresh=options.refresh,
        offline=options.offline,
    )
    finder = Finder(client, target, formats=formats, exclude_newer=exclude_newer)
    try:
        yield finder
    finally:
        finder.close()
        client.close()
