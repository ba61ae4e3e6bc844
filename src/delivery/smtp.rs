//! SMTP for alert emails: a small client that stages a whole message but holds back the final dot
//! until the caller has recorded the send, so a worker killed at any instant never sends twice.
//!
//! Only the socket to the mail server is touched here; messages are built elsewhere (with lettre).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::TlsConnector;

use crate::config::SmtpTls;

/// Longest reply line we accept: RFC 5321 allows 512 octets, real servers sometimes send more.
const MAX_LINE: usize = 4 * 1024;
/// Longest reply we accept, all lines together, so a hostile server cannot exhaust memory.
const MAX_REPLY: usize = 64 * 1024;

/// Where and how to reach the mail server.
#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Empty: no AUTH.
    pub username: String,
    pub password: String,
    /// The longest wait for each connect, read or write.
    pub timeout: Duration,
    /// The name this worker gives in EHLO.
    pub helo_name: String,
    /// PEM certificates to trust instead of the platform's roots (a private relay's own CA).
    pub ca_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &"***")
            .field("timeout", &self.timeout)
            .field("helo_name", &self.helo_name)
            .finish()
    }
}

/// A server's reply: its code and the text of every line, joined with spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// The server refused at a stage ("mail", "rcpt", "data", "dot", "auth", "greeting", "ehlo",
    /// "starttls").
    #[error("{stage}: {} {}", reply.code, reply.text)]
    Rejected { stage: &'static str, reply: Reply },
    /// The connection failed, timed out or was closed by the server.
    #[error("connection: {0}")]
    Io(String),
    /// The server said something we cannot understand, or the caller asked for something SMTP
    /// cannot carry.
    #[error("protocol: {0}")]
    Protocol(String),
}

impl SmtpError {
    /// 5xx: trying again will not help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SmtpError::Rejected { reply, .. } if (500..600).contains(&reply.code))
    }
}

/// An open SMTP session, ready for one message at a time.
pub struct SmtpConnection {
    reader: BufReader<Stream>,
    capabilities: Capabilities,
    timeout: Duration,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between messages: the next `stage` may begin.
    Ready,
    /// Content sent, final dot held back: only `finish` (or dropping the connection) may follow.
    Staged,
    /// The session is in an unknown state (an error, or a future dropped mid-exchange).
    Broken,
}

/// What the server offered in its EHLO reply.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Capabilities {
    pipelining: bool,
    starttls: bool,
    eight_bit_mime: bool,
    /// `Some(0)` when SIZE is offered without a fixed limit.
    size: Option<u64>,
    /// Upper-case mechanism names.
    auth: Vec<String>,
}

impl Capabilities {
    fn from_ehlo(lines: &[String]) -> Capabilities {
        let mut capabilities = Capabilities::default();
        // The first line is the server's name and greeting, not a capability.
        for line in lines.iter().skip(1) {
            let mut words = line.split_whitespace();
            let Some(keyword) = words.next() else {
                continue;
            };
            let keyword = keyword.to_ascii_uppercase();
            match keyword.as_str() {
                "PIPELINING" => capabilities.pipelining = true,
                "STARTTLS" => capabilities.starttls = true,
                "8BITMIME" => capabilities.eight_bit_mime = true,
                "SIZE" => {
                    capabilities.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0))
                }
                _ => {
                    // "AUTH PLAIN LOGIN", or the pre-standard "AUTH=PLAIN LOGIN".
                    let first = if keyword == "AUTH" {
                        None
                    } else if let Some(mechanism) = keyword.strip_prefix("AUTH=") {
                        Some(mechanism.to_owned())
                    } else {
                        continue;
                    };
                    for mechanism in first
                        .into_iter()
                        .chain(words.map(|word| word.to_ascii_uppercase()))
                    {
                        if !mechanism.is_empty() && !capabilities.auth.contains(&mechanism) {
                            capabilities.auth.push(mechanism);
                        }
                    }
                }
            }
        }
        capabilities
    }

    fn offers_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|offered| offered == mechanism)
    }
}

/// A reply as read, line by line (EHLO's capabilities are one a line).
struct RawReply {
    code: u16,
    lines: Vec<String>,
}

impl RawReply {
    fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    fn into_reply(self) -> Reply {
        Reply {
            code: self.code,
            text: self.lines.join(" "),
        }
    }

    fn rejected(self, stage: &'static str) -> SmtpError {
        SmtpError::Rejected {
            stage,
            reply: self.into_reply(),
        }
    }
}

impl SmtpConnection {
    /// Connects, reads the 220 greeting, EHLO (falls back to HELO on 5xx), STARTTLS + EHLO again
    /// when tls=Starttls (refused if not offered), implicit TLS when tls=Tls (rustls with the
    /// platform's native roots, server name = host), AUTH PLAIN (or LOGIN when only LOGIN is
    /// offered) when a username is set.
    pub async fn connect(config: &SmtpConfig) -> Result<SmtpConnection, SmtpError> {
        if config.helo_name.contains(['\r', '\n']) {
            return Err(SmtpError::Protocol(
                "the EHLO name contains a line break".to_owned(),
            ));
        }
        let helo_name = if config.helo_name.trim().is_empty() {
            "localhost"
        } else {
            config.helo_name.trim()
        };
        let server = format!("{}:{}", config.host, config.port);

        let doing = format!("connecting to {server}");
        let tcp = within(config.timeout, &doing, async {
            TcpStream::connect((config.host.as_str(), config.port))
                .await
                .map_err(|error| failed(&doing, error))
        })
        .await?;
        // The final dot is a tiny write that must leave at once, not wait for an ACK.
        tcp.set_nodelay(true)
            .map_err(|error| failed("setting TCP_NODELAY", error))?;

        let stream = match config.tls {
            SmtpTls::Tls => Stream::Tls(Box::new(handshake(config, tcp).await?)),
            SmtpTls::None | SmtpTls::Starttls => Stream::Plain(tcp),
        };
        let mut connection = SmtpConnection {
            reader: BufReader::new(stream),
            capabilities: Capabilities::default(),
            timeout: config.timeout,
            state: State::Broken,
        };

        let greeting = connection.read_reply("reading the greeting").await?;
        if greeting.code != 220 {
            return Err(greeting.rejected("greeting"));
        }
        connection.ehlo(helo_name).await?;

        if config.tls == SmtpTls::Starttls {
            if !connection.capabilities.starttls {
                return Err(SmtpError::Protocol(format!(
                    "{server} does not offer STARTTLS, which the configuration requires"
                )));
            }
            let reply = connection.command("STARTTLS", "STARTTLS").await?;
            if reply.code != 220 {
                return Err(reply.rejected("starttls"));
            }
            // Anything already buffered was sent before the handshake, in plain text, and could
            // be an attacker's injected reply (CVE-2011-0411 and kin).
            if !connection.reader.buffer().is_empty() {
                return Err(SmtpError::Protocol(
                    "the server sent data before the TLS handshake".to_owned(),
                ));
            }
            let Stream::Plain(tcp) = connection.reader.into_inner() else {
                return Err(SmtpError::Protocol(
                    "STARTTLS on a connection that is already encrypted".to_owned(),
                ));
            };
            connection.reader =
                BufReader::new(Stream::Tls(Box::new(handshake(config, tcp).await?)));
            connection.ehlo(helo_name).await?;
        }

        if !config.username.is_empty() {
            connection
                .authenticate(&config.username, &config.password)
                .await?;
        }

        connection.state = State::Ready;
        tracing::debug!(server = %server, "connected to the SMTP server");
        Ok(connection)
    }

    /// MAIL FROM, RCPT TO and DATA (pipelined when the server offers PIPELINING), then the message
    /// with CRLF line endings, dot-stuffed and ending with CRLF, WITHOUT the final ".\r\n".
    ///
    /// A refusal of MAIL, RCPT or DATA returns `Rejected` and leaves the connection usable for
    /// the next message. After `Ok`, call `finish` to deliver, or drop the connection to abandon.
    pub async fn stage(&mut self, from: &str, to: &str, message: &[u8]) -> Result<(), SmtpError> {
        match self.state {
            State::Ready => {}
            State::Staged => {
                return Err(SmtpError::Protocol(
                    "a message is already staged: finish it or drop the connection".to_owned(),
                ))
            }
            State::Broken => return Err(unusable()),
        }
        check_address(from, "sender")?;
        check_address(to, "recipient")?;
        if to.is_empty() {
            return Err(SmtpError::Protocol("the recipient is empty".to_owned()));
        }
        let content = dot_stuff(message);

        let mut mail = format!("MAIL FROM:<{from}>");
        if self.capabilities.size.is_some() {
            mail.push_str(&format!(" SIZE={}", content.len()));
        }
        if self.capabilities.eight_bit_mime && !message.is_ascii() {
            mail.push_str(" BODY=8BITMIME");
        }
        let rcpt = format!("RCPT TO:<{to}>");

        // Broken until proven otherwise, so that a future dropped mid-exchange leaves no doubt.
        self.state = State::Broken;
        if self.capabilities.pipelining {
            let batch = format!("{mail}\r\n{rcpt}\r\nDATA\r\n");
            self.send(batch.as_bytes(), "sending the envelope").await?;
            let mail = self.read_reply("waiting for the reply to MAIL").await?;
            let rcpt = self.read_reply("waiting for the reply to RCPT").await?;
            let data = self.read_reply("waiting for the reply to DATA").await?;
            let in_data_mode = data.code == 354;
            let refusal = if !mail.is_positive() {
                Some((mail, "mail"))
            } else if !rcpt.is_positive() {
                Some((rcpt, "rcpt"))
            } else if data.code != 354 {
                Some((data, "data"))
            } else {
                None
            };
            if let Some((reply, stage)) = refusal {
                if in_data_mode {
                    // The server went into DATA mode despite the refusal; the only way out is
                    // to send a message, so leave the connection broken instead.
                    return Err(reply.rejected(stage));
                }
                return Err(self.abandon(reply.rejected(stage)).await);
            }
        } else {
            let reply = self.command(&mail, "MAIL").await?;
            if !reply.is_positive() {
                return Err(self.abandon(reply.rejected("mail")).await);
            }
            let reply = self.command(&rcpt, "RCPT").await?;
            if !reply.is_positive() {
                return Err(self.abandon(reply.rejected("rcpt")).await);
            }
            let reply = self.command("DATA", "DATA").await?;
            if reply.code != 354 {
                return Err(self.abandon(reply.rejected("data")).await);
            }
        }

        self.send(&content, "sending the message").await?;
        self.state = State::Staged;
        Ok(())
    }

    /// Waits, after `stage`, until the final dot can go out at once: what was written is
    /// flushed (TLS records included) and the socket has room. A caller that journals the
    /// hand-over between this and `finish` then has nothing but two system calls between its
    /// journal line and the dot, when `finish` is polled without a cooperative budget
    /// (`tokio::task::unconstrained`), which could otherwise make its first write wait a turn.
    pub async fn ready_to_finish(&mut self) -> Result<(), SmtpError> {
        if self.state != State::Staged {
            return Err(SmtpError::Protocol(
                "no staged message to finish".to_owned(),
            ));
        }
        let doing = "waiting to send the final dot";
        let stream = self.reader.get_mut();
        within(self.timeout, doing, async {
            stream.flush().await.map_err(|error| failed(doing, error))?;
            let tcp = match stream {
                Stream::Plain(tcp) => &*tcp,
                Stream::Tls(tls) => tls.get_ref().0,
            };
            tcp.writable().await.map_err(|error| failed(doing, error))
        })
        .await
    }

    /// Writes ".\r\n" and reads the reply to the whole message: `Ok` for 2xx, `Rejected` at
    /// stage "dot" for 4xx/5xx (the connection stays usable).
    pub async fn finish(&mut self) -> Result<Reply, SmtpError> {
        match self.state {
            State::Staged => {}
            State::Ready => {
                return Err(SmtpError::Protocol(
                    "no staged message to finish".to_owned(),
                ))
            }
            State::Broken => return Err(unusable()),
        }
        self.state = State::Broken;
        self.send(b".\r\n", "sending the final dot").await?;
        let reply = self
            .read_reply("waiting for the reply to the message")
            .await?;
        match reply.code {
            200..=299 => {
                self.state = State::Ready;
                Ok(reply.into_reply())
            }
            400..=599 => {
                self.state = State::Ready;
                Err(reply.rejected("dot"))
            }
            code => Err(SmtpError::Protocol(format!(
                "unexpected reply {code} to the end of the message"
            ))),
        }
    }

    /// True while a staged message has been neither finished nor abandoned, or once the
    /// connection broke: then it must not be used again.
    pub fn is_broken(&self) -> bool {
        self.state != State::Ready
    }

    /// Best-effort QUIT and close (never errors). A staged message is not finished: closing the
    /// socket in the middle of DATA makes the server discard it.
    pub async fn quit(mut self) {
        if self.state == State::Ready {
            let _ = self.command("QUIT", "QUIT").await;
        }
        let stream = self.reader.get_mut();
        let _ = tokio::time::timeout(self.timeout, stream.shutdown()).await;
    }

    async fn ehlo(&mut self, helo_name: &str) -> Result<(), SmtpError> {
        let reply = self.command(&format!("EHLO {helo_name}"), "EHLO").await?;
        if reply.is_positive() {
            self.capabilities = Capabilities::from_ehlo(&reply.lines);
            return Ok(());
        }
        if !(500..600).contains(&reply.code) {
            return Err(reply.rejected("ehlo"));
        }
        // An old server that does not know EHLO: plain SMTP, no extensions.
        let reply = self.command(&format!("HELO {helo_name}"), "HELO").await?;
        if !reply.is_positive() {
            return Err(reply.rejected("ehlo"));
        }
        self.capabilities = Capabilities::default();
        Ok(())
    }

    async fn authenticate(&mut self, username: &str, password: &str) -> Result<(), SmtpError> {
        let base64 = base64::engine::general_purpose::STANDARD;
        let login_only =
            self.capabilities.offers_auth("LOGIN") && !self.capabilities.offers_auth("PLAIN");
        if login_only {
            let reply = self.command("AUTH LOGIN", "AUTH").await?;
            if reply.code != 334 {
                return Err(reply.rejected("auth"));
            }
            let reply = self.command(&base64.encode(username), "AUTH").await?;
            if reply.code != 334 {
                return Err(reply.rejected("auth"));
            }
            let reply = self.command(&base64.encode(password), "AUTH").await?;
            if reply.code != 235 {
                return Err(reply.rejected("auth"));
            }
        } else {
            let credentials = base64.encode(format!("\0{username}\0{password}"));
            let reply = self
                .command(&format!("AUTH PLAIN {credentials}"), "AUTH")
                .await?;
            if reply.code != 235 {
                return Err(reply.rejected("auth"));
            }
        }
        Ok(())
    }

    /// After a refusal mid-envelope: RSET so the next message starts clean. Leaves the
    /// connection ready if that worked, broken otherwise, and hands back the refusal.
    async fn abandon(&mut self, refusal: SmtpError) -> SmtpError {
        self.state = State::Broken;
        if let Ok(reply) = self.command("RSET", "RSET").await {
            if reply.is_positive() {
                self.state = State::Ready;
            }
        }
        refusal
    }

    /// Sends one command line and reads its reply; `name` says which command, for errors, so
    /// that no argument (an address, a password) ends up in a message.
    async fn command(&mut self, line: &str, name: &str) -> Result<RawReply, SmtpError> {
        self.send(format!("{line}\r\n").as_bytes(), &format!("sending {name}"))
            .await?;
        self.read_reply(&format!("waiting for the reply to {name}"))
            .await
    }

    async fn send(&mut self, bytes: &[u8], doing: &str) -> Result<(), SmtpError> {
        let stream = self.reader.get_mut();
        within(self.timeout, doing, async {
            stream
                .write_all(bytes)
                .await
                .map_err(|error| failed(doing, error))?;
            stream.flush().await.map_err(|error| failed(doing, error))
        })
        .await
    }

    async fn read_reply(&mut self, doing: &str) -> Result<RawReply, SmtpError> {
        let reader = &mut self.reader;
        within(self.timeout, doing, async {
            let mut code = None;
            let mut lines = Vec::new();
            let mut total = 0;
            let mut line = Vec::new();
            loop {
                line.clear();
                read_line(reader, &mut line, doing).await?;
                total += line.len();
                if total > MAX_REPLY {
                    return Err(SmtpError::Protocol(format!(
                        "reply longer than {} KiB",
                        MAX_REPLY / 1024
                    )));
                }
                let (line_code, last, text) = parse_line(&line)?;
                if *code.get_or_insert(line_code) != line_code {
                    return Err(SmtpError::Protocol(format!(
                        "reply lines with different codes ({} and {line_code})",
                        code.unwrap_or_default()
                    )));
                }
                lines.push(text);
                if last {
                    return Ok(RawReply {
                        code: line_code,
                        lines,
                    });
                }
            }
        })
        .await
    }
}

/// Reads one line, through its '\n', refusing lines longer than `MAX_LINE`.
async fn read_line(
    reader: &mut BufReader<Stream>,
    line: &mut Vec<u8>,
    doing: &str,
) -> Result<(), SmtpError> {
    loop {
        let available = reader
            .fill_buf()
            .await
            .map_err(|error| failed(doing, error))?;
        if available.is_empty() {
            return Err(SmtpError::Io(format!(
                "{doing}: the server closed the connection"
            )));
        }
        let (take, complete) = match available.iter().position(|&byte| byte == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        if line.len() + take > MAX_LINE {
            return Err(SmtpError::Protocol(format!(
                "reply line longer than {} KiB",
                MAX_LINE / 1024
            )));
        }
        line.extend_from_slice(&available[..take]);
        reader.consume(take);
        if complete {
            return Ok(());
        }
    }
}

/// "250-text" → (250, false, "text"); "250 text" or "250" → (250, true, …).
fn parse_line(line: &[u8]) -> Result<(u16, bool, String), SmtpError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let unparseable = || {
        let shown: String = String::from_utf8_lossy(line).chars().take(80).collect();
        SmtpError::Protocol(format!("unparseable reply line {shown:?}"))
    };
    let (code, rest) = match line {
        [a @ b'2'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9', rest @ ..] => (
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
            rest,
        ),
        _ => return Err(unparseable()),
    };
    let (last, text) = match rest {
        [] => (true, rest),
        [b' ', text @ ..] => (true, text),
        [b'-', text @ ..] => (false, text),
        _ => return Err(unparseable()),
    };
    Ok((code, last, String::from_utf8_lossy(text).trim().to_owned()))
}

/// Normalises line endings to CRLF, doubles a leading '.', and ends with CRLF (RFC 5321 4.5.2),
/// so that only the caller's final ".\r\n" can end the message.
fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 32 + 2);
    // Line by line, each copied whole: the search for the line's end is the only look at
    // every byte (one email a resident, and this was the worker's costliest step).
    let mut rest = message;
    while !rest.is_empty() {
        if rest[0] == b'.' {
            out.push(b'.');
        }
        let Some(end) = memchr::memchr2(b'\r', b'\n', rest) else {
            out.extend_from_slice(rest);
            out.extend_from_slice(b"\r\n");
            break;
        };
        out.extend_from_slice(&rest[..end]);
        out.extend_from_slice(b"\r\n");
        let crlf = rest[end] == b'\r' && rest.get(end + 1) == Some(&b'\n');
        rest = &rest[end + if crlf { 2 } else { 1 }..];
    }
    out
}

/// An address that could end the command line or the angle brackets would let the caller's data
/// become SMTP commands of its own.
fn check_address(address: &str, role: &str) -> Result<(), SmtpError> {
    if address.contains(['\r', '\n', '<', '>']) {
        return Err(SmtpError::Protocol(format!(
            "the {role} address contains a line break or angle bracket"
        )));
    }
    Ok(())
}

fn unusable() -> SmtpError {
    SmtpError::Protocol("the connection broke earlier and cannot be used again".to_owned())
}

fn failed(doing: &str, error: std::io::Error) -> SmtpError {
    SmtpError::Io(format!("{doing}: {error}"))
}

/// Runs one step of I/O under the configured timeout.
async fn within<T>(
    limit: Duration,
    doing: &str,
    work: impl Future<Output = Result<T, SmtpError>>,
) -> Result<T, SmtpError> {
    match tokio::time::timeout(limit, work).await {
        Ok(result) => result,
        Err(_) => Err(SmtpError::Io(format!(
            "timed out after {} while {doing}",
            describe(limit)
        ))),
    }
}

fn describe(duration: Duration) -> String {
    if duration.subsec_nanos() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

async fn handshake(config: &SmtpConfig, tcp: TcpStream) -> Result<TlsStream<TcpStream>, SmtpError> {
    let name = rustls::pki_types::ServerName::try_from(config.host.clone()).map_err(|_| {
        SmtpError::Protocol(format!("{:?} is not a valid name for TLS", config.host))
    })?;
    let connector = TlsConnector::from(match &config.ca_file {
        Some(path) => private_ca_config(path)?,
        None => tls_client_config()?,
    });
    let doing = format!("negotiating TLS with {}", config.host);
    within(config.timeout, &doing, async {
        connector
            .connect(name, tcp)
            .await
            .map_err(|error| failed(&doing, error))
    })
    .await
}

/// A client configuration trusting only the certificates in `path`.
fn private_ca_config(path: &std::path::Path) -> Result<Arc<rustls::ClientConfig>, SmtpError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let unreadable = |error: &dyn std::fmt::Display| {
        SmtpError::Io(format!(
            "TLS: reading the CA file {}: {error}",
            path.display()
        ))
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| unreadable(&e))? {
        roots
            .add(cert.map_err(|e| unreadable(&e))?)
            .map_err(|e| unreadable(&e))?;
    }
    if roots.is_empty() {
        return Err(unreadable(&"no certificates in it"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| SmtpError::Io(format!("TLS: {error}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The platform's trusted roots, loaded once per process (reading them is slow).
fn tls_client_config() -> Result<Arc<rustls::ClientConfig>, SmtpError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = rustls::RootCertStore::empty();
            let (added, _unparseable) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(format!(
                    "no trusted root certificates found on this system ({} errors loading them)",
                    found.errors.len()
                ));
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|error| error.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
        .map_err(|error| SmtpError::Io(format!("TLS: {error}")))
}

/// Plain TCP, or TCP under TLS (from the start, or after STARTTLS).
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
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
        let server = FakeServer::start(
            Script::new().reply("AUTH", "535 5.7.8 Error: authentication failed"),
        )
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
        let server = FakeServer::start(
            Script::new().reply("EHLO", "502 5.5.2 Error: command not recognized"),
        )
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
        assert!(
            matches!(&result, Err(SmtpError::Protocol(message)) if message.contains("STARTTLS"))
        );
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

    #[test]
    fn reply_lines_are_parsed() {
        use super::parse_line;
        assert_eq!(
            parse_line(b"250-PIPELINING\r\n").unwrap(),
            (250, false, "PIPELINING".to_owned())
        );
        assert_eq!(
            parse_line(b"250 Ok\r\n").unwrap(),
            (250, true, "Ok".to_owned())
        );
        assert_eq!(parse_line(b"354\r\n").unwrap(), (354, true, String::new()));
        assert!(parse_line(b"HTTP/1.1 400 Bad Request\r\n").is_err());
        assert!(parse_line(b"2500 Ok\r\n").is_err());
    }

    #[test]
    fn an_empty_message_stays_empty_and_a_lone_dot_is_stuffed() {
        use super::dot_stuff;
        assert_eq!(dot_stuff(b""), b"");
        assert_eq!(dot_stuff(b"."), b"..\r\n");
        assert_eq!(dot_stuff(b"a\r\n.\r\nb\r\n"), b"a\r\n..\r\nb\r\n");
        assert_eq!(dot_stuff(b"a\r\r\n\n.b"), b"a\r\n\r\n\r\n..b\r\n");
    }

    /// RFC 5321's rule, a byte at a time: what `dot_stuff` must agree with.
    fn dot_stuff_bytewise(message: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut at_line_start = true;
        let mut bytes = message.iter().copied().peekable();
        while let Some(byte) = bytes.next() {
            match byte {
                b'\r' | b'\n' => {
                    if byte == b'\r' {
                        bytes.next_if_eq(&b'\n');
                    }
                    out.extend_from_slice(b"\r\n");
                    at_line_start = true;
                }
                _ => {
                    if at_line_start && byte == b'.' {
                        out.push(b'.');
                    }
                    out.push(byte);
                    at_line_start = false;
                }
            }
        }
        if !at_line_start {
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5_000))]
        #[test]
        fn dot_stuffing_agrees_with_the_rule_byte_by_byte(
            message in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b'.'),
                    proptest::strategy::Just(b'\r'),
                    proptest::strategy::Just(b'\n'),
                    proptest::prelude::any::<u8>(),
                ],
                0..64,
            )
        ) {
            proptest::prop_assert_eq!(super::dot_stuff(&message), dot_stuff_bytewise(&message));
        }
    }
}
