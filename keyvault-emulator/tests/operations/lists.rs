//! The key lists and their paging.

use crate::common::*;

#[tokio::test]
async fn lists_page_with_maxresults_and_absolute_next_links() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    for i in 0..7 {
        call(c.create_key(&format!("key-{i}"), &create("EC", json!({}))))
            .await
            .expect("create");
    }
    for _ in 0..4 {
        call(c.create_key("key-0", &create("EC", json!({}))))
            .await
            .expect("version");
    }
    let first = call(c.get_keys(NonZeroU32::new(3))).await.expect("page");
    assert_eq!(first.value.len(), 3);
    let next = first.next_link.clone().expect("nextLink");
    assert!(
        next.starts_with(&format!("{}/keys?", emu.vault_url())),
        "{next}"
    );
    assert!(next.contains("maxresults=3"));
    assert!(
        first.value[0]
            .kid
            .as_deref()
            .is_some_and(|k| k.ends_with("/keys/key-0")),
        "list kids carry no version"
    );
    let c2 = c.clone();
    let all: Vec<types::KeyItem> =
        futures_collect(c.items(async move { c2.get_keys(NonZeroU32::new(3)).await })).await;
    assert_eq!(all.len(), 7);
    let c3 = c.clone();
    let versions: Vec<types::KeyItem> = futures_collect(
        c.items(async move { c3.get_key_versions("key-0", NonZeroU32::new(2)).await }),
    )
    .await;
    assert_eq!(versions.len(), 5);
    assert!(versions.iter().all(|v| {
        v.kid
            .as_deref()
            .is_some_and(|k| k.split('/').next_back().is_some_and(|s| s.len() == 32))
    }));
    for bad in ["0", "26", "x"] {
        let r = c
            .send_request(RawRequest::new(
                Method::GET,
                format!("/keys?maxresults={bad}"),
            ))
            .await
            .expect("raw");
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "maxresults={bad}");
    }
    // The versions of a missing key are an empty list, as the service answers.
    assert_eq!(
        call(c.get_key_versions("nope", None))
            .await
            .expect("an empty list")
            .value
            .len(),
        0
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_list_continues_after_the_last_name_seen_when_keys_change_between_pages() {
    // The continuation token names a position (the last key of the page), not
    // an offset: a key deleted or added before that position between two
    // pages neither skips nor repeats a key (an offset token did both), and a
    // page costs O(page size + log n) (issue 11 P4: every page used to build
    // and sort the whole list).
    let (emu, _client) = start(EmulatorOptions::default()).await;
    for i in 0..30 {
        let (s, _, _) = raw(
            &emu,
            Method::POST,
            &format!("/keys/page-{i:02}/create"),
            Some(json!({"kty": "EC"})),
        )
        .await
        .expect("create");
        assert_eq!(s, 200);
    }
    let names = |v: &Value| -> Vec<String> {
        v["value"]
            .as_array()
            .expect("value")
            .iter()
            .map(|i| {
                let kid = i["kid"].as_str().expect("kid");
                kid.rsplit('/').next().unwrap_or_default().to_owned()
            })
            .collect()
    };
    let (s, first, _) = raw(&emu, Method::GET, "/keys?maxresults=10", None)
        .await
        .expect("first page");
    assert_eq!(s, 200);
    let expected: Vec<String> = (0..10).map(|i| format!("page-{i:02}")).collect();
    assert_eq!(names(&first), expected);
    // Between the pages: two keys already listed go away, one is added
    // before the position reached.
    for gone in ["/keys/page-00", "/keys/page-01"] {
        let (s, _, _) = raw(&emu, Method::DELETE, gone, None).await.expect("delete");
        assert_eq!(s, 200);
    }
    let (s, _, _) = raw(
        &emu,
        Method::POST,
        "/keys/page-00a/create",
        Some(json!({"kty": "EC"})),
    )
    .await
    .expect("create");
    assert_eq!(s, 200);
    let next = first["nextLink"]
        .as_str()
        .expect("nextLink")
        .trim_start_matches(emu.vault_url())
        .to_owned();
    let (s, second, _) = raw(&emu, Method::GET, &next, None).await.expect("second");
    assert_eq!(s, 200);
    let expected: Vec<String> = (10..20).map(|i| format!("page-{i:02}")).collect();
    assert_eq!(names(&second), expected, "no key skipped or repeated");
    // A token that is not one of ours is a 400, not a panic or a silent restart.
    let (s, body, _) = raw(&emu, Method::GET, "/keys?$skiptoken=bm9wZQ", None)
        .await
        .expect("bad token");
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (400, Some("BadParameter"))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_next_link_carries_the_api_version_escaped() {
    // The api-version is echoed into nextLink: a value with `&` must not add
    // query parameters of its own (review finding).
    let (emu, _client) = start(EmulatorOptions::default()).await;
    for i in 0..2 {
        let (s, _, _) = raw(
            &emu,
            Method::POST,
            &format!("/keys/esc-{i}/create"),
            Some(json!({"kty": "EC"})),
        )
        .await
        .expect("create");
        assert_eq!(s, 200);
    }
    // A version carrying `&` is not one the service knows: refused before
    // any page is made, its text quoted in the message, never in a link.
    let get = |query: &str| {
        let url = format!("{}/keys?{query}", emu.vault_url());
        let http = emu.http_client();
        async move {
            let r = http
                .get(url)
                .bearer_auth(keyvault_emulator::DEFAULT_TOKEN)
                .send()
                .await
                .expect("send");
            (r.status().as_u16(), r.json::<Value>().await.expect("json"))
        }
    };
    let (s, v) = get("api-version=7.6%26maxresults%3D25&maxresults=1").await;
    assert_eq!(s, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("(7.6&maxresults=25)"))
    );
    // A known version is echoed into the nextLink as it was sent, escaped.
    let (s, page) = get("api-version=7.6-PREVIEW.2&maxresults=1").await;
    assert_eq!(s, 200, "{page}");
    let next = url::Url::parse(page["nextLink"].as_str().expect("nextLink")).expect("url");
    let pairs: Vec<(String, String)> = next.query_pairs().into_owned().collect();
    assert_eq!(
        pairs.iter().filter(|(k, _)| k == "maxresults").count(),
        1,
        "{next}"
    );
    assert!(
        pairs.contains(&("api-version".to_owned(), "7.6-PREVIEW.2".to_owned())),
        "{next}"
    );
    emu.shutdown().await;
}
