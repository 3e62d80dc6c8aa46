"""`GET /search`: filtering, ranking and paging over the catalogue.

When the catalogue holds fewer than `MIN_MATCHES` items matching a search, items that match
the query and every filter are generated from a RNG seeded with the request's search key, so
the same search always returns the same results, and their ids can be fetched afterwards.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from harness.mock import shapes
from harness.mock import vocabulary as vocab
from harness.mock.catalogue import (
    ANCHOR_MS,
    DAY_MS,
    HOUR_MS,
    PODCAST_ERA_MS,
    Catalogue,
    CuratedList,
    Episode,
    Podcast,
    PodcastPlan,
    get_catalogue,
    make_curated_list,
    make_podcast,
    title_case,
)
from harness.mock.params import QueryParams
from harness.mock.text_match import FIELD_WEIGHTS, Query

SEARCH_TYPES = ("episode", "podcast", "curated")
MIN_MATCHES = 10


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """Every `GET /search` parameter that selects or orders results (not paging)."""

    kind: str
    query: Query
    only_in: tuple[str, ...]
    sort_by_date: bool
    len_min: int | None
    len_max: int | None
    published_before: int | None
    published_after: int | None
    language: str | None
    region: str | None
    genre_ids: frozenset[int]
    ocid: frozenset[str]
    ncid: frozenset[str]
    safe_mode: bool
    unique_podcasts: bool
    episode_count_min: int | None
    episode_count_max: int | None
    update_freq_min: int | None
    update_freq_max: int | None

    @classmethod
    def from_params(cls, params: QueryParams) -> SearchRequest:
        """Validate the search parameters (raises `BadParameter`)."""
        query = Query.parse(params.required_string("q"))
        return cls(
            kind=params.choice("type", SEARCH_TYPES, "episode"),
            query=query,
            only_in=params.string_list("only_in", FIELD_WEIGHTS) or tuple(FIELD_WEIGHTS),
            sort_by_date=params.flag("sort_by_date"),
            len_min=params.integer("len_min"),
            len_max=params.integer("len_max"),
            published_before=params.integer("published_before"),
            published_after=params.integer("published_after"),
            language=params.string("language"),
            region=params.string("region"),
            genre_ids=frozenset(params.integer_list("genre_ids")),
            ocid=frozenset(params.string_list("ocid", max_items=5)),
            ncid=frozenset(params.string_list("ncid", max_items=5)),
            safe_mode=params.flag("safe_mode"),
            unique_podcasts=params.flag("unique_podcasts"),
            episode_count_min=params.integer("episode_count_min"),
            episode_count_max=params.integer("episode_count_max"),
            update_freq_min=params.integer("update_freq_min"),
            update_freq_max=params.integer("update_freq_max"),
        )


def search(
    catalogue: Catalogue, request: SearchRequest, offset: int, page_size: int
) -> dict[str, Any]:
    """The `SearchResponse` for one page of results."""
    ranked = _ranked(catalogue.seed, request)
    page = ranked[offset : offset + page_size]
    render = {
        "episode": shapes.episode_search_result,
        "podcast": shapes.podcast_search_result,
        "curated": shapes.curated_search_result,
    }[request.kind]
    return {
        "count": len(page),
        "total": len(ranked),
        "next_offset": offset + len(page),
        "took": round(0.02 + 0.00001 * len(ranked), 3),
        "results": [render(item, request.query) for item in page],
    }


@functools.lru_cache(maxsize=512)
def _ranked(seed: int, request: SearchRequest) -> tuple[Any, ...]:
    catalogue = get_catalogue(seed)
    accept, date_of = _kind_rules(request)
    scored = _matching(_candidates(catalogue, request), request, accept)
    if len(scored) < MIN_MATCHES and request.query.terms + request.query.phrases:
        generated = _synthesize(catalogue, request)
        scored += _matching(generated, request, accept)
    if request.sort_by_date:
        scored.sort(key=lambda pair: (-date_of(pair[1]), pair[1].id))
    else:
        scored.sort(key=lambda pair: (-pair[0], -date_of(pair[1]), pair[1].id))
    items = [item for _, item in scored]
    if request.kind == "episode" and request.unique_podcasts:
        seen: set[str] = set()
        items = [e for e in items if not (e.podcast.id in seen or seen.add(e.podcast.id))]
    return tuple(items)


@functools.cache
def _postings(seed: int, kind: str) -> dict[str, frozenset[int]]:
    """Word -> positions of the catalogue items (of one search type) containing it anywhere."""
    pool = _pool(get_catalogue(seed), kind)
    postings: dict[str, set[int]] = {}
    for position, item in enumerate(pool):
        for indexed in item.index.values():
            for token in indexed.tokens:
                postings.setdefault(token, set()).add(position)
    return {token: frozenset(positions) for token, positions in postings.items()}


def _pool(catalogue: Catalogue, kind: str) -> list[Any]:
    """The catalogue items a search type looks through."""
    pools = {
        "episode": catalogue.episodes,
        "podcast": catalogue.podcasts,
        "curated": catalogue.curated_lists,
    }
    return pools[kind]


def _candidates(catalogue: Catalogue, request: SearchRequest) -> list[Any]:
    """Catalogue items containing every query word in some field (a superset of matches)."""
    pool = _pool(catalogue, request.kind)
    postings = _postings(catalogue.seed, request.kind)
    needed = set(request.query.terms)
    for phrase in request.query.phrases:
        needed.update(phrase.split())
    if not needed:
        return []
    positions = frozenset.intersection(*(postings.get(word, frozenset()) for word in needed))
    return [pool[position] for position in sorted(positions)]


def _matching(
    items: Iterable[Any], request: SearchRequest, accept: Callable[[Any], bool]
) -> list[tuple[int, Any]]:
    scored = []
    for item in items:
        score = request.query.score(item.index, request.only_in)
        if score and accept(item):
            scored.append((score, item))
    return scored


def _within(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _podcast_filter(request: SearchRequest) -> Callable[[Podcast], bool]:
    language = request.language.lower() if request.language else None
    region = request.region.lower() if request.region else None

    def accept(podcast: Podcast) -> bool:
        return (
            (language is None or podcast.language.lower() == language)
            and (region is None or podcast.region == region)
            and (not request.genre_ids or not request.genre_ids.isdisjoint(podcast.genre_ids))
            and not (request.safe_mode and podcast.explicit)
        )

    return accept


def _minutes(value: int | None) -> int | None:
    return None if value is None else value * 60


def _kind_rules(request: SearchRequest) -> tuple[Callable[[Any], bool], Callable[[Any], int]]:
    """Filter and date key for the search type."""
    before, after = request.published_before, request.published_after
    length = (_minutes(request.len_min), _minutes(request.len_max))
    podcast_ok = _podcast_filter(request)

    def dated(ms: int) -> bool:
        return (after is None or ms >= after) and (before is None or ms < before)

    if request.kind == "episode":

        def accept_episode(episode: Episode) -> bool:
            podcast = episode.podcast
            return (
                podcast_ok(podcast)
                and _within(episode.audio_length_sec, *length)
                and dated(episode.pub_date_ms)
                and (not request.ocid or podcast.id in request.ocid)
                and podcast.id not in request.ncid
            )

        return accept_episode, lambda e: e.pub_date_ms

    if request.kind == "podcast":

        def accept_podcast(podcast: Podcast) -> bool:
            return (
                podcast_ok(podcast)
                and _within(podcast.audio_length_sec, *length)
                and dated(podcast.latest_pub_date_ms)
                and _within(
                    podcast.total_episodes, request.episode_count_min, request.episode_count_max
                )
                and _within(
                    podcast.update_frequency_hours, request.update_freq_min, request.update_freq_max
                )
            )

        return accept_podcast, lambda p: p.latest_pub_date_ms

    def accept_curated(curated: CuratedList) -> bool:
        return dated(curated.pub_date_ms)

    return accept_curated, lambda c: c.pub_date_ms


def _synthesize(catalogue: Catalogue, request: SearchRequest) -> list[Any]:
    """Generate items that match `request` (or none when its filters cannot be met)."""
    rng = random.Random(f"{catalogue.seed}|{request!r}")
    keyword = request.query.display
    if request.kind == "curated":
        lists = [
            make_curated_list(rng, keyword, rng.sample(catalogue.podcasts, 12), rng.randint(5, 10))
            for _ in range(rng.randint(3, 8))
        ]
        for curated in lists:
            curated.build_index()
        catalogue.remember(curated_lists=lists)
        return lists
    plans = _plans(catalogue, request, rng, keyword)
    podcasts = [make_podcast(rng, plan) for plan in plans]
    episodes = [episode for podcast in podcasts for episode in podcast.episodes]
    for item in (*podcasts, *episodes):
        item.build_index()
    catalogue.remember(podcasts=podcasts, episodes=episodes)
    return episodes if request.kind == "episode" else podcasts


def _pick_range(rng: random.Random, low: int, high: int, preferred: int) -> int:
    return preferred if low <= preferred <= high else rng.randint(low, high)


def _plans(
    catalogue: Catalogue, request: SearchRequest, rng: random.Random, keyword: str
) -> list[PodcastPlan]:
    """Podcast plans satisfying every filter of `request`; empty when they contradict."""
    languages = {name.lower(): name for name in catalogue.languages}
    if request.language and request.language.lower() not in languages:
        return []
    if request.region and request.region.lower() not in catalogue.regions:
        return []
    genres = [g for g in sorted(request.genre_ids) if catalogue.genre(g)]
    if request.genre_ids and not genres:
        return []
    len_low = max(60, _minutes(request.len_min) or 0)
    len_high = _minutes(request.len_max) if request.len_max is not None else max(len_low, 3600)
    after = request.published_after or 0
    before = request.published_before or ANCHOR_MS
    count_low = max(1, request.episode_count_min or 3)
    count_high = min(request.episode_count_max or 12, count_low + 20)
    freq_low = max(1, request.update_freq_min or 1)
    freq_high = request.update_freq_max or 720
    if len_high < len_low or before <= after or count_high < count_low or freq_high < freq_low:
        return []
    plans = []
    for _ in range(3 if request.kind == "episode" else rng.randint(10, 20)):
        language = languages[request.language.lower()] if request.language else "English"
        region_choices = vocab.LANGUAGE_REGIONS.get(language, (1, ("us",)))[1]
        genre_id = rng.choice(genres) if genres else rng.choice(sorted(vocab.TOPICS))
        genre = catalogue.genre(genre_id)
        lineage = [genre_id] if genre is None else [genre_id, genre.parent_id]
        top = lineage[-1] if lineage[-1] in vocab.TOPICS else genre_id
        topic_words = rng.sample(vocab.TOPICS.get(top, vocab.TOPICS[127]), 2)
        newest = min(before - 1, ANCHOR_MS)
        region = request.region.lower() if request.region else rng.choice(region_choices)
        explicit = not request.safe_mode and rng.random() < 0.15
        frequency = _pick_range(rng, freq_low, freq_high, 168)
        episode_count = rng.randint(count_low, count_high)
        plans.append(
            PodcastPlan(
                keywords=[keyword, *topic_words],
                genre_ids=list(dict.fromkeys([*lineage, vocab.ROOT_GENRE_ID])),
                language=language,
                region=region,
                explicit=explicit,
                update_frequency_hours=_fitting_frequency(frequency, freq_low, episode_count),
                episode_count=episode_count,
                latest_pub_date_ms=rng.randint(max(after, newest - 365 * DAY_MS), newest),
                length_range_sec=(len_low, len_high),
                publisher=f"{title_case(keyword)} {rng.choice(vocab.PUBLISHER_SUFFIXES)}",
                lead_keyword=True,
            )
        )
    return plans


def _fitting_frequency(hours: int, lowest: int, episode_count: int) -> int:
    """``hours`` between episodes, or fewer (not below ``lowest``) when that many episodes,
    counted back from the catalogue's now (``ANCHOR_MS``), would otherwise reach back before
    podcasts began (``PODCAST_ERA_MS``)."""
    fitting = (ANCHOR_MS - PODCAST_ERA_MS) // (episode_count * HOUR_MS)
    return hours if hours <= fitting else max(lowest, fitting)
