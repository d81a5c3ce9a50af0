//! Data acknowledged with `wait=true` survives `kill -9`: the server binary is started on a
//! storage directory, written to, killed with SIGKILL, restarted, and read back.

mod common;

use common::process::{call, command, data_dir, free_port, start};
use serde_json::json;

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    let dir = data_dir("durability");

    let server = start(&dir).await;
    let base = server.base.clone();
    call(
        &base,
        "PUT",
        "/collections/docs",
        json!({"vectors": {"img": {"size": 3, "distance": "Euclid"}, "txt": {"size": 2, "distance": "Dot"}}}),
    )
    .await;
    call(
        &base,
        "POST",
        "/collections/aliases",
        json!({"actions": [{"create_alias": {"collection_name": "docs", "alias_name": "current"}}]}),
    )
    .await;
    // Many small acknowledged writes, several in flight at once (they share flushes).
    let mut writes = Vec::new();
    for i in 0..200u64 {
        let base = base.clone();
        writes.push(tokio::spawn(async move {
            call(
                &base,
                "PUT",
                "/collections/current/points?wait=true",
                json!({"points": [{
                    "id": i,
                    "vector": {"img": [i as f32, 1.0, 2.0], "txt": [0.5, i as f32]},
                    "payload": {"n": i, "tag": format!("t{}", i % 7)}
                }]}),
            )
            .await
        }));
    }
    for w in writes {
        w.await.unwrap();
    }
    let uuid = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";
    call(
        &base,
        "PUT",
        "/collections/docs/points?wait=true",
        json!({"points": [{"id": uuid, "vector": {"img": [9.0, 9.0, 9.0]}, "payload": {"u": true}}]}),
    )
    .await;
    call(
        &base,
        "POST",
        "/collections/docs/points/payload?wait=true",
        json!({"payload": {"edited": "yes"}, "points": [7]}),
    )
    .await;
    call(
        &base,
        "POST",
        "/collections/docs/points/delete?wait=true",
        json!({"points": [3]}),
    )
    .await;

    call(
        &base,
        "PATCH",
        "/collections/docs",
        json!({"optimizers_config": {"indexing_threshold": 5000}, "hnsw_config": {"m": 32}}),
    )
    .await;

    let before = call(
        &base,
        "POST",
        "/collections/docs/points/scroll",
        json!({"limit": 1000, "with_payload": true, "with_vector": true}),
    )
    .await["result"]
        .clone();

    server.kill();

    let restarted = start(&dir).await;
    let base = restarted.base.clone();
    let after = call(
        &base,
        "POST",
        "/collections/current/points/scroll",
        json!({"limit": 1000, "with_payload": true, "with_vector": true}),
    )
    .await["result"]
        .clone();
    assert_eq!(after, before);
    assert_eq!(after["points"].as_array().unwrap().len(), 200);
    let info = call(&base, "GET", "/collections/docs", json!({})).await;
    assert_eq!(info["result"]["points_count"], 200);
    assert_eq!(
        info["result"]["config"]["params"]["vectors"]["img"]["distance"],
        "Euclid"
    );
    assert_eq!(
        info["result"]["config"]["optimizer_config"]["indexing_threshold"],
        5000
    );
    assert_eq!(info["result"]["config"]["hnsw_config"]["m"], 32);
    let aliases = call(&base, "GET", "/aliases", json!({})).await;
    assert_eq!(
        aliases["result"]["aliases"],
        json!([{"alias_name": "current", "collection_name": "docs"}])
    );

    restarted.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn payload_indexes_survive_restart_and_die_with_their_collection() {
    let dir = data_dir("index-registry");

    let server = start(&dir).await;
    let base = server.base.clone();
    call(
        &base,
        "PUT",
        "/collections/shop",
        json!({"vectors": {"size": 2, "distance": "Dot"}}),
    )
    .await;
    call(
        &base,
        "PUT",
        "/collections/shop/points?wait=true",
        json!({"points": [
            {"id": 1, "vector": [1.0, 0.0], "payload": {"city": "Oslo", "price": 10}},
            {"id": 2, "vector": [0.0, 1.0], "payload": {"city": ["Rome", "Oslo"]}},
            {"id": 3, "vector": [1.0, 1.0], "payload": {"price": 2.5}}
        ]}),
    )
    .await;
    for (field, schema) in [
        ("city", json!("keyword")),
        ("price", json!({"type": "integer", "lookup": false})),
        ("gone", json!("bool")),
    ] {
        call(
            &base,
            "PUT",
            "/collections/shop/index?wait=true",
            json!({"field_name": field, "field_schema": schema}),
        )
        .await;
    }
    call(
        &base,
        "DELETE",
        "/collections/shop/index/gone?wait=true",
        json!({}),
    )
    .await;
    let before =
        call(&base, "GET", "/collections/shop", json!({})).await["result"]["payload_schema"]
            .clone();
    assert_eq!(
        before,
        json!({
            "city": {"data_type": "keyword", "points": 2},
            "price": {"data_type": "integer", "params": {"type": "integer", "lookup": false}, "points": 1}
        })
    );

    server.kill();

    let restarted = start(&dir).await;
    let base = restarted.base.clone();
    let after =
        call(&base, "GET", "/collections/shop", json!({})).await["result"]["payload_schema"]
            .clone();
    assert_eq!(after, before);
    // The order_by check reads the restored registry.
    let ordered = call(
        &base,
        "POST",
        "/collections/shop/points/scroll",
        json!({"order_by": "price", "with_payload": false}),
    )
    .await;
    assert_eq!(
        ordered["result"]["points"],
        json!([{"id": 1, "order_value": 10}])
    );

    call(&base, "DELETE", "/collections/shop", json!({})).await;
    call(
        &base,
        "PUT",
        "/collections/shop",
        json!({"vectors": {"size": 2, "distance": "Dot"}}),
    )
    .await;
    let fresh = call(&base, "GET", "/collections/shop", json!({})).await;
    assert_eq!(fresh["result"]["payload_schema"], json!({}));

    restarted.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn named_vectors_created_and_deleted_survive_sigkill() {
    let dir = data_dir("vector-names");

    let server = start(&dir).await;
    let base = server.base.clone();
    call(
        &base,
        "PUT",
        "/collections/docs",
        json!({"vectors": {"a": {"size": 2, "distance": "Dot"}, "old": {"size": 2, "distance": "Dot"}}}),
    )
    .await;
    call(
        &base,
        "PUT",
        "/collections/docs/points?wait=true",
        json!({"points": [{"id": 1, "vector": {"a": [1.0, 0.0], "old": [9.0, 9.0]}}]}),
    )
    .await;
    call(
        &base,
        "PUT",
        "/collections/docs/vectors/b?wait=true",
        json!({"dense": {"size": 3, "distance": "Euclid"}}),
    )
    .await;
    call(
        &base,
        "PUT",
        "/collections/docs/points/vectors?wait=true",
        json!({"points": [{"id": 1, "vector": {"b": [1.0, 2.0, 3.0]}}]}),
    )
    .await;
    call(
        &base,
        "DELETE",
        "/collections/docs/vectors/old?wait=true",
        json!({}),
    )
    .await;

    server.kill();

    let restarted = start(&dir).await;
    let base = restarted.base.clone();
    let info = call(&base, "GET", "/collections/docs", json!({})).await;
    assert_eq!(
        info["result"]["config"]["params"]["vectors"],
        json!({"a": {"size": 2, "distance": "Dot"}, "b": {"size": 3, "distance": "Euclid"}})
    );
    let point = call(&base, "GET", "/collections/docs/points/1", json!({})).await;
    assert_eq!(
        point["result"]["vector"],
        json!({"a": [1.0, 0.0], "b": [1.0, 2.0, 3.0]})
    );
    // A vector re-created under the deleted name starts empty: the old values are gone.
    call(
        &base,
        "PUT",
        "/collections/docs/vectors/old?wait=true",
        json!({"dense": {"size": 2, "distance": "Dot"}}),
    )
    .await;
    restarted.kill();
    let again = start(&dir).await;
    let point = call(
        &again.base.clone(),
        "GET",
        "/collections/docs/points/1",
        json!({}),
    )
    .await;
    assert_eq!(
        point["result"]["vector"],
        json!({"a": [1.0, 0.0], "b": [1.0, 2.0, 3.0]})
    );
    again.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sparse_and_multivectors_survive_sigkill() {
    let dir = data_dir("vector-kinds");

    let server = start(&dir).await;
    let base = server.base.clone();
    call(
        &base,
        "PUT",
        "/collections/docs",
        json!({
            "vectors": {"colbert": {"size": 2, "distance": "Dot",
                                    "multivector_config": {"comparator": "max_sim"}}},
            "sparse_vectors": {"text": {"modifier": "idf"}}
        }),
    )
    .await;
    call(
        &base,
        "PUT",
        "/collections/docs/points?wait=true",
        json!({"points": [
            {"id": 1, "vector": {"colbert": [[1.0, 0.0], [0.0, 2.0]],
                                 "text": {"indices": [9, 2], "values": [0.5, 1.5]}}},
            {"id": 2, "vector": {"text": {"indices": [2], "values": [1.0]}}}
        ]}),
    )
    .await;
    // A sparse vector added after creation, and one point losing its sparse vector.
    call(
        &base,
        "PUT",
        "/collections/docs/vectors/title?wait=true",
        json!({"sparse": {}}),
    )
    .await;
    call(
        &base,
        "PUT",
        "/collections/docs/points/vectors?wait=true",
        json!({"points": [{"id": 2, "vector": {"title": {"indices": [7], "values": [3.0]}}}]}),
    )
    .await;
    call(
        &base,
        "POST",
        "/collections/docs/points/vectors/delete?wait=true",
        json!({"points": [2], "vector": ["text"]}),
    )
    .await;

    server.kill();

    let restarted = start(&dir).await;
    let base = restarted.base.clone();
    let info = call(&base, "GET", "/collections/docs", json!({})).await;
    assert_eq!(
        info["result"]["config"]["params"]["sparse_vectors"],
        json!({"text": {"modifier": "idf"}, "title": {}})
    );
    let point = call(&base, "GET", "/collections/docs/points/1", json!({})).await;
    assert_eq!(
        point["result"]["vector"],
        json!({"colbert": [[1.0, 0.0], [0.0, 2.0]],
               "text": {"indices": [2, 9], "values": [1.5, 0.5]}})
    );
    let point = call(&base, "GET", "/collections/docs/points/2", json!({})).await;
    assert_eq!(
        point["result"]["vector"],
        json!({"title": {"indices": [7], "values": [3.0]}})
    );
    // The inverted index is rebuilt from the stored points: point 2 lost `text`, so only point
    // 1 matches, scored with IDF over the one point that has the vector.
    let found = call(
        &base,
        "POST",
        "/collections/docs/points/query",
        json!({"query": {"indices": [2], "values": [1.0]}, "using": "text"}),
    )
    .await;
    let hits = found["result"]["points"].as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["id"], 1);
    let idf = ((1.0f64 - 1.0 + 0.5) / (1.0 + 0.5) + 1.0).ln() * 1.5;
    assert!((hits[0]["score"].as_f64().unwrap() - idf).abs() < 1e-5);
    restarted.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn unreadable_storage_stops_startup_without_touching_it() {
    let dir = data_dir("unreadable");
    std::fs::create_dir_all(&dir).unwrap();
    // A file where the database directory must be: the server cannot use it.
    let blocker = dir.join("sled");
    std::fs::write(&blocker, b"not a database").unwrap();
    let output = command(&dir, free_port())
        .output()
        .expect("the quiver binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&dir.display().to_string()), "{stderr}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"not a database");
    let _ = std::fs::remove_dir_all(&dir);
}
