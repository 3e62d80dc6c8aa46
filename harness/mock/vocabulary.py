"""Word lists the mock catalogue is generated from: genres, regions, languages, topics."""

from __future__ import annotations

ROOT_GENRE_ID = 67
ROOT_GENRE_NAME = "Podcasts"

# (id, name, parent_id). Top-level genres hang under the root genre (67, "Podcasts").
GENRES: tuple[tuple[int, str, int], ...] = (
    (68, "TV & Film", 67),
    (69, "Religion & Spirituality", 67),
    (77, "Sports", 67),
    (82, "Leisure", 67),
    (88, "Health & Fitness", 67),
    (93, "Business", 67),
    (99, "News", 67),
    (100, "Arts", 67),
    (107, "Science", 67),
    (111, "Education", 67),
    (117, "Government", 67),
    (122, "Society & Culture", 67),
    (125, "History", 67),
    (127, "Technology", 67),
    (132, "Kids & Family", 67),
    (133, "Comedy", 67),
    (134, "Music", 67),
    (135, "True Crime", 67),
    (168, "Fiction", 67),
    (138, "Film History", 68),
    (160, "Fan Culture", 68),
    (70, "Christianity", 69),
    (71, "Buddhism", 69),
    (78, "Soccer", 77),
    (80, "Basketball", 77),
    (83, "Video Games", 82),
    (86, "Hobbies", 82),
    (89, "Nutrition", 88),
    (91, "Mental Health", 88),
    (95, "Business News", 93),
    (97, "Entrepreneurship", 93),
    (98, "Investing", 93),
    (146, "Daily News", 99),
    (147, "Politics", 99),
    (101, "Performing Arts", 100),
    (104, "Books", 100),
    (109, "Astronomy", 107),
    (110, "Physics", 107),
    (113, "Language Learning", 111),
    (118, "Law", 117),
    (123, "Personal Journals", 122),
    (124, "Philosophy", 122),
    (126, "Ancient History", 125),
    (140, "Web Design", 127),
    (143, "Programming", 127),
    (131, "Tech News", 127),
    (136, "Parenting", 132),
    (165, "Improv", 133),
    (166, "Stand-Up", 133),
    (139, "Music History", 134),
    (150, "Investigative Journalism", 135),
    (169, "Science Fiction", 168),
)

# ISO 3166 code -> name, as `GET /regions` returns them.
REGIONS: dict[str, str] = {
    "ar": "Argentina",
    "at": "Austria",
    "au": "Australia",
    "be": "Belgium",
    "br": "Brazil",
    "ca": "Canada",
    "ch": "Switzerland",
    "cn": "China",
    "de": "Germany",
    "es": "Spain",
    "fr": "France",
    "gb": "United Kingdom",
    "ie": "Ireland",
    "in": "India",
    "it": "Italy",
    "jp": "Japan",
    "kr": "South Korea",
    "mx": "Mexico",
    "nl": "Netherlands",
    "nz": "New Zealand",
    "pt": "Portugal",
    "se": "Sweden",
    "tw": "Taiwan",
    "ua": "Ukraine",
    "us": "United States",
}

# Languages beyond the upstream example list that the catalogue uses.
EXTRA_LANGUAGES: tuple[str, ...] = (
    "Hindi",
    "Italian",
    "Japanese",
    "Korean",
    "Portuguese",
    "Russian",
    "Spanish",
    "Swedish",
    "Turkish",
    "Ukrainian",
)

# language -> (weight, regions where its podcasts are produced)
LANGUAGE_REGIONS: dict[str, tuple[int, tuple[str, ...]]] = {
    "English": (62, ("us", "us", "us", "us", "gb", "gb", "ca", "au", "ie", "in", "nz")),
    "Spanish": (8, ("es", "mx", "ar", "us")),
    "German": (5, ("de", "at", "ch")),
    "French": (5, ("fr", "ca", "be", "ch")),
    "Japanese": (4, ("jp",)),
    "Chinese": (3, ("cn", "tw")),
    "Portuguese": (4, ("br", "pt")),
    "Italian": (2, ("it",)),
    "Korean": (2, ("kr",)),
    "Hindi": (2, ("in",)),
    "Dutch": (1, ("nl", "be")),
    "Swedish": (1, ("se",)),
    "Ukrainian": (1, ("ua",)),
}

# top-level genre id -> topic keywords (lower case; podcast and episode text is built from them)
TOPICS: dict[int, tuple[str, ...]] = {
    68: ("star wars", "movies", "film reviews", "tv shows", "marvel", "game of thrones", "anime"),
    69: ("spirituality", "mindfulness", "bible study", "buddhism", "faith", "prayer"),
    77: ("football", "soccer", "basketball", "baseball", "tennis", "golf", "formula 1"),
    82: ("video games", "board games", "cooking", "travel", "gardening", "cars", "hobbies"),
    88: ("fitness", "nutrition", "running", "mental health", "meditation", "sleep", "yoga"),
    93: (
        "startup",
        "entrepreneurship",
        "marketing",
        "investing",
        "leadership",
        "venture capital",
        "sales",
        "personal finance",
        "stock market",
        "real estate",
    ),
    99: ("daily news", "politics", "world news", "elections", "the economy", "journalism"),
    100: ("books", "writing", "poetry", "design", "photography", "theater"),
    107: ("space", "astronomy", "physics", "biology", "climate science", "neuroscience"),
    111: ("language learning", "learning english", "study tips", "teaching", "self improvement"),
    117: ("public policy", "law", "the supreme court", "local government", "democracy"),
    122: ("relationships", "culture", "personal stories", "philosophy", "dating"),
    125: ("ancient rome", "world war ii", "the cold war", "medieval history", "history"),
    127: (
        "artificial intelligence",
        "machine learning",
        "startups",
        "software",
        "programming",
        "python",
        "web design",
        "gadgets",
        "cybersecurity",
        "open source",
    ),
    132: ("parenting", "bedtime stories", "kids science", "family life"),
    133: ("improv", "stand-up", "sketch comedy", "funny stories", "pop culture"),
    134: ("hip hop", "jazz", "rock", "classical music", "songwriting", "music history"),
    135: ("true crime", "murder", "cold cases", "investigations", "heists", "mysteries"),
    168: ("audio drama", "science fiction", "horror stories", "fantasy", "short stories"),
}

PODCAST_TITLE_PATTERNS: tuple[str, ...] = (
    "The {Kw} Show",
    "{Kw} Weekly",
    "{Kw} Unpacked",
    "{Host}'s {Kw} Hour",
    "{Kw} Daily",
    "Inside {Kw}",
    "{Kw} for Beginners",
    "The {Kw} Podcast",
    "All About {Kw}",
    "{Kw} & {Kw2}",
    "Deep Dive: {Kw}",
    "{Kw} Tonight",
)

EPISODE_TITLE_PATTERNS: tuple[str, ...] = (
    "{n}: Why {kw} matters in {year}",
    "{n}: {Kw} with {Guest}",
    "Interview: {Guest} on {kw}",
    "The future of {kw}",
    "{Kw} mistakes everyone makes",
    "Episode {n} – {Kw} and {kw2}",
    "A beginner's guide to {kw}",
    "{Guest} explains {kw}",
    "What nobody tells you about {kw}",
    "{Kw}: questions from listeners",
)

PODCAST_DESCRIPTION_PATTERNS: tuple[str, ...] = (
    "A {adj} show about {kw}, {kw2} and {kw3}. Hosted by {Host}, new episodes every {freq}.",
    "{Host} talks {kw} and {kw2} with the people who know it best. Expect {kw3} too.",
    "Everything you wanted to know about {kw}: {adj} conversations, news and {kw2}.",
)

EPISODE_DESCRIPTION_PATTERNS: tuple[str, ...] = (
    "<p>{Host} sits down with {Guest} to talk about {kw} and {kw2}.</p>",
    "<p>This week on the show: {kw}, {kw2} and a listener question about {kw3}.</p>",
    "<p>{Guest} joins {Host} for a {adj} conversation on {kw}.</p>",
)

ADJECTIVES: tuple[str, ...] = (
    "weekly",
    "lively",
    "thoughtful",
    "funny",
    "in-depth",
    "no-nonsense",
    "friendly",
    "award-winning",
)

PEOPLE: tuple[str, ...] = (
    "Alex Rivera",
    "Priya Shah",
    "Sam Okafor",
    "Mei Lin",
    "Jonas Berg",
    "Lucia Romero",
    "Tom Becker",
    "Aiko Tanaka",
    "Nina Petrova",
    "David Cohen",
    "Fatima Diallo",
    "Chris Walker",
    "Elena Rossi",
    "Mark Johnson",
    "Sofia Alves",
    "Kenji Sato",
)

PUBLISHER_SUFFIXES: tuple[str, ...] = ("Media", "Studios", "Audio", "Network", "Productions")

CURATED_SOURCES: tuple[str, ...] = (
    "nytimes.com",
    "theguardian.com",
    "wired.com",
    "vulture.com",
    "npr.org",
    "forbes.com",
    "reddit.com",
    "medium.com",
)

CURATED_TITLE_PATTERNS: tuple[str, ...] = (
    "{k} Best {Kw} Podcasts to Listen to Right Now",
    "{k} {Kw} Podcasts Worth Your Time",
    "The Essential {Kw} Podcasts",
    "What are some good {kw} podcasts?",
)
