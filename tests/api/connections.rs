//! Someone who opens connections and never finishes a request holds a place only for a while:
//! the server closes such connections after the header timeout, serves only so many at once,
//! and answers everyone else as places come free. Connections are the same on both backends, so
//! this runs on SQLite only.

use crate::helpers::{Backend, TestApp};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the other end closes the connection (cleanly or not), within `within`; what it
/// said first.
async fn read_until_closed(socket: &mut TcpStream, within: Duration) -> String {
    let mut said = Vec::new();
    let mut chunk = [0; 1024];
    tokio::time::timeout(within, async {
        loop {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => said.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("still open after {within:?}"));
    String::from_utf8_lossy(&said).into_owned()
}

#[tokio::test]
async fn connections_that_never_finish_their_headers_are_closed_and_capped() {
    let app = TestApp::spawn_with(Backend::Sqlite, |settings| {
        settings.server.header_read_timeout_secs = 2;
        settings.server.request_timeout_secs = 1;
        settings.server.idle_timeout_secs = 5;
        settings.server.max_connections = 4;
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();

    // Four connections start a request and never finish its headers: every place is taken.
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut socket = TcpStream::connect(&address).await.unwrap();
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: beacon\r\nX-Never-Finished: ")
            .await
            .unwrap();
        slow.push(socket);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A resident arriving now waits for a place rather than being served beyond the cap…
    let resident = tokio::spawn(
        reqwest::Client::new()
            .get(app.url("/healthz"))
            .timeout(Duration::from_secs(10))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        !resident.is_finished(),
        "a fifth connection was served while four held every place"
    );

    // …the slow connections are closed once the header timeout passes…
    for socket in &mut slow {
        let said = read_until_closed(socket, Duration::from_secs(5)).await;
        assert!(
            said.is_empty() || said.starts_with("HTTP/1.1 408"),
            "closed with: {said}"
        );
    }

    // …and then the resident is answered.
    let answered = tokio::time::timeout(Duration::from_secs(5), resident)
        .await
        .expect("answered once the slow connections were closed")
        .unwrap()
        .unwrap();
    assert_eq!(answered.status(), 200);
    assert_eq!(app.get("/healthz").await.status(), 200);

    // A request whose body never comes is answered 408 after the request timeout.
    let mut socket = TcpStream::connect(&address).await.unwrap();
    socket
        .write_all(
            b"POST /signup HTTP/1.1\r\nHost: beacon\r\n\
              Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nname=",
        )
        .await
        .unwrap();
    let mut said = Vec::new();
    let mut chunk = [0; 1024];
    tokio::time::timeout(Duration::from_secs(5), async {
        while !said.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => said.extend_from_slice(&chunk[..n]),
            }
        }
    })
    .await
    .expect("an answer within the request timeout");
    let said = String::from_utf8_lossy(&said);
    assert!(said.starts_with("HTTP/1.1 408"), "{said}");
    drop(socket);
    drop(slow);
    app.stop().await;
}
