"""The mock's deterministic catalogue: genres, podcasts, episodes and curated lists.

Built once per process and seed from a seeded RNG, the word lists in `vocabulary` and the
examples of the upstream spec (its example podcast, episodes and curated lists are included
under their upstream ids).
"""

from __future__ import annotations

import functools
import random
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from harness.contract.load import load_upstream_spec
from harness.mock import vocabulary as vocab
from harness.mock.text_match import IndexedField, index_fields
from harness.mock.upstream_spec import schema_example

# "Now" for the catalogue: every date is at or before this instant (2026-06-01T00:00:00Z).
ANCHOR_MS = 1_780_272_000_000
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
PODCAST_ERA_MS = 1_104_537_600_000  # 2005-01-01T00:00:00Z (see search._fitting_frequency)
PODCAST_COUNT = 240
CURATED_COUNT = 30
SYNTHETIC_CAPACITY = 20_000
MADE_EPISODES = 100
"""A podcast's newest episodes, made with it; older ones are made when asked for (a podcast
synthesised for ``episode_count_min`` may have up to 100,000)."""


@dataclass(frozen=True, slots=True)
class Genre:
    id: int
    name: str
    parent_id: int


@dataclass(slots=True, eq=False)
class Podcast:
    id: str
    title: str
    publisher: str
    description: str
    language: str
    region: str
    genre_ids: list[int]
    explicit: bool
    listen_score: int
    itunes_id: int
    podcast_type: str
    update_frequency_hours: int
    popular_regions: frozenset[str]
    added_rank: int
    extra: dict[str, str]
    looking_for: dict[str, bool]
    is_claimed: bool
    plan: PodcastPlan  # how its episodes are made
    episodes: list[Episode] = field(default_factory=list)  # the newest ones made, newest first
    index: dict[str, IndexedField] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return slugify(self.title)

    @property
    def image(self) -> str:
        return f"https://cdn-images-1.listennotes.com/podcasts/{self.slug}-{self.id[:11]}.1400x1400.jpg"

    @property
    def thumbnail(self) -> str:
        return (
            f"https://cdn-images-1.listennotes.com/podcasts/{self.slug}-{self.id[:11]}.300x300.jpg"
        )

    @property
    def country(self) -> str:
        return vocab.REGIONS[self.region]

    @property
    def total_episodes(self) -> int:
        return self.plan.episode_count

    @property
    def latest_pub_date_ms(self) -> int:
        return self.episodes[0].pub_date_ms

    @property
    def earliest_pub_date_ms(self) -> int:
        return self.pub_date_ms(1)

    @property
    def audio_length_sec(self) -> int:
        """The mean length of the episodes made with the podcast (its newest)."""
        return sum(e.audio_length_sec for e in self.episodes) // len(self.episodes)

    def episode(self, number: int) -> Episode:
        """Episode ``number`` (1 is the oldest): one made with the podcast, or an older one made
        now from its own seed, the same on every call."""
        made = self._made(number)
        if made is not None:
            return made
        rng, pub_date = self._older(number)
        plan = self.plan
        length = rng.randint(*plan.length_range_sec)
        return make_episode(rng, self, number, pub_date, length, plan.keywords, plan.lead_keyword)

    def pub_date_ms(self, number: int) -> int:
        """The publication date of episode ``number``, without making the episode."""
        made = self._made(number)
        return self._older(number)[1] if made is None else made.pub_date_ms

    def _made(self, number: int) -> Episode | None:
        """Episode ``number`` if it was made with the podcast."""
        index = self.total_episodes - number
        return self.episodes[index] if index < len(self.episodes) else None

    def _older(self, number: int) -> tuple[random.Random, int]:
        """The seeded generator of an older episode, and the episode's date (its first draw)."""
        rng = random.Random(f"{self.id}|episode|{number}")
        return rng, self._scheduled_ms(number) - rng.randint(0, HOUR_MS)

    def _scheduled_ms(self, number: int) -> int:
        offset = (self.total_episodes - number) * self.plan.update_frequency_hours * HOUR_MS
        return self.plan.latest_pub_date_ms - offset

    @property
    def global_rank(self) -> str:
        for score, rank in ((80, "0.1%"), (70, "0.5%"), (60, "1%"), (50, "2.5%"), (40, "5%")):
            if self.listen_score >= score:
                return rank
        return "10%"

    def build_index(self) -> None:
        self.index = index_fields(
            title=self.title, description=self.description, author=self.publisher, audio=""
        )


@dataclass(slots=True, eq=False)
class Episode:
    id: str
    podcast: Podcast
    title: str
    description: str
    pub_date_ms: int
    audio_length_sec: int
    transcript: str
    link: str
    index: dict[str, IndexedField] = field(default_factory=dict)

    def build_index(self) -> None:
        self.index = index_fields(
            title=self.title,
            description=self.description,
            author=self.podcast.publisher,
            audio=self.transcript,
        )


@dataclass(slots=True, eq=False)
class CuratedList:
    id: str
    title: str
    description: str
    source_domain: str
    source_url: str
    pub_date_ms: int
    podcasts: list[Podcast]
    index: dict[str, IndexedField] = field(default_factory=dict)

    def build_index(self) -> None:
        self.index = index_fields(
            title=self.title, description=self.description, author=self.source_domain, audio=""
        )


@dataclass
class Catalogue:
    """Everything the mock serves; `synthetic` holds items generated for sparse searches."""

    seed: int
    genres: list[Genre]
    languages: list[str]
    regions: dict[str, str]
    podcasts: list[Podcast]
    episodes: list[Episode]
    curated_lists: list[CuratedList]
    terms: tuple[str, ...]
    synthetic_podcasts: OrderedDict[str, Podcast] = field(default_factory=OrderedDict)
    synthetic_episodes: OrderedDict[str, Episode] = field(default_factory=OrderedDict)
    synthetic_curated: OrderedDict[str, CuratedList] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self._genres_by_id = {genre.id: genre for genre in self.genres}
        self._podcasts_by_id = {podcast.id: podcast for podcast in self.podcasts}
        self._episodes_by_id = {episode.id: episode for episode in self.episodes}
        self._curated_by_id = {curated.id: curated for curated in self.curated_lists}

    def genre(self, genre_id: int) -> Genre | None:
        return self._genres_by_id.get(genre_id)

    def podcast(self, podcast_id: str) -> Podcast | None:
        return self._podcasts_by_id.get(podcast_id) or self.synthetic_podcasts.get(podcast_id)

    def episode(self, episode_id: str) -> Episode | None:
        return self._episodes_by_id.get(episode_id) or self.synthetic_episodes.get(episode_id)

    def curated_list(self, curated_id: str) -> CuratedList | None:
        return self._curated_by_id.get(curated_id) or self.synthetic_curated.get(curated_id)

    def remember(
        self,
        podcasts: Iterable[Podcast] = (),
        episodes: Iterable[Episode] = (),
        curated_lists: Iterable[CuratedList] = (),
    ) -> None:
        """Make generated items fetchable by id (bounded: the oldest are forgotten first)."""
        for store, items in (
            (self.synthetic_podcasts, podcasts),
            (self.synthetic_episodes, episodes),
            (self.synthetic_curated, curated_lists),
        ):
            for item in items:
                store[item.id] = item
            while len(store) > SYNTHETIC_CAPACITY:
                store.popitem(last=False)


def episode_page(
    podcast: Podcast, cursor: int | None, oldest_first: bool, size: int
) -> list[Episode]:
    """Up to ``size`` episodes published before ``cursor`` (newest first) or after it (oldest
    first); from the newest or the oldest without one. Episode dates never decrease with their
    number, so the page starts at a number found by bisection."""
    count = podcast.total_episodes
    if oldest_first:
        first = 1 if cursor is None else _first_number(podcast, lambda ms: ms > cursor)
        numbers = range(first, min(count, first + size - 1) + 1)
    else:
        newest = count if cursor is None else _first_number(podcast, lambda ms: ms >= cursor) - 1
        numbers = range(newest, max(0, newest - size), -1)
    return [podcast.episode(number) for number in numbers]


def _first_number(podcast: Podcast, later: Callable[[int], bool]) -> int:
    """The smallest episode number whose date is ``later`` (total_episodes + 1 if none)."""
    low, high = 1, podcast.total_episodes + 1
    while low < high:
        middle = (low + high) // 2
        if later(podcast.pub_date_ms(middle)):
            high = middle
        else:
            low = middle + 1
    return low


def slugify(text: str) -> str:
    """URL slug of a title, as listennotes.com builds them."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "podcast"


def title_case(phrase: str) -> str:
    """'world war ii' -> 'World War II'."""
    romans = {"ii", "iii", "iv"}
    return " ".join(w.upper() if w in romans else w[:1].upper() + w[1:] for w in phrase.split())


def hex_id(rng: random.Random) -> str:
    """A 32-character lower-case hex id, like upstream podcast and episode ids."""
    return f"{rng.getrandbits(128):032x}"


def curated_id(rng: random.Random) -> str:
    """An 11-character id, like upstream curated list ids."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(rng.choice(alphabet) for _ in range(11))


def _fill(rng: random.Random, pattern: str, keywords: list[str], **extra: object) -> str:
    kws = [*keywords, *keywords, *keywords][:3]
    values = {
        "kw": kws[0],
        "Kw": title_case(kws[0]),
        "kw2": kws[1],
        "Kw2": title_case(kws[1]),
        "kw3": kws[2],
        "Host": rng.choice(vocab.PEOPLE),
        "Guest": rng.choice(vocab.PEOPLE),
        "adj": rng.choice(vocab.ADJECTIVES),
        **extra,
    }
    return pattern.format(**values)


@dataclass(frozen=True, slots=True)
class PodcastPlan:
    """What a generated podcast must look like (used for the catalogue and for synthesis)."""

    keywords: list[str]
    genre_ids: list[int]
    language: str
    region: str
    explicit: bool
    update_frequency_hours: int
    episode_count: int
    latest_pub_date_ms: int
    length_range_sec: tuple[int, int]
    added_rank: int = 0
    publisher: str | None = None  # default: "<host surname> <suffix>"
    lead_keyword: bool = False  # every episode is about keywords[0]


def make_podcast(rng: random.Random, plan: PodcastPlan) -> Podcast:
    """Generate a podcast and its newest :data:`MADE_EPISODES` episodes (newest first)
    following `plan`."""
    keywords = plan.keywords
    host = rng.choice(vocab.PEOPLE)
    title = _fill(rng, rng.choice(vocab.PODCAST_TITLE_PATTERNS), keywords, Host=host.split()[0])
    frequency = {24: "day", 72: "few days", 168: "week", 336: "two weeks"}.get(
        plan.update_frequency_hours, "month"
    )
    description = _fill(
        rng, rng.choice(vocab.PODCAST_DESCRIPTION_PATTERNS), keywords, Host=host, freq=frequency
    )
    publisher = plan.publisher or f"{host.split()[1]} {rng.choice(vocab.PUBLISHER_SUFFIXES)}"
    podcast_id = hex_id(rng)
    handle = slugify(title).replace("-", "")[:15]
    popular = {plan.region}
    if plan.language == "English" and rng.random() < 0.6:
        popular.add("us")
    popular.update(rng.sample(sorted(vocab.REGIONS), rng.randint(0, 2)))
    podcast = Podcast(
        id=podcast_id,
        title=title,
        publisher=publisher,
        description=f"<p>{description}</p>",
        language=plan.language,
        region=plan.region,
        genre_ids=plan.genre_ids,
        explicit=plan.explicit,
        listen_score=max(10, min(95, int(rng.betavariate(2.5, 3) * 100))),
        itunes_id=rng.randint(100_000_000, 1_700_000_000),
        podcast_type=rng.choice(("episodic", "episodic", "episodic", "serial")),
        update_frequency_hours=plan.update_frequency_hours,
        popular_regions=frozenset(popular),
        added_rank=plan.added_rank,
        extra={
            "twitter_handle": handle,
            "instagram_handle": handle,
            "youtube_url": f"https://www.youtube.com/@{handle}",
            "spotify_url": f"https://open.spotify.com/show/{podcast_id[:22]}",
        },
        looking_for={
            "cohosts": rng.random() < 0.2,
            "cross_promotion": rng.random() < 0.4,
            "guests": rng.random() < 0.5,
            "sponsors": rng.random() < 0.5,
        },
        is_claimed=rng.random() < 0.3,
        plan=plan,
    )
    low, high = plan.length_range_sec
    oldest_made = max(0, plan.episode_count - MADE_EPISODES)
    for number in range(plan.episode_count, oldest_made, -1):
        pub_date = podcast._scheduled_ms(number) - rng.randint(0, HOUR_MS)
        podcast.episodes.append(
            make_episode(
                rng, podcast, number, pub_date, rng.randint(low, high), keywords, plan.lead_keyword
            )
        )
    return podcast


def make_episode(
    rng: random.Random,
    podcast: Podcast,
    number: int,
    pub_date_ms: int,
    audio_length_sec: int,
    keywords: list[str],
    lead_keyword: bool = False,
) -> Episode:
    """Generate one episode of `podcast` about a shuffle of `keywords` (keeping the first one
    first when `lead_keyword`)."""
    if lead_keyword:
        shuffled = [keywords[0], *rng.sample(keywords[1:], len(keywords) - 1)]
    else:
        shuffled = rng.sample(keywords, len(keywords))
    year = 1970 + pub_date_ms // (365 * DAY_MS) if pub_date_ms > 0 else 2020
    title = _fill(rng, rng.choice(vocab.EPISODE_TITLE_PATTERNS), shuffled, n=number, year=year)
    description = _fill(rng, rng.choice(vocab.EPISODE_DESCRIPTION_PATTERNS), shuffled)
    episode_id = hex_id(rng)
    transcript = (
        f"00:00:07 Welcome to {podcast.title}. Today: {shuffled[0]}.\n"
        f"00:01:12 Let's start with {shuffled[-1]} and what it means for listeners.\n"
    )
    return Episode(
        id=episode_id,
        podcast=podcast,
        title=title,
        description=description,
        pub_date_ms=pub_date_ms,
        audio_length_sec=audio_length_sec,
        transcript=transcript,
        link=f"https://{slugify(podcast.title)[:30]}.example.com/episodes/{number}",
    )


def _subgenres() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for genre_id, _, parent_id in vocab.GENRES:
        children.setdefault(parent_id, []).append(genre_id)
    return children


def _languages() -> list[str]:
    schema = load_upstream_spec()["components"]["schemas"]["GetLanguagesResponse"]
    upstream = schema["properties"]["languages"]["examples"][0]
    return [upstream[0], *sorted(set(upstream[1:]) | set(vocab.EXTRA_LANGUAGES))]


def _random_plan(rng: random.Random, rank: int, children: dict[int, list[int]]) -> PodcastPlan:
    top = rng.choice(sorted(vocab.TOPICS))
    genre_ids = [top, vocab.ROOT_GENRE_ID]
    if rng.random() < 0.5 and children.get(top):
        genre_ids.insert(0, rng.choice(children[top]))
    keywords = rng.sample(vocab.TOPICS[top], 3)
    if rng.random() < 0.2:
        keywords.append(rng.choice(vocab.TOPICS[rng.choice(sorted(vocab.TOPICS))]))
    languages = list(vocab.LANGUAGE_REGIONS)
    weights = [vocab.LANGUAGE_REGIONS[name][0] for name in languages]
    language = rng.choices(languages, weights)[0]
    region = rng.choice(vocab.LANGUAGE_REGIONS[language][1])
    minutes = rng.choice((8, 15, 25, 35, 45, 60, 75, 90, 120))
    age_days = int(rng.expovariate(1 / 200)) if rng.random() < 0.8 else rng.randint(365, 3000)
    return PodcastPlan(
        keywords=keywords,
        genre_ids=genre_ids,
        language=language,
        region=region,
        explicit=(top in (133, 135, 168) and rng.random() < 0.4) or rng.random() < 0.05,
        update_frequency_hours=rng.choice((24, 72, 168, 168, 168, 336, 720)),
        episode_count=rng.randint(3, 18),
        latest_pub_date_ms=ANCHOR_MS - age_days * DAY_MS - rng.randint(0, DAY_MS),
        length_range_sec=(int(minutes * 45), int(minutes * 75)),
        added_rank=rank,
    )


def _example_podcast(rng: random.Random) -> Podcast:
    """The upstream spec's example podcast (Star Wars 7x7) with its example episodes."""
    podcast = make_podcast(
        rng,
        PodcastPlan(
            keywords=["star wars", "movies", "fandom"],
            genre_ids=[g for g in schema_example("GenreIdsField") if g != 82] + [67],
            language=schema_example("LanguageField"),
            region="us",
            explicit=schema_example("ExplicitField"),
            update_frequency_hours=schema_example("UpdateFrequencyHoursField"),
            episode_count=12,
            latest_pub_date_ms=schema_example("LatestPubDateMsField"),
            length_range_sec=(420, 840),
            added_rank=-1,
        ),
    )
    podcast.id = schema_example("PodcastIdField")
    podcast.title = schema_example("PodcastNameField")
    podcast.publisher = schema_example("PublisherOriginalField")
    podcast.description = schema_example("PodcastDescriptionField")
    podcast.itunes_id = schema_example("iTunesIdField")
    podcast.listen_score = schema_example("ListenScoreField")
    podcast.is_claimed = schema_example("IsClaimedField")
    podcast.popular_regions = frozenset({"us", "gb", "ca", "au"})
    podcast.episodes[0].id = schema_example("LatestEpisodeIdField")
    first, second = podcast.episodes[1], podcast.episodes[2]
    first.id = schema_example("EpisodeIdField")
    first.title = schema_example("EpisodeNameField")
    first.description = schema_example("EpisodeDescriptionField")
    first.audio_length_sec = schema_example("AudioLengthSecField")
    second.title = schema_example("EpisodeSearchResult", "title_original")
    second.description = schema_example("EpisodeSearchResult", "description_original")
    return podcast


def _curated_from(
    rng: random.Random, title: str, description: str, domain: str, podcasts: list[Podcast]
) -> CuratedList:
    list_id = curated_id(rng)
    return CuratedList(
        id=list_id,
        title=title,
        description=description,
        source_domain=domain,
        source_url=f"https://{domain}/{slugify(title)}",
        pub_date_ms=ANCHOR_MS - rng.randint(0, 2500) * DAY_MS,
        podcasts=podcasts,
    )


def make_curated_list(
    rng: random.Random, keyword: str, candidates: list[Podcast], size: int
) -> CuratedList:
    """A curated list about `keyword` made of the best `size` of `candidates`."""
    chosen = sorted(candidates, key=lambda p: -p.listen_score)[:size]
    pattern = rng.choice(vocab.CURATED_TITLE_PATTERNS)
    title = pattern.format(k=len(chosen), kw=keyword, Kw=title_case(keyword))
    domain = rng.choice(vocab.CURATED_SOURCES)
    description = (
        f"Our editors picked {len(chosen)} {keyword} podcasts for your commute, "
        f"from long-running favourites to new shows. Source: {domain}."
    )
    return _curated_from(rng, title, description, domain, chosen)


def _example_curated(
    rng: random.Random, podcasts: list[Podcast], star_wars: Podcast
) -> list[CuratedList]:
    books = [p for p in podcasts if 100 in p.genre_ids][:7]
    bookish = _curated_from(
        rng,
        schema_example("CuratedNameField"),
        schema_example("CuratedDescriptionField"),
        schema_example("CuratedSourceDomainField"),
        books,
    )
    bookish.id = schema_example("CuratedIdField")
    bookish.source_url = schema_example("CuratedSourceUrlField")
    bookish.pub_date_ms = schema_example("CuratedPubDateMsField")
    fans = [star_wars, *(p for p in podcasts if 68 in p.genre_ids and p is not star_wars)][:6]
    reddit = _curated_from(
        rng,
        schema_example("CuratedListSearchResult", "title_original"),
        schema_example("CuratedListSearchResult", "description_original"),
        "reddit.com",
        fans,
    )
    return [bookish, reddit]


def build_catalogue(seed: int = 0) -> Catalogue:
    """Generate the whole catalogue for `seed` (deterministic)."""
    rng = random.Random(seed)
    children = _subgenres()
    star_wars = _example_podcast(rng)
    podcasts = [star_wars]
    podcasts += [_random_plan_podcast(rng, rank, children) for rank in range(PODCAST_COUNT)]
    curated = _example_curated(rng, podcasts, star_wars)
    for _ in range(CURATED_COUNT - len(curated)):
        top = rng.choice(sorted(vocab.TOPICS))
        keyword = rng.choice(vocab.TOPICS[top])
        candidates = [p for p in podcasts if top in p.genre_ids]
        curated.append(make_curated_list(rng, keyword, candidates, rng.randint(5, 12)))
    episodes = [episode for podcast in podcasts for episode in podcast.episodes]
    for item in (*podcasts, *episodes, *curated):
        item.build_index()
    genres = [Genre(*row) for row in vocab.GENRES]
    terms = sorted(
        {kw for keywords in vocab.TOPICS.values() for kw in keywords}
        | {genre.name.lower() for genre in genres}
    )
    return Catalogue(
        seed=seed,
        genres=sorted(genres, key=lambda g: g.id),
        languages=_languages(),
        regions=dict(vocab.REGIONS),
        podcasts=podcasts,
        episodes=episodes,
        curated_lists=curated,
        terms=tuple(terms),
    )


def _random_plan_podcast(rng: random.Random, rank: int, children: dict[int, list[int]]) -> Podcast:
    return make_podcast(rng, _random_plan(rng, rank, children))


def get_catalogue(seed: int = 0) -> Catalogue:
    """The catalogue for `seed`, built once per process."""
    return _cached_catalogue(seed)


@functools.cache
def _cached_catalogue(seed: int) -> Catalogue:
    return build_catalogue(seed)
