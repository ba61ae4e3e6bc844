//! A chat across two web processes (`beacon serve --role web`, twice, on one PostgreSQL
//! database): a resident chatting on one and the operator answering on the other see each
//! other's messages live over their WebSockets. PostgreSQL only: SQLite is one process by design.

use crate::helpers::{drop_database, free_port, fresh_database_url, hidden_value, Backend};
use beacon::config::Settings;
use beacon::domain::staff::StaffInput;
use beacon::services::staff::{self as staff_service, Actor};
use futures_util::{SinkExt, StreamExt};
use reqwest::cookie::{CookieStore, Jar};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message as Frame;

const SECRET_KEY: &str = "two-processes-secret-two-processes-secret";
const PASSWORD: &str = "a long and memorable password";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One `beacon serve --role web` process; killed when dropped.
struct WebProcess {
    child: Child,
    address: String,
    _data_dir: tempfile::TempDir,
}

impl WebProcess {
    fn start(database_url: &str) -> WebProcess {
        let data_dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_beacon"))
            .args(["serve", "--role", "web"])
            .env("BEACON_DATABASE_URL", database_url)
            .env("BEACON_DATA_DIR", data_dir.path())
            .env("BEACON_SECRET_KEY", SECRET_KEY)
            .env("BEACON_SERVER__BIND", &address)
            .env("BEACON_SERVER__PUBLIC_URL", format!("http://{address}"))
            .env("BEACON_SERVER__SECURE_COOKIES", "false")
            .env("BEACON_LOG__FILTER", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("starting beacon serve --role web");
        crate::helpers::wait_for_listener(&mut child, port, "a web process");
        WebProcess {
            child,
            address,
            _data_dir: data_dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

impl Drop for WebProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser: its cookies kept where a WebSocket request can send them too.
struct Browser {
    client: reqwest::Client,
    cookies: Arc<Jar>,
}

impl Browser {
    fn new() -> Browser {
        let cookies = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(cookies.clone())
            .build()
            .unwrap();
        Browser { client, cookies }
    }

    /// Fills in and sends the form on `page` (its CSRF token added); the response.
    async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let html = self
            .client
            .get(page)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden_value(&html, "csrf").expect("the page has a form");
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.client.post(action).form(&form).send().await.unwrap()
    }

    /// Opens a WebSocket to `url` (an `http://` address) with this browser's cookies.
    async fn websocket(&self, url: &str) -> Socket {
        let http: reqwest::Url = url.parse().unwrap();
        let mut request = url
            .replacen("http://", "ws://", 1)
            .into_client_request()
            .unwrap();
        if let Some(cookies) = self.cookies.cookies(&http) {
            request.headers_mut().insert("cookie", cookies);
        }
        let origin = format!("http://{}", http.authority());
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket opens");
        socket
    }
}

/// Reads frames until one is a message with `body`; returns it.
async fn message_with(socket: &mut Socket, body: &str) -> serde_json::Value {
    let wait = async {
        while let Some(frame) = socket.next().await {
            if let Frame::Text(text) = frame.expect("the WebSocket stays open") {
                let frame: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                if frame["type"] == "message" && frame["body"] == body {
                    return frame;
                }
            }
        }
        panic!("the WebSocket closed before the message \"{body}\" arrived");
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .unwrap_or_else(|_| panic!("the message \"{body}\" did not arrive within 20 s"))
}

async fn send(socket: &mut Socket, frame: serde_json::Value) {
    socket
        .send(Frame::Text(frame.to_string().into()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_resident_on_one_web_process_chats_with_an_operator_on_another() {
    let dir = tempfile::tempdir().unwrap();
    let database_url = fresh_database_url(Backend::Postgres, dir.path()).await;
    // The database made ready (migrations, postcodes, kinds of report) before the processes
    // start, as `beacon migrate` would be run before a deployment's processes.
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
        database_url: database_url.clone(),
        secret_key: SECRET_KEY.into(),
        ..Settings::default()
    };
    let ctx = beacon::app::context(settings).await.unwrap();
    let (a, b) = (
        WebProcess::start(&database_url),
        WebProcess::start(&database_url),
    );

    // Priya, an operator, signs in on process B and says she is available.
    let input = StaffInput {
        email: "priya.shah@staff.example".into(),
        name: "Priya Shah".into(),
        role_title: "Contact Operator".into(),
        area_label: "Force control room".into(),
        provider: "cambridgeshire-constabulary".into(),
        operate: true,
        ..StaffInput::default()
    };
    let actor = Actor {
        staff: None,
        ip: "test",
    };
    let (priya, _) = staff_service::create_staff(&ctx, &actor, &input)
        .await
        .unwrap();
    let secret = staff_service::new_totp_secret();
    staff_service::enrol_for_demo(&ctx, &priya, PASSWORD, &secret)
        .await
        .unwrap();
    let operator = Browser::new();
    let code = staff_service::current_code(&secret).unwrap();
    let signed_in = operator
        .submit(
            &b.url("/staff/sign-in"),
            &b.url("/staff/sign-in"),
            &[
                ("email", &input.email),
                ("password", PASSWORD),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(signed_in.url().path(), "/staff");
    let available = operator
        .submit(
            &b.url("/staff/inbox"),
            &b.url("/staff/inbox/presence"),
            &[("available", "yes"), ("capacity", "3")],
        )
        .await;
    assert!(available.status().is_success());
    let mut inbox = operator.websocket(&b.url("/staff/inbox/live")).await;

    // A resident starts a chat on process A and opens its live connection.
    let resident = Browser::new();
    let started = resident
        .submit(
            &a.url("/chat"),
            &a.url("/chat"),
            &[
                ("first_name", "Sam"),
                ("topic", "Someone is trying car doors"),
            ],
        )
        .await;
    assert!(started.status().is_success());
    let token = started
        .url()
        .path()
        .strip_prefix("/chat/")
        .expect("the chat's own page")
        .to_owned();
    let chat = ctx
        .store
        .conversation_by_token(&token)
        .await
        .unwrap()
        .expect("the chat is stored");
    let mut chat_socket = resident
        .websocket(&a.url(&format!("/chat/{token}/live")))
        .await;

    // Priya takes it on B, and each side's message reaches the other live.
    let taken = operator
        .submit(
            &b.url(&format!("/staff/inbox/{}", chat.id)),
            &b.url(&format!("/staff/inbox/{}/take", chat.id)),
            &[],
        )
        .await;
    assert!(taken.status().is_success());
    send(
        &mut chat_socket,
        serde_json::json!({"type": "send", "body": "They are at the end of my road now", "client_id": "r-1"}),
    )
    .await;
    let heard = message_with(&mut inbox, "They are at the end of my road now").await;
    assert_eq!(heard["conversation"], chat.id);
    assert_eq!(heard["author"], "resident");
    assert_eq!(heard["name"], "Sam");

    send(
        &mut inbox,
        serde_json::json!({"type": "send", "conversation": chat.id, "body": "Thank you, Sam. Officers are on their way.", "client_id": "o-1"}),
    )
    .await;
    let answer = message_with(
        &mut chat_socket,
        "Thank you, Sam. Officers are on their way.",
    )
    .await;
    assert_eq!(answer["author"], "operator");
    assert_eq!(answer["name"], "Priya");

    drop((chat_socket, inbox));
    drop((a, b));
    drop(ctx);
    drop_database(&database_url).await;
}
