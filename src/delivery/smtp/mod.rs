//! SMTP for alert emails: a small client that stages a whole message but holds back the final dot
//! until the caller has recorded the send, so a worker killed at any instant never sends twice.
//!
//! Only the socket to the mail server is touched here; messages are built elsewhere (with lettre).
//! This file is the session (EHLO, AUTH, the envelope, the held-back dot); `wire` reads replies
//! and dot-stuffs, `tls` negotiates TLS, `tests` runs it against a scripted server.

#[cfg(test)]
mod tests;
mod timeout;
mod tls;
mod wire;

use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::config::SmtpTls;
use timeout::{failed, within};
use tls::{handshake, Stream};
use wire::{check_address, dot_stuff, parse_line, read_line, unusable};

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
