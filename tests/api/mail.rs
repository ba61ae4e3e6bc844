//! Email through a real SMTP server on loopback: postfix's `smtp-sink`, which writes every
//! message it accepts to a file, so the test reads what arrived.

use crate::helpers::{standard_sign_up, wait_for_files, Backend, Email, TestApp};
use beacon::config::{MailTransport, SmtpTls};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `smtp-sink` listening on a free port, dumping each message into `dir`.
pub struct SmtpSink {
    child: Child,
    pub port: u16,
}

impl SmtpSink {
    pub fn start(dir: &Path) -> SmtpSink {
        SmtpSink::start_on(dir, crate::helpers::free_port())
    }

    pub fn start_on(dir: &Path, port: u16) -> SmtpSink {
        // smtp-sink drops privileges to `nobody` when run as root, so the folder must be writable.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let mut command = Command::new(sink_binary());
        if running_as_root() {
            // smtp-sink refuses to keep root's privileges.
            command.args(["-u", "nobody"]);
        }
        let mut child = command
            .arg("-d")
            .arg(format!("{}/%H%M%S.", dir.display()))
            .arg(format!("127.0.0.1:{port}"))
            .arg("64")
            .stdout(Stdio::null())
            .spawn()
            .expect("postfix's smtp-sink must be installed (apt-get install postfix)");
        crate::helpers::wait_for_listener(&mut child, port, "smtp-sink");
        SmtpSink { child, port }
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0\n"))
}

fn sink_binary() -> &'static str {
    if Path::new("/usr/sbin/smtp-sink").exists() {
        "/usr/sbin/smtp-sink"
    } else {
        "smtp-sink"
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn confirmation_email_arrives_at_a_real_smtp_server() {
    let received = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(received.path());
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_host = "127.0.0.1".into();
        s.mail.smtp_port = sink.port;
        s.mail.smtp_tls = SmtpTls::None;
        s.mail.from = "Cambridgeshire Alerts <alerts@beacon.example>".into();
    })
    .await;

    let page = app.sign_up(&standard_sign_up("gareth@example.org")).await;
    assert_eq!(page.status(), 200);
    let raw = wait_for_files(received.path(), "", 1).await.remove(0);
    let dump = String::from_utf8_lossy(&raw);
    assert!(dump.contains("X-Rcpt-Args: <gareth@example.org>"), "{dump}");
    assert!(
        dump.contains("X-Mail-Args: <alerts@beacon.example>"),
        "{dump}"
    );
    let email = Email::parse(&raw);
    assert_eq!(email.subject, "Confirm your Beacon alerts");
    assert!(email.text.starts_with("Dear Mandy,"));
    assert!(email
        .header("Message-ID")
        .unwrap()
        .contains("@beacon.example>"));
    assert_eq!(
        email.header("List-Unsubscribe-Post").unwrap(),
        "List-Unsubscribe=One-Click"
    );
    assert!(
        email.html.is_some(),
        "multipart: HTML beside the plain text"
    );
    app.wait_until_sent().await;
    assert_eq!(app.ctx.store.outbound_counts().await.unwrap().sent, 1);
    assert_eq!(app.outbox_count(), 0, "nothing went to the file outbox");
    app.stop().await;
}

#[tokio::test]
async fn mail_waits_while_the_smtp_server_is_down_then_arrives_once() {
    let port = crate::helpers::free_port();
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        s.mail.transport = MailTransport::Smtp;
        s.mail.smtp_host = "127.0.0.1".into();
        s.mail.smtp_port = port;
        s.mail.smtp_tls = SmtpTls::None;
        s.limits.retry_base_secs = 1;
    })
    .await;
    // Nothing listens yet: the send fails for a passing reason and the email stays queued.
    let page = app.sign_up(&standard_sign_up("ellen@example.org")).await;
    assert_eq!(
        page.status(),
        200,
        "the resident is not troubled by a mail outage"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let counts = app.ctx.store.outbound_counts().await.unwrap();
    assert_eq!((counts.waiting, counts.sent, counts.failed), (1, 0, 0));

    // The server comes back: the retry delivers it, once.
    let received = tempfile::tempdir().unwrap();
    let _sink = SmtpSink::start_on(received.path(), port);
    let raw = wait_for_files(received.path(), "", 1).await.remove(0);
    assert!(Email::parse(&raw).text.starts_with("Dear Mandy,"));
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        wait_for_files(received.path(), "", 1).await.len(),
        1,
        "sent exactly once"
    );
    assert_eq!(app.ctx.store.outbound_counts().await.unwrap().sent, 1);
    app.stop().await;
}
