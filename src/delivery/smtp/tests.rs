//! The SMTP client against a scripted mail server on loopback: what reaches the server and
//! when (no final dot before `finish`), refusals at each stage, authentication, timeouts, old
//! servers without EHLO, and hostile replies.

use super::{Capabilities, SmtpConfig, SmtpConnection, SmtpError};
use crate::config::SmtpTls;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const FLOOD_WARNING: &[u8] =
    b"Subject: Flood warning\r\n\r\nRiver levels are rising.\n.Leave now\r\n..twice\rlast line";
const FLOOD_WARNING_ON_THE_WIRE: &str = "Subject: Flood warning\r\n\r\nRiver levels are rising.\r\n..Leave now\r\n...twice\r\nlast line\r\n";

/// Everything the fake mail server received, as the segments its reads returned.
#[derive(Default)]
struct Transcript {
    bytes: Vec<u8>,
    segments: Vec<Vec<u8>>,
}

/// What the fake mail server answers; a reply of "" means it stays silent.
struct Script {
    greeting: String,
    ehlo: String,
    /// (command prefix or "." for the end of a message, reply), each used once, in order.
    replies: Vec<(String, String)>,
}

impl Script {
    fn new() -> Script {
        Script {
            greeting: "220 mail.beacon.test ESMTP".to_owned(),
            ehlo: "250-mail.beacon.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 AUTH PLAIN LOGIN".to_owned(),
            replies: Vec::new(),
        }
    }

    fn greeting(mut self, greeting: &str) -> Script {
        self.greeting = greeting.to_owned();
        self
    }

    fn ehlo(mut self, reply: &str) -> Script {
        self.ehlo = reply.to_owned();
        self
    }

    fn reply(mut self, command: &str, reply: &str) -> Script {
        self.replies.push((command.to_owned(), reply.to_owned()));
        self
    }

    fn take(&mut self, command: &str) -> Option<String> {
        let index = self
            .replies
            .iter()
            .position(|(prefix, _)| command.starts_with(prefix.as_str()))?;
        Some(self.replies.remove(index).1)
    }
}

struct FakeServer {
    port: u16,
    transcript: Arc<Mutex<Transcript>>,
}

impl FakeServer {
    async fn start(script: Script) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let transcript = Arc::new(Mutex::new(Transcript::default()));
        let peer_transcript = transcript.clone();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let peer = Peer {
                stream,
                pending: Vec::new(),
                transcript: peer_transcript,
            };
            serve(peer, script).await;
        });
        FakeServer { port, transcript }
    }

    fn config(&self) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".to_owned(),
            port: self.port,
            tls: SmtpTls::None,
            username: String::new(),
            password: String::new(),
            timeout: Duration::from_secs(5),
            helo_name: "worker.beacon.test".to_owned(),
            ca_file: None,
        }
    }

    fn received(&self) -> String {
        String::from_utf8_lossy(&self.transcript.lock().unwrap().bytes).into_owned()
    }

    fn segments(&self) -> Vec<String> {
        let transcript = self.transcript.lock().unwrap();
        transcript
            .segments
            .iter()
            .map(|segment| String::from_utf8_lossy(segment).into_owned())
            .collect()
    }

    /// Waits until the server has received `ending` last, then a little longer, so that
    /// anything sent after it would have arrived too.
    async fn settled_on(&self, ending: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.received().ends_with(ending) {
            assert!(Instant::now() < deadline, "never received {ending:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.received()
    }
}

struct Peer {
    stream: TcpStream,
    pending: Vec<u8>,
    transcript: Arc<Mutex<Transcript>>,
}

impl Peer {
    async fn line(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.pending.windows(2).position(|pair| pair == b"\r\n") {
                let line: Vec<u8> = self.pending.drain(..end + 2).collect();
                return Some(String::from_utf8_lossy(&line[..end]).into_owned());
            }
            let mut chunk = [0; 8192];
            let read = self.stream.read(&mut chunk).await.ok()?;
            if read == 0 {
                return None;
            }
            let mut transcript = self.transcript.lock().unwrap();
            transcript.bytes.extend_from_slice(&chunk[..read]);
            transcript.segments.push(chunk[..read].to_vec());
            self.pending.extend_from_slice(&chunk[..read]);
        }
    }

    async fn send(&mut self, reply: &str) {
        if !reply.is_empty() {
            let _ = self
                .stream
                .write_all(format!("{reply}\r\n").as_bytes())
                .await;
        }
    }
}

async fn serve(mut peer: Peer, mut script: Script) {
    peer.send(&script.greeting).await;
    let mut sender_accepted = false;
    let mut recipient_accepted = false;
    let mut login_steps = 0;
    while let Some(line) = peer.line().await {
        if login_steps > 0 {
            login_steps -= 1;
            let reply = if login_steps == 1 {
                "334 UGFzc3dvcmQ6"
            } else {
                "235 2.7.0 Authentication successful"
            };
            peer.send(reply).await;
            continue;
        }
        let command = line.to_ascii_uppercase();
        let usual = match command.split(' ').next().unwrap_or("") {
            "EHLO" => script.ehlo.clone(),
            "HELO" => "250 mail.beacon.test".to_owned(),
            "MAIL" | "RSET" => "250 2.0.0 Ok".to_owned(),
            "RCPT" if sender_accepted => "250 2.1.5 Ok".to_owned(),
            "RCPT" => "503 5.5.1 Error: need MAIL command".to_owned(),
            "DATA" if recipient_accepted => "354 End data with <CR><LF>.<CR><LF>".to_owned(),
            "DATA" => "554 5.5.1 Error: no valid recipients".to_owned(),
            "AUTH" if command.starts_with("AUTH LOGIN") => "334 VXNlcm5hbWU6".to_owned(),
            "AUTH" => "235 2.7.0 Authentication successful".to_owned(),
            "QUIT" => "221 2.0.0 Bye".to_owned(),
            _ => "502 5.5.2 Error: command not recognized".to_owned(),
        };
        let reply = script.take(&command).unwrap_or(usual);
        if command.starts_with("AUTH LOGIN") && reply.starts_with("334") {
            login_steps = 2;
        }
        if command.starts_with("MAIL") && reply.starts_with('2') {
            sender_accepted = true;
        }
        if command.starts_with("RCPT") && reply.starts_with('2') {
            recipient_accepted = true;
        }
        if command == "RSET" {
            sender_accepted = false;
            recipient_accepted = false;
        }
        peer.send(&reply).await;
        if command == "DATA" && reply.starts_with("354") {
            loop {
                match peer.line().await {
                    Some(line) if line == "." => break,
                    Some(_) => {}
                    None => return,
                }
            }
            sender_accepted = false;
            recipient_accepted = false;
            let reply = script
                .take(".")
                .unwrap_or_else(|| "250 2.0.0 Ok: queued as 1A2B3C".to_owned());
            peer.send(&reply).await;
        }
        if command == "QUIT" {
            return;
        }
    }
}

/// (stage, code, permanent) of a refusal.
fn rejected(result: Result<impl std::fmt::Debug, SmtpError>) -> (&'static str, u16, bool) {
    let error = result.expect_err("expected a refusal");
    let permanent = error.is_permanent();
    match error {
        SmtpError::Rejected { stage, reply } => (stage, reply.code, permanent),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_server_gets_no_final_dot_until_finish_and_the_content_is_dot_stuffed() {
    let server = FakeServer::start(Script::new()).await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();

    connection
        .stage("alerts@beacon.test", "mandy@example.org", FLOOD_WARNING)
        .await
        .unwrap();
    let before = server
        .settled_on(&format!("DATA\r\n{FLOOD_WARNING_ON_THE_WIRE}"))
        .await;
    assert!(!before.contains("\r\n.\r\n"), "dot sent early: {before:?}");
    assert!(connection.is_broken(), "a staged message must be finished");

    let reply = connection.finish().await.unwrap();
    assert_eq!(reply.code, 250);
    assert!(!connection.is_broken());
    let after = server.received();
    assert!(after.ends_with(&format!("DATA\r\n{FLOOD_WARNING_ON_THE_WIRE}.\r\n")));
    connection.quit().await;
}

#[tokio::test]
async fn a_pipelined_envelope_arrives_in_one_segment() {
    let server = FakeServer::start(Script::new()).await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();
    connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
        .await
        .unwrap();
    connection.finish().await.unwrap();

    let envelope = server
        .segments()
        .into_iter()
        .find(|segment| segment.contains("MAIL FROM:"))
        .unwrap();
    assert!(envelope.starts_with("MAIL FROM:<alerts@beacon.test> SIZE=7\r\n"));
    assert!(envelope.ends_with("\r\nRCPT TO:<mandy@example.org>\r\nDATA\r\n"));
}

#[tokio::test]
async fn a_refused_recipient_is_permanent_and_the_next_message_still_goes() {
    let server = FakeServer::start(Script::new().reply(
        "RCPT",
        "550 5.1.1 <nobody@example.org>: Recipient address rejected",
    ))
    .await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();

    let refusal = connection
        .stage("alerts@beacon.test", "nobody@example.org", b"Hello")
        .await;
    assert_eq!(rejected(refusal), ("rcpt", 550, true));
    assert!(!connection.is_broken());

    connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
        .await
        .unwrap();
    assert_eq!(connection.finish().await.unwrap().code, 250);
    let received = server.received();
    let reset = received.find("RSET\r\n").expect("no RSET");
    assert!(reset < received.find("RCPT TO:<mandy@example.org>").unwrap());
}

#[tokio::test]
async fn a_temporarily_refused_recipient_is_worth_retrying() {
    let server = FakeServer::start(Script::new().reply(
        "RCPT",
        "451 4.3.0 <mandy@example.org>: Temporary lookup failure",
    ))
    .await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();

    let refusal = connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
        .await;
    assert_eq!(rejected(refusal), ("rcpt", 451, false));

    connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
        .await
        .unwrap();
    assert_eq!(connection.finish().await.unwrap().code, 250);
    assert!(server.received().contains("RSET\r\n"));
}

#[tokio::test]
async fn a_refused_sender_is_reported_at_mail() {
    let server = FakeServer::start(Script::new().reply(
        "MAIL",
        "553 5.7.1 <alerts@beacon.test>: Sender address rejected",
    ))
    .await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();

    let refusal = connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
        .await;
    assert_eq!(rejected(refusal), ("mail", 553, true));
    assert!(!connection.is_broken());
}

#[tokio::test]
async fn a_server_that_starts_data_despite_a_refusal_leaves_the_connection_broken() {
    let server = FakeServer::start(
        Script::new()
            .reply("RCPT", "550 5.1.1 Recipient address rejected")
            .reply("DATA", "354 End data with <CR><LF>.<CR><LF>"),
    )
    .await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();

    let refusal = connection
        .stage("alerts@beacon.test", "nobody@example.org", b"Hello")
        .await;
    assert_eq!(rejected(refusal), ("rcpt", 550, true));
    assert!(connection.is_broken());
}

#[tokio::test]
async fn a_refusal_at_the_final_dot_keeps_the_connection_usable() {
    let server = FakeServer::start(
        Script::new()
            .reply(".", "451 4.3.0 Error: queue file write error")
            .reply(".", "554 5.7.1 Message rejected as spam"),
    )
    .await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();

    for expected in [("dot", 451, false), ("dot", 554, true)] {
        connection
            .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
            .await
            .unwrap();
        assert_eq!(rejected(connection.finish().await), expected);
        assert!(!connection.is_broken());
    }
    connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
        .await
        .unwrap();
    assert_eq!(connection.finish().await.unwrap().code, 250);
}

#[tokio::test]
async fn auth_plain_sends_the_username_and_password() {
    let server = FakeServer::start(Script::new()).await;
    let config = SmtpConfig {
        username: "user".to_owned(),
        password: "pass".to_owned(),
        ..server.config()
    };
    SmtpConnection::connect(&config).await.unwrap().quit().await;
    assert!(server
        .received()
        .contains("\r\nAUTH PLAIN AHVzZXIAcGFzcw==\r\n"));
}

#[tokio::test]
async fn auth_login_is_used_when_it_is_the_only_mechanism_offered() {
    let server = FakeServer::start(
        Script::new().ehlo("250-mail.beacon.test\r\n250-PIPELINING\r\n250 AUTH LOGIN"),
    )
    .await;
    let config = SmtpConfig {
        username: "user".to_owned(),
        password: "pass".to_owned(),
        ..server.config()
    };
    SmtpConnection::connect(&config).await.unwrap().quit().await;
    assert!(server
        .received()
        .contains("\r\nAUTH LOGIN\r\ndXNlcg==\r\ncGFzcw==\r\n"));
}

#[tokio::test]
async fn wrong_credentials_are_refused_at_auth() {
    let server =
        FakeServer::start(Script::new().reply("AUTH", "535 5.7.8 Error: authentication failed"))
            .await;
    let config = SmtpConfig {
        username: "user".to_owned(),
        password: "wrong".to_owned(),
        ..server.config()
    };
    let refusal = SmtpConnection::connect(&config).await.map(|_| ());
    assert_eq!(rejected(refusal), ("auth", 535, true));
}

#[tokio::test]
async fn a_server_that_stops_answering_times_out() {
    let server = FakeServer::start(Script::new().reply("MAIL", "")).await;
    let config = SmtpConfig {
        timeout: Duration::from_millis(200),
        ..server.config()
    };
    let mut connection = SmtpConnection::connect(&config).await.unwrap();

    let started = Instant::now();
    let result = connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
        .await;
    let waited = started.elapsed();
    match result {
        Err(SmtpError::Io(message)) => assert!(
            message.starts_with("timed out after 200 ms while waiting for the reply to"),
            "{message}"
        ),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(waited >= Duration::from_millis(200) && waited < Duration::from_secs(1));
    assert!(connection.is_broken());
}

#[tokio::test]
async fn a_silent_greeting_times_out_at_connect() {
    let server = FakeServer::start(Script::new().greeting("")).await;
    let config = SmtpConfig {
        timeout: Duration::from_millis(200),
        ..server.config()
    };
    let started = Instant::now();
    let result = SmtpConnection::connect(&config).await;
    assert!(matches!(result, Err(SmtpError::Io(message)) if message.contains("timed out")));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_multi_line_ehlo_reply_gives_the_servers_capabilities() {
    let server = FakeServer::start(Script::new().ehlo(
        "250-mail.beacon.test Hello worker\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250-STARTTLS\r\n250-AUTH=LOGIN\r\n250-AUTH PLAIN login XOAUTH2\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME",
    ))
    .await;
    let connection = SmtpConnection::connect(&server.config()).await.unwrap();
    assert_eq!(
        connection.capabilities,
        Capabilities {
            pipelining: true,
            starttls: true,
            eight_bit_mime: true,
            size: Some(35882577),
            auth: vec!["LOGIN".to_owned(), "PLAIN".to_owned(), "XOAUTH2".to_owned()],
        }
    );
}

#[tokio::test]
async fn a_server_without_ehlo_gets_helo_and_one_command_at_a_time() {
    let server =
        FakeServer::start(Script::new().reply("EHLO", "502 5.5.2 Error: command not recognized"))
            .await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();
    connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
        .await
        .unwrap();
    connection.finish().await.unwrap();

    let segments = server.segments();
    assert!(segments.contains(&"HELO worker.beacon.test\r\n".to_owned()));
    assert!(segments.contains(&"MAIL FROM:<alerts@beacon.test>\r\n".to_owned()));
    assert!(segments.contains(&"RCPT TO:<mandy@example.org>\r\n".to_owned()));
    assert!(segments.contains(&"DATA\r\n".to_owned()));
}

#[tokio::test]
async fn an_address_that_would_inject_commands_is_refused_before_sending() {
    let server = FakeServer::start(Script::new()).await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();

    for to in [
        "mandy@example.org\r\nRCPT TO:<eve@example.org",
        "mandy@example.org\nBcc: eve@example.org",
        "mandy@example.org> NOTIFY=NEVER",
    ] {
        let result = connection.stage("alerts@beacon.test", to, b"Hello").await;
        assert!(matches!(result, Err(SmtpError::Protocol(_))), "{to:?}");
    }
    let result = connection
        .stage("alerts@beacon.test\r\nRSET", "mandy@example.org", b"Hello")
        .await;
    assert!(matches!(result, Err(SmtpError::Protocol(_))));
    assert!(!server.received().contains("MAIL"));

    assert!(!connection.is_broken());
    connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Hello")
        .await
        .unwrap();
    connection.finish().await.unwrap();
}

#[tokio::test]
async fn staging_twice_without_finishing_is_refused() {
    let server = FakeServer::start(Script::new()).await;
    let mut connection = SmtpConnection::connect(&server.config()).await.unwrap();
    connection
        .stage("alerts@beacon.test", "mandy@example.org", b"First")
        .await
        .unwrap();
    let second = connection
        .stage("alerts@beacon.test", "mandy@example.org", b"Second")
        .await;
    assert!(matches!(second, Err(SmtpError::Protocol(_))));
    assert_eq!(connection.finish().await.unwrap().code, 250);
    assert_eq!(server.received().matches("MAIL FROM").count(), 1);
}

#[tokio::test]
async fn starttls_is_required_when_configured_but_not_offered() {
    let server = FakeServer::start(Script::new()).await;
    let config = SmtpConfig {
        tls: SmtpTls::Starttls,
        username: "user".to_owned(),
        password: "pass".to_owned(),
        ..server.config()
    };
    let result = SmtpConnection::connect(&config).await;
    assert!(matches!(&result, Err(SmtpError::Protocol(message)) if message.contains("STARTTLS")));
    assert!(!server.received().contains("AUTH"));
}

#[tokio::test]
async fn a_refusing_greeting_is_reported() {
    let server =
        FakeServer::start(Script::new().greeting("554 5.3.2 mail.beacon.test closed")).await;
    let refusal = SmtpConnection::connect(&server.config()).await.map(|_| ());
    assert_eq!(rejected(refusal), ("greeting", 554, true));
}

#[tokio::test]
async fn an_endless_reply_line_is_refused_without_reading_it_all() {
    let server =
        FakeServer::start(Script::new().greeting(&format!("220 {}", "x".repeat(5000)))).await;
    let result = SmtpConnection::connect(&server.config()).await;
    assert!(matches!(result, Err(SmtpError::Protocol(_))));
}

#[tokio::test]
async fn an_endless_multi_line_reply_is_refused() {
    let server =
        FakeServer::start(Script::new().greeting(&"220-ESMTP welcome\r\n".repeat(5000))).await;
    let result = SmtpConnection::connect(&server.config()).await;
    assert!(matches!(result, Err(SmtpError::Protocol(message)) if message.contains("64 KiB")));
}
