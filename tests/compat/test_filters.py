"""Filters: every condition type selects exactly what Qdrant's documented semantics select (§8).

One seeded collection holds points with deliberately varied payloads (missing keys, nulls, empty
arrays, arrays of values and of objects, mixed JSON types). Each case pairs a filter with a small
Python predicate that states Qdrant's semantics for it; `scroll`, `count`, `query_points` and
`delete` with the filter must select exactly the ids the predicate selects.

Text data uses words none of which is a substring, prefix or suffix of another, so "substring"
and "whole token" readings of the text conditions agree on it; the one place they differ is pinned
by a separate test.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from qdrant_client import models

SEED = 8080
POINT_COUNT = 400
UUID_POINTS = 24
CITIES = ["berlin", "paris", "london", "tokyo", "new york"]
TAGS = ["red", "green", "blue", "black"]
FRUITS = ["apple", "pear", "plum"]
WORDS = ["amber", "cobalt", "dune", "fjord", "glacier", "harbor", "meadow", "quartz", "tundra", "willow"]
MIXED = [1, 1.0, "1", True, 2, None]
EVERYTHING = 10_000  # larger than the collection: a limit that returns every match


@dataclass(frozen=True)
class Point:
    id: object
    payload: dict
    has_b: bool


# ---------------------------------------------------------------------------------------------
# Seeded data
# ---------------------------------------------------------------------------------------------


def make_points():
    rng = np.random.default_rng(SEED)

    def pick(options):
        return options[int(rng.integers(len(options)))]

    def objects():
        return [
            {"name": pick(FRUITS), "qty": int(rng.integers(0, 11))} for _ in range(int(rng.integers(0, 4)))
        ]

    def timestamp():
        seconds = int(rng.integers(1672531200, 1735689600))  # 2023-01-01 .. 2025-01-01 UTC
        moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
        style = int(rng.integers(0, 4))
        if style == 0:
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if style == 1:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.123Z")
        if style == 2:
            shifted = moment.astimezone(timezone(timedelta(hours=2)))
            return shifted.isoformat()
        shifted = moment.astimezone(timezone(timedelta(hours=-5)))
        return shifted.isoformat()

    ids = list(range(1, POINT_COUNT - UUID_POINTS + 1))
    ids += [str(uuid.UUID(bytes=rng.bytes(16))) for _ in range(UUID_POINTS)]
    points = []
    for point_id in ids:
        payload = {}

        def put(key, value, probability=1.0):
            if rng.random() < probability:
                payload[key] = value

        roll = rng.random()
        if roll < 0.08:
            payload["city"] = None
        elif roll < 0.18:
            pass  # missing
        elif roll < 0.28:
            payload["city"] = [pick(CITIES), pick(CITIES)]
        else:
            payload["city"] = pick(CITIES)
        put("count", int(rng.integers(0, 20)), 0.85)
        roll = rng.random()
        if roll < 0.6:
            payload["price"] = round(float(rng.uniform(0, 100)), 2)
        elif roll < 0.8:
            payload["price"] = int(rng.integers(0, 100))
        roll = rng.random()
        if roll < 0.8:
            payload["flag"] = bool(rng.integers(0, 2))
        elif roll < 0.88:
            payload["flag"] = "true"
        put("mixed", pick(MIXED), 0.9)
        put("tags", [pick(TAGS) for _ in range(int(rng.integers(0, 4)))], 0.85)
        roll = rng.random()
        if roll < 0.15:
            payload["scores"] = int(rng.integers(0, 10))
        elif roll < 0.85:
            payload["scores"] = [int(x) for x in rng.integers(0, 10, size=int(rng.integers(1, 5)))]
        put("address", {"city": pick(CITIES), "zip": int(rng.integers(10000, 99999))}, 0.7)
        put("items", objects(), 0.85)
        put("shop", {"items": objects()}, 0.6)
        put("location", {"lon": float(rng.uniform(-10, 30)), "lat": float(rng.uniform(35, 65))}, 0.85)
        roll = rng.random()
        if roll < 0.85:
            payload["created"] = timestamp()
        elif roll < 0.9:
            payload["created"] = "not a date"
        roll = rng.random()
        if roll < 0.3:
            payload["note"] = None
        elif roll < 0.7:
            payload["note"] = "x"
        roll = rng.random()
        if roll < 0.25:
            payload["slots"] = [None, "a"]
        elif roll < 0.5:
            payload["slots"] = ["a"]
        elif roll < 0.65:
            payload["slots"] = []
        elif roll < 0.8:
            payload["slots"] = None
        put("text", " ".join(pick(WORDS) for _ in range(int(rng.integers(3, 7)))), 0.9)
        points.append(Point(point_id, payload, bool(rng.random() < 0.6)))
    return points


POINTS = make_points()


def vectors_of(point, index):
    vectors = {"a": [1.0, float(index % 7), 0.5, -1.0]}
    if point.has_b:
        vectors["b"] = [0.25, float(index % 3)]
    return vectors


def create_seeded(client, name):
    client.create_collection(
        name,
        vectors_config={
            "a": models.VectorParams(size=4, distance=models.Distance.DOT),
            "b": models.VectorParams(size=2, distance=models.Distance.DOT),
        },
    )
    client.upsert(
        name,
        [models.PointStruct(id=p.id, vector=vectors_of(p, i), payload=p.payload) for i, p in enumerate(POINTS)],
    )


@pytest.fixture(scope="module")
def seeded(client, new_collection_name):
    name = new_collection_name("filters")
    create_seeded(client, name)
    yield name
    client.delete_collection(name)


# ---------------------------------------------------------------------------------------------
# Reference semantics (§8)
# ---------------------------------------------------------------------------------------------


def path_parts(path):
    """`a.b[].c` -> ["a", "b", [], "c"]: keys, with [] marking "every element of the array"."""
    parts = []
    for segment in path.split("."):
        if segment.endswith("[]"):
            parts += [segment[:-2], []]
        else:
            parts.append(segment)
    return parts


def select(payload, path):
    """The values a JSON path selects. Without `[]` a path never descends into an array."""
    current = [payload]
    for part in path_parts(path):
        selected = []
        for value in current:
            if part == []:
                if isinstance(value, list):
                    selected.extend(value)
            elif isinstance(value, dict) and part in value:
                selected.append(value[part])
        current = selected
    return current


def field_values(payload, path):
    """What a field condition tests: the selected values, a selected array contributing its elements."""
    values = []
    for value in select(payload, path):
        values.extend(value if isinstance(value, list) else [value])
    return values


def any_value(path, test):
    """Predicate: some value at `path` passes `test` (missing and empty never pass)."""
    return lambda point: any(test(v) for v in field_values(point.payload, path))


def is_integer(value):
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def equals(target):
    """Strictly typed equality: strings equal strings, integers equal JSON integers, bools bools."""
    if isinstance(target, bool):
        return lambda v: isinstance(v, bool) and v == target
    if isinstance(target, int):
        return lambda v: is_integer(v) and v == target
    return lambda v: isinstance(v, str) and v == target


def in_set(targets):
    return lambda v: any(equals(t)(v) for t in targets)


def not_in_set(targets):
    """`except`: null never passes; a value of another type always does."""
    return lambda v: v is not None and not in_set(targets)(v)


def in_range(gt=None, gte=None, lt=None, lte=None):
    def test(v):
        return (
            is_number(v)
            and (gt is None or v > gt)
            and (gte is None or v >= gte)
            and (lt is None or v < lt)
            and (lte is None or v <= lte)
        )

    return test


def parse_datetime(value):
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def in_datetime_range(gte, lt):
    def test(v):
        moment = parse_datetime(v)
        return moment is not None and gte <= moment < lt

    return test


def contains_text(text):
    return lambda v: isinstance(v, str) and text in v


def contains_any_word(text):
    return lambda v: isinstance(v, str) and any(word in v for word in text.split())


def is_geo(value):
    return isinstance(value, dict) and is_number(value.get("lon")) and is_number(value.get("lat"))


def in_box(top_left, bottom_right):
    (left, top), (right, bottom) = top_left, bottom_right
    return lambda v: is_geo(v) and left < v["lon"] < right and bottom < v["lat"] < top


EARTH_RADIUS_M = 6371008.8


def haversine_m(a, b):
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def within_radius(center, radius):
    return lambda v: is_geo(v) and haversine_m(center, (v["lon"], v["lat"])) < radius


def inside_ring(ring, lon, lat):
    """Even-odd ray casting; the seeded points never lie on an edge."""
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def in_polygon(exterior, holes):
    return lambda v: (
        is_geo(v)
        and inside_ring(exterior, v["lon"], v["lat"])
        and not any(inside_ring(hole, v["lon"], v["lat"]) for hole in holes)
    )


def value_count(payload, path):
    """Values count: an array counts its elements, a scalar 1, null and missing 0."""
    return sum(0 if v is None else len(v) if isinstance(v, list) else 1 for v in select(payload, path))


def is_empty(payload, path):
    """Missing, null, or []."""
    return all(v is None or v == [] for v in select(payload, path))


def is_null(payload, path):
    """The `is_null` condition: some selected value is JSON null (an array is not null)."""
    return any(v is None for v in select(payload, path))


def field_is_null(payload, path):
    """Field-level `is_null: true`: like `is_null`, but an array containing null also counts."""
    return any(v is None or (isinstance(v, list) and None in v) for v in select(payload, path))


def normalised_id(point_id):
    return point_id if isinstance(point_id, int) else str(uuid.UUID(point_id))


def nested(path, *tests):
    """`nested`: one element of the array at `path` passes every (key, test) pair."""

    def predicate(point):
        return any(
            isinstance(element, dict)
            and all(any(test(v) for v in field_values(element, key)) for key, test in tests)
            for array in select(point.payload, path)
            if isinstance(array, list)
            for element in array
        )

    return predicate


def all_of(*predicates):
    return lambda point: all(p(point) for p in predicates)


def any_of(*predicates):
    return lambda point: any(p(point) for p in predicates)


def none_of(*predicates):
    return lambda point: not any(p(point) for p in predicates)


def at_least(count, *predicates):
    return lambda point: sum(bool(p(point)) for p in predicates) >= count


# ---------------------------------------------------------------------------------------------
# Cases: (filter, reference predicate)
# ---------------------------------------------------------------------------------------------


def field(key, **test):
    return models.FieldCondition(key=key, **test)


def match(key, value):
    return field(key, match=models.MatchValue(value=value))


def geo(lon, lat):
    return models.GeoPoint(lon=lon, lat=lat)


def radius_between_neighbours(center, target_fraction):
    """A radius halfway between two consecutive point distances, so no point is near the boundary."""
    distances = sorted(
        haversine_m(center, (p.payload["location"]["lon"], p.payload["location"]["lat"]))
        for p in POINTS
        if "location" in p.payload
    )
    index = int(len(distances) * target_fraction)
    return (distances[index] + distances[index + 1]) / 2


RADIUS_CENTER = (10.0, 50.0)
RADIUS = radius_between_neighbours(RADIUS_CENTER, 0.3)
POLYGON = [(-5.0, 40.0), (25.0, 40.0), (25.0, 62.0), (10.0, 50.0), (-5.0, 62.0), (-5.0, 40.0)]
POLYGON_HOLE = [(0.0, 42.0), (8.0, 42.0), (8.0, 47.0), (0.0, 47.0), (0.0, 42.0)]
DATETIME_FROM = datetime(2023, 6, 1, tzinfo=timezone.utc)
DATETIME_TO = datetime(2024, 3, 15, 12, 0, tzinfo=timezone.utc)
SOME_IDS = [p.id for p in POINTS[:120:2] + POINTS[-16:]]
HAS_IDS = [3, 17, 250, 9999, POINTS[-1].id, POINTS[-2].id.replace("-", "").upper()]

berlin = any_value("city", equals("berlin"))
paris = any_value("city", equals("paris"))
flag_true = any_value("flag", equals(True))
count_below_3 = any_value("count", in_range(lt=3))
count_above_10 = any_value("count", in_range(gt=10))
red = any_value("tags", in_set(["red"]))

CASES = {
    "match_keyword": (match("city", "berlin"), berlin),
    "match_integer": (match("count", 7), any_value("count", equals(7))),
    "match_bool": (match("flag", True), flag_true),
    "match_integer_ignores_float_bool_and_string": (match("mixed", 1), any_value("mixed", equals(1))),
    "match_keyword_ignores_numbers": (match("mixed", "1"), any_value("mixed", equals("1"))),
    "match_bool_ignores_integers": (match("mixed", True), any_value("mixed", equals(True))),
    "match_value_in_nested_object": (match("address.city", "paris"), any_value("address.city", equals("paris"))),
    "match_any_keywords": (
        field("city", match=models.MatchAny(any=["paris", "tokyo"])),
        any_value("city", in_set(["paris", "tokyo"])),
    ),
    "match_any_integers_in_array": (
        field("scores", match=models.MatchAny(any=[3, 5])),
        any_value("scores", in_set([3, 5])),
    ),
    "match_except_keywords": (
        field("city", match=models.MatchExcept(**{"except": ["berlin", "paris"]})),
        any_value("city", not_in_set(["berlin", "paris"])),
    ),
    "match_except_integers": (
        field("count", match=models.MatchExcept(**{"except": [1, 2, 3]})),
        any_value("count", not_in_set([1, 2, 3])),
    ),
    "match_except_passes_values_of_other_types": (
        field("mixed", match=models.MatchExcept(**{"except": [1]})),
        any_value("mixed", not_in_set([1])),
    ),
    "match_text_single_word": (
        field("text", match=models.MatchText(text="glacier")),
        any_value("text", contains_text("glacier")),
    ),
    "match_text_any": (
        field("text", match=models.MatchTextAny(text_any="meadow quartz")),
        any_value("text", contains_any_word("meadow quartz")),
    ),
    "match_phrase": (
        field("text", match=models.MatchPhrase(phrase="harbor meadow")),
        any_value("text", contains_text("harbor meadow")),
    ),
    "range_integer": (field("count", range=models.Range(gte=5, lt=12)), any_value("count", in_range(gte=5, lt=12))),
    "range_float_over_ints_and_floats": (
        field("price", range=models.Range(gt=20.5, lte=70.25)),
        any_value("price", in_range(gt=20.5, lte=70.25)),
    ),
    "range_over_array_values": (field("scores", range=models.Range(gte=8)), any_value("scores", in_range(gte=8))),
    "datetime_range": (
        field("created", range=models.DatetimeRange(gte=DATETIME_FROM, lt=DATETIME_TO)),
        any_value("created", in_datetime_range(DATETIME_FROM, DATETIME_TO)),
    ),
    "geo_bounding_box": (
        field("location", geo_bounding_box=models.GeoBoundingBox(top_left=geo(0.0, 60.0), bottom_right=geo(20.0, 45.0))),
        any_value("location", in_box((0.0, 60.0), (20.0, 45.0))),
    ),
    "geo_radius": (
        field("location", geo_radius=models.GeoRadius(center=geo(*RADIUS_CENTER), radius=RADIUS)),
        any_value("location", within_radius(RADIUS_CENTER, RADIUS)),
    ),
    "geo_polygon_with_hole": (
        field(
            "location",
            geo_polygon=models.GeoPolygon(
                exterior=models.GeoLineString(points=[geo(*p) for p in POLYGON]),
                interiors=[models.GeoLineString(points=[geo(*p) for p in POLYGON_HOLE])],
            ),
        ),
        any_value("location", in_polygon(POLYGON, [POLYGON_HOLE])),
    ),
    "values_count_gt": (
        field("tags", values_count=models.ValuesCount(gt=1)),
        lambda p: value_count(p.payload, "tags") > 1,
    ),
    "values_count_lt_counts_missing_as_zero": (
        field("tags", values_count=models.ValuesCount(lt=1)),
        lambda p: value_count(p.payload, "tags") < 1,
    ),
    "values_count_scalar_counts_one": (
        field("scores", values_count=models.ValuesCount(lte=1)),
        lambda p: value_count(p.payload, "scores") <= 1,
    ),
    "is_empty_missing_null_or_empty_array": (
        models.IsEmptyCondition(is_empty=models.PayloadField(key="tags")),
        lambda p: is_empty(p.payload, "tags"),
    ),
    "is_empty_null_scalar": (
        models.IsEmptyCondition(is_empty=models.PayloadField(key="city")),
        lambda p: is_empty(p.payload, "city"),
    ),
    "is_empty_array_holding_null_is_not_empty": (
        models.IsEmptyCondition(is_empty=models.PayloadField(key="slots")),
        lambda p: is_empty(p.payload, "slots"),
    ),
    "is_null_only_explicit_null": (
        models.IsNullCondition(is_null=models.PayloadField(key="note")),
        lambda p: is_null(p.payload, "note"),
    ),
    "field_is_empty_true": (field("tags", is_empty=True), lambda p: is_empty(p.payload, "tags")),
    "field_is_null_false_includes_missing": (field("note", is_null=False), lambda p: not is_null(p.payload, "note")),
    "field_is_null_true_includes_array_holding_null": (
        field("slots", is_null=True),
        lambda p: field_is_null(p.payload, "slots"),
    ),
    "has_id_integers_and_uuids": (
        models.HasIdCondition(has_id=HAS_IDS),
        lambda p: p.id in {normalised_id(i) for i in HAS_IDS},
    ),
    "has_vector": (models.HasVectorCondition(has_vector="b"), lambda p: p.has_b),
    "nested_one_element_passes_all": (
        models.NestedCondition(
            nested=models.Nested(
                key="items", filter=models.Filter(must=[match("name", "apple"), field("qty", range=models.Range(gt=5))])
            )
        ),
        nested("items", ("name", equals("apple")), ("qty", in_range(gt=5))),
    ),
    "array_projection_elements_pass_independently": (
        models.Filter(must=[match("items[].name", "apple"), field("items[].qty", range=models.Range(gt=5))]),
        all_of(any_value("items[].name", equals("apple")), any_value("items[].qty", in_range(gt=5))),
    ),
    "nested_with_dotted_key": (
        models.NestedCondition(
            nested=models.Nested(
                key="shop.items", filter=models.Filter(must=[match("name", "pear"), field("qty", range=models.Range(lt=3))])
            )
        ),
        nested("shop.items", ("name", equals("pear")), ("qty", in_range(lt=3))),
    ),
    "nested_with_must_not_inside": (
        models.NestedCondition(
            nested=models.Nested(
                key="items", filter=models.Filter(must=[match("name", "plum")], must_not=[match("qty", 0)])
            )
        ),
        lambda p: any(
            isinstance(e, dict) and e.get("name") == "plum" and e.get("qty") != 0
            for array in select(p.payload, "items")
            for e in array
        ),
    ),
    "dotted_array_projection": (
        match("shop.items[].name", "plum"),
        any_value("shop.items[].name", equals("plum")),
    ),
    "must_all": (models.Filter(must=[match("city", "berlin"), match("flag", True)]), all_of(berlin, flag_true)),
    "should_any": (
        models.Filter(should=[match("city", "paris"), field("count", range=models.Range(lt=3))]),
        any_of(paris, count_below_3),
    ),
    "must_not_includes_points_missing_the_field": (models.Filter(must_not=[match("city", "berlin")]), none_of(berlin)),
    "min_should": (
        models.Filter(
            min_should=models.MinShould(
                conditions=[
                    match("city", "paris"),
                    match("flag", True),
                    field("count", range=models.Range(gt=10)),
                    field("tags", match=models.MatchAny(any=["red"])),
                ],
                min_count=2,
            )
        ),
        at_least(2, paris, flag_true, count_above_10, red),
    ),
    "nested_filters_as_conditions": (
        models.Filter(
            must=[models.Filter(should=[match("city", "paris"), match("city", "tokyo")])],
            must_not=[models.Filter(must=[match("flag", True), field("count", range=models.Range(lt=10))])],
        ),
        all_of(
            any_of(paris, any_value("city", equals("tokyo"))),
            none_of(all_of(flag_true, any_value("count", in_range(lt=10)))),
        ),
    ),
    "must_should_and_must_not_together": (
        models.Filter(
            must=[field("price", range=models.Range(gte=10))],
            should=[match("flag", True), field("tags", match=models.MatchAny(any=["red", "blue"]))],
            must_not=[models.IsNullCondition(is_null=models.PayloadField(key="note"))],
        ),
        all_of(
            any_value("price", in_range(gte=10)),
            any_of(flag_true, any_value("tags", in_set(["red", "blue"]))),
            none_of(lambda p: is_null(p.payload, "note")),
        ),
    ),
    "must_combines_field_condition_and_has_id": (
        models.Filter(must=[match("city", "london"), models.HasIdCondition(has_id=SOME_IDS)]),
        all_of(any_value("city", equals("london")), lambda p: p.id in SOME_IDS),
    ),
}

DELETE_CASES = [
    "match_keyword",
    "match_except_keywords",
    "range_float_over_ints_and_floats",
    "geo_radius",
    "is_empty_missing_null_or_empty_array",
    "has_vector",
    "nested_one_element_passes_all",
    "must_not_includes_points_missing_the_field",
    "min_should",
]


def id_order(point_id):
    return (0, point_id, "") if isinstance(point_id, int) else (1, 0, point_id)


def expected_ids(predicate):
    return sorted((p.id for p in POINTS if predicate(p)), key=id_order)


def scrolled_ids(client, collection, query_filter):
    points, next_offset = client.scroll(
        collection, scroll_filter=query_filter, limit=EVERYTHING, with_payload=False
    )
    assert next_offset is None
    return [p.id for p in points]


def as_filter(condition):
    return condition if isinstance(condition, models.Filter) else models.Filter(must=[condition])


@pytest.fixture(params=list(CASES), ids=str)
def case(request):
    condition, predicate = CASES[request.param]
    selected = expected_ids(predicate)
    assert 0 < len(selected) < len(POINTS), f"case {request.param} does not discriminate: selects {len(selected)}"
    return as_filter(condition), selected


def test_scroll_with_filter_returns_exactly_the_matching_points(client, seeded, case):
    query_filter, selected = case

    assert scrolled_ids(client, seeded, query_filter) == selected


def test_count_with_filter_counts_exactly_the_matching_points(client, seeded, case):
    query_filter, selected = case

    assert client.count(seeded, count_filter=query_filter, exact=True).count == len(selected)


def test_query_with_filter_returns_only_the_matching_points(client, seeded, case):
    query_filter, selected = case

    hits = client.query_points(
        seeded, query=[1.0, 1.0, 1.0, 1.0], using="a", query_filter=query_filter, limit=EVERYTHING, with_payload=False
    ).points

    assert sorted((h.id for h in hits), key=id_order) == selected


@pytest.mark.parametrize("name", DELETE_CASES)
def test_delete_with_filter_removes_exactly_the_matching_points(client, collection_name, name):
    condition, predicate = CASES[name]
    create_seeded(client, collection_name)

    client.delete(collection_name, models.FilterSelector(filter=as_filter(condition)))

    assert scrolled_ids(client, collection_name, None) == expected_ids(lambda p: not predicate(p))


def test_empty_filter_matches_every_point(client, seeded):
    assert client.count(seeded, count_filter=models.Filter(), exact=True).count == len(POINTS)


def test_path_without_brackets_does_not_descend_into_arrays(client, seeded):
    with_brackets = client.count(seeded, count_filter=as_filter(match("items[].name", "apple"))).count
    without_brackets = client.count(seeded, count_filter=as_filter(match("items.name", "apple"))).count

    assert (with_brackets > 0, without_brackets) == (True, 0)


@pytest.mark.server_only("local mode treats an empty `should` as no constraint")
def test_explicit_empty_should_matches_nothing_over_rest(client, seeded, transport):
    everything = client.count(seeded, exact=True).count
    # gRPC cannot tell an empty repeated field from an absent one: there it is no clause (§13.4).
    expected = everything if transport == "grpc" else 0

    assert client.count(seeded, count_filter=models.Filter(should=[]), exact=True).count == expected


@pytest.mark.server_only("local mode reports an array holding null as null")
def test_is_null_condition_does_not_match_an_array_holding_null(client, seeded):
    condition = as_filter(models.IsNullCondition(is_null=models.PayloadField(key="slots")))
    expected = expected_ids(lambda p: is_null(p.payload, "slots"))
    assert any(p.payload.get("slots") == [None, "a"] for p in POINTS)

    assert scrolled_ids(client, seeded, condition) == expected


@pytest.mark.server_only("local mode matches whole tokens where Qdrant matches substrings without a text index")
def test_text_match_without_index_is_a_substring_match(client, seeded):
    condition = as_filter(field("text", match=models.MatchText(text="lacie")))
    expected = expected_ids(any_value("text", contains_text("lacie")))
    assert expected, "no point contains 'glacier'"

    assert scrolled_ids(client, seeded, condition) == expected
