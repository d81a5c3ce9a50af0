"""Formula rescoring (``{"formula": …, "defaults": …}``), checked for congruence with the
official client's local mode.

Each test sends one formula query over prefetches to the server (REST and gRPC through the
`client` fixture) and to ``QdrantClient(":memory:")`` holding the same seeded points, and expects
the same ids in the same order with scores equal to a relative 1e-4. Constants are chosen to be
exact in ``f32``: the wire carries expression numbers as 32-bit floats.

Payloads hold numbers (some only on part of the points, for defaults), a one-element array, a
keyword, a geo point and a datetime, so every kind of variable is exercised.
"""

from __future__ import annotations

import numpy as np
import pytest
from qdrant_client import QdrantClient, models

N_POINTS = 60
SPACES = {"a": (6, "Cosine"), "b": (4, "Dot")}
COLORS = ["red", "green", "blue"]
TOLERANCE = 1e-4
LOCAL_RAISES = pytest.mark.server_only("local mode raises ValueError instead of an HTTP error")


def _seed_points(rng: np.random.Generator) -> list[models.PointStruct]:
    points = []
    for i in range(1, N_POINTS + 1):
        vectors = {name: rng.normal(size=dim).round(4).tolist() for name, (dim, _) in SPACES.items()}
        payload = {
            "color": COLORS[int(rng.integers(0, len(COLORS)))],
            "rank": int(rng.integers(0, 20)),
            "price": round(float(rng.uniform(1, 100)), 3),
            "single": [round(float(rng.uniform(0, 10)), 2)],
            "location": {
                "lon": round(float(rng.uniform(-10, 10)), 4),
                "lat": round(float(rng.uniform(40, 60)), 4),
            },
            "created": f"2024-03-{int(rng.integers(1, 29)):02d}T{int(rng.integers(0, 24)):02d}:00:00Z",
        }
        if i % 3 == 0:
            payload["bonus"] = round(float(rng.uniform(0, 2)), 3)
        if i % 4 == 0:
            del payload["location"]
        payload["zero"] = 0 if i % 5 == 0 else 1
        points.append(models.PointStruct(id=i, vector=vectors, payload=payload))
    return points


def _load(target: QdrantClient, name: str, points) -> None:
    target.create_collection(
        name, vectors_config={n: models.VectorParams(size=d, distance=s) for n, (d, s) in SPACES.items()}
    )
    target.upsert(name, points, wait=True)


@pytest.fixture(scope="module")
def data():
    return _seed_points(np.random.default_rng(20260311))


@pytest.fixture(scope="module")
def oracle(data):
    local = QdrantClient(":memory:")
    _load(local, "main", data)
    yield local
    local.close()


@pytest.fixture(scope="module")
def name(client, data, new_collection_name):
    name = new_collection_name("formula")
    _load(client, name, data)
    yield name
    client.delete_collection(name)


def vec(seed: int, space: str) -> list[float]:
    return np.random.default_rng(seed).normal(size=SPACES[space][0]).round(4).tolist()


def prefetches(limit: int = 20) -> list[models.Prefetch]:
    """Two overlapping candidate lists: `$score` is from the first, `$score[1]` from the second."""
    return [
        models.Prefetch(query=vec(1, "a"), using="a", limit=limit),
        models.Prefetch(query=vec(2, "b"), using="b", limit=limit),
    ]


def assert_same(got, want, context=""):
    got_ids = [p.id for p in got]
    want_ids = [p.id for p in want]
    assert got_ids == want_ids, f"{context}: ids {got_ids} != {want_ids}"
    for g, w in zip(got, want):
        assert abs(g.score - w.score) <= TOLERANCE * max(1.0, abs(w.score)), (
            f"{context}: point {g.id} score {g.score} != {w.score}"
        )


def check(client, oracle, name, formula, defaults=None, prefetch=None, **request):
    query = models.FormulaQuery(formula=formula, defaults=defaults or {})
    request.setdefault("limit", 10)
    prefetch = prefetches() if prefetch is None else prefetch
    got = client.query_points(name, prefetch=prefetch, query=query, **request).points
    want = oracle.query_points("main", prefetch=prefetch, query=query, **request).points
    assert want, "the oracle found nothing: the test would prove nothing"
    assert_same(got, want, repr(formula))
    return got


def field(key: str, **test) -> models.FieldCondition:
    return models.FieldCondition(key=key, **test)


# --- variables ---------------------------------------------------------------------------------


def test_score_of_the_first_prefetch(client, oracle, name):
    check(client, oracle, name, "$score")


def test_scores_of_two_prefetches(client, oracle, name):
    check(client, oracle, name, models.SumExpression(sum=["$score", models.MultExpression(mult=[2.0, "$score[1]"])]))


def test_score_defaults_for_points_a_prefetch_missed(client, oracle, name):
    check(
        client, oracle, name,
        models.SumExpression(sum=["$score[0]", "$score[1]"]),
        defaults={"$score": -1.0, "$score[1]": 0.5},
        limit=30,
    )


def test_payload_variables(client, oracle, name):
    check(client, oracle, name, models.SumExpression(sum=["price", "rank", "single"]))


def test_payload_variable_with_a_default(client, oracle, name):
    check(
        client, oracle, name,
        models.MultExpression(mult=["$score", "bonus"]),
        defaults={"bonus": 0.25},
        limit=25,
    )


# --- arithmetic --------------------------------------------------------------------------------


def test_neg_abs_and_sum(client, oracle, name):
    check(client, oracle, name, models.AbsExpression(abs=models.SumExpression(sum=["$score", models.NegExpression(neg=0.5)])))


def test_div(client, oracle, name):
    check(client, oracle, name, models.DivExpression(div=models.DivParams(left="price", right="rank", by_zero_default=-1.0)))


def test_div_by_zero_uses_the_default(client, oracle, name):
    got = check(
        client, oracle, name,
        models.DivExpression(div=models.DivParams(left=1.0, right="zero", by_zero_default=100.0)),
        limit=30,
    )
    assert any(p.score == 100.0 for p in got)


def test_sqrt_pow_and_exp(client, oracle, name):
    check(
        client, oracle, name,
        models.SumExpression(sum=[
            models.SqrtExpression(sqrt="price"),
            models.PowExpression(pow=models.PowParams(base="single", exponent=1.5)),
            models.ExpExpression(exp="$score"),
        ]),
    )


def test_logarithms(client, oracle, name):
    check(
        client, oracle, name,
        models.SumExpression(sum=[models.Log10Expression(log10="price"), models.LnExpression(ln="price")]),
    )


def test_max_min_and_acosh(client, oracle, name):
    check(
        client, oracle, name,
        models.SumExpression(sum=[
            models.MaxExpression(max=["$score", "$score[1]"]),
            models.MinExpression(min=["single", 2.0]),
            models.AcoshExpression(acosh="price"),
        ]),
    )


# --- conditions --------------------------------------------------------------------------------


def test_conditions_are_one_or_zero(client, oracle, name):
    check(
        client, oracle, name,
        models.SumExpression(sum=[
            "$score",
            models.MultExpression(mult=[0.5, field("color", match=models.MatchValue(value="red"))]),
            field("price", range=models.Range(gte=50.0)),
        ]),
    )


# --- decays, geo and datetimes -----------------------------------------------------------------


@pytest.mark.parametrize("decay", ["lin_decay", "exp_decay", "gauss_decay"])
def test_decays(client, oracle, name, decay):
    cls = {
        "lin_decay": (models.LinDecayExpression, "lin_decay"),
        "exp_decay": (models.ExpDecayExpression, "exp_decay"),
        "gauss_decay": (models.GaussDecayExpression, "gauss_decay"),
    }[decay]
    params = models.DecayParamsExpression(x="price", target=50.0, scale=20.0, midpoint=0.25)
    check(client, oracle, name, models.SumExpression(sum=["$score", cls[0](**{cls[1]: params})]))
    # Without target, scale and midpoint: target 0, scale 1, midpoint 0.5.
    check(client, oracle, name, cls[0](**{cls[1]: models.DecayParamsExpression(x="$score[1]")}), limit=20)


def test_geo_distance_with_a_default_for_points_without_location(client, oracle, name):
    check(
        client, oracle, name,
        models.GeoDistance(geo_distance=models.GeoDistanceParams(origin=models.GeoPoint(lon=0.0, lat=50.0), to="location")),
        defaults={"location": {"lon": 2.0, "lat": 48.0}},
        limit=25,
    )


def test_datetime_and_datetime_key(client, oracle, name):
    check(
        client, oracle, name,
        models.SumExpression(sum=[
            models.DatetimeKeyExpression(datetime_key="created"),
            models.NegExpression(neg=models.DatetimeExpression(datetime="2024-03-01T00:00:00Z")),
        ]),
    )


def test_datetime_decay(client, oracle, name):
    check(
        client, oracle, name,
        models.ExpDecayExpression(exp_decay=models.DecayParamsExpression(
            x=models.DatetimeKeyExpression(datetime_key="created"),
            target=models.DatetimeExpression(datetime="2024-03-15T00:00:00Z"),
            scale=86400.0 * 4, midpoint=0.5,
        )),
    )


# --- paging ------------------------------------------------------------------------------------


def test_score_threshold_and_offset(client, oracle, name):
    got = check(client, oracle, name, models.SumExpression(sum=["rank", "$score"]), score_threshold=8.0, offset=2, limit=8)
    assert all(p.score >= 8.0 for p in got)


def test_formula_in_a_nested_prefetch(client, oracle, name):
    inner = models.Prefetch(
        prefetch=prefetches(30),
        query=models.FormulaQuery(formula=models.MultExpression(mult=["$score", "price"])),
        limit=15,
    )
    check(client, oracle, name, models.NegExpression(neg="$score"), prefetch=[inner], limit=5)


# --- errors ------------------------------------------------------------------------------------


@LOCAL_RAISES
def test_formula_without_prefetch_is_400(client, name, api_error):
    with api_error(400, "INVALID_ARGUMENT"):
        client.query_points(name, query=models.FormulaQuery(formula="$score"))


@LOCAL_RAISES
def test_missing_variable_without_default_is_400(client, name, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(name, prefetch=prefetches(), query=models.FormulaQuery(formula="bonus"), limit=30)
    assert "No value found" in error.message and "bonus" in error.message, error.message


@LOCAL_RAISES
def test_non_number_variable_is_400(client, name, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(name, prefetch=prefetches(), query=models.FormulaQuery(formula="color"))
    assert "Expected number value for color" in error.message, error.message


@LOCAL_RAISES
def test_division_by_zero_without_default_is_400(client, name, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(
            name, prefetch=prefetches(),
            query=models.FormulaQuery(formula=models.DivExpression(div=models.DivParams(left=1.0, right="zero"))),
            limit=30,
        )
    assert "produced a non-finite number" in error.message, error.message


@LOCAL_RAISES
def test_sqrt_of_a_negative_is_400(client, name, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(
            name, prefetch=prefetches(),
            query=models.FormulaQuery(formula=models.SqrtExpression(sqrt=models.NegExpression(neg="price"))),
        )
    assert "produced a non-finite number" in error.message, error.message


@LOCAL_RAISES
def test_bad_decay_midpoint_is_400(client, name, api_error):
    with api_error(400, "INVALID_ARGUMENT") as error:
        client.query_points(
            name, prefetch=prefetches(),
            query=models.FormulaQuery(
                formula=models.ExpDecayExpression(exp_decay=models.DecayParamsExpression(x="price", midpoint=1.0))
            ),
        )
    assert "midpoint" in error.message, error.message
