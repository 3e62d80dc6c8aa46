"""The browse endpoints: best podcasts, details, recommendations, lists, typeahead."""

from __future__ import annotations

import random
from typing import Any

from harness.mock import shapes
from harness.mock import vocabulary as vocab
from harness.mock.catalogue import Catalogue, Podcast, episode_page, slugify
from harness.mock.errors import NotFound
from harness.mock.params import QueryParams
from harness.mock.text_match import Query

BEST_PODCASTS_PAGE_SIZE = 20
CURATED_PAGE_SIZE = 10
EPISODES_PAGE_SIZE = 10
RECOMMENDATIONS = 8
TYPEAHEAD_LIMIT = 5

BEST_PODCASTS_SORTS = {
    "recent_added_first": lambda p: -p.added_rank,
    "oldest_added_first": lambda p: p.added_rank,
    "recent_published_first": lambda p: -p.latest_pub_date_ms,
    "oldest_published_first": lambda p: p.latest_pub_date_ms,
    "listen_score": lambda p: -p.listen_score,
}


def _paging(page: int, page_size: int, total: int) -> dict[str, Any]:
    return {
        "total": total,
        "page_number": page,
        "has_previous": page > 1,
        "previous_page_number": page - 1,
        "has_next": page * page_size < total,
        "next_page_number": page + 1,
    }


def best_podcasts(catalogue: Catalogue, params: QueryParams) -> dict[str, Any]:
    """`BestPodcastsResponse`; the root genre (67) when no `genre_id` is given."""
    genre_id = params.integer("genre_id", default=vocab.ROOT_GENRE_ID)
    page = params.integer("page", default=1, minimum=1)
    region = (params.string("region") or "us").lower()
    publisher_region = (params.string("publisher_region") or "").lower() or None
    language = (params.string("language") or "").lower() or None
    order = BEST_PODCASTS_SORTS[params.choice("sort", BEST_PODCASTS_SORTS, "recent_added_first")]
    safe_mode = params.flag("safe_mode")
    if genre_id == vocab.ROOT_GENRE_ID:
        name, parent_id = vocab.ROOT_GENRE_NAME, 0
    elif (genre := catalogue.genre(genre_id)) is not None:
        name, parent_id = genre.name, genre.parent_id
    else:
        raise NotFound(f"Genre not found: {genre_id}")
    podcasts = [
        p
        for p in catalogue.podcasts
        if genre_id in p.genre_ids
        and region in p.popular_regions
        and (publisher_region is None or p.region == publisher_region)
        and (language is None or p.language.lower() == language)
        and not (safe_mode and p.explicit)
    ]
    podcasts.sort(key=lambda p: (order(p), p.id))
    start = (page - 1) * BEST_PODCASTS_PAGE_SIZE
    return {
        "id": genre_id,
        "name": name,
        "parent_id": parent_id,
        "listennotes_url": f"{shapes.LISTENNOTES}/best-{slugify(name)}-podcasts-{genre_id}/",
        "podcasts": [
            shapes.podcast_simple(p) for p in podcasts[start : start + BEST_PODCASTS_PAGE_SIZE]
        ],
        **_paging(page, BEST_PODCASTS_PAGE_SIZE, len(podcasts)),
    }


def _podcast(catalogue: Catalogue, podcast_id: str) -> Podcast:
    podcast = catalogue.podcast(podcast_id)
    if podcast is None:
        raise NotFound(f"Podcast not found: {podcast_id}")
    return podcast


def podcast_detail(catalogue: Catalogue, podcast_id: str, params: QueryParams) -> dict[str, Any]:
    """`PodcastFull` with 10 episodes after the `next_episode_pub_date` cursor."""
    podcast = _podcast(catalogue, podcast_id)
    oldest_first = params.choice("sort", ("recent_first", "oldest_first"), "recent_first") == (
        "oldest_first"
    )
    cursor = params.integer("next_episode_pub_date")
    page = episode_page(podcast, cursor, oldest_first, EPISODES_PAGE_SIZE)
    # An older episode made for this page can be fetched by its id afterwards.
    catalogue.remember(episodes=[e for e in page if catalogue.episode(e.id) is None])
    next_pub_date = page[-1].pub_date_ms if page else (cursor or podcast.latest_pub_date_ms)
    return shapes.podcast_full(podcast, page, next_pub_date)


def episode_detail(catalogue: Catalogue, episode_id: str, params: QueryParams) -> dict[str, Any]:
    """`EpisodeFull`."""
    show_transcript = params.flag("show_transcript")
    episode = catalogue.episode(episode_id)
    if episode is None:
        raise NotFound(f"Episode not found: {episode_id}")
    return shapes.episode_full(episode, show_transcript)


def _similar_podcasts(catalogue: Catalogue, podcast: Podcast, safe_mode: bool) -> list[Podcast]:
    genres = set(podcast.genre_ids) - {vocab.ROOT_GENRE_ID}
    candidates = [
        (len(genres.intersection(other.genre_ids)), other)
        for other in catalogue.podcasts
        if other is not podcast and not (safe_mode and other.explicit)
    ]
    candidates.sort(key=lambda pair: (-pair[0], -pair[1].listen_score, pair[1].id))
    return [other for shared, other in candidates[:RECOMMENDATIONS] if shared]


def podcast_recommendations(
    catalogue: Catalogue, podcast_id: str, params: QueryParams
) -> dict[str, Any]:
    """`GetPodcastRecommendationsResponse`: podcasts sharing the most genres."""
    safe_mode = params.flag("safe_mode")
    similar = _similar_podcasts(catalogue, _podcast(catalogue, podcast_id), safe_mode)
    return {"recommendations": [shapes.podcast_simple(p) for p in similar]}


def episode_recommendations(
    catalogue: Catalogue, episode_id: str, params: QueryParams
) -> dict[str, Any]:
    """`GetEpisodeRecommendationsResponse`: latest episodes of similar podcasts."""
    safe_mode = params.flag("safe_mode")
    episode = catalogue.episode(episode_id)
    if episode is None:
        raise NotFound(f"Episode not found: {episode_id}")
    similar = _similar_podcasts(catalogue, episode.podcast, safe_mode)
    return {"recommendations": [shapes.episode_simple(p.episodes[0]) for p in similar]}


def genres(catalogue: Catalogue, params: QueryParams) -> dict[str, Any]:
    """`GetGenresResponse`."""
    top_level_only = params.flag("top_level_only")
    return {
        "genres": [
            shapes.genre(g)
            for g in catalogue.genres
            if not top_level_only or g.parent_id == vocab.ROOT_GENRE_ID
        ]
    }


def languages(catalogue: Catalogue, params: QueryParams) -> dict[str, Any]:
    """`GetLanguagesResponse`."""
    return {"languages": list(catalogue.languages)}


def regions(catalogue: Catalogue, params: QueryParams) -> dict[str, Any]:
    """`GetRegionsResponse`."""
    return {"regions": dict(catalogue.regions)}


def just_listen(catalogue: Catalogue, params: QueryParams) -> dict[str, Any]:
    """`EpisodeSimple`: one episode, the same one for every request."""
    episode = random.Random(f"{catalogue.seed}|just_listen").choice(catalogue.episodes)
    return shapes.episode_simple(episode)


def curated_lists(catalogue: Catalogue, params: QueryParams) -> dict[str, Any]:
    """`GetCuratedPodcastsResponse`."""
    page = params.integer("page", default=1, minimum=1)
    start = (page - 1) * CURATED_PAGE_SIZE
    chosen = catalogue.curated_lists[start : start + CURATED_PAGE_SIZE]
    return {
        "curated_lists": [shapes.curated_simple(c) for c in chosen],
        **_paging(page, CURATED_PAGE_SIZE, len(catalogue.curated_lists)),
    }


def curated_detail(catalogue: Catalogue, curated_id: str, params: QueryParams) -> dict[str, Any]:
    """`CuratedListFull`."""
    curated = catalogue.curated_list(curated_id)
    if curated is None:
        raise NotFound(f"Curated list not found: {curated_id}")
    return shapes.curated_full(curated)


def typeahead(catalogue: Catalogue, params: QueryParams) -> dict[str, Any]:
    """`TypeaheadResponse`: search terms, plus genres and podcasts when asked for."""
    raw = params.required_string("q")
    show_podcasts = params.flag("show_podcasts")
    show_genres = params.flag("show_genres")
    safe_mode = params.flag("safe_mode")
    prefix = " ".join(raw.lower().split())
    starting = [t for t in catalogue.terms if t.startswith(prefix)]
    containing = [t for t in catalogue.terms if prefix in t and t not in starting]
    response: dict[str, Any] = {"terms": (starting + containing)[:TYPEAHEAD_LIMIT] or [prefix]}
    if show_genres:
        response["genres"] = [
            shapes.genre(g) for g in catalogue.genres if prefix in g.name.lower()
        ][:TYPEAHEAD_LIMIT]
    if show_podcasts:
        query = Query.parse(raw)
        scored = [
            (query.score(p.index, ("title", "author")), p)
            for p in catalogue.podcasts
            if not (safe_mode and p.explicit)
        ]
        scored = sorted(
            ((s, p) for s, p in scored if s), key=lambda pair: (-pair[0], -pair[1].listen_score)
        )
        response["podcasts"] = [
            shapes.podcast_typeahead(p, query) for _, p in scored[:TYPEAHEAD_LIMIT]
        ]
    return response
