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
    // A nextLink's own api-version is kept; one is added where it has none.
    assert_eq!(lists[1].query_value("api-version").as_deref(), Some("7.2"));
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
