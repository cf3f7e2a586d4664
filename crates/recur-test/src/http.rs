//! A minimal HTTP/1.1 server with canned replies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request the fake HTTP server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method, such as `POST`.
    pub method: String,
    /// Path, such as `/v1/chat/completions`.
    pub path: String,
    /// The request line and the header lines, as sent (CRLF line ends).
    pub head: String,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
}

impl Request {
    /// The value of the header `name` (case-insensitive), trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The body as text (lossy UTF-8).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Requests received by the fake HTTP server, in order of arrival.
pub type Requests = Arc<Mutex<Vec<Request>>>;

/// Starts the fake HTTP server; returns its base URL (`http://127.0.0.1:PORT`, no trailing
/// slash) and what it receives. The n-th request gets the n-th of `answers` (status, JSON
/// body); requests after them get 200 with an empty body. Every connection is closed after its
/// reply.
pub fn http_server(answers: Vec<(u16, String)>) -> (String, Requests) {
    let listener =
        TcpListener::bind("127.0.0.1:0").expect("bind a local port for the fake HTTP server");
    let url = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().map_or(0, |a| a.port())
    );
    let seen: Requests = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for (k, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            let (status, body) = answers.get(k).cloned().unwrap_or((200, String::new()));
            serve(stream, status, &body, &log);
        }
    });
    (url, seen)
}

/// Reads one request from `stream`, records it in `log`, then answers it (recorded before the
/// client sees the reply).
fn serve(mut stream: TcpStream, status: u16, body: &str, log: &Requests) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut head = String::new();
    let mut line = String::new();
    let mut len = 0usize;
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    let mut content = vec![0; len];
    let _ = reader.read_exact(&mut content);
    let mut first = head.lines().next().unwrap_or_default().split_whitespace();
    let request = Request {
        method: first.next().unwrap_or_default().to_owned(),
        path: first.next().unwrap_or_default().to_owned(),
        head,
        body: content,
    };
    log.lock().unwrap_or_else(|e| e.into_inner()).push(request);
    let reply = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
}
