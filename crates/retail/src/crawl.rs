//! Crawler rules: which URLs may be fetched (SSRF defence, OWASP API7) and how an HTML page
//! becomes a title and plain text.

use crow_common::ApiError;

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// A crawl target that passed the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub host: String,
}

fn parse_ipv4(host: &str) -> Option<[u8; 4]> {
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = [0u8; 4];
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out[i] = p.parse().ok()?;
    }
    Some(out)
}

fn ipv4_is_private(ip: [u8; 4]) -> bool {
    matches!(
        ip,
        [0, ..]
            | [10, ..]
            | [127, ..]
            | [169, 254, ..]
            | [255, 255, 255, 255]
            | [100, 64..=127, ..]
            | [172, 16..=31, ..]
            | [192, 168, ..]
            | [192, 0, 0, _]
            | [198, 18..=19, ..]
            | [224..=255, ..]
    )
}

fn ipv4_is_loopback(ip: [u8; 4]) -> bool {
    ip[0] == 127
}

/// Classifies an IPv6 literal (without brackets): `Some(is_loopback)` when it is not public,
/// `None` when it is public (or not IPv6 at all).
fn ipv6_private(host: &str) -> Option<bool> {
    let h = host.to_ascii_lowercase();
    if !h.contains(':') {
        return None;
    }
    if h == "::1" {
        return Some(true);
    }
    if h == "::"
        || h.starts_with("fe8")
        || h.starts_with("fe9")
        || h.starts_with("fea")
        || h.starts_with("feb")
        || h.starts_with("fc")
        || h.starts_with("fd")
        || h.starts_with("ff")
    {
        return Some(false);
    }
    // IPv4-mapped (::ffff:a.b.c.d) carries an IPv4 address: judge that.
    if let Some(v4) = h.strip_prefix("::ffff:").and_then(parse_ipv4) {
        return ipv4_is_private(v4).then_some(ipv4_is_loopback(v4));
    }
    // Anything else with a colon is a public IPv6 literal.
    None
}

/// Checks a crawl URL: http or https, no credentials, a host that is a public name or address.
/// Loopback targets pass only when `allow_loopback` (local development setting), so that tests can
/// crawl a page served on 127.0.0.1; private, link-local and other special ranges never pass.
pub fn check_url(raw: &str, allow_loopback: bool) -> Result<Target, ApiError> {
    let bad = |issue: &str| Err(ApiError::invalid_field("url", issue.to_string()));
    let url = raw.trim();
    if url.is_empty() || url.len() > MAX_URL_LEN {
        return bad("must be an http or https URL of at most 2048 characters");
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => return bad("must be an absolute http or https URL"),
    };
    if scheme != "http" && scheme != "https" {
        return bad("only http and https URLs can be crawled");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return bad("must not contain credentials");
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, _)) => h.to_string(),
            None => return bad("has a malformed IPv6 host"),
        }
    } else {
        authority
            .rsplit_once(':')
            .map(|(h, port)| if port.bytes().all(|b| b.is_ascii_digit()) { h } else { authority })
            .unwrap_or(authority)
            .to_string()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '%' || c == '\\') {
        return bad("has no valid host");
    }
    let loopback_name = host == "localhost" || host.ends_with(".localhost");
    let (private, loopback) = if let Some(v4) = parse_ipv4(&host) {
        (ipv4_is_private(v4), ipv4_is_loopback(v4))
    } else if let Some(lb) = ipv6_private(&host) {
        (true, lb)
    } else if host.contains(':') {
        (false, false)
    } else if loopback_name {
        (true, true)
    } else if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') || host.starts_with("0x") {
        // Decimal/hex/octal shorthand IPv4 forms (http://2130706433/) are refused outright.
        return bad("numeric hosts must be dotted-quad IPv4 addresses");
    } else if !host.contains('.') || host.ends_with(".internal") || host.ends_with(".local") {
        return bad("must be a public host name");
    } else {
        (false, false)
    };
    if private && !(loopback && allow_loopback) {
        return Err(ApiError::invalid_field(
            "url",
            "private, loopback and link-local addresses cannot be crawled",
        )
        .detail("host", host));
    }
    Ok(Target { url: url.to_string(), host })
}

/// A page reduced to text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub title: String,
    pub text: String,
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let end = tail.find(';').filter(|e| *e <= 10);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" | "#39" => Some('\''),
                "nbsp" => Some(' '),
                _ if name.starts_with("#x") || name.starts_with("#X") => {
                    u32::from_str_radix(&name[2..], 16).ok().and_then(char::from_u32)
                }
                _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Extracts the `<title>` and the visible text of an HTML document: drops `script`, `style`,
/// `noscript`, `template` and comments, turns block elements into line breaks, decodes entities
/// and collapses white space. Plain text (no tags) passes through.
pub fn extract_text(html: &str) -> Extracted {
    let lower = html.to_ascii_lowercase();
    let mut text = String::with_capacity(html.len() / 2);
    let mut title = String::new();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let next = html[i..].find('<').map(|n| i + n).unwrap_or(bytes.len());
            text.push_str(&html[i..next]);
            i = next;
            continue;
        }
        if lower[i..].starts_with("<!--") {
            i = lower[i..].find("-->").map(|e| i + e + 3).unwrap_or(bytes.len());
            continue;
        }
        let end = match lower[i..].find('>') {
            Some(e) => i + e,
            None => break,
        };
        let tag = &lower[i + 1..end];
        let name: String =
            tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let closing = tag.starts_with('/');
        if !closing
            && matches!(name.as_str(), "script" | "style" | "noscript" | "template" | "title")
        {
            let close = format!("</{name}");
            let stop = lower[end..].find(&close).map(|e| end + e).unwrap_or(bytes.len());
            if name == "title" && title.is_empty() {
                title = html[end + 1..stop.max(end + 1)].to_string();
            }
            i = lower[stop..].find('>').map(|e| stop + e + 1).unwrap_or(bytes.len());
            continue;
        }
        if matches!(
            name.as_str(),
            "p" | "div"
                | "br"
                | "li"
                | "tr"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "section"
                | "article"
                | "header"
                | "footer"
                | "ul"
                | "ol"
                | "table"
                | "blockquote"
                | "pre"
        ) {
            text.push('\n');
        } else {
            text.push(' ');
        }
        i = end + 1;
    }
    let collapse = |s: &str| {
        let decoded = decode_entities(s);
        let lines: Vec<String> = decoded
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|l| !l.is_empty())
            .collect();
        lines.join("\n")
    };
    Extracted { title: collapse(&title).replace('\n', " "), text: collapse(&text) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_pass() {
        for ok in [
            "https://example.com",
            "http://shop.example.co.uk/a?b=c#d",
            "https://example.com:8443/x",
            "https://[2606:4700::1111]/",
        ] {
            assert!(check_url(ok, false).is_ok(), "{ok}");
        }
    }

    #[test]
    fn private_and_odd_urls_are_refused() {
        for bad in [
            "ftp://example.com",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "example.com",
            "http://user:pw@example.com",
            "http://10.0.0.5/",
            "http://172.16.3.4",
            "http://192.168.1.1",
            "http://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:8080",
            "http://localhost/",
            "http://api.localhost",
            "http://[::1]/",
            "http://[fe80::1]/",
            "http://[fd00::1]",
            "http://[::ffff:10.0.0.1]/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0.0.0.0/",
            "http://intranet/",
            "http://printer.local/",
            "http://100.64.0.1",
            "",
        ] {
            let e = check_url(bad, false).unwrap_err();
            assert_eq!(e.details["field"], "url", "{bad}");
        }
    }

    #[test]
    fn loopback_only_with_the_local_setting() {
        assert!(check_url("http://127.0.0.1:9000/page", true).is_ok());
        assert!(check_url("http://localhost:9000/page", true).is_ok());
        assert!(check_url("http://[::1]:9000/", true).is_ok());
        assert!(check_url("http://10.0.0.1/", true).is_err(), "private ranges stay closed");
        assert!(check_url("http://169.254.169.254/", true).is_err());
    }

    #[test]
    fn html_becomes_text() {
        let html = r#"<!doctype html><html><head><title>Returns &amp; Refunds</title>
            <style>body{color:red}</style><script>var x = "<p>no</p>";</script></head>
            <body><h1>Returns</h1><p>Items can be returned within&nbsp;30 days.</p><!-- hidden -->
            <ul><li>Keep the receipt</li><li>Tags attached &#8212; unworn</li></ul></body></html>"#;
        let e = extract_text(html);
        assert_eq!(e.title, "Returns & Refunds");
        assert!(e.text.contains("Items can be returned within 30 days."));
        assert!(e.text.contains("Tags attached \u{2014} unworn"));
        assert!(
            !e.text.contains("color:red")
                && !e.text.contains("no</p>")
                && !e.text.contains("hidden")
        );
        assert_eq!(extract_text("just text").text, "just text");
        assert_eq!(extract_text("<p>unclosed <b").text, "unclosed");
    }
}
