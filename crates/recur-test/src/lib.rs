//! Test support shared by recur's test suites (a dev-dependency only): local fakes of the
//! servers recur talks to, each on a free port of 127.0.0.1 and served by a background thread
//! for the rest of the test process.
//!
//! - [`smtp_server`]: a minimal SMTP server (EHLO/HELO, AUTH, MAIL, RCPT, DATA, QUIT) that
//!   records each message's recipient and Message-ID.
//! - [`http_server`]: a minimal HTTP/1.1 server that answers with canned replies in turn and
//!   records each request (webhooks, OpenAI-compatible endpoints).
//!
//! ```
//! let (port, inbox) = recur_test::smtp_server();
//! assert!(port > 0 && inbox.lock().unwrap().is_empty());
//! ```
//!
//! The fakes panic when the port cannot be bound: they are for tests.

mod http;
mod smtp;

pub use http::{Request, Requests, http_server};
pub use smtp::{Inbox, smtp_server, smtp_server_with_delay};
