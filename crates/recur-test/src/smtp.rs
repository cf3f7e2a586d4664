//! A minimal SMTP server.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Messages received by the fake SMTP server: (recipient, Message-ID) per message, in order of
/// arrival; an AUTH command is recorded as `("AUTH", the command line)`.
pub type Inbox = Arc<Mutex<Vec<(String, String)>>>;

/// Starts the fake SMTP server; returns its port and its inbox. It offers `AUTH PLAIN LOGIN`
/// (accepting any login) and no STARTTLS.
pub fn smtp_server() -> (u16, Inbox) {
    smtp_server_with_delay(Duration::ZERO)
}

/// Like [`smtp_server`], taking `delay` to accept each message (to interrupt a send part-way).
pub fn smtp_server_with_delay(delay: Duration) -> (u16, Inbox) {
    let listener =
        TcpListener::bind("127.0.0.1:0").expect("bind a local port for the fake SMTP server");
    let port = listener.local_addr().map_or(0, |a| a.port());
    let inbox: Inbox = Arc::default();
    let shared = inbox.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(out) = stream else { continue };
            let inbox = shared.clone();
            std::thread::spawn(move || session(out, &inbox, delay));
        }
    });
    (port, inbox)
}

/// One client connection, until QUIT or the client hangs up.
fn session(mut out: TcpStream, inbox: &Inbox, delay: Duration) {
    // Replies go out at once (no Nagle delay against the client's delayed ACKs).
    let _ = out.set_nodelay(true);
    let Ok(read_half) = out.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let _ = out.write_all(b"220 test ESMTP\r\n");
    let mut rcpt = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
            b"250-test\r\n250-AUTH PLAIN LOGIN\r\n250 OK\r\n"
        } else if cmd.starts_with("AUTH") {
            record(inbox, "AUTH".into(), line.trim_end().to_owned());
            b"235 2.7.0 Authentication successful\r\n"
        } else if cmd.starts_with("RCPT TO") {
            rcpt = line
                .trim_end()
                .get(8..)
                .unwrap_or_default()
                .trim()
                .trim_matches(['<', '>'])
                .to_owned();
            b"250 OK\r\n"
        } else if cmd == "DATA" {
            let _ = out.write_all(b"354 go ahead\r\n");
            let mut message_id = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                if line.to_ascii_lowercase().starts_with("message-id:") {
                    message_id = line.get(11..).unwrap_or_default().trim().to_owned();
                }
            }
            std::thread::sleep(delay);
            record(inbox, rcpt.clone(), message_id);
            b"250 queued\r\n"
        } else if cmd == "QUIT" {
            let _ = out.write_all(b"221 bye\r\n");
            return;
        } else {
            b"250 OK\r\n"
        };
        let _ = out.write_all(reply);
    }
}

fn record(inbox: &Inbox, key: String, value: String) {
    inbox
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((key, value));
}
