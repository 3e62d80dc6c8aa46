"""Upstream response shapes (components/schemas of the PodcastAPI v2 spec) for catalogue items."""

from __future__ import annotations

from typing import Any

from harness.mock.catalogue import CuratedList, Episode, Genre, Podcast, slugify
from harness.mock.text_match import Query

LISTENNOTES = "https://www.listennotes.com"


def genre(item: Genre) -> dict[str, Any]:
    """`Genre`."""
    return {"id": item.id, "name": item.name, "parent_id": item.parent_id}


def podcast_minimum(podcast: Podcast) -> dict[str, Any]:
    """`PodcastMinimum`."""
    return {
        "id": podcast.id,
        "title": podcast.title,
        "publisher": podcast.publisher,
        "image": podcast.image,
        "thumbnail": podcast.thumbnail,
        "listennotes_url": f"{LISTENNOTES}/c/{podcast.id}/",
        "listen_score": podcast.listen_score,
        "listen_score_global_rank": podcast.global_rank,
    }


def podcast_simple(podcast: Podcast) -> dict[str, Any]:
    """`PodcastSimple`."""
    slug = podcast.slug
    return {
        **podcast_minimum(podcast),
        "description": podcast.description,
        "type": podcast.podcast_type,
        "language": podcast.language,
        "country": podcast.country,
        "genre_ids": list(podcast.genre_ids),
        "explicit_content": podcast.explicit,
        "email": f"hello@{slug[:30]}.example.com",
        "website": f"https://{slug[:30]}.example.com/",
        "rss": f"https://feeds.example.com/{slug}/rss",
        "itunes_id": podcast.itunes_id,
        "is_claimed": podcast.is_claimed,
        "total_episodes": podcast.total_episodes,
        "audio_length_sec": podcast.audio_length_sec,
        "update_frequency_hours": podcast.update_frequency_hours,
        "earliest_pub_date_ms": podcast.earliest_pub_date_ms,
        "latest_pub_date_ms": podcast.latest_pub_date_ms,
        "latest_episode_id": podcast.episodes[0].id,
        "extra": dict(podcast.extra),
        "looking_for": dict(podcast.looking_for),
    }


def podcast_full(podcast: Podcast, episodes: list[Episode], next_pub_date: int) -> dict[str, Any]:
    """`PodcastFull`: a podcast with one page of its episodes."""
    return {
        **podcast_simple(podcast),
        "episodes": [episode_minimum(episode) for episode in episodes],
        "next_episode_pub_date": next_pub_date,
    }


def episode_minimum(episode: Episode) -> dict[str, Any]:
    """`EpisodeMinimum`."""
    return {
        "id": episode.id,
        "title": episode.title,
        "description": episode.description,
        "pub_date_ms": episode.pub_date_ms,
        "audio": f"{LISTENNOTES}/e/p/{episode.id}/",
        "audio_length_sec": episode.audio_length_sec,
        "image": episode.podcast.image,
        "thumbnail": episode.podcast.thumbnail,
        "link": episode.link,
        "listennotes_url": f"{LISTENNOTES}/e/{episode.id}/",
        "listennotes_edit_url": f"{LISTENNOTES}/e/{episode.id}/#edit",
        "explicit_content": episode.podcast.explicit,
        "maybe_audio_invalid": False,
    }


def episode_simple(episode: Episode) -> dict[str, Any]:
    """`EpisodeSimple`: an episode with minimal data on its podcast."""
    return {**episode_minimum(episode), "podcast": podcast_minimum(episode.podcast)}


def episode_full(episode: Episode, show_transcript: bool) -> dict[str, Any]:
    """`EpisodeFull`: an episode with its podcast; the transcript only when asked for."""
    shape = {**episode_minimum(episode), "podcast": podcast_simple(episode.podcast)}
    if show_transcript:
        shape["transcript"] = episode.transcript
    return shape


def curated_simple(curated: CuratedList) -> dict[str, Any]:
    """`CuratedListSimple`: a curated list with up to 5 podcasts."""
    return {
        **_curated_common(curated),
        "title": curated.title,
        "description": curated.description,
        "podcasts": [podcast_minimum(p) for p in curated.podcasts[:5]],
    }


def curated_full(curated: CuratedList) -> dict[str, Any]:
    """`CuratedListFull`: a curated list with all of its podcasts."""
    return {
        **_curated_common(curated),
        "title": curated.title,
        "description": curated.description,
        "podcasts": [podcast_simple(p) for p in curated.podcasts],
    }


def _curated_common(curated: CuratedList) -> dict[str, Any]:
    return {
        "id": curated.id,
        "total": len(curated.podcasts),
        "pub_date_ms": curated.pub_date_ms,
        "source_url": curated.source_url,
        "source_domain": curated.source_domain,
        "listennotes_url": (
            f"{LISTENNOTES}/curated-podcasts/{slugify(curated.title)[:40]}-{curated.id}/"
        ),
    }


def episode_search_result(episode: Episode, query: Query) -> dict[str, Any]:
    """`EpisodeSearchResult`."""
    podcast = episode.podcast
    minimum = episode_minimum(episode)
    return {
        key: minimum[key]
        for key in (
            "id",
            "audio",
            "audio_length_sec",
            "pub_date_ms",
            "image",
            "thumbnail",
            "link",
            "listennotes_url",
            "explicit_content",
        )
    } | {
        "rss": f"https://feeds.example.com/{podcast.slug}/rss",
        "itunes_id": podcast.itunes_id,
        "title_original": episode.title,
        "title_highlighted": query.highlight(episode.title),
        "description_original": episode.description,
        "description_highlighted": query.snippet(episode.description),
        "transcripts_highlighted": _transcript_hits(episode, query),
        "podcast": {
            "id": podcast.id,
            "image": podcast.image,
            "thumbnail": podcast.thumbnail,
            "genre_ids": list(podcast.genre_ids),
            "listen_score": podcast.listen_score,
            "listen_score_global_rank": podcast.global_rank,
            "listennotes_url": f"{LISTENNOTES}/c/{podcast.id}/",
            "title_original": podcast.title,
            "title_highlighted": query.highlight(podcast.title),
            "publisher_original": podcast.publisher,
            "publisher_highlighted": query.highlight(podcast.publisher),
        },
    }


def _transcript_hits(episode: Episode, query: Query) -> list[str]:
    lines = [line for line in episode.transcript.splitlines() if query.highlight(line) != line]
    return [query.highlight(line) for line in lines[:2]]


def podcast_search_result(podcast: Podcast, query: Query) -> dict[str, Any]:
    """`PodcastSearchResult`."""
    simple = podcast_simple(podcast)
    keep = (
        "id",
        "image",
        "thumbnail",
        "listennotes_url",
        "listen_score",
        "listen_score_global_rank",
        "rss",
        "email",
        "website",
        "itunes_id",
        "genre_ids",
        "explicit_content",
        "total_episodes",
        "audio_length_sec",
        "update_frequency_hours",
        "earliest_pub_date_ms",
        "latest_pub_date_ms",
        "latest_episode_id",
    )
    return {key: simple[key] for key in keep} | {
        "title_original": podcast.title,
        "title_highlighted": query.highlight(podcast.title),
        "publisher_original": podcast.publisher,
        "publisher_highlighted": query.highlight(podcast.publisher),
        "description_original": podcast.description,
        "description_highlighted": query.snippet(podcast.description),
    }


def curated_search_result(curated: CuratedList, query: Query) -> dict[str, Any]:
    """`CuratedListSearchResult`."""
    return {
        **_curated_common(curated),
        "title_original": curated.title,
        "title_highlighted": query.highlight(curated.title),
        "description_original": curated.description,
        "description_highlighted": query.snippet(curated.description),
        "podcasts": [podcast_minimum(p) for p in curated.podcasts[:5]],
    }


def podcast_typeahead(podcast: Podcast, query: Query) -> dict[str, Any]:
    """`PodcastTypeaheadResult`."""
    return {
        "id": podcast.id,
        "image": podcast.image,
        "thumbnail": podcast.thumbnail,
        "explicit_content": podcast.explicit,
        "title_original": podcast.title,
        "title_highlighted": query.highlight(podcast.title),
        "publisher_original": podcast.publisher,
        "publisher_highlighted": query.highlight(podcast.publisher),
    }
