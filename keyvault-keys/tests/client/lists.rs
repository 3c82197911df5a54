//! Lists across many pages, continuation tokens, and concurrency on one client.

use super::*;

#[tokio::test]
async fn a_thousand_keys_across_pages_and_resuming_from_a_token() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    let mut tasks = tokio::task::JoinSet::new();
    for chunk in 0..10 {
        let c = c.clone();
        tasks.spawn(async move {
            for i in 0..100 {
                c.create_ec_key(&format!("key-{chunk}-{i:03}"), None)
                    .await
                    .expect("create");
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }
    let all: Vec<KeyProperties> = c
        .list_properties_of_keys(None)
        .try_collect()
        .await
        .expect("list");
    assert_eq!(all.len(), 1000);
    let mut names: Vec<&str> = all.iter().map(|k| k.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 1000, "no key twice");
    let mut pages = c
        .list_properties_of_keys(Some(ListPropertiesOfKeysOptions {
            max_page_size: Some(25),
            ..Default::default()
        }))
        .into_pages();
    let first = pages.try_next().await.expect("page").expect("some");
    assert_eq!(first.items.len(), 25);
    let token = first.continuation_token.expect("token");
    let rest: Vec<KeyProperties> = c
        .list_properties_of_keys(Some(ListPropertiesOfKeysOptions {
            continuation_token: Some(token),
            ..Default::default()
        }))
        .try_collect()
        .await
        .expect("resume");
    assert_eq!(rest.len(), 975);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_tasks_on_one_client() {
    let (emu, c) = setup(EmulatorOptions::default()).await;
    c.create_rsa_key("shared", None).await.expect("create");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let c = c.clone();
        tasks.spawn(async move {
            let name = format!("task-{i}");
            c.create_ec_key(&name, None).await.expect("create");
            c.get_key(&name, None).await.expect("get");
            let crypto = c.get_cryptography_client("shared", None).expect("crypto");
            let s = crypto
                .sign_data(&SignatureAlgorithm::Rs256, name.as_bytes(), None)
                .await
                .expect("sign");
            assert!(
                crypto
                    .verify_data(
                        &SignatureAlgorithm::Rs256,
                        name.as_bytes(),
                        &s.signature,
                        None
                    )
                    .await
                    .expect("verify")
                    .is_valid
            );
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task");
    }
    let count = c
        .list_properties_of_keys(None)
        .try_collect::<Vec<_>>()
        .await
        .expect("list")
        .len();
    assert_eq!(count, 65);
    emu.shutdown().await;
}
