//! nextLink paging: followed through the pipeline, refused off the vault's
//! origin, loops and endless series ended.

use super::*;

#[tokio::test]
async fn next_links_are_followed_through_the_pipeline() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |s, p| match s.query_value("$skiptoken").as_deref() {
            None => json(
                200,
                list_page(
                    p,
                    &["a", "b"],
                    Some(format!(
                        "https://{VAULT_HOST}:{p}/keys?api-version=7.2&$skiptoken=t1&maxresults=2"
                    )),
                ),
            ),
            Some("t1") => json(
                200,
                list_page(
                    p,
                    &["c", "d"],
                    Some(format!(
                        "https://{VAULT_HOST}:{p}/keys?$skiptoken=t2&maxresults=2"
                    )),
                ),
            ),
            _ => json(200, list_page(p, &["e"], None)),
        },
    )
    .await;
    let client = server.client(RecordingCredential::new());
    let c = client.clone();
    let items: Vec<types::KeyItem> = client
        .items(async move { c.get_keys(std::num::NonZeroU32::new(2)).await })
        .map(|r| r.expect("item"))
        .collect()
        .await;
    let kids: Vec<String> = items.iter().filter_map(|i| i.kid.clone()).collect();
    assert_eq!(kids.len(), 5);
    assert!(kids[4].ends_with("/keys/e"));
    let lists: Vec<Seen> = server.seen().into_iter().filter(authorised).collect();
    assert_eq!(lists.len(), 3);
    assert_eq!(lists[0].query_value("maxresults").as_deref(), Some("2"));
    // A nextLink's own api-version is replaced by the client's; the
    // client's is added where it has none.
    assert_eq!(
        lists[1].query_value("api-version").as_deref(),
        Some("2025-07-01")
    );
    assert_eq!(
        lists[2].query_value("api-version").as_deref(),
        Some("2025-07-01")
    );
    assert!(lists.iter().all(|s| s.header("authorization").is_some()));

    // Resuming from a continuation token.
    let token = format!(
        "https://{VAULT_HOST}:{}/keys?$skiptoken=t1&maxresults=2",
        server.addr.port()
    );
    let pages: Vec<types::KeyListResult> = client
        .pages_from(token)
        .map(|r| r.expect("page"))
        .collect()
        .await;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].value.len(), 1);
}

#[tokio::test]
async fn a_foreign_next_link_is_refused() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |_, p| {
            json(
                200,
                list_page(
                    p,
                    &["a"],
                    Some("https://other.localhost:1/keys?$skiptoken=x".to_owned()),
                ),
            )
        },
    )
    .await;
    let client = server.client(RecordingCredential::new());
    let c = client.clone();
    let results: Vec<Result<types::KeyListResult, Error>> = client
        .pages(async move { c.get_keys(None).await })
        .collect()
        .await;
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    match &results[1] {
        // The service sent it: the service's fault, not the caller's.
        Err(Error::ForeignNextLink { url, .. }) => assert!(url.contains("other.localhost")),
        other => panic!("expected a foreign-origin error, got {other:?}"),
    }
    // Same host, other port: also foreign.
    let err = client
        .get_page::<types::KeyListResult>(&format!(
            "https://{VAULT_HOST}:{}/keys",
            server.addr.port() + 1
        ))
        .await
        .expect_err("other port");
    assert!(matches!(err, Error::ForeignOrigin { .. }));
    assert_eq!(
        server.seen().into_iter().filter(authorised).count(),
        1,
        "nothing was sent to the foreign link"
    );
}

#[tokio::test]
async fn a_next_link_loop_ends_with_an_error() {
    // A page whose nextLink is itself; and two pages pointing at each other.
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |s, p| {
            let next = match s.query_value("$skiptoken").as_deref() {
                Some("self") => "self",
                Some("a") => "b",
                Some("b") => "a",
                _ => "self",
            };
            json(
                200,
                list_page(
                    p,
                    &["k"],
                    Some(format!("https://{VAULT_HOST}:{p}/keys?$skiptoken={next}")),
                ),
            )
        },
    )
    .await;
    let client = server.client(RecordingCredential::new());
    for start in ["self", "a"] {
        let link = format!(
            "https://{VAULT_HOST}:{}/keys?$skiptoken={start}",
            server.addr.port()
        );
        let pages: Vec<Result<types::KeyListResult, Error>> =
            client.pages_from(link).take(10).collect().await;
        let last = pages.last().expect("a page");
        assert!(
            matches!(last, Err(Error::RepeatedNextLink { .. })),
            "{start}: {} pages, last {last:?}",
            pages.len()
        );
        assert!(pages.len() <= 3, "{start}: {} pages", pages.len());
    }
}

// Finding 5: a bound on the number of pages.

#[tokio::test]
async fn an_endless_series_of_next_links_ends_at_max_pages() {
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |s, p| {
            let n: u64 = s.query_value("p").and_then(|v| v.parse().ok()).unwrap_or(0);
            json(
                200,
                list_page(
                    p,
                    &["k"],
                    Some(format!("https://{VAULT_HOST}:{p}/keys?p={}", n + 1)),
                ),
            )
        },
    )
    .await;
    let options = ClientOptions {
        max_pages: Some(5),
        ..server.options()
    };
    let client = Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
        .expect("client");
    let link = format!("https://{VAULT_HOST}:{}/keys?p=1", server.addr.port());
    let pages: Vec<Result<types::KeyListResult, Error>> =
        client.pages_from(link).take(20).collect().await;
    assert_eq!(pages.len(), 6, "{pages:?}");
    assert!(pages[..5].iter().all(Result::is_ok));
    assert!(
        matches!(pages[5], Err(Error::TooManyPages { limit: 5 })),
        "{:?}",
        pages[5]
    );
    assert_eq!(authorised_attempts(&server).await.len(), 5);

    // From the first page of a list method too.
    let c = client.clone();
    let pages: Vec<Result<types::KeyListResult, Error>> = client
        .pages(async move { c.get_keys(None).await })
        .take(20)
        .collect()
        .await;
    assert_eq!(pages.len(), 6);
    assert!(matches!(pages[5], Err(Error::TooManyPages { limit: 5 })));
    assert_eq!(
        ClientOptions::default().max_pages,
        Some(keyvault_keys_protocol::DEFAULT_MAX_PAGES)
    );
}

// The client's api-version on every page.

/// The raw `key=value` segments of a query other than `api-version` (any
/// case), and the values of its `api-version` pairs.
fn split_api_version(query: &str) -> (Vec<&str>, Vec<String>) {
    let mut others = Vec::new();
    let mut versions = Vec::new();
    for segment in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = url::form_urlencoded::parse(segment.as_bytes())
            .next()
            .expect("a pair");
        if k.eq_ignore_ascii_case("api-version") {
            versions.push(v.into_owned());
        } else {
            others.push(segment);
        }
    }
    (others, versions)
}

#[tokio::test]
async fn a_continuation_request_carries_the_clients_api_version_once() {
    // Each nextLink carries other api-versions (in any case); its other
    // pairs, percent-encoding included, go out as they came, in order.
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |s, p| match s.query_value("$skiptoken").as_deref() {
            None => json(
                200,
                list_page(
                    p,
                    &["a"],
                    Some(format!(
                        "https://{VAULT_HOST}:{p}/keys?api-version=1999-01-01&$skiptoken=eyJ0IjoxfQ%3D%3D&maxresults=2"
                    )),
                ),
            ),
            Some("eyJ0IjoxfQ==") => json(
                200,
                list_page(
                    p,
                    &["b"],
                    Some(format!(
                        "https://{VAULT_HOST}:{p}/keys?$skiptoken=t2&API-Version=1999-01-01&maxresults=2&Api-Version=1998-01-01"
                    )),
                ),
            ),
            _ => json(200, list_page(p, &["c"], None)),
        },
    )
    .await;
    let options = ClientOptions {
        api_version: "7.6-preview.2".into(),
        ..server.options()
    };
    let client = Client::with_credential(&server.vault_url(), RecordingCredential::new(), options)
        .expect("client");
    let c = client.clone();
    let items: Vec<types::KeyItem> = client
        .items(async move { c.get_keys(std::num::NonZeroU32::new(2)).await })
        .map(|r| r.expect("item"))
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    let lists: Vec<Seen> = server.seen().into_iter().filter(authorised).collect();
    assert_eq!(lists.len(), 3);
    let expected_others: [&[&str]; 3] = [
        &["maxresults=2"],
        &["$skiptoken=eyJ0IjoxfQ%3D%3D", "maxresults=2"],
        &["$skiptoken=t2", "maxresults=2"],
    ];
    for (i, (seen, others)) in lists.iter().zip(expected_others).enumerate() {
        let (got_others, versions) = split_api_version(&seen.query);
        assert_eq!(versions, ["7.6-preview.2"], "request {i}: {}", seen.query);
        assert_eq!(got_others, others, "request {i}: {}", seen.query);
    }

    // A continuation token the caller gives, and one page fetched by link.
    let token = format!(
        "https://{VAULT_HOST}:{}/keys?$skiptoken=t2&api-version=1999-01-01",
        server.addr.port()
    );
    let pages: Vec<types::KeyListResult> = client
        .pages_from(token.clone())
        .map(|r| r.expect("page"))
        .collect()
        .await;
    assert_eq!(pages.len(), 1);
    let _: types::KeyListResult = client.get_page(&token).await.expect("page");
    let lists: Vec<Seen> = server.seen().into_iter().filter(authorised).collect();
    assert_eq!(lists.len(), 5);
    for seen in &lists[3..] {
        let (others, versions) = split_api_version(&seen.query);
        assert_eq!(versions, ["7.6-preview.2"], "{}", seen.query);
        assert_eq!(others, ["$skiptoken=t2"], "{}", seen.query);
    }
}

// Empty pages.

#[tokio::test]
async fn empty_and_null_pages_with_a_next_link_are_followed_until_a_null_next_link() {
    // Pages: empty, null value, one key, empty; the last nextLink is null.
    let server = challenging_server(
        |p| format!("https://localhost:{p}"),
        |s, p| {
            let n: usize = s.query_value("p").map_or(0, |v| v.parse().expect("p"));
            let link = Some(format!("https://{VAULT_HOST}:{p}/keys?p={}", n + 1));
            match n {
                0 => json(200, list_page(p, &[], link)),
                1 => json(200, serde_json::json!({"value": null, "nextLink": link})),
                2 => json(200, list_page(p, &["a"], link)),
                3 => json(200, serde_json::json!({"value": [], "nextLink": null})),
                _ => json(404, serde_json::json!({"error": {"code": "NotFound"}})),
            }
        },
    )
    .await;
    let client = server.client(RecordingCredential::new());
    let c = client.clone();
    let pages: Vec<types::KeyListResult> = client
        .pages(async move { c.get_keys(None).await })
        .map(|r| r.expect("page"))
        .collect()
        .await;
    let sizes: Vec<usize> = pages.iter().map(|p| p.value.len()).collect();
    assert_eq!(sizes, [0, 0, 1, 0]);
    assert_eq!(authorised_attempts(&server).await.len(), 4);

    let c = client.clone();
    let items: Vec<types::KeyItem> = client
        .items(async move { c.get_keys(None).await })
        .map(|r| r.expect("item"))
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert!(
        items[0]
            .kid
            .as_deref()
            .is_some_and(|k| k.ends_with("/keys/a"))
    );
    assert_eq!(authorised_attempts(&server).await.len(), 8);
}

#[tokio::test]
async fn a_listing_of_one_empty_or_null_page_ends_there() {
    for body in [
        serde_json::json!({"value": [], "nextLink": null}),
        serde_json::json!({"value": null}),
        serde_json::json!({"value": null, "nextLink": null}),
        serde_json::json!({}),
    ] {
        let b = body.clone();
        let server = challenging_server(
            |p| format!("https://localhost:{p}"),
            move |_, _| json(200, b.clone()),
        )
        .await;
        let client = server.client(RecordingCredential::new());
        let c = client.clone();
        let pages: Vec<Result<types::DeletedKeyListResult, Error>> = client
            .pages(async move { c.get_deleted_keys(None).await })
            .collect()
            .await;
        assert_eq!(pages.len(), 1, "{body}: {pages:?}");
        let page = pages[0].as_ref().unwrap_or_else(|e| panic!("{body}: {e}"));
        assert!(page.value.is_empty() && page.next_link.is_none(), "{body}");
        assert_eq!(authorised_attempts(&server).await.len(), 1, "{body}");
    }
}
