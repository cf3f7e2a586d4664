//! Splits a CSV byte stream into chunks that each start where the `csv` reader, reading the
//! whole stream, would start its next record, so that chunks can be parsed independently and
//! give exactly the records, fields and line numbers one reader gives.
//!
//! The `csv` reader returns a record as soon as it has consumed the first terminator byte (`\r`
//! or `\n`) after it outside quotes; blank lines and the `\n` of a `\r\n` are skipped at the
//! start of the next read, and the line a record reports is the line where that read started.
//! A chunk therefore ends exactly after a record's first terminator byte, never after a blank
//! line, and never inside a quoted field (a quote opens a quoted field only at the start of a
//! field; `""` inside one is an escaped quote). [`Scanner`] follows the parser's states with the
//! reader's default settings (quote `"`, doubled quotes, no escape byte, no comments).

use std::io::{self, BufRead};

/// Parser states the scanner follows (those of `csv-core` that matter for record ends).
const START_RECORD: u8 = 0;
const START_FIELD: u8 = 1;
const IN_FIELD: u8 = 2;
const IN_QUOTED: u8 = 3;
const AFTER_QUOTE: u8 = 4;
/// Set on a transition that ends a record.
const END: u8 = 8;

/// A UTF-8 byte-order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Byte classes.
const OTHER: usize = 0;
const DELIM: usize = 1;
const QUOTE: usize = 2;
const TERM: usize = 3;

/// `TRANSITIONS[state][class]`: the next state, with [`END`] when the byte ends a record.
const TRANSITIONS: [[u8; 4]; 5] = [
    // START_RECORD: terminators are blank lines, skipped.
    [IN_FIELD, START_FIELD, IN_QUOTED, START_RECORD],
    // START_FIELD
    [IN_FIELD, START_FIELD, IN_QUOTED, START_RECORD | END],
    // IN_FIELD: a quote inside an unquoted field is a plain byte.
    [IN_FIELD, START_FIELD, IN_FIELD, START_RECORD | END],
    // IN_QUOTED
    [IN_QUOTED, IN_QUOTED, AFTER_QUOTE, IN_QUOTED],
    // AFTER_QUOTE: `""` is an escaped quote; other bytes close the quoted field.
    [IN_FIELD, START_FIELD, IN_QUOTED, START_RECORD | END],
];

/// Whether the scanner can follow the reader with this delimiter (a delimiter that is the quote
/// or a terminator changes the parser's rules; such files are read by one reader).
pub(super) fn supports(delimiter: u8) -> bool {
    !matches!(delimiter, b'"' | b'\r' | b'\n')
}

/// Follows the CSV parser's state over bytes fed in order.
pub(super) struct Scanner {
    state: u8,
    delimiter: u8,
    classes: [u8; 256],
}

impl Scanner {
    /// A scanner at the start of a stream.
    pub(super) fn new(delimiter: u8) -> Scanner {
        let mut classes = [OTHER as u8; 256];
        classes[usize::from(delimiter)] = DELIM as u8;
        classes[usize::from(b'"')] = QUOTE as u8;
        classes[usize::from(b'\r')] = TERM as u8;
        classes[usize::from(b'\n')] = TERM as u8;
        Scanner {
            state: START_RECORD,
            delimiter,
            classes,
        }
    }

    /// Feeds `bytes`; returns the offset just after the last record end among them, if any.
    pub(super) fn scan(&mut self, bytes: &[u8]) -> Option<usize> {
        if self.state != IN_QUOTED && !bytes.contains(&b'"') {
            return self.scan_unquoted(bytes);
        }
        let mut state = usize::from(self.state);
        let mut last = None;
        for (i, &b) in bytes.iter().enumerate() {
            let t = TRANSITIONS[state][usize::from(self.classes[usize::from(b)])];
            state = usize::from(t & 7);
            if t & END != 0 {
                last = Some(i + 1);
            }
        }
        self.state = state as u8;
        last
    }

    /// [`Scanner::scan`] for bytes without a quote, outside a quoted field: a record ends at
    /// the first terminator of every run of terminators that follows a field byte.
    fn scan_unquoted(&mut self, bytes: &[u8]) -> Option<usize> {
        let is_term = |b: u8| b == b'\r' || b == b'\n';
        let &lastb = bytes.last()?;
        let entering = self.state;
        self.state = if is_term(lastb) {
            START_RECORD
        } else if lastb == self.delimiter {
            START_FIELD
        } else {
            IN_FIELD
        };
        let j = bytes.iter().rposition(|&b| is_term(b))?;
        let mut k = j;
        while k > 0 && is_term(bytes[k - 1]) {
            k -= 1;
        }
        (k > 0 || entering != START_RECORD).then_some(k + 1)
    }
}

/// A piece of the stream that starts where a record read starts.
pub(super) struct Piece {
    pub(super) bytes: Vec<u8>,
    /// `\n` bytes in the stream before this piece.
    pub(super) lines_before: u64,
}

/// Cuts a stream into [`Piece`]s of about `target` bytes (longer when one record is longer).
pub(super) struct Chunker<R> {
    reader: R,
    target: usize,
    scanner: Scanner,
    buf: Vec<u8>,
    /// Bytes of `buf` already fed to the scanner.
    scanned: usize,
    /// The last record end in `buf`.
    last_end: Option<usize>,
    lines_before: u64,
    eof: bool,
    /// Nothing has been scanned yet.
    first: bool,
}

impl<R: BufRead> Chunker<R> {
    /// A chunker reading `reader` (already past any byte-order mark).
    pub(super) fn new(reader: R, delimiter: u8, target: usize) -> Chunker<R> {
        let target = target.max(1);
        Chunker {
            reader,
            target,
            scanner: Scanner::new(delimiter),
            buf: Vec::with_capacity(target.saturating_add(1 << 16).min(1 << 26)),
            scanned: 0,
            last_end: None,
            lines_before: 0,
            eof: false,
            first: true,
        }
    }

    /// The next piece, or `None` at the end of the stream.
    pub(super) fn next_piece(&mut self) -> io::Result<Option<Piece>> {
        loop {
            if self.first {
                if self.buf.len() < BOM.len() && !self.eof {
                    self.fill()?;
                    continue;
                }
                self.first = false;
                // The `csv` reader drops a byte-order mark that starts its input.
                if self.buf.starts_with(BOM) {
                    self.scanned = BOM.len();
                }
            }
            if self.scanned < self.buf.len() {
                if let Some(end) = self.scanner.scan(&self.buf[self.scanned..]) {
                    self.last_end = Some(self.scanned + end);
                }
                self.scanned = self.buf.len();
            }
            if self.eof {
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let bytes = std::mem::take(&mut self.buf);
                self.scanned = 0;
                self.last_end = None;
                return Ok(Some(self.piece(bytes)));
            }
            if self.buf.len() >= self.target
                && let Some(end) = self.last_end
            {
                let mut next =
                    Vec::with_capacity((self.buf.len() - end).max(self.target) + (1 << 16));
                next.extend_from_slice(&self.buf[end..]);
                self.buf.truncate(end);
                let bytes = std::mem::replace(&mut self.buf, next);
                self.scanned = self.buf.len();
                self.last_end = None;
                return Ok(Some(self.piece(bytes)));
            }
            self.fill()?;
        }
    }

    fn piece(&mut self, bytes: Vec<u8>) -> Piece {
        let lines_before = self.lines_before;
        self.lines_before += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        Piece {
            bytes,
            lines_before,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        let data = loop {
            match self.reader.fill_buf() {
                Ok(d) => break d,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        if data.is_empty() {
            self.eof = true;
            return Ok(());
        }
        let n = data.len();
        self.buf.extend_from_slice(data);
        self.reader.consume(n);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `bytes` read by one `csv` reader: (line, fields).
    fn whole(bytes: &[u8]) -> Vec<(u64, Vec<Vec<u8>>)> {
        records(bytes, 0, true)
    }

    fn records(bytes: &[u8], lines_before: u64, at_start: bool) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut rdr = super::super::delimited::reader(bytes, b',', at_start);
        let mut rec = csv::ByteRecord::new();
        let mut out = Vec::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            let line = rec.position().map_or(0, |p| p.line()) + lines_before;
            out.push((line, rec.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    /// The records of `bytes` cut into pieces of about `target` bytes (read `read` bytes at a
    /// time), each piece read alone.
    fn chunked(bytes: &[u8], target: usize, read: usize) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut chunker = Chunker::new(io::BufReader::with_capacity(read, bytes), b',', target);
        let mut out = Vec::new();
        let mut first = true;
        while let Some(p) = chunker.next_piece().unwrap() {
            out.extend(records(&p.bytes, p.lines_before, first));
            first = false;
        }
        out
    }

    /// A small deterministic generator (xorshift), so the property test needs no crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn pieces_read_alone_give_the_records_of_the_whole_stream() {
        let tokens: [&[u8]; 10] = [
            b"a",
            b"bc",
            b",",
            b"\"",
            b"\"\"",
            b"\n",
            b"\r\n",
            b"\r",
            b"\xef\xbb\xbf",
            b" ",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..3000 {
            let len = (rng.next() % 60) as usize;
            let mut bytes = Vec::new();
            for _ in 0..len {
                bytes.extend_from_slice(tokens[(rng.next() % tokens.len() as u64) as usize]);
            }
            let target = 1 + (rng.next() % 12) as usize;
            let read = 1 + (rng.next() % 8) as usize;
            assert_eq!(
                chunked(&bytes, target, read),
                whole(&bytes),
                "case {case}, target {target}, read {read}: {:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }

    #[test]
    fn a_quoted_newline_never_ends_a_piece() {
        let bytes = b"h1,h2\n\"a\nb\nc\",1\r\n\"x\"\"\ny\",2\n\n\nlast,3";
        for target in 1..bytes.len() + 2 {
            for read in [1, 2, 3, 7, 64] {
                assert_eq!(
                    chunked(bytes, target, read),
                    whole(bytes),
                    "{target} {read}"
                );
            }
        }
        let mut chunker = Chunker::new(io::BufReader::with_capacity(1, &bytes[..]), b',', 1);
        let mut starts = Vec::new();
        let mut at = 0;
        while let Some(p) = chunker.next_piece().unwrap() {
            starts.push(at);
            at += p.bytes.len();
        }
        assert_eq!(at, bytes.len());
        // Read a byte at a time, every record end is a cut: after the header, after `1\r`, after
        // `2\n`; never inside the quoted fields.
        assert_eq!(starts, vec![0, 6, 16, 27]);
    }

    #[test]
    fn the_unquoted_fast_path_agrees_with_the_state_machine() {
        let inputs: [&[u8]; 7] = [
            b"",
            b"\n\n",
            b"a\n",
            b"a,\n\r\nb",
            b"\r\na\r\n",
            b"a,b",
            b",",
        ];
        for bytes in inputs {
            for state in [START_RECORD, START_FIELD, IN_FIELD, AFTER_QUOTE] {
                let mut fast = Scanner::new(b',');
                fast.state = state;
                let mut slow = Scanner::new(b',');
                slow.state = state;
                let mut slow_end = None;
                let mut s = usize::from(state);
                for (i, &b) in bytes.iter().enumerate() {
                    let t = TRANSITIONS[s][usize::from(slow.classes[usize::from(b)])];
                    s = usize::from(t & 7);
                    if t & END != 0 {
                        slow_end = Some(i + 1);
                    }
                }
                slow.state = s as u8;
                assert_eq!(
                    fast.scan_unquoted(bytes),
                    slow_end,
                    "{bytes:?} from {state}"
                );
                assert_eq!(fast.state, slow.state, "{bytes:?} from {state}");
            }
        }
    }
}
