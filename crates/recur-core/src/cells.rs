//! Text that leaves recur for other programs: spreadsheet cells and customer-chosen words.

use std::borrow::Cow;

/// A CSV cell that a spreadsheet will show as text, never run as a formula.
///
/// A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`
/// (the OWASP rule against CSV injection), unless the whole cell is a plain number such as
/// `-0.25` or `+3`, which spreadsheets read as the number it is.
///
/// ```
/// use recur_core::spreadsheet_safe;
///
/// assert_eq!(spreadsheet_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
/// assert_eq!(spreadsheet_safe("-0.25"), "-0.25");
/// assert_eq!(spreadsheet_safe("skin care"), "skin care");
/// ```
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    let risky = matches!(
        cell.chars().next(),
        Some(
            '=' | '+' | '-' | '@' | '\t' | '\r' | '\u{FF1D}' | '\u{FF0B}' | '\u{FF0D}' | '\u{FF20}'
        )
    );
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// `-12`, `+3.5`, `-1e-3`: digits with one optional sign, point and exponent, nothing else.
fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (body, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => {
            (digits(a) || a.is_empty())
                && (digits(b) || b.is_empty())
                && !(a.is_empty() && b.is_empty())
        }
        None => digits(mantissa),
    };
    mantissa_ok && exponent.is_none_or(digits)
}

/// A word the customer chose (a first name at sign-up) made safe to place in a message: no
/// control characters, no markup or template characters, whitespace collapsed, at most
/// `max_chars` characters. `None` when nothing printable is left.
///
/// ```
/// use recur_core::customer_text;
///
/// assert_eq!(customer_text("  Anna\u{7}<b>", 40).as_deref(), Some("Anna b"));
/// assert_eq!(customer_text("José-Luis O'Neil", 40).as_deref(), Some("José-Luis O'Neil"));
/// assert_eq!(customer_text("<>{}", 40), None);
/// ```
pub fn customer_text(raw: &str, max_chars: usize) -> Option<String> {
    const JOINERS: [char; 6] = ['\'', '’', '-', '.', '·', '・'];
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || JOINERS.contains(&c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let joined = cleaned
        .split_whitespace()
        .map(|w| w.trim_matches(JOINERS))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let capped: String = joined.chars().take(max_chars).collect();
    let capped = capped.trim_end().trim_end_matches(JOINERS).trim_end();
    (!capped.is_empty()).then(|| capped.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for bad in [
            "=1+1", "+cmd", "-cmd|x", "@SUM(A1)", "\tx", "\rx", "-", "+", "-1-1", "--1", "-1e",
            "=-1",
        ] {
            assert_eq!(spreadsheet_safe(bad), format!("'{bad}"), "{bad:?}");
        }
        for ok in [
            "-1", "+2", "-0.5", "-.5", "3.", "-1e-3", "1E6", "abc", "", "a=b", "'=x", "12-3",
        ] {
            assert_eq!(spreadsheet_safe(ok), ok, "{ok:?}");
        }
    }

    #[test]
    fn customer_text_drops_markup_and_caps_length() {
        assert_eq!(
            customer_text("\u{1b}[31mRed", 40).as_deref(),
            Some("31mRed")
        );
        assert_eq!(customer_text("李雷", 40).as_deref(), Some("李雷"));
        assert_eq!(
            customer_text(&"x".repeat(100), 10).unwrap().chars().count(),
            10
        );
        assert_eq!(
            customer_text("{first_name}", 40).as_deref(),
            Some("first name")
        );
        assert_eq!(
            customer_text("=HYPERLINK(\"http://x\")", 40).as_deref(),
            Some("HYPERLINK http x")
        );
        assert_eq!(customer_text("\n\t", 40), None);
        assert_eq!(
            customer_text("=cmd|' /C calc'!A0", 40).as_deref(),
            Some("cmd C calc A0")
        );
        assert_eq!(
            customer_text("Mary-Jane O'Neil Jr.", 40).as_deref(),
            Some("Mary-Jane O'Neil Jr")
        );
    }
}
