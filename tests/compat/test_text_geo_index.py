"""Text and geo payload indexes: what they make text matches mean, and that filters on them
answer exactly what a scan answers.

With a full-text index (Qdrant 1.18), `text` needs every query token among the value's tokens,
`text_any` one of them and `phrase` the tokens in order (only with `phrase_matching`); without
one, `text` and `phrase` are substring tests. The client's local mode (1.20) builds no indexes
but tokenizes every text match the way a default `word` index does, so on fields with a default
text index the server and local mode must agree. Geo filters on a geo-indexed field, count,
search and every page of a scroll are compared with local mode, also after payloads change in
place, points are overwritten and deleted. What local mode cannot show (an index changing the
meaning of a filter, tokenizer params) is pinned server-only.
"""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

pytestmark = pytest.mark.filterwarnings("ignore:Payload indexes have no effect")

N = 160
WORDS = ["Quick", "brown", "fox", "jumps", "over", "lazy", "dog", "river", "stone", "glacier", "harbor", "meadow"]


def field(key, **test):
    return models.FieldCondition(key=key, **test)


def text_value(rng) -> str:
    words = [WORDS[int(rng.integers(0, len(WORDS)))] for _ in range(int(rng.integers(2, 6)))]
    words = [w.upper() if rng.random() < 0.15 else w for w in words]
    return ", ".join(words[:2]) + " " + " ".join(words[2:]) + ("!" if rng.random() < 0.3 else "")


def geo_value(rng, i: int) -> dict:
    # Clusters near Berlin, the antimeridian and the north pole, and points anywhere.
    if i % 4 == 0:
        return {"lon": float(13.4 + rng.normal(0, 0.5)), "lat": float(52.5 + rng.normal(0, 0.3))}
    if i % 4 == 1:
        lon = float(179.0 + rng.uniform(0, 2.0))
        return {"lon": lon - 360.0 if lon > 180.0 else lon, "lat": float(rng.uniform(-3, 3))}
    if i % 4 == 2:
        return {"lon": float(rng.uniform(-180, 180)), "lat": float(rng.uniform(86, 90))}
    return {"lon": float(rng.uniform(-180, 180)), "lat": float(rng.uniform(-80, 80))}


def points(seed: int) -> list[models.PointStruct]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(1, N + 1):
        payload = {"text": text_value(rng), "title": text_value(rng), "loc": geo_value(rng, i)}
        if i % 7 == 0:
            payload["text"] = [text_value(rng), text_value(rng)]
        if i % 13 == 0:
            payload.pop("loc")
        if i % 17 == 0:
            payload["loc"] = [geo_value(rng, i + 1), geo_value(rng, i + 2)]
        out.append(models.PointStruct(id=i, vector=rng.normal(size=4).round(4).tolist(), payload=payload))
    return out


def load(target: QdrantClient, name: str, data) -> None:
    target.create_collection(name, vectors_config=models.VectorParams(size=4, distance=models.Distance.DOT))
    target.create_payload_index(name, "text", models.PayloadSchemaType.TEXT, wait=True)
    target.create_payload_index(
        name, "title", models.TextIndexParams(type=models.TextIndexType.TEXT, phrase_matching=True), wait=True
    )
    target.create_payload_index(name, "loc", models.PayloadSchemaType.GEO, wait=True)
    target.upsert(name, data, wait=True)


def change(target: QdrantClient, name: str) -> None:
    """Payloads changed in place, points overwritten and deleted: index entries go stale."""
    target.set_payload(name, {"text": "lazy glacier", "loc": {"lon": 13.5, "lat": 52.4}}, points=list(range(1, 40, 3)), wait=True)
    target.overwrite_payload(name, {"title": "stone river"}, points=[40, 41, 42], wait=True)
    target.delete_payload(name, ["loc", "title"], points=list(range(50, 60)), wait=True)
    target.delete(name, [2, 4, 6, 8, 12, 13], wait=True)
    target.upsert(
        name,
        [models.PointStruct(id=5, vector=[1.0, 0.0, 0.0, 0.0], payload={"text": "harbor dog", "loc": {"lon": -179.9, "lat": 0.5}})],
        wait=True,
    )


def circle(lon, lat, radius):
    return models.GeoRadius(center=models.GeoPoint(lon=lon, lat=lat), radius=radius)


def ring(*corners):
    pts = [models.GeoPoint(lon=lon, lat=lat) for lon, lat in corners]
    return models.GeoLineString(points=pts + [pts[0]])


FILTERS = {
    "text_one_word": models.Filter(must=[field("text", match=models.MatchText(text="glacier"))]),
    "text_all_words_any_case": models.Filter(must=[field("text", match=models.MatchText(text="FOX, lazy"))]),
    "text_partial_word": models.Filter(must=[field("text", match=models.MatchText(text="glac"))]),
    "text_unknown_word": models.Filter(must=[field("text", match=models.MatchText(text="fox zebra"))]),
    "text_any": models.Filter(must=[field("text", match=models.MatchTextAny(text_any="meadow Stone zebra"))]),
    "phrase": models.Filter(must=[field("title", match=models.MatchPhrase(phrase="lazy dog"))]),
    "phrase_across_comma": models.Filter(must=[field("title", match=models.MatchPhrase(phrase="fox, jumps"))]),
    "geo_radius": models.Filter(must=[field("loc", geo_radius=circle(13.4, 52.5, 40_000))]),
    "geo_radius_antimeridian": models.Filter(must=[field("loc", geo_radius=circle(180.0, 0.0, 150_000))]),
    "geo_radius_pole": models.Filter(must=[field("loc", geo_radius=circle(0.0, 89.5, 200_000))]),
    "geo_box": models.Filter(
        must=[
            field(
                "loc",
                geo_bounding_box=models.GeoBoundingBox(
                    top_left=models.GeoPoint(lon=13.0, lat=52.8), bottom_right=models.GeoPoint(lon=14.0, lat=52.2)
                ),
            )
        ]
    ),
    "geo_box_antimeridian": models.Filter(
        must=[
            field(
                "loc",
                geo_bounding_box=models.GeoBoundingBox(
                    top_left=models.GeoPoint(lon=179.5, lat=2.0), bottom_right=models.GeoPoint(lon=-179.5, lat=-2.0)
                ),
            )
        ]
    ),
    "geo_polygon_with_hole": models.Filter(
        must=[
            field(
                "loc",
                geo_polygon=models.GeoPolygon(
                    exterior=ring((12.0, 51.5), (15.0, 51.5), (15.0, 53.5), (12.0, 53.5)),
                    interiors=[ring((13.3, 52.4), (13.6, 52.4), (13.6, 52.6), (13.3, 52.6))],
                ),
            )
        ]
    ),
    "text_and_geo": models.Filter(
        must=[field("text", match=models.MatchTextAny(text_any="dog river")), field("loc", geo_radius=circle(13.4, 52.5, 80_000))]
    ),
    "should_text_or_geo": models.Filter(
        should=[field("title", match=models.MatchText(text="harbor")), field("loc", geo_radius=circle(180.0, 0.0, 100_000))]
    ),
    "must_not_text": models.Filter(must_not=[field("text", match=models.MatchText(text="dog"))]),
}


@pytest.fixture
def pair(client, collection_name):
    data = points(20261205)
    local = QdrantClient(":memory:")
    load(local, "main", data)
    load(client, collection_name, data)
    yield collection_name, local
    local.close()


def scroll_ids(target: QdrantClient, name: str, flt) -> list:
    ids, offset = [], None
    while True:
        page, offset = target.scroll(name, scroll_filter=flt, limit=7, offset=offset)
        ids.extend(p.id for p in page)
        if offset is None:
            return ids


def compare(client, name, local, flt):
    query = [0.3, -0.2, 0.9, 0.1]
    got = client.query_points(name, query=query, query_filter=flt, limit=N).points
    want = local.query_points("main", query=query, query_filter=flt, limit=N).points
    assert [p.id for p in got] == [p.id for p in want]
    assert client.count(name, count_filter=flt).count == local.count("main", count_filter=flt).count
    assert scroll_ids(client, name, flt) == scroll_ids(local, "main", flt)


@pytest.mark.parametrize("variant", list(FILTERS))
def test_text_and_geo_filters_match_a_scan(client, pair, variant):
    name, local = pair
    compare(client, name, local, FILTERS[variant])


@pytest.mark.parametrize("variant", list(FILTERS))
def test_text_and_geo_filters_match_a_scan_after_writes(client, pair, variant):
    name, local = pair
    change(client, name)
    change(local, "main")
    compare(client, name, local, FILTERS[variant])


def test_filters_are_selective_enough_to_mean_something(pair):
    """Guards the comparisons above: each filter matches some points and not all of them."""
    _, local = pair
    for variant, flt in FILTERS.items():
        count = local.count("main", count_filter=flt).count
        if variant == "text_unknown_word":
            assert count == 0
        elif variant == "text_partial_word":
            assert count == 0
        else:
            assert 0 < count < N, variant


# Server only: local mode ignores indexes, so it cannot show what an index changes.


def text_collection(client, name, docs, schema=None):
    client.create_collection(name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.upsert(name, [models.PointStruct(id=i, vector=[1.0, 0.0], payload={"t": d}) for i, d in enumerate(docs, 1)], wait=True)
    if schema is not None:
        client.create_payload_index(name, "t", schema, wait=True)


def matching(client, name, match) -> list:
    flt = models.Filter(must=[field("t", match=match)])
    return sorted(p.id for p in client.scroll(name, scroll_filter=flt, limit=100)[0])


DOCS = ["The quick brown fox", "quickly, Brown!", "brown fox quick", "a fox_den"]


@pytest.mark.server_only("local mode ignores indexes")
def test_text_index_turns_substring_matches_into_token_matches(client, collection_name):
    text_collection(client, collection_name, DOCS)
    assert matching(client, collection_name, models.MatchText(text="quick")) == [1, 2, 3]
    assert matching(client, collection_name, models.MatchText(text="Brown")) == [2]
    client.create_payload_index(collection_name, "t", models.PayloadSchemaType.TEXT, wait=True)
    assert matching(client, collection_name, models.MatchText(text="quick")) == [1, 3]
    assert matching(client, collection_name, models.MatchText(text="Brown")) == [1, 2, 3]
    assert matching(client, collection_name, models.MatchTextAny(text_any="den zebra")) == [4]
    client.delete_payload_index(collection_name, "t", wait=True)
    assert matching(client, collection_name, models.MatchText(text="Brown")) == [2]


@pytest.mark.server_only("local mode ignores indexes")
def test_phrase_needs_phrase_matching_on_the_index(client, collection_name):
    text_collection(client, collection_name, DOCS, models.PayloadSchemaType.TEXT)
    assert matching(client, collection_name, models.MatchPhrase(phrase="brown fox")) == []
    params = models.TextIndexParams(type=models.TextIndexType.TEXT, phrase_matching=True)
    client.create_payload_index(collection_name, "t", params, wait=True)
    assert matching(client, collection_name, models.MatchPhrase(phrase="brown fox")) == [1, 3]
    assert matching(client, collection_name, models.MatchPhrase(phrase="fox brown")) == []


@pytest.mark.server_only("local mode ignores indexes")
def test_prefix_tokenizer_matches_word_beginnings(client, collection_name):
    params = models.TextIndexParams(type=models.TextIndexType.TEXT, tokenizer=models.TokenizerType.PREFIX, min_token_len=2)
    text_collection(client, collection_name, DOCS, params)
    assert matching(client, collection_name, models.MatchText(text="qui")) == [1, 2, 3]
    assert matching(client, collection_name, models.MatchText(text="quickl bro")) == [2]
    assert matching(client, collection_name, models.MatchText(text="q")) == []


@pytest.mark.server_only("local mode ignores indexes")
def test_whitespace_tokenizer_case_and_length_params(client, collection_name):
    params = models.TextIndexParams(
        type=models.TextIndexType.TEXT, tokenizer=models.TokenizerType.WHITESPACE, lowercase=False, max_token_len=5
    )
    text_collection(client, collection_name, DOCS, params)
    assert matching(client, collection_name, models.MatchText(text="brown")) == [1, 3]
    assert matching(client, collection_name, models.MatchText(text="Brown!")) == []
    assert matching(client, collection_name, models.MatchText(text="fox_den")) == []
    assert matching(client, collection_name, models.MatchTextAny(text_any="The zebra")) == [1]


@pytest.mark.server_only("local mode ignores indexes")
def test_stopwords_are_not_tokens(client, collection_name):
    params = models.TextIndexParams(
        type=models.TextIndexType.TEXT,
        stopwords=models.StopwordsSet(languages=[models.Language.ENGLISH], custom=["brown"]),
    )
    text_collection(client, collection_name, DOCS, params)
    assert matching(client, collection_name, models.MatchText(text="the")) == []
    assert matching(client, collection_name, models.MatchText(text="brown")) == []
    assert matching(client, collection_name, models.MatchText(text="the fox")) == [1, 3, 4]


@pytest.mark.server_only("local mode ignores indexes")
def test_count_and_scroll_with_text_index_after_overwrite_and_delete(client, collection_name):
    text_collection(client, collection_name, DOCS, models.PayloadSchemaType.TEXT)
    flt = models.Filter(must=[field("t", match=models.MatchText(text="fox"))])
    assert client.count(collection_name, count_filter=flt).count == 3
    client.overwrite_payload(collection_name, {"t": "no animals here"}, points=[1], wait=True)
    client.set_payload(collection_name, {"t": "fox again"}, points=[2], wait=True)
    client.delete(collection_name, [3], wait=True)
    assert client.count(collection_name, count_filter=flt).count == 2
    assert [p.id for p in client.scroll(collection_name, scroll_filter=flt, limit=10)[0]] == [2, 4]


@pytest.mark.server_only("local mode ignores indexes")
def test_updates_by_filter_use_the_text_index_meaning(client, collection_name):
    text_collection(client, collection_name, DOCS, models.PayloadSchemaType.TEXT)
    by_token = models.Filter(must=[field("t", match=models.MatchText(text="quick"))])
    client.set_payload(collection_name, {"hit": True}, points=by_token, wait=True)
    hit = models.Filter(must=[field("hit", match=models.MatchValue(value=True))])
    assert [p.id for p in client.scroll(collection_name, scroll_filter=hit, limit=10)[0]] == [1, 3]
    client.delete(collection_name, points_selector=models.FilterSelector(filter=by_token), wait=True)
    assert [p.id for p in client.scroll(collection_name, limit=10)[0]] == [2, 4]


def test_updates_by_geo_filter_on_a_geo_index(client, collection_name):
    client.create_collection(collection_name, vectors_config=models.VectorParams(size=2, distance=models.Distance.DOT))
    client.create_payload_index(collection_name, "loc", models.PayloadSchemaType.GEO, wait=True)
    spots = [(179.9, 0.0), (-179.9, 0.1), (0.0, 0.0), (13.4, 52.5)]
    client.upsert(
        collection_name,
        [models.PointStruct(id=i, vector=[1.0, 0.0], payload={"loc": {"lon": lon, "lat": lat}}) for i, (lon, lat) in enumerate(spots, 1)],
        wait=True,
    )
    near_antimeridian = models.Filter(must=[field("loc", geo_radius=circle(180.0, 0.0, 50_000))])
    assert client.count(collection_name, count_filter=near_antimeridian).count == 2
    client.delete(collection_name, points_selector=models.FilterSelector(filter=near_antimeridian), wait=True)
    assert [p.id for p in client.scroll(collection_name, limit=10)[0]] == [3, 4]
