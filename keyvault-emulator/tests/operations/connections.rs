//! Connections: slow, silent or greedy clients, the connection cap, and
//! injected faults.

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_do_not_wait_for_a_key_generation() {
    let (emu, _c) = start(EmulatorOptions::default()).await;
    assert_eq!(
        status(
            &emu,
            Method::POST,
            "/keys/other/create",
            Some(json!({"kty": "EC"}))
        )
        .await,
        200
    );
    let emu = std::sync::Arc::new(emu);
    let e = emu.clone();
    let started = std::time::Instant::now();
    let create = tokio::spawn(async move {
        for i in 0..2 {
            let s = status(
                &e,
                Method::POST,
                &format!("/keys/big{i}/create"),
                Some(json!({"kty": "RSA", "key_size": 4096})),
            )
            .await;
            assert_eq!(s, 200);
        }
        started.elapsed()
    });
    let mut slowest = std::time::Duration::ZERO;
    let mut during = 0;
    while !create.is_finished() {
        let t = std::time::Instant::now();
        assert_eq!(status(&emu, Method::GET, "/keys/other", None).await, 200);
        slowest = slowest.max(t.elapsed());
        if !create.is_finished() {
            during += 1;
        }
    }
    let create_took = create.await.expect("create task");
    assert!(
        during >= 2,
        "{during} reads finished while the keys were generated"
    );
    assert!(
        slowest * 3 < create_took,
        "the slowest read took {slowest:?}, the two generations {create_took:?}"
    );
    if let Ok(emu) = std::sync::Arc::try_unwrap(emu) {
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn silent_and_slow_connections_are_cut_off_and_others_are_served() {
    use tokio::io::AsyncWriteExt as _;
    let limits = keyvault_emulator::ConnectionLimits {
        tls_handshake_timeout: std::time::Duration::from_millis(500),
        header_read_timeout: std::time::Duration::from_millis(500),
        body_read_timeout: std::time::Duration::from_millis(500),
        write_timeout: std::time::Duration::from_millis(500),
        max_connections: 64,
    };
    let (emu, _c) = start(EmulatorOptions {
        limits,
        ..Default::default()
    })
    .await;
    let bound = std::time::Duration::from_secs(8);
    // 1. A TCP connection that never starts TLS.
    let mut silent = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("tcp");
    // 2. TLS, then no request.
    let tcp = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("tcp");
    let server_name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let mut idle = tls_connector(&emu)
        .connect(server_name.clone(), tcp)
        .await
        .expect("tls");
    // 3. TLS, headers, then a body that trickles.
    let tcp = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("tcp");
    let mut slow = tls_connector(&emu)
        .connect(server_name, tcp)
        .await
        .expect("tls");
    slow.write_all(
        format!(
            "POST /keys/s/create?api-version=7.6 HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{",
            keyvault_emulator::DEFAULT_TOKEN
        )
        .as_bytes(),
    )
    .await
    .expect("write");
    slow.flush().await.expect("flush");
    let (mut slow_read, mut slow_write) = tokio::io::split(slow);
    let drip = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if slow_write.write_all(b" ").await.is_err() || slow_write.flush().await.is_err() {
                break;
            }
        }
    });
    // Others are served meanwhile.
    assert_eq!(status(&emu, Method::GET, "/keys", None).await, 200);
    let (closed, _) = closed_within(&mut silent, bound).await;
    assert!(
        closed,
        "a TCP connection without a TLS handshake stays open"
    );
    let (closed, _) = closed_within(&mut idle, bound).await;
    assert!(closed, "a TLS connection without a request stays open");
    let (closed, answer) = closed_within(&mut slow_read, bound).await;
    assert!(closed, "a request whose body trickles stays open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    drip.abort();
    assert_eq!(status(&emu, Method::GET, "/keys", None).await, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn injected_faults_follow_their_rates_and_a_reset_after_really_ran() {
    let faults = keyvault_emulator::Faults {
        throttle: 0.25,
        reset: 0.1,
        latency: Some(std::time::Duration::from_millis(3)),
        seed: Some(7),
    };
    let (emu, _c) = start(EmulatorOptions {
        faults: Some(faults),
        ..Default::default()
    })
    .await;
    let (mut acked, mut unknown, mut throttled) = (0u64, 0u64, 0u64);
    let mut forms = std::collections::BTreeSet::new();
    for _ in 0..200 {
        match raw(
            &emu,
            Method::POST,
            "/keys/f/create",
            Some(json!({"kty": "EC"})),
        )
        .await
        {
            Ok((200, _, _)) => acked += 1,
            Ok((s @ (429 | 503), body, headers)) => {
                throttled += 1;
                assert!(body["error"]["code"].is_string(), "{s}: {body}");
                let form = ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"]
                    .into_iter()
                    .find(|h| headers.contains_key(*h))
                    .expect("a Retry-After form");
                let delay: u64 = headers[form]
                    .to_str()
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .expect("a number");
                assert!(delay <= 50, "{form}: {delay}");
                if form == "retry-after" {
                    assert_eq!(delay, 0);
                }
                forms.insert(form);
            }
            Ok((s, body, _)) => panic!("unexpected {s}: {body}"),
            Err(_) => unknown += 1,
        }
    }
    let stats = emu.fault_stats();
    assert_eq!(stats.requests, 200, "{stats:?}");
    assert_eq!(stats.throttled, throttled, "{stats:?}");
    assert_eq!(stats.reset_before + stats.reset_after, unknown, "{stats:?}");
    assert!((30..=70).contains(&throttled), "{stats:?}");
    assert!((8..=36).contains(&unknown), "{stats:?}");
    assert!(stats.reset_before > 0 && stats.reset_after > 0, "{stats:?}");
    assert_eq!(forms.len(), 3, "{forms:?}");
    // Count the versions (reads are safe to repeat through the faults):
    // every acknowledged create and every reset-after made one, nothing else did.
    let mut versions = 0u64;
    let mut next = Some("/keys/f/versions?maxresults=25".to_owned());
    while let Some(path) = next.take() {
        let page = loop {
            if let Ok((200, v, _)) = raw(&emu, Method::GET, &path, None).await {
                break v;
            }
        };
        versions += page["value"]
            .as_array()
            .map(|a| a.len() as u64)
            .unwrap_or(0);
        next = page["nextLink"]
            .as_str()
            .map(|l| l.trim_start_matches(emu.vault_url()).to_owned());
    }
    assert_eq!(
        versions,
        acked + stats.reset_after,
        "{stats:?}, {acked} acknowledged"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn the_connection_cap_holds_excess_clients_until_a_slot_frees() {
    let limits = keyvault_emulator::ConnectionLimits {
        tls_handshake_timeout: std::time::Duration::from_secs(1),
        header_read_timeout: std::time::Duration::from_secs(1),
        body_read_timeout: std::time::Duration::from_secs(1),
        write_timeout: std::time::Duration::from_secs(1),
        max_connections: 1,
    };
    let (emu, _c) = start(EmulatorOptions {
        limits,
        ..Default::default()
    })
    .await;
    let emu = std::sync::Arc::new(emu);
    // The only slot: a TLS connection that sends no request.
    let tcp = tokio::net::TcpStream::connect(emu.addr())
        .await
        .expect("tcp");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let mut idle = tls_connector(&emu).connect(name, tcp).await.expect("tls");
    let e = emu.clone();
    let waiting = tokio::spawn(async move {
        let s = status(&e, Method::GET, "/keys", None).await;
        (s, std::time::Instant::now())
    });
    let (closed, _) = closed_within(&mut idle, std::time::Duration::from_secs(8)).await;
    let idle_closed_at = std::time::Instant::now();
    assert!(closed, "the idle connection was not cut off");
    let (s, served_at) = waiting.await.expect("task");
    assert_eq!(s, 200, "the waiting client is served once the slot frees");
    assert!(
        served_at >= idle_closed_at,
        "the second client was served while the only slot was taken"
    );
    if let Ok(emu) = std::sync::Arc::try_unwrap(emu) {
        emu.shutdown().await;
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_its_answers_is_cut_off() {
    // A review found that a connection pipelining requests without reading
    // the answers held its slot forever: hyper stops reading once its writes
    // block, so no read time-out ever starts. A write that makes no progress
    // for write_timeout now closes the connection.
    use tokio::io::AsyncWriteExt as _;
    let limits = keyvault_emulator::ConnectionLimits {
        write_timeout: std::time::Duration::from_millis(500),
        ..Default::default()
    };
    let (emu, _c) = start(EmulatorOptions {
        limits,
        ..Default::default()
    })
    .await;
    // A small receive window, so the server's writes block quickly.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let tcp = socket.connect(emu.addr()).await.expect("tcp");
    let server_name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let stream = tls_connector(&emu)
        .connect(server_name, tcp)
        .await
        .expect("tls");
    let (mut reader, mut writer) = tokio::io::split(stream);
    let request = format!(
        "GET /keys?api-version=7.6&maxresults=25 HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {}\r\n\r\n",
        keyvault_emulator::DEFAULT_TOKEN
    );
    // Pipeline requests, never reading (they queue in the socket buffers).
    let pipeliner = tokio::spawn(async move {
        for _ in 0..20_000 {
            match tokio::time::timeout(
                std::time::Duration::from_secs(3),
                writer.write_all(request.as_bytes()),
            )
            .await
            {
                Ok(Ok(())) => {}
                _ => break,
            }
        }
    });
    for i in 0..40 {
        let (s, _, _) = raw(
            &emu,
            Method::POST,
            &format!("/keys/big-{i}/create"),
            Some(json!({"kty": "EC", "tags": {"pad": "p".repeat(250)}})),
        )
        .await
        .expect("create");
        assert_eq!(s, 200);
    }
    let _ = pipeliner.await;
    // Read nothing for longer than the write time-out (the requests are
    // queued on the connection, the answers blocked behind a full window).
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    // The server must have given up on the connection: reading what it sent
    // ends (EOF or reset) instead of waiting forever.
    let (closed, _) = closed_within(&mut reader, std::time::Duration::from_secs(10)).await;
    assert!(
        closed,
        "a connection that never reads its answers stays open"
    );
    assert_eq!(status(&emu, Method::GET, "/keys", None).await, 200);
    emu.shutdown().await;
}

#[tokio::test]
async fn zero_work_server_answers_without_the_vault_over_https() {
    let zero = Emulator::start_zero_work(EmulatorOptions::default())
        .await
        .expect("start");
    // Any path, any method, even one the vault would refuse or route to
    // a write: a fixed key named for the path, and nothing is created.
    for (method, path) in [
        (Method::GET, "/keys/absent/"),
        (Method::POST, "/keys/new/create"),
        (Method::GET, "/keys"),
    ] {
        let (s, v, _) = raw(&zero, method, path, Some(json!({"kty": "EC"})))
            .await
            .expect("request");
        assert_eq!(s, 200, "{path}");
        assert_eq!(v["key"]["kty"], "EC", "{path}");
        assert_eq!(v["key"]["crv"], "P-256", "{path}");
    }
    zero.shutdown().await;
}

#[tokio::test]
async fn reads_of_one_version_answer_every_path_form() {
    let (emu, c) = start(EmulatorOptions::default()).await;
    let b = call(c.create_key("k", &create("EC", json!({}))))
        .await
        .expect("create");
    let version = version_of(&b);
    for path in [
        "/keys/k".to_owned(),
        "/keys/k/".to_owned(),
        format!("/keys/k/{version}"),
        format!("/KEYS/K/{version}"),
    ] {
        let (s, v, _) = raw(&emu, Method::GET, &path, None).await.expect("get");
        assert_eq!(s, 200, "{path}: {v}");
        assert!(
            v["key"]["kid"]
                .as_str()
                .is_some_and(|k| k.ends_with(&version)),
            "{path}: {v}"
        );
    }
    assert_eq!(status(&emu, Method::GET, "/keys/absent", None).await, 404);
    assert_eq!(
        status(&emu, Method::GET, "/keys/k/not-a-version", None).await,
        404
    );
    emu.shutdown().await;
}
